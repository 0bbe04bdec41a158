# Setup (the same cell on every page): make the course's `utils` and `data/`
# importable. On Colab it first fetches the course; elsewhere it only finds the
# repository root.
import pathlib
import subprocess
import sys

COURSE_REPOSITORY = "https://github.com/orange-course/orange"
_here = pathlib.Path.cwd()
_root = next(
    (
        p
        for p in (_here, *_here.parents)
        if (p / "_toc.yml").is_file() and (p / "utils").is_dir()
    ),
    None,
)
if _root is None and "google.colab" in sys.modules:
    _root = _here / "orange"
    if not _root.is_dir():
        subprocess.run(
            ["git", "clone", "--depth", "1", COURSE_REPOSITORY, str(_root)],
            check=True,
        )
if _root is None:
    raise FileNotFoundError(
        "This page needs the Orange course around it: "
        "open it from a clone of " + COURSE_REPOSITORY
    )
if str(_root) not in sys.path:
    sys.path.insert(0, str(_root))

"""Where the course lives on disk.

Taught on: "Files and paths (os库的使用)" and "Relative paths (设置相对路径)".
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

#: Files that together mark the repository root.
ROOT_MARKERS = ("_toc.yml", "utils/__init__.py")


def _is_root(folder: Path) -> bool:
    return all((folder / marker).is_file() for marker in ROOT_MARKERS)


def project_root(start: str | Path | None = None) -> Path:
    """Return the repository root: the nearest folder at or above ``start`` that holds
    ``_toc.yml`` and ``utils/``.

    With no ``start`` the search begins at this package, so the answer is the same
    from a notebook in any ``chapters/`` folder, a script, pytest or a Colab clone.
    Outside the repository it raises ``FileNotFoundError``.
    """
    if start is None:
        start = Path(__file__).resolve().parent
    elif not isinstance(start, (str, Path)):
        raise TypeError(f"start must be a str or Path, got {type(start).__name__}")
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if _is_root(folder):
            return folder
    raise FileNotFoundError(
        f"no course repository (a folder with {' and '.join(ROOT_MARKERS)}) at or above {here}"
    )


def data_dir() -> Path:
    """Return ``data/`` in the repository (the course's shipped data)."""
    return project_root() / "data"


_DIGITS = re.compile(r"(\d+)")


def _natural_key(parts: tuple[str, ...]):
    """Sort key: digit runs compare as numbers, text case-insensitively; ties by the exact text."""
    key = []
    for part in parts:
        pieces = _DIGITS.split(part)  # text, digits, text, ...: same types at the same positions
        key.append(tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(pieces)))
    return (tuple(key), parts)


def list_files(folder: str | Path, pattern: str = "*") -> list[Path]:
    """Files in ``folder`` matching the glob ``pattern``, in natural order (1, 2, 10).

    Digit runs sort by value and letters case-insensitively (ties are broken by the
    exact name, so the order is the same on every machine); hidden entries (a name,
    or a folder on the way, starting with ".") and directories are left out. ``pattern``
    may be recursive, e.g. ``"**/*.png"``. A missing ``folder`` raises
    ``FileNotFoundError``; a file given as ``folder`` raises ``NotADirectoryError``.
    """
    if not isinstance(folder, (str, Path)):
        raise TypeError(f"folder must be a str or Path, got {type(folder).__name__}")
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str such as '*.png', got {type(pattern).__name__}")
    if not pattern.strip():
        raise ValueError("pattern must not be empty; use '*' for every file")
    if Path(pattern).is_absolute() or Path(pattern).drive:
        raise ValueError(f"pattern must be relative to folder, got the absolute pattern {pattern!r}")
    if ".." in Path(pattern).parts:
        raise ValueError(f"pattern must stay inside folder (no '..'), got {pattern!r}")
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"folder {str(folder)!r} is a file, not a folder")
    found = []
    for path in folder.glob(pattern):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative) or not path.is_file():
            continue
        found.append((_natural_key(relative), path))
    found.sort(key=lambda item: item[0])
    return [path for _, path in found]


def _target(path, name: str = "path") -> Path:
    """``path`` as a Path whose folder exists (the temporary copy is made there)."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"folder {path.parent} does not exist (for {path})")
    return path


@contextmanager
def atomic_write(path):
    """Write a file all at once or not at all: yields a temporary path next to ``path``;
    when the block ends without an error the temporary file replaces ``path`` (one
    ``os.replace``), otherwise it is deleted and ``path`` is left as it was.

    The temporary file exists (empty) when the block starts. On success it is flushed to
    disk and given the permissions of the file it replaces (0o644 for a new file). If the
    process is killed inside the block, ``path`` is intact and a stray
    ``.<name>.*.tmp`` may remain beside it.

    Used by every helper that writes a file (HDF5, benchmark data, checkpoints, pages).
    Taught on: "Files and paths (os库的使用)".
    """
    path = _target(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; atomic_write replaces a file")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        # mkstemp makes the file private; the result keeps the target's permissions
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_replace_dir(path):
    """The folder version of :func:`atomic_write`: yields an empty temporary folder next to
    ``path``; when the block ends without an error it takes the place of ``path`` (an
    existing folder there is moved aside, the new one renamed in, the old one deleted),
    otherwise it is deleted and ``path`` is left as it was. The new folder gets the
    permissions of the one it replaces (0o755 for a new one).

    POSIX cannot swap two folders in one step: between the two renames ``path`` is
    briefly absent, but it is never half written. If the rename in fails, the old folder
    is put back. An existing *file* at ``path`` raises ``NotADirectoryError``.
    """
    path = _target(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{path} is a file; atomic_replace_dir replaces a folder")
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield tmp
        # mkdtemp makes the folder private; the result keeps the old folder's permissions
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.is_dir() else 0o755)
        old = None
        if path.exists():
            old = path.parent / f".{path.name}.{secrets.token_hex(6)}.old"
            os.rename(path, old)
        try:
            os.replace(tmp, path)
        except BaseException:
            if old is not None:
                os.rename(old, path)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

"""The Colab bootstrap cell: identical on every page, and it works.

It must find the repository root from any folder inside it, fetch the course when it
runs on Colab outside one, and fail clearly elsewhere.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from pages import ROOT, toc_notebooks

BOOTSTRAP = (ROOT / "scripts" / "bootstrap_cell.py").read_text().rstrip("\n")
NOTEBOOKS = toc_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_every_page_starts_with_the_same_bootstrap(path):
    nb = json.loads(path.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert "".join(first["source"]) == BOOTSTRAP
    assert first["outputs"] == [], "the bootstrap prints nothing"


def test_bootstrap_names_the_repository_of_the_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert f'COURSE_REPOSITORY = "{config["repository"]["url"]}"' in BOOTSTRAP


def _run(cwd: Path, prelude: str = "", env_path: str | None = None) -> subprocess.CompletedProcess:
    code = prelude + BOOTSTRAP + "\nimport utils.paths\nprint(utils.paths.project_root())\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if env_path is not None:
        env["PATH"] = env_path + os.pathsep + env["PATH"]
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_finds_the_root_from_a_chapter_folder():
    done = _run(ROOT / "chapters" / "02_math")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == ROOT


def test_outside_the_repository_it_fails_clearly(tmp_path):
    done = _run(tmp_path)
    assert done.returncode != 0
    assert "FileNotFoundError" in done.stderr and "orange-course/orange" in done.stderr


def test_on_colab_it_clones_the_course_and_imports_from_it(tmp_path):
    """A fake `git` stands in for the network: it 'clones' this checkout's utils/."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    log = tmp_path / "git.log"
    git = fake_bin / "git"
    git.write_text(
        textwrap.dedent(f"""\
        #!{sys.executable}
        import shutil, sys, pathlib
        pathlib.Path({str(log)!r}).write_text(" ".join(sys.argv[1:]))
        target = pathlib.Path(sys.argv[-1])
        target.mkdir(parents=True)
        shutil.copytree({str(ROOT / "utils")!r}, target / "utils")
        shutil.copy({str(ROOT / "_toc.yml")!r}, target / "_toc.yml")
        """)
    )
    git.chmod(git.stat().st_mode | stat.S_IEXEC)
    content = tmp_path / "content"
    content.mkdir()
    fake_colab = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    done = _run(content, prelude=fake_colab, env_path=str(fake_bin))
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == (content / "orange").resolve()
    assert log.read_text().startswith("clone --depth 1 https://github.com/orange-course/orange")
    # A second run (re-executing the cell) must not clone again.
    log.unlink()
    done = _run(content, prelude=fake_colab, env_path=str(fake_bin))
    assert done.returncode == 0, done.stderr
    assert not log.exists()

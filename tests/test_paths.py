"""Tests of utils.paths.project_root and data_dir (list_files: tests/test_list_files.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from utils import paths

# Independent of the code under test: this file is <root>/tests/test_paths.py.
ROOT = Path(__file__).resolve().parents[1]


def _fake_repo(base: Path) -> Path:
    (base / "utils").mkdir(parents=True)
    (base / "utils" / "__init__.py").write_text("")
    (base / "_toc.yml").write_text("format: jb-book\n")
    return base


def test_root_markers_exist_in_this_repository():
    assert (ROOT / "_toc.yml").is_file() and (ROOT / "utils" / "__init__.py").is_file()


def test_default_is_the_repository_of_the_package(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the default must not depend on the working directory
    assert paths.project_root() == ROOT


def test_from_a_chapters_subfolder():
    chapter = next(p for p in sorted((ROOT / "chapters").iterdir()) if p.is_dir())
    assert paths.project_root(chapter) == ROOT
    assert paths.project_root(str(chapter)) == ROOT
    notebook = next(iter(sorted(chapter.glob("*.ipynb"))), None)
    if notebook is not None:  # a file as start: its folder and above are searched
        assert paths.project_root(notebook) == ROOT


def test_relative_start_is_resolved(monkeypatch):
    monkeypatch.chdir(ROOT / "chapters")
    assert paths.project_root(".") == ROOT
    assert paths.project_root("..") == ROOT


def test_fake_repository(tmp_path):
    root = _fake_repo(tmp_path / "course")
    deep = root / "chapters" / "02_math" / "figures"
    deep.mkdir(parents=True)
    assert paths.project_root(deep) == root
    assert paths.project_root(root) == root
    # one marker alone does not make a root: the search goes on upwards
    (root / "chapters" / "_toc.yml").write_text("")
    (root / "chapters" / "02_math" / "utils").mkdir()
    (root / "chapters" / "02_math" / "utils" / "__init__.py").write_text("")
    assert paths.project_root(deep) == root


def test_markers_must_be_files(tmp_path):
    (tmp_path / "_toc.yml").mkdir()  # a folder named like the marker
    (tmp_path / "utils" / "__init__.py").mkdir(parents=True)
    with pytest.raises(FileNotFoundError):
        paths.project_root(tmp_path)


def test_nested_repository_wins_over_outer(tmp_path):
    outer = _fake_repo(tmp_path)
    inner = _fake_repo(outer / "vendor" / "course")
    assert paths.project_root(inner / "utils") == inner


def test_outside_any_repository_names_the_markers(tmp_path):
    assert not any((p / "_toc.yml").exists() for p in (tmp_path, *tmp_path.parents))
    with pytest.raises(FileNotFoundError) as info:
        paths.project_root(tmp_path)
    message = str(info.value)
    assert "_toc.yml" in message and "utils/__init__.py" in message
    assert str(tmp_path.resolve()) in message


@pytest.mark.parametrize("start", [3, b"/tmp", ["."], 1.5])
def test_bad_type(start):
    with pytest.raises(TypeError, match="start must be a str or Path"):
        paths.project_root(start)


def test_data_dir():
    assert paths.data_dir() == ROOT / "data"
    assert paths.data_dir().is_dir()


def test_subprocess_from_a_chapter_folder():
    chapter = next(p for p in sorted((ROOT / "chapters").iterdir()) if p.is_dir())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", "import utils.paths; print(utils.paths.project_root())"],
        cwd=chapter,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(done.stdout.strip()) == ROOT


def test_atomic_write_replaces_only_on_success(tmp_path):
    from utils.paths import atomic_write

    target = tmp_path / "data.txt"
    target.write_text("old")
    with atomic_write(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # not replaced before the block ends
    assert target.read_text() == "new"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash while writing")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.txt"]  # no temporary left


def test_atomic_write_needs_an_existing_folder(tmp_path):
    from utils.paths import atomic_write

    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_write(tmp_path / "missing" / "x.txt"):
            pass


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    from utils.paths import atomic_write

    target = tmp_path / "script.sh"
    target.write_text("old")
    target.chmod(0o750)
    with atomic_write(target) as tmp:
        assert tmp.exists() and tmp.read_bytes() == b""  # created empty, next to the target
        tmp.write_text("new")
    assert target.read_text() == "new" and oct(target.stat().st_mode & 0o777) == "0o750"
    fresh = tmp_path / "new.txt"
    with atomic_write(str(fresh)) as tmp:  # a str works too
        tmp.write_text("x")
    assert oct(fresh.stat().st_mode & 0o777) == "0o644"


def test_atomic_write_bad_input(tmp_path):
    from utils.paths import atomic_write

    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got int"):
        with atomic_write(3):
            pass
    with pytest.raises(TypeError, match="got bytes"):
        with atomic_write(b"x.txt"):
            pass
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="replaces a file"):
        with atomic_write(tmp_path / "folder"):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_atomic_replace_dir_new_and_existing_folder(tmp_path):
    from utils.paths import atomic_replace_dir

    target = tmp_path / "data"
    with atomic_replace_dir(target) as tmp:
        assert tmp.is_dir() and not any(tmp.iterdir()) and tmp.parent == tmp_path
        (tmp / "a.txt").write_text("one")
        assert not target.exists()  # nothing in place before the block ends
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert oct(target.stat().st_mode & 0o777) == "0o755"
    target.chmod(0o700)
    with atomic_replace_dir(target) as tmp:
        (tmp / "b.txt").write_text("two")
        assert (target / "a.txt").read_text() == "one"  # the old folder is intact meanwhile
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]  # replaced, not merged
    assert oct(target.stat().st_mode & 0o777) == "0o700"  # the old folder's permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no temporary, no old copy


def test_atomic_replace_dir_leaves_the_old_folder_on_error(tmp_path):
    from utils.paths import atomic_replace_dir

    target = tmp_path / "data"
    target.mkdir()
    (target / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError, match="half way"):
        with atomic_replace_dir(target) as tmp:
            (tmp / "sub").mkdir()
            (tmp / "sub" / "half.txt").write_text("half")
            raise RuntimeError("extraction failed half way")
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_atomic_replace_dir_puts_the_old_folder_back_when_the_rename_fails(tmp_path, monkeypatch):
    import utils.paths as paths

    target = tmp_path / "data"
    target.mkdir()
    (target / "keep.txt").write_text("old")

    def failing_replace(src, dst):
        raise OSError("rename refused (simulated)")

    with pytest.raises(OSError, match="simulated"):
        with paths.atomic_replace_dir(target) as tmp:
            (tmp / "new.txt").write_text("new")
            monkeypatch.setattr(paths.os, "replace", failing_replace)
    monkeypatch.undo()
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_atomic_replace_dir_bad_input(tmp_path):
    from utils.paths import atomic_replace_dir

    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got NoneType"):
        with atomic_replace_dir(None):
            pass
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_replace_dir(tmp_path / "missing" / "data"):
            pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        with atomic_replace_dir(tmp_path / "file"):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]

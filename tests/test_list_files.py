"""Tests for utils.paths.list_files (natural-sorted file listing)."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import pytest

from utils.paths import list_files


def _touch(folder: Path, *names: str) -> None:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


def test_natural_order_hand_computed(tmp_path):
    _touch(tmp_path, "img10.png", "img2.png", "img1.png", "Img3.png", "img20.png", "img100.png")
    names = [p.name for p in list_files(tmp_path)]
    # by hand: numbers by value, case ignored
    assert names == ["img1.png", "img2.png", "Img3.png", "img10.png", "img20.png", "img100.png"]
    # the lexicographic order (what sorted() gives) differs: img10 before img2
    assert sorted(names)[:3] == ["Img3.png", "img1.png", "img10.png"]


def test_ties_are_broken_deterministically(tmp_path):
    _touch(tmp_path, "b.txt", "a.txt", "img1.txt", "img01.txt", "img001.txt")
    names = [p.name for p in list_files(tmp_path)]
    # img001, img01, img1 all have the number 1; the exact name decides ("0" < "1")
    assert names == ["a.txt", "b.txt", "img001.txt", "img01.txt", "img1.txt"]


def test_case_only_differences_are_ordered(tmp_path):
    _touch(tmp_path, "x.txt")
    if (tmp_path / "X.txt").exists():  # case-insensitive file system: nothing to test
        pytest.skip("file system is case-insensitive")
    _touch(tmp_path, "X.txt", "a.txt")
    assert [p.name for p in list_files(tmp_path)] == ["a.txt", "X.txt", "x.txt"]  # "X" < "x" in code points


def test_hidden_files_and_directories_are_skipped(tmp_path):
    _touch(tmp_path, "a1.txt", ".hidden", ".config/inside.txt", "sub/b2.txt")
    (tmp_path / "emptydir").mkdir()
    names = [p.name for p in list_files(tmp_path)]
    assert names == ["a1.txt"]
    # os.listdir sees everything: the hidden file, the hidden folder and the plain folders
    assert set(os.listdir(tmp_path)) == {"a1.txt", ".hidden", ".config", "sub", "emptydir"}


def test_pattern_matches_like_fnmatch(tmp_path):
    names = ["a.png", "b.jpg", "c10.png", "c9.png", "d.PNG.txt"]
    _touch(tmp_path, *names)
    got = [p.name for p in list_files(tmp_path, "*.png")]
    assert set(got) == set(fnmatch.filter(names, "*.png"))
    assert got == ["a.png", "c9.png", "c10.png"]


def test_recursive_pattern_orders_by_folder_then_name(tmp_path):
    _touch(tmp_path, "s10/f1.png", "s2/f10.png", "s2/f9.png", ".git/x.png", "s2/.cache/y.png")
    got = [p.relative_to(tmp_path).as_posix() for p in list_files(tmp_path, "**/*.png")]
    assert got == ["s2/f9.png", "s2/f10.png", "s10/f1.png"]


def test_returns_paths_under_the_folder_given(tmp_path):
    _touch(tmp_path, "a.txt")
    (result,) = list_files(str(tmp_path))
    assert isinstance(result, Path)
    assert result == tmp_path / "a.txt"


def test_empty_folder_gives_empty_list(tmp_path):
    assert list_files(tmp_path) == []


def test_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.*does not exist"):
        list_files(tmp_path / "nowhere")


def test_file_as_folder_raises(tmp_path):
    _touch(tmp_path, "a.txt")
    with pytest.raises(NotADirectoryError, match="a.txt.*is a file, not a folder"):
        list_files(tmp_path / "a.txt")
    assert issubclass(NotADirectoryError, OSError)


@pytest.mark.parametrize("folder", [None, 3, b"bytes", ["a"]])
def test_bad_folder_type(folder):
    with pytest.raises(TypeError, match="folder must be a str or Path"):
        list_files(folder)


@pytest.mark.parametrize(
    "pattern, error, match",
    [
        (None, TypeError, "pattern must be a str"),
        (3, TypeError, "pattern must be a str"),
        ("", ValueError, "must not be empty"),
        ("/etc/*", ValueError, "absolute pattern"),
        ("../*", ValueError, "no '..'"),
    ],
)
def test_bad_pattern(tmp_path, pattern, error, match):
    with pytest.raises(error, match=match):
        list_files(tmp_path, pattern)

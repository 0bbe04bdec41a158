"""Tests of utils.h5io: checked against raw h5py, zlib, numpy and the h5py docs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from utils import h5io

ROOT = Path(__file__).resolve().parents[1]


def tree_example():
    rng = np.random.default_rng(0)
    return {
        "cats": rng.standard_normal((5, 4, 4, 3)),
        "animals_included": np.array([b"dogs", b"cats"]),
        "names": np.array(["husky", "柴犬"]),
        "dogs": {
            "husky": rng.standard_normal((4, 4, 3)),
            "shiba": rng.integers(0, 255, (4, 4), dtype=np.uint8),
            "meta": {"note": "狗 dogs", "count": 2, "ratio": 0.5, "ok": True, "z": 1 - 2j},
        },
        "blob": b"%PDF-1.4\n\x00\xff binary",
        "empty": {},
    }


def assert_same(a, b):
    assert isinstance(b, dict) and sorted(a) == sorted(b)
    for key, value in a.items():
        if isinstance(value, dict):
            assert_same(value, b[key])
        elif isinstance(value, (str, bytes)):
            assert type(b[key]) is type(value) and b[key] == value
        else:
            np.testing.assert_array_equal(np.asarray(b[key]), np.asarray(value))
            assert np.asarray(b[key]).dtype == np.asarray(value).dtype


def tmp_files(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- save / load


def test_round_trip_nested_tree(tmp_path):
    path = tmp_path / "animals.h5"
    tree = tree_example()
    h5io.save_h5(path, tree)
    assert_same(tree, h5io.load_h5(path))
    # Stored the documented way, checked with raw h5py: UTF-8 text and opaque bytes.
    with h5py.File(path, "r") as f:
        assert h5py.check_string_dtype(f["dogs/meta/note"].dtype).encoding == "utf-8"
        assert f["dogs/meta/note"].asstr()[()] == "狗 dogs"
        assert f["names"].asstr()[1] == "柴犬"
        assert f["blob"].dtype.kind == "V" and f["blob"][()].tobytes() == tree["blob"]
        assert isinstance(f["empty"], h5py.Group) and len(f["empty"]) == 0
        np.testing.assert_array_equal(f["cats"][()], tree["cats"])


def test_load_returns_python_str_and_bytes(tmp_path):
    path = tmp_path / "s.h5"
    h5io.save_h5(path, {"s": "héllo", "b": b"\x00\x01", "arr": np.array(["a", "bé"])})
    out = h5io.load_h5(path)
    assert out["s"] == "héllo" and type(out["s"]) is str
    assert out["b"] == b"\x00\x01" and type(out["b"]) is bytes
    assert out["arr"].dtype.kind == "U" and out["arr"].tolist() == ["a", "bé"]


def test_untouched_content_is_preserved(tmp_path):
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:  # written by someone else, with attributes
        f["old"] = np.arange(5)
        f["old"].attrs["units"] = "m"
        f.create_group("dogs").create_dataset("shiba", data=np.ones(3))
        f.attrs["author"] = "note"
    h5io.save_h5(path, {"new": 1.5, "dogs": {"husky": np.zeros(2)}})
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["old"][()], np.arange(5))
        assert f["old"].attrs["units"] == "m" and f.attrs["author"] == "note"
        assert sorted(f["dogs"]) == ["husky", "shiba"]
        np.testing.assert_array_equal(f["dogs/shiba"][()], np.ones(3))
        assert f["new"][()] == 1.5


def test_existing_name_raises_then_overwrite_replaces(tmp_path):
    path = tmp_path / "f.h5"
    h5io.save_h5(path, {"a": 1, "g": {"x": np.arange(3)}})
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="'/g/x' already exists"):
        h5io.save_h5(path, {"b": 2, "g": {"x": np.arange(4)}})
    with pytest.raises(FileExistsError, match="'/a' already exists in the file as a dataset"):
        h5io.save_h5(path, {"a": {"inner": 1}})
    assert path.read_bytes() == before and tmp_files(tmp_path) == []
    h5io.save_h5(path, {"b": 2, "g": {"x": np.arange(4)}}, overwrite=True)
    out = h5io.load_h5(path)
    np.testing.assert_array_equal(out["g"]["x"], np.arange(4))
    assert out["a"] == 1 and out["b"] == 2
    h5io.save_h5(path, {"g": "now text"}, overwrite=True)  # group replaced by a dataset
    assert h5io.load_h5(path, "g") == {"g": "now text"}


def test_failure_mid_write_leaves_old_file_byte_identical(tmp_path, monkeypatch):
    path = tmp_path / "f.h5"
    h5io.save_h5(path, {"keep": np.arange(10)})
    before = path.read_bytes()
    calls = []
    real = h5io._create_dataset

    def flaky(group, name, value):
        calls.append(name)
        if len(calls) == 3:
            raise RuntimeError("disk full (simulated)")
        real(group, name, value)

    monkeypatch.setattr(h5io, "_create_dataset", flaky)
    with pytest.raises(RuntimeError, match="simulated"):
        h5io.save_h5(path, {"a": 1, "b": np.ones(1000), "c": 3, "d": 4})
    assert calls == ["a", "b", "c"]  # two datasets were written into the copy first
    assert path.read_bytes() == before
    assert tmp_files(tmp_path) == []
    # A new file that fails half way is never created.
    calls.clear()
    with pytest.raises(RuntimeError):
        h5io.save_h5(tmp_path / "new.h5", {"a": 1, "b": 2, "c": 3})
    assert not (tmp_path / "new.h5").exists() and tmp_files(tmp_path) == []


def test_unsupported_object_after_valid_items_changes_nothing(tmp_path):
    path = tmp_path / "f.h5"
    h5io.save_h5(path, {"keep": 1})
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"'/g/bad'.*got object"):
        h5io.save_h5(path, {"a": np.ones(3), "g": {"ok": 1, "bad": object()}})
    assert path.read_bytes() == before and tmp_files(tmp_path) == []


def test_killed_process_leaves_old_file_loadable(tmp_path):
    path = tmp_path / "f.h5"
    h5io.save_h5(path, {"keep": np.arange(10)})
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np
        from utils import h5io
        real = h5io._create_dataset
        def dying(group, name, value):
            real(group, name, value)
            if name == "b":
                group.file.flush()
                os._exit(9)  # killed half way: no cleanup, no exception handling
        h5io._create_dataset = dying
        h5io.save_h5({str(path)!r}, {{"a": np.ones(100), "b": np.ones(100), "c": 3}})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == 9, proc.stderr.decode()
    assert path.read_bytes() == before
    np.testing.assert_array_equal(h5io.load_h5(path)["keep"], np.arange(10))
    assert len(tmp_files(tmp_path)) == 1  # the dead process's copy; the real file is intact


@pytest.mark.parametrize(
    "tree, error, message",
    [
        ({"": 1}, ValueError, "invalid name ''"),
        ({"a/b": 1}, ValueError, "invalid name 'a/b'"),
        ({"g": {".": 1}}, ValueError, r"invalid name '\.' at /g"),
        ({1: 1}, TypeError, "names in the tree must be str, got int"),
        ({"g": {"l": [1, 2]}}, TypeError, r"'/g/l'.*got list \(wrap lists in np.asarray\)"),
        ({"o": np.array([None])}, TypeError, "'/o'.*dtype object"),
        ({"t": np.datetime64("2020-01-01")}, TypeError, "'/t'.*datetime64"),
        ({"big": 2**70}, TypeError, "'/big'.*too large"),
        ({"e": b""}, ValueError, "'/e'.*empty opaque"),
        ([("a", 1)], TypeError, "tree must be a dict, got list"),
    ],
)
def test_save_bad_trees(tmp_path, tree, error, message):
    with pytest.raises(error, match=message):
        h5io.save_h5(tmp_path / "f.h5", tree)
    assert list(tmp_path.iterdir()) == []


def test_save_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got int"):
        h5io.save_h5(3, {"a": 1})
    with pytest.raises(TypeError, match="overwrite must be a bool"):
        h5io.save_h5(tmp_path / "f.h5", {"a": 1}, overwrite="yes")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        h5io.save_h5(tmp_path / "no" / "f.h5", {"a": 1})
    text = tmp_path / "notes.txt"
    text.write_text("not hdf5")
    with pytest.raises(ValueError, match="notes.txt is not an HDF5 file"):
        h5io.save_h5(text, {"a": 1})
    assert text.read_text() == "not hdf5"


def test_load_missing_file_and_keys(tmp_path):
    missing = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match="no such HDF5 file: .*nope.h5"):
        h5io.load_h5(missing)
    path = tmp_path / "f.h5"
    h5io.save_h5(path, tree_example())
    with pytest.raises(KeyError, match=r"no 'label' in f.h5: / holds \['animals_included', 'blob', 'cats'"):
        h5io.load_h5(path, ["cats", "label"])
    with pytest.raises(KeyError, match=r"no 'dogs/poodle'.*/dogs holds \['husky', 'meta', 'shiba'\]"):
        h5io.load_h5(path, "dogs/poodle")
    with pytest.raises(KeyError, match=r"no 'cats/x'"):
        h5io.load_h5(path, "cats/x")
    with pytest.raises(TypeError, match="keys must be str, got int"):
        h5io.load_h5(path, [1])
    with pytest.raises(TypeError, match="keys must be None, a str or a list"):
        h5io.load_h5(path, 5)
    with pytest.raises(ValueError, match="empty key"):
        h5io.load_h5(path, "/")


def test_load_selected_keys_keep_nesting(tmp_path):
    path = tmp_path / "f.h5"
    tree = tree_example()
    h5io.save_h5(path, tree)
    out = h5io.load_h5(path, ["/dogs/husky", "blob"])
    assert sorted(out) == ["blob", "dogs"] and sorted(out["dogs"]) == ["husky"]
    np.testing.assert_array_equal(out["dogs"]["husky"], tree["dogs"]["husky"])


# --------------------------------------------------------------------------- describe


def test_describe_lists_everything_sorted_and_stable(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    with h5py.File(a, "w") as f:
        f.create_dataset("zeta", data=np.zeros((2, 3), np.float32), chunks=(1, 3), compression="gzip")
        f.create_group("alpha").create_dataset("x", data=np.arange(4))
        f["alpha"].attrs["units"] = "cm"
        f["s"] = "text"
    with h5py.File(b, "w", track_order=True) as f:  # other creation order, order tracked
        f["s"] = "text"
        g = f.create_group("alpha")
        g.attrs["units"] = "cm"
        g.create_dataset("x", data=np.arange(4))
        f.create_dataset("zeta", data=np.zeros((2, 3), np.float32), chunks=(1, 3), compression="gzip")
    text = h5io.describe(a)
    assert text == h5io.describe(b) == h5io.describe(a)
    names = []
    with h5py.File(a, "r") as f:
        f.visit(names.append)
        for name in names:  # every object of the file, with its shape and dtype
            base = name.split("/")[-1]
            assert base in text
            if isinstance(f[name], h5py.Dataset):
                assert str(f[name].shape) in text or f[name].shape == ()
    lines = text.splitlines()
    assert lines[0] == "/ (3 members)"
    top = [line.split()[1].rstrip(":/") for line in lines if line.startswith(("├", "└"))]
    assert top == sorted(top) == ["alpha", "s", "zeta"]
    assert "@units = 'cm'" in text and "str (utf-8, variable length)" in text
    assert "float32, chunks (1, 3), gzip=4" in text


def test_describe_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such HDF5 file"):
        h5io.describe(tmp_path / "x.h5")
    with pytest.raises(TypeError, match="path must be"):
        h5io.describe(None)


# --------------------------------------------------------------------------- measuring


# The h5py docs (File objects, "Opening & creating files"): r = read only, file must exist;
# r+ = read/write, file must exist; w = create, truncate if exists; w- or x = create, fail
# if exists; a = read/write if exists, create otherwise.
DOCUMENTED = {
    ("r", True): (True, False, False),
    ("r", False): (False, None, None),
    ("r+", True): (True, False, True),
    ("r+", False): (False, None, None),
    ("a", True): (True, False, True),
    ("a", False): (True, None, True),
    ("w", True): (True, True, True),
    ("w", False): (True, None, True),
    ("w-", True): (False, None, None),
    ("w-", False): (True, None, True),
    ("x", True): (False, None, None),
    ("x", False): (True, None, True),
}


@pytest.mark.parametrize("mode, exists", sorted(DOCUMENTED))
def test_probe_mode_matches_h5py_docs(mode, exists):
    opens, truncates, writable = DOCUMENTED[mode, exists]
    row = h5io.probe_mode(mode, exists)
    assert row["opens"] is opens and row["writable"] is writable
    if exists:
        assert row["truncates"] is truncates
    elif opens:
        assert row["creates"] is True
    if not opens:
        assert row["error"] == ("FileExistsError" if exists else "FileNotFoundError")


def test_mode_table_and_bad_modes():
    table = h5io.mode_table(["a", "w"])
    lines = table.splitlines()
    assert lines[0].split() == ["mode", "file", "outcome", "creates", "truncates", "writable"]
    assert len(lines) == 6 and lines[4].split() == ["'w'", "exists", "opens", "-", "yes", "yes"]
    with pytest.raises(ValueError, match="mode must be one of"):
        h5io.probe_mode("rw", True)
    with pytest.raises(TypeError, match="exists must be a bool"):
        h5io.probe_mode("r", 1)


def test_storage_size_matches_zlib_and_raw_bytes():
    a = (np.sin(np.arange(20000) / 50.0) * 100).astype(np.float32)
    plain = h5io.storage_size(a)
    assert plain["stored"] == a.nbytes and plain["file"] > a.nbytes
    for level in (1, 9):
        gz = h5io.storage_size(a, chunks=a.shape, compression="gzip", compression_opts=level)
        assert gz["stored"] == pytest.approx(len(zlib.compress(a.tobytes(), level)), rel=0.01)
        # shuffle = byte planes side by side, then deflate
        planes = a.view(np.uint8).reshape(-1, a.itemsize).T.tobytes()
        sh = h5io.storage_size(a, chunks=a.shape, compression="gzip", compression_opts=level, shuffle=True)
        assert sh["stored"] == pytest.approx(len(zlib.compress(planes, level)), rel=0.01)
    with pytest.raises(TypeError, match=r"unknown dataset options \['level'\]"):
        h5io.storage_size(a, level=3)
    with pytest.raises(TypeError, match="array must be a numpy array, got list"):
        h5io.storage_size([1, 2])


def test_peak_read_bytes_slice_versus_whole(tmp_path):
    path = tmp_path / "big.h5"
    data = np.ones((50, 100, 100), np.float64)  # 4 MB
    h5io.save_h5(path, {"x": data})
    whole = h5io.peak_read_bytes(path, "x")
    one = h5io.peak_read_bytes(path, "x", np.s_[7])
    assert whole >= data.nbytes
    assert data[7].nbytes <= one < data.nbytes / 10
    with pytest.raises(KeyError, match=r"no dataset 'y' in big.h5; present: \['x'\]"):
        h5io.peak_read_bytes(path, "y")
    with pytest.raises(TypeError, match="name must be a str"):
        h5io.peak_read_bytes(path, 0)


# --------------------------------------------------------------------------- SRCNN patches

"""Reading and writing HDF5 files safely, and measuring what HDF5 does.

Taught on: "HDF5 files (H5文件)". The three main helpers turn a nested ``dict`` into an
HDF5 file and back:

- :func:`save_h5` writes a tree (``dict`` -> group; array, number, ``str`` or ``bytes``
  -> dataset) into a file, keeps what the file already holds, refuses to replace a name
  unless ``overwrite=True``, and never leaves a half-written file behind;
- :func:`load_h5` reads a whole file or some keys back into a nested ``dict``;
- :func:`describe` prints a file as a sorted tree of names, shapes, dtypes and attributes.

The others are the page's measuring instruments: :func:`probe_mode` and
:func:`mode_table` (what each ``h5py.File`` mode does), :func:`storage_size` (bytes
stored for an array under a chunking / compression setting), :func:`peak_read_bytes`
(memory needed to read a selection of a dataset). The note's SRCNN
``data`` / ``label`` patches come from :func:`utils.srcnn.patches`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tracemalloc
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .paths import atomic_write

#: ``h5py.File`` modes that :func:`probe_mode` knows, in the order of the h5py docs.
FILE_MODES = ("r", "r+", "a", "w", "w-", "x")

#: Dataset options that :func:`storage_size` passes on to ``create_dataset``.
DATASET_OPTIONS = ("chunks", "compression", "compression_opts", "shuffle", "fletcher32", "scaleoffset")

_UTF8 = h5py.string_dtype("utf-8")
# numpy dtype kinds h5py can store (bool, ints, floats, complex, fixed bytes, str, void).
_ARRAY_KINDS = "biufcSUV"


# --------------------------------------------------------------------------- checks


def _as_path(path, name: str = "path") -> Path:
    if isinstance(path, (str, os.PathLike)) and not isinstance(path, bytes):
        return Path(path)
    raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")


def _check_name(name, where: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"names in the tree must be str, got {type(name).__name__} at {where or '/'}")
    if not name or name == "." or "/" in name:
        raise ValueError(
            f"invalid name {name!r} at {where or '/'}: a name must be non-empty, not '.', and contain no '/'"
        )


def _is_leaf(value) -> bool:
    if isinstance(value, (str, bytes, bool, int, float, complex, np.generic)):
        return np.asarray(value).dtype.kind in _ARRAY_KINDS
    if isinstance(value, np.ndarray):
        return value.dtype.kind in _ARRAY_KINDS
    return False


def _check_tree(tree, where: str = "") -> None:
    """Raise TypeError / ValueError for anything :func:`save_h5` cannot store."""
    if not isinstance(tree, Mapping):
        raise TypeError(f"tree must be a dict, got {type(tree).__name__}")
    for name, value in tree.items():
        _check_name(name, where)
        key = f"{where}/{name}"
        if isinstance(value, Mapping):
            _check_tree(value, key)
        elif not _is_leaf(value):
            got = type(value).__name__
            if isinstance(value, int):
                got = "an int too large for 64 bits"
            elif isinstance(value, (np.ndarray, np.generic)):
                got = f"{got} of dtype {value.dtype}"
            hint = " (wrap lists in np.asarray)" if isinstance(value, (list, tuple)) else ""
            raise TypeError(
                f"cannot store {key!r}: expected a dict, numpy array, number, str or bytes, got {got}{hint}"
            )
        elif isinstance(value, (bytes, np.bytes_)) and len(value) == 0:
            raise ValueError(f"cannot store {key!r}: HDF5 has no empty opaque value (got b'')")


def _check_hdf5(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"no such HDF5 file: {path}")
    if not path.is_file() or not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not an HDF5 file")


# --------------------------------------------------------------------------- writing


def _create_dataset(group: h5py.Group, name: str, value) -> None:
    if isinstance(value, (str, np.str_)):
        group.create_dataset(name, data=str(value), dtype=_UTF8)
    elif isinstance(value, (bytes, np.bytes_)):
        group.create_dataset(name, data=np.void(bytes(value)))  # opaque: read back as bytes
    elif isinstance(value, np.ndarray) and value.dtype.kind == "U":
        group.create_dataset(name, data=value.astype(object), dtype=_UTF8)
    else:
        group.create_dataset(name, data=value)


def _write(group: h5py.Group, tree: Mapping, overwrite: bool, where: str) -> None:
    for name, value in tree.items():
        key = f"{where}/{name}"
        exists = name in group
        if isinstance(value, Mapping):
            if exists and isinstance(group[name], h5py.Group):
                _write(group[name], value, overwrite, key)  # groups merge
                continue
            if exists and not overwrite:
                raise FileExistsError(
                    f"{key!r} already exists in the file as a dataset; pass overwrite=True to replace it"
                )
            if exists:
                del group[name]
            _write(group.create_group(name), value, overwrite, key)
        else:
            if exists and not overwrite:
                raise FileExistsError(
                    f"{key!r} already exists in the file; pass overwrite=True to replace it"
                )
            if exists:
                del group[name]
            _create_dataset(group, name, value)


def save_h5(path, tree, *, overwrite: bool = False) -> None:
    """Write the nested dict ``tree`` into the HDF5 file ``path`` (created when missing).

    A ``dict`` becomes a group (merged with a group of the same name already in the
    file); a numpy array, number, ``str`` or ``bytes`` becomes a dataset (``str`` as
    UTF-8 text, ``bytes`` as an opaque blob). Content of the file that ``tree`` does
    not name is kept. A name that already exists raises ``FileExistsError`` naming it,
    unless ``overwrite=True``, which replaces it.

    The write is atomic (:func:`utils.paths.atomic_write`): the existing file is copied to
    a temporary file in the same folder, the copy is written, and ``os.replace`` puts it in
    place. If anything fails the temporary file is removed and ``path`` is untouched; if
    the process is killed, ``path`` is still the old file (a stray ``.<name>.*.tmp`` may
    remain beside it).
    Two processes saving the same file at once do not corrupt it, but the last one wins.
    """
    path = _as_path(path)
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be a bool, got {type(overwrite).__name__}")
    _check_tree(tree)
    existed = path.exists()
    if existed:
        _check_hdf5(path)
    with atomic_write(path) as tmp:
        if existed:
            shutil.copyfile(path, tmp)
        with h5py.File(tmp, "r+" if existed else "w") as f:
            _write(f, tree, overwrite, "")


# --------------------------------------------------------------------------- reading


def _read_dataset(ds: h5py.Dataset):
    info = h5py.check_string_dtype(ds.dtype)
    if info is not None and info.encoding == "utf-8":
        value = ds.asstr()[()]
        return value.astype(str) if isinstance(value, np.ndarray) else value
    if ds.dtype.kind == "V" and ds.dtype.fields is None and ds.shape == ():
        return ds[()].tobytes()
    return ds[()]


def _read(obj):
    if isinstance(obj, h5py.Dataset):
        return _read_dataset(obj)
    return {name: _read(obj[name]) for name in sorted(obj) if not isinstance(obj[name], h5py.Datatype)}


def _lookup(f: h5py.File, key, path: Path):
    if not isinstance(key, str):
        raise TypeError(f"keys must be str, got {type(key).__name__}")
    parts = [p for p in key.strip("/").split("/") if p]
    if not parts:
        raise ValueError(f"empty key {key!r}")
    obj = f
    for i, part in enumerate(parts):
        if not isinstance(obj, h5py.Group) or part not in obj:
            where = "/" + "/".join(parts[:i])
            present = sorted(obj) if isinstance(obj, h5py.Group) else []
            raise KeyError(f"no {key!r} in {path.name}: {where} holds {present}")
        obj = obj[part]
    return parts, obj


def load_h5(path, keys=None) -> dict[str, Any]:
    """Read the HDF5 file ``path`` into a nested dict (groups -> dicts, datasets -> values).

    Datasets come back as numpy arrays (numpy scalars for 0-d numbers), UTF-8 text as
    ``str`` (arrays of it as numpy ``str`` arrays) and opaque blobs as ``bytes``.
    ``keys`` (a name, a path such as ``"dogs/husky"``, or a list of them) limits the
    read; the result keeps the nesting of the paths. A missing key raises ``KeyError``
    listing what the group holds; a missing file raises ``FileNotFoundError``.
    """
    path = _as_path(path)
    _check_hdf5(path)
    if isinstance(keys, str):
        keys = [keys]
    elif keys is not None and not isinstance(keys, Iterable):
        raise TypeError(f"keys must be None, a str or a list of str, got {type(keys).__name__}")
    with h5py.File(path, "r") as f:
        if keys is None:
            return _read(f)
        result: dict[str, Any] = {}
        for key in keys:
            parts, obj = _lookup(f, key, path)
            node = result
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = _read(obj)
        return result


# --------------------------------------------------------------------------- describing


def _dtype_text(dtype: np.dtype) -> str:
    info = h5py.check_string_dtype(dtype)
    if info is not None:
        kind = "str" if info.encoding == "utf-8" else "bytes"
        size = "variable length" if info.length is None else f"{info.length} bytes"
        return f"{kind} ({info.encoding}, {size})"
    if dtype.kind == "V" and dtype.fields is None:
        return f"opaque ({dtype.itemsize} bytes)"
    return dtype.name if dtype.fields is None else str(dtype)


def _value_text(value) -> str:
    if isinstance(value, np.ndarray):
        if value.size > 6:
            return f"array {value.shape} {_dtype_text(value.dtype)}"
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _dataset_text(ds: h5py.Dataset) -> str:
    shape = "scalar" if ds.shape == () else str(ds.shape)
    text = f"dataset {shape} {_dtype_text(ds.dtype)}"
    if ds.chunks is not None:
        text += f", chunks {ds.chunks}"
    if ds.compression is not None:
        opts = "" if ds.compression_opts is None else f"={ds.compression_opts}"
        text += f", {ds.compression}{opts}"
    if ds.shuffle:
        text += ", shuffle"
    return text


def _members(n: int) -> str:
    return f"{n} member" if n == 1 else f"{n} members"


def _describe(group: h5py.Group, indent: str, lines: list[str]) -> None:
    names = sorted(group)
    for i, name in enumerate(names):
        last = i == len(names) - 1
        branch, child_indent = ("└── ", indent + "    ") if last else ("├── ", indent + "│   ")
        link = group.get(name, getlink=True)
        if isinstance(link, h5py.SoftLink):
            lines.append(f"{indent}{branch}{name} -> {link.path}")
            continue
        if isinstance(link, h5py.ExternalLink):
            lines.append(f"{indent}{branch}{name} -> {link.filename}:{link.path}")
            continue
        obj = group[name]
        if isinstance(obj, h5py.Group):
            lines.append(f"{indent}{branch}{name}/ group ({_members(len(obj))})")
        elif isinstance(obj, h5py.Dataset):
            lines.append(f"{indent}{branch}{name}: {_dataset_text(obj)}")
        else:
            lines.append(f"{indent}{branch}{name}: named datatype {_dtype_text(obj.dtype)}")
        for attr in sorted(obj.attrs):
            lines.append(f"{child_indent}@{attr} = {_value_text(obj.attrs[attr])}")
        if isinstance(obj, h5py.Group):
            _describe(obj, child_indent, lines)


def describe(path) -> str:
    """A printable tree of the file: groups (``name/``), datasets with shape, dtype,
    chunking and compression, and attributes (``@name = value``), sorted by name.

    The text holds no file paths or addresses, so it is the same from run to run.
    """
    path = _as_path(path)
    _check_hdf5(path)
    with h5py.File(path, "r") as f:
        lines = [f"/ ({_members(len(f))})"]
        for attr in sorted(f.attrs):
            lines.append(f"    @{attr} = {_value_text(f.attrs[attr])}")
        _describe(f, "", lines)
    return "\n".join(lines)


# --------------------------------------------------------------------------- measuring


def probe_mode(mode: str, exists: bool) -> dict[str, Any]:
    """Open a file with ``h5py.File(name, mode)`` in a scratch folder and report what happened.

    ``exists`` says whether a file holding one dataset (``old``) is there first. Returns
    ``{"mode", "file", "opens", "error", "creates", "truncates", "writable"}``: the error
    is the exception's class name (``""`` when the file opened); ``creates`` / ``truncates``
    / ``writable`` are ``None`` where they do not apply.
    """
    if mode not in FILE_MODES:
        raise ValueError(f"mode must be one of {FILE_MODES}, got {mode!r}")
    if not isinstance(exists, bool):
        raise TypeError(f"exists must be a bool, got {type(exists).__name__}")
    row: dict[str, Any] = {
        "mode": mode,
        "file": "exists" if exists else "missing",
        "opens": False,
        "error": "",
        "creates": None,
        "truncates": None,
        "writable": None,
    }
    with tempfile.TemporaryDirectory() as folder:
        name = Path(folder) / "probe.h5"
        if exists:
            with h5py.File(name, "w") as f:
                f["old"] = 1
        try:
            f = h5py.File(name, mode)
        except Exception as exc:  # the outcome being measured
            row["error"] = type(exc).__name__
            return row
        with f:
            row["opens"] = True
            if exists:
                row["truncates"] = "old" not in f
            else:
                row["creates"] = name.exists()
            try:
                f["new"] = 2
                row["writable"] = True
            except (ValueError, OSError):
                row["writable"] = False
    return row


def mode_table(modes: Iterable[str] = FILE_MODES) -> str:
    """A text table of :func:`probe_mode` for every mode and for an existing / missing file."""

    def cell(value) -> str:
        return "-" if value is None else ("yes" if value is True else "no" if value is False else str(value))

    header = ("mode", "file", "outcome", "creates", "truncates", "writable")
    rows = []
    for mode in modes:
        for exists in (True, False):
            r = probe_mode(mode, exists)
            outcome = "opens" if r["opens"] else f"raises {r['error']}"
            rows.append(
                (
                    repr(mode),
                    r["file"],
                    outcome,
                    cell(r["creates"]),
                    cell(r["truncates"]),
                    cell(r["writable"]),
                )
            )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def storage_size(array, **options) -> dict[str, int]:
    """Write ``array`` as one dataset into a fresh file and measure it.

    ``options`` are ``create_dataset`` keywords among :data:`DATASET_OPTIONS` (e.g.
    ``chunks=(1, 64, 64), compression="gzip", compression_opts=4, shuffle=True``).
    Returns ``{"stored": bytes of the dataset's data on disk, "file": size of the file}``.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array must be a numpy array, got {type(array).__name__}")
    unknown = sorted(set(options) - set(DATASET_OPTIONS))
    if unknown:
        raise TypeError(f"unknown dataset options {unknown}; known: {list(DATASET_OPTIONS)}")
    with tempfile.TemporaryDirectory() as folder:
        name = Path(folder) / "size.h5"
        with h5py.File(name, "w") as f:
            ds = f.create_dataset("x", data=array, **options)
            stored = int(ds.id.get_storage_size())
        return {"stored": stored, "file": name.stat().st_size}


def peak_read_bytes(path, name: str, selection=()) -> int:
    """Peak bytes allocated (as seen by ``tracemalloc``) while reading ``ds[selection]``.

    ``selection`` is anything h5py accepts inside ``[...]``; the default ``()`` reads
    the whole dataset. HDF5's own C buffers (its chunk cache) are not counted, only the
    numpy arrays and Python objects the read creates.
    """
    path = _as_path(path)
    _check_hdf5(path)
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    with h5py.File(path, "r") as f:
        if name not in f or not isinstance(f[name], h5py.Dataset):
            raise KeyError(f"no dataset {name!r} in {path.name}; present: {sorted(f)}")
        ds = f[name]
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        try:
            out = ds[selection]
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            if started:
                tracemalloc.stop()
        del out
    return int(peak)

"""Super-resolution data: benchmark registry, verified downloads, LR/HR pairs.

Taught on: "Face and super-resolution datasets (人脸数据集与超分辨率数据集)".

- :data:`DATASETS` describes the classic super-resolution sets (Set5, Set14, BSD100,
  Urban100, DIV2K) as plain data. It records **no** download URL or hash: the course
  cannot reach the internet to check official ones, and an invented hash is worse than
  none. :func:`fetch` therefore needs the caller's ``url`` and ``sha256``.
- :func:`fetch` downloads an archive with pooch, refuses it unless its SHA-256 matches,
  and extracts it atomically into a cache folder.
- :func:`resize_bicubic`, :func:`make_lr_hr_pair` and :func:`bicubic_psnr` build the
  bicubic degradation used by SRCNN and measure the bicubic baseline (the training
  windows are cut by :func:`utils.srcnn.extract_patches`).
- :func:`load_image_folder` and :func:`y_channel` read a folder of images in natural
  order and take the luma (Y) channel.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tarfile
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, NamedTuple

import numpy as np

from . import color, metrics
from ._checks import as_float_array, check_int
from .formatting import format_table
from .paths import atomic_replace_dir, list_files

# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class SRDataset:
    """One super-resolution dataset: what it is, and (when known) where to get it verified."""

    name: str
    images: int
    scales: tuple[int, ...]
    use: str
    content: str
    licence: str
    reference: str
    url: str | None = None
    sha256: str | None = None


#: The classic super-resolution sets. ``reference`` is a key of the course's
#: ``references.bib``. ``url`` and ``sha256`` are deliberately ``None`` (see the module
#: docstring): pass the official ones to :func:`fetch`.
DATASETS: dict[str, SRDataset] = {
    d.name: d
    for d in (
        SRDataset(
            "Set5",
            5,
            (2, 3, 4),
            "evaluation",
            "baby, bird, butterfly, head, woman",
            "none stated; research use",
            "bevilacqua2012low",
        ),
        SRDataset(
            "Set14",
            14,
            (2, 3, 4),
            "evaluation",
            "natural images, people, animals, comics",
            "none stated; research use",
            "zeyde2010single",
        ),
        SRDataset(
            "BSD100",
            100,
            (2, 3, 4),
            "evaluation",
            "the 100 test images of the Berkeley segmentation set (BSD300)",
            "non-commercial research and education",
            "martin2001database",
        ),
        SRDataset(
            "Urban100",
            100,
            (2, 3, 4),
            "evaluation",
            "urban scenes with regular structures (buildings)",
            "none stated; images from Flickr",
            "huang2015single",
        ),
        SRDataset(
            "DIV2K",
            1000,
            (2, 3, 4),
            "training",
            "2K-resolution photos: 800 train, 100 validation, 100 test",
            "academic research only",
            "agustsson2017ntire",
        ),
    )
}

_BY_LOWER = {name.lower(): d for name, d in DATASETS.items()}


def dataset(name: str) -> SRDataset:
    """The registry entry called ``name`` (case-insensitive); ``KeyError`` lists the known names."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    try:
        return _BY_LOWER[name.lower()]
    except KeyError:
        raise KeyError(f"no dataset {name!r} in the registry; known: {list(DATASETS)}") from None


def registry_table() -> str:
    """The registry as a fixed-width text table (name, images, scales, use, licence, reference)."""
    rows = [
        (d.name, d.images, " ".join(f"x{s}" for s in d.scales), d.use, d.licence, d.reference)
        for d in DATASETS.values()
    ]
    return format_table(rows, ["name", "images", "scales", "use", "licence", "reference"], "d")


# --------------------------------------------------------------------------- fetching

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: URL endings :func:`fetch` can extract, longest first.
ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip")
_SCHEMES = ("http", "https", "ftp", "file")
#: Name of the file, inside an extracted folder, that records the archive's SHA-256.
MARKER = ".sha256"


def _check_sha256(value, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"sha256 must be a str of 64 hex digits, got {type(value).__name__}")
    digest = value.strip().lower()
    digest = digest.removeprefix("sha256:")
    if not _HEX64.fullmatch(digest):
        raise ValueError(
            f"sha256 for {name!r} must be 64 hex digits (optionally 'sha256:...'), got {value!r}"
        )
    return digest


def _archive_suffix(url: str) -> str:
    path = urllib.parse.urlparse(url).path.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if path.endswith(suffix):
            return suffix
    raise ValueError(
        f"cannot tell the archive type of {url!r}: expected a direct link to a file ending in "
        f"{', '.join(ARCHIVE_SUFFIXES)}"
    )


def file_downloader(url: str, output_file, pooch=None, check_only: bool = False):
    """A pooch downloader for ``file://`` URLs: copies the local file to ``output_file``.

    Follows pooch's downloader protocol ``downloader(url, output_file, pooch)``;
    ``output_file`` may be a path or an open binary file. With ``check_only=True`` it
    only says whether the file exists.
    """
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "file":
        raise ValueError(f"file_downloader handles file:// URLs only, got {url!r}")
    source = Path(urllib.request.url2pathname(parsed.path))
    if check_only:
        return source.is_file()
    if not source.is_file():
        raise FileNotFoundError(f"no file at {url!r}")
    if hasattr(output_file, "write"):
        with open(source, "rb") as fh:
            shutil.copyfileobj(fh, output_file)
    else:
        shutil.copyfile(source, output_file)
    return None


@contextlib.contextmanager
def _quiet_pooch():
    """pooch logs every download at INFO level to stderr; keep only warnings."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _extract(archive: Path, target: Path, suffix: str) -> None:
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    parts = PurePosixPath(member).parts
                    if member.startswith("/") or "\\" in member or ".." in parts or ":" in member:
                        raise ValueError(f"unsafe member {member!r} in {archive.name}: refusing to extract")
                zf.extractall(target)
        except zipfile.BadZipFile as exc:
            raise ValueError(f"{archive.name} is not a valid zip archive: {exc}") from None
    else:
        try:
            with tarfile.open(archive) as tf:
                tf.extractall(target, filter="data")
        except tarfile.FilterError as exc:
            raise ValueError(f"unsafe member in {archive.name}: {exc}") from None
        except tarfile.ReadError as exc:
            raise ValueError(f"{archive.name} is not a valid tar archive: {exc}") from None


def fetch(
    name: str,
    cache_dir,
    *,
    url: str | None = None,
    sha256: str | None = None,
    downloader: Callable | None = None,
) -> list[Path]:
    """Download a dataset archive, verify its SHA-256, extract it; return the extracted files.

    ``name`` is a registry entry (case-insensitive; its ``url``/``sha256`` are used when
    the arguments are left out) or any plain folder name. Both a ``url`` (a direct link to
    a ``.zip`` or ``.tar[.gz|.bz2|.xz]`` file) and the archive's published ``sha256`` are
    required: without them a ``ValueError`` says what is missing. The archive is fetched
    with ``pooch.retrieve`` into ``cache_dir`` as ``<name><suffix>``; pooch downloads to a
    temporary file and keeps it only if the hash matches, so a corrupted or changed
    download raises ``ValueError`` and leaves no file behind. The archive is then extracted
    into ``cache_dir/<name>/`` through a temporary folder (:func:`utils.paths.atomic_replace_dir`:
    never half extracted); a hidden ``.sha256`` file there records what was extracted, so a
    second call with the same hash neither downloads nor extracts again. ``downloader`` is a pooch
    downloader (``downloader(url, output_file, pooch)``); by default pooch picks one for
    HTTP/FTP and :func:`file_downloader` is used for ``file://`` URLs. The returned paths
    are in natural order (:func:`utils.paths.list_files`); hidden files are left out.
    """
    import pooch

    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    entry = _BY_LOWER.get(name.lower())
    folder_name = entry.name if entry else name
    if not _SAFE_NAME.fullmatch(folder_name):
        raise ValueError(f"name must be a plain folder name (letters, digits, '_', '.', '-'), got {name!r}")
    if entry is not None:
        url = url if url is not None else entry.url
        sha256 = sha256 if sha256 is not None else entry.sha256
    if url is None:
        raise ValueError(
            f"no download URL for {folder_name!r}: the course records no official URL (none can be "
            "checked offline); pass url=... from the dataset's official page"
        )
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__}")
    if sha256 is None:
        raise ValueError(
            f"no SHA-256 for {folder_name!r}: pass sha256=... as published with the archive; "
            "a download that cannot be verified is not reproducible"
        )
    digest = _check_sha256(sha256, folder_name)
    scheme = urllib.parse.urlparse(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"url must start with one of {[s + '://' for s in _SCHEMES]}, got {url!r}")
    suffix = _archive_suffix(url)
    if downloader is None and scheme == "file":
        downloader = file_downloader
    if downloader is not None and not callable(downloader):
        raise TypeError(f"downloader must be callable (a pooch downloader), got {type(downloader).__name__}")
    if not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"cache_dir must be a str or os.PathLike, got {type(cache_dir).__name__}")
    cache = Path(cache_dir)
    if cache.exists() and not cache.is_dir():
        raise NotADirectoryError(f"cache_dir {str(cache)!r} is a file, not a folder")
    cache.mkdir(parents=True, exist_ok=True)

    with _quiet_pooch():
        archive = Path(
            pooch.retrieve(
                url,
                known_hash=f"sha256:{digest}",
                fname=folder_name + suffix,
                path=cache,
                downloader=downloader,
                progressbar=False,
            )
        )

    target = cache / folder_name
    marker = target / MARKER
    if not (marker.is_file() and marker.read_text().strip() == digest):
        with atomic_replace_dir(target) as tmp:
            _extract(archive, tmp, suffix)
            (tmp / MARKER).write_text(digest + "\n")
    return list_files(target, "**/*")


# --------------------------------------------------------------------------- images


class NamedImage(NamedTuple):
    """An image read from a folder: its path relative to the folder, and its uint8 pixels."""

    name: str
    image: np.ndarray


#: Pillow modes read as they are, and those converted first (8-bit results only).
_MODES_KEPT = ("L", "RGB")
_MODES_CONVERTED = {"1": "L", "P": "RGB", "CMYK": "RGB", "YCbCr": "RGB"}


def load_image_folder(folder, pattern: str = "*.png") -> list[NamedImage]:
    """Read every image in ``folder`` matching ``pattern``, in natural order (1, 2, 10).

    Returns :class:`NamedImage` pairs (name relative to ``folder``, uint8 array): grey
    images as ``(H, W)``, colour ones as ``(H, W, 3)``; palette, 1-bit, CMYK and YCbCr
    files are converted to L or RGB. Images with an alpha channel or more than 8 bits per
    channel raise ``ValueError``, as does a file Pillow cannot read; a folder with no
    matching file raises ``FileNotFoundError``.
    """
    from PIL import Image, UnidentifiedImageError

    files = list_files(folder, pattern)
    if not files:
        raise FileNotFoundError(f"no files matching {pattern!r} in folder {str(folder)!r}")
    root = Path(folder)
    images = []
    for path in files:
        name = path.relative_to(root).as_posix()
        try:
            with Image.open(path) as im:
                mode = im.mode
                if mode in _MODES_CONVERTED:
                    im = im.convert(_MODES_CONVERTED[mode])
                elif mode not in _MODES_KEPT:
                    raise ValueError(
                        f"{name} has mode {mode!r}; expected an 8-bit grey or RGB image without alpha "
                        f"(modes {list(_MODES_KEPT) + list(_MODES_CONVERTED)})"
                    )
                array = np.asarray(im, dtype=np.uint8).copy()
        except UnidentifiedImageError:
            raise ValueError(f"{name} is not an image file Pillow can read") from None
        images.append(NamedImage(name, array))
    return images


def y_channel(image) -> np.ndarray:
    """The luma (Y) channel of an image as uint8 ``(H, W)``.

    A 2-D image is already grey and is returned as uint8; an ``(H, W, 3)`` RGB image
    goes through :func:`utils.color.rgb_to_ycbcr` (JPEG/JFIF full range) and Y is rounded.
    Values must lie in 0..255.
    """
    arr = as_float_array(image, "image")
    if arr.ndim == 2:
        y = arr
    elif arr.ndim == 3 and arr.shape[-1] == 3:
        y = color.rgb_to_ycbcr(arr)[..., 0]
    else:
        raise ValueError(f"image must be (H, W) grey or (H, W, 3) RGB, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError(f"image values must lie in 0..255, got {arr.min():g}..{arr.max():g}")
    return np.clip(np.rint(y), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- resizing

RESIZE_METHODS = ("pillow", "matlab")


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5."""
    a = np.abs(x)
    return np.where(
        a <= 1, 1.5 * a**3 - 2.5 * a**2 + 1, np.where(a <= 2, -0.5 * a**3 + 2.5 * a**2 - 4 * a + 2, 0.0)
    )


def _matlab_weights(in_len: int, out_len: int) -> np.ndarray:
    """(out_len, in_len) matrix of MATLAB-imresize-style bicubic weights along one axis."""
    scale = out_len / in_len
    width = 4.0
    if scale < 1:  # shrinking: widen the kernel (antialiasing)

        def kernel(x):
            return scale * _cubic(scale * x)

        width /= scale
    else:
        kernel = _cubic
    x = np.arange(1, out_len + 1)
    u = x / scale + 0.5 * (1 - 1 / scale)  # 1-based input coordinate of each output pixel
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]
    w = kernel(u[:, None] - idx)
    w /= w.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])  # symmetric border
    cols = mirror[np.mod(idx - 1, 2 * in_len).astype(int)]
    weights = np.zeros((out_len, in_len))
    np.add.at(weights, (np.repeat(np.arange(out_len), taps), cols.ravel()), w.ravel())
    return weights


def _resize_channel(x: np.ndarray, shape: tuple[int, int], method: str) -> np.ndarray:
    if method == "pillow":
        from PIL import Image

        im = Image.fromarray(np.ascontiguousarray(x, dtype=np.float32))  # mode "F"
        return np.asarray(im.resize((shape[1], shape[0]), Image.Resampling.BICUBIC), dtype=np.float64)
    return _matlab_weights(x.shape[0], shape[0]) @ x @ _matlab_weights(x.shape[1], shape[1]).T


def resize_bicubic(image, shape, *, method: str = "pillow") -> np.ndarray:
    """Bicubic resize of an ``(H, W)`` or ``(H, W, C)`` image to ``shape = (h, w)``, as float64.

    ``method="pillow"``: Pillow's ``Image.resize(..., BICUBIC)`` on 32-bit float images
    (Keys' cubic kernel, a = -0.5, widened when shrinking). ``method="matlab"``: a numpy
    re-implementation of MATLAB's ``imresize(..., 'bicubic')``, the resize SRCNN's
    released code uses: the same kernel and widening, but mirrored image borders where
    Pillow renormalises the weights that fall inside. The two agree to float32 rounding
    away from the border and differ in the outer few pixels. No rounding, no clipping.
    """
    arr = as_float_array(image, "image")
    if arr.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {arr.shape}")
    if method not in RESIZE_METHODS:
        raise ValueError(f"method must be one of {RESIZE_METHODS}, got {method!r}")
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise TypeError(f"shape must be a pair (height, width), got {shape!r}")
    shape = (check_int(shape[0], "height", minimum=1), check_int(shape[1], "width", minimum=1))
    if min(arr.shape[:2]) < 1:
        raise ValueError(f"image must not be empty, got shape {arr.shape}")
    if arr.ndim == 2:
        return _resize_channel(arr, shape, method)
    return np.stack([_resize_channel(arr[..., c], shape, method) for c in range(arr.shape[2])], axis=-1)


class LRHRPair(NamedTuple):
    """A high-resolution image (cropped to a multiple of the scale), its bicubic
    low-resolution version, and that enlarged back to the HR size (SRCNN's input)."""

    hr: np.ndarray
    lr: np.ndarray
    bicubic: np.ndarray


def make_lr_hr_pair(hr, scale: int = 3, *, method: str = "pillow") -> LRHRPair:
    """Crop ``hr`` to a multiple of ``scale``, shrink it ``scale`` times with bicubic
    interpolation, and enlarge it back to the cropped size.

    This is SRCNN's degradation: its released code uses MATLAB's ``imresize`` bicubic
    (``method="matlab"`` re-implements it; the default Pillow resize matches it except
    near the border, see :func:`resize_bicubic`). Arrays are float64 in the input's
    value range, unrounded and unclipped (as SRCNN does on ``im2double`` images).
    """
    arr = as_float_array(hr, "hr")
    if arr.ndim not in (2, 3):
        raise ValueError(f"hr must be (H, W) or (H, W, C), got shape {arr.shape}")
    scale = check_int(scale, "scale", minimum=1)
    h, w = arr.shape[0] - arr.shape[0] % scale, arr.shape[1] - arr.shape[1] % scale
    if h == 0 or w == 0:
        raise ValueError(f"hr of shape {arr.shape} is smaller than the scale {scale}")
    cropped = arr[:h, :w].copy()
    lr = resize_bicubic(cropped, (h // scale, w // scale), method=method)
    return LRHRPair(cropped, lr, resize_bicubic(lr, (h, w), method=method))


def psnr_shaved(a, b, border: int, data_range: float = 255) -> float:
    """PSNR of ``a`` against ``b`` after removing ``border`` pixels on every side.

    Super-resolution papers shave ``scale`` pixels before measuring, because the outer
    pixels depend on how the resize handles the image border.
    """
    x = as_float_array(a, "a")
    y = as_float_array(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same shape, got {x.shape} and {y.shape}")
    border = check_int(border, "border", minimum=0)
    if x.ndim < 2 or min(x.shape[:2]) <= 2 * border:
        raise ValueError(f"border {border} leaves nothing of an image of shape {x.shape}")
    if border:
        x, y = x[border:-border, border:-border], y[border:-border, border:-border]
    return metrics.psnr(x, y, data_range=data_range)


def bicubic_psnr(hr, scale: int, *, method: str = "pillow", data_range: float = 255) -> float:
    """The bicubic baseline: PSNR (dB) of :func:`make_lr_hr_pair`'s enlarged image against
    the HR image, with ``scale`` border pixels shaved."""
    pair = make_lr_hr_pair(hr, scale, method=method)
    return psnr_shaved(pair.bicubic, pair.hr, scale, data_range)

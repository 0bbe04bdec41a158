"""Tests of utils.datasets: offline, on archives and images made here.

References: hand-computed bicubic weights (Keys' kernel, a = -0.5), closed forms (cubic
convolution reproduces linear ramps), scikit-image's PSNR, hashlib, the zipfile/tarfile
modules, and the windows of srcnn.extract_patches (tested in test_srcnn.py).
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage.metrics import peak_signal_noise_ratio

from utils import datasets

ROOT = Path(__file__).resolve().parents[1]
METHODS = datasets.RESIZE_METHODS


# --------------------------------------------------------------------------- helpers


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def png_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def make_zip(path: Path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return sha256_of(path)


def make_tar(path: Path, members: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return sha256_of(path)


class CopyDownloader:
    """A pooch downloader that copies one local file, whatever the URL, and counts calls."""

    def __init__(self, source: Path):
        self.source = source
        self.calls = 0

    def __call__(self, url, output_file, pooch=None):
        self.calls += 1
        Path(output_file).write_bytes(self.source.read_bytes())


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def members():
    rng = np.random.default_rng(0)
    return {f"set/img{i}.png": png_bytes(rng.integers(0, 256, (12, 10), dtype=np.uint8)) for i in (1, 2, 10)}


# --------------------------------------------------------------------------- registry


def test_registry_references_exist_and_no_invented_urls():
    bib = (ROOT / "references.bib").read_text()
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
    assert list(datasets.DATASETS) == ["Set5", "Set14", "BSD100", "Urban100", "DIV2K"]
    for d in datasets.DATASETS.values():
        assert d.reference in keys, d.reference
        assert d.url is None and d.sha256 is None  # nothing that could not be checked offline
        assert d.use in ("evaluation", "training") and d.images > 0 and set(d.scales) <= {2, 3, 4, 8}
    assert datasets.dataset("set5") is datasets.DATASETS["Set5"]
    table = datasets.registry_table()
    assert all(name in table for name in datasets.DATASETS) and len(table.splitlines()) == 2 + 5


def test_registry_bad_lookup():
    with pytest.raises(KeyError, match="known: .*Set5"):
        datasets.dataset("Set6")
    with pytest.raises(TypeError, match="must be a str"):
        datasets.dataset(5)


# --------------------------------------------------------------------------- fetch


def test_fetch_zip_verifies_extracts_and_caches(tmp_path, members):
    archive = tmp_path / "upload.zip"
    digest = make_zip(archive, members)
    down = CopyDownloader(archive)
    cache = tmp_path / "cache"
    files = datasets.fetch("Set5", cache, url="https://example.org/Set5.zip", sha256=digest, downloader=down)
    # natural order: img1, img2, img10; hidden marker not listed
    assert [f.relative_to(cache / "Set5").as_posix() for f in files] == [
        "set/img1.png",
        "set/img2.png",
        "set/img10.png",
    ]
    for f in files:
        assert f.read_bytes() == members[f.relative_to(cache / "Set5").as_posix()]
    assert sha256_of(cache / "Set5.zip") == digest
    assert (cache / "Set5" / datasets.MARKER).read_text().strip() == digest
    # second call: cached, no download, same files
    again = datasets.fetch(
        "set5", cache, url="https://example.org/Set5.zip", sha256="SHA256:" + digest.upper(), downloader=down
    )
    assert again == files and down.calls == 1
    # extracted folder deleted: re-extracted from the cached archive without downloading
    shutil.rmtree(cache / "Set5")
    assert (
        datasets.fetch("Set5", cache, url="https://example.org/Set5.zip", sha256=digest, downloader=down)
        == files
    )
    assert down.calls == 1


def test_fetch_corrupted_archive_raises_and_leaves_nothing(tmp_path, members):
    archive = tmp_path / "good.zip"
    digest = make_zip(archive, members)
    bad = tmp_path / "bad.zip"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    assert sha256_of(bad) != digest
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="does not match the known hash"):
        datasets.fetch(
            "mini", cache, url="https://example.org/mini.zip", sha256=digest, downloader=CopyDownloader(bad)
        )
    assert files_under(cache) == []


def test_fetch_changed_hash_updates(tmp_path, members):
    cache = tmp_path / "cache"
    first = tmp_path / "v1.zip"
    d1 = make_zip(first, members)
    datasets.fetch("mini", cache, url=first.as_uri(), sha256=d1)  # file:// -> file_downloader by default
    second = tmp_path / "v2.zip"
    d2 = make_zip(second, {"only.png": members["set/img1.png"]})
    files = datasets.fetch("mini", cache, url=second.as_uri(), sha256=d2, downloader=CopyDownloader(second))
    assert [f.name for f in files] == ["only.png"] and sha256_of(cache / "mini.zip") == d2


def test_fetch_tar_gz_and_unsafe_members(tmp_path, members):
    archive = tmp_path / "data.tar.gz"
    digest = make_tar(archive, members)
    files = datasets.fetch("tarred", tmp_path / "c", url=archive.as_uri(), sha256=digest)
    assert [f.name for f in files] == ["img1.png", "img2.png", "img10.png"]
    evil = tmp_path / "evil.tar.gz"
    d_evil = make_tar(evil, {"../escape.txt": b"x"})
    with pytest.raises(ValueError, match="unsafe member"):
        datasets.fetch("evil", tmp_path / "c2", url=evil.as_uri(), sha256=d_evil)
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "c2" / "evil").exists()
    evil_zip = tmp_path / "evil.zip"
    dz = make_zip(evil_zip, {"../escape.txt": b"x"})
    with pytest.raises(ValueError, match="unsafe member '../escape.txt'"):
        datasets.fetch("evilz", tmp_path / "c3", url=evil_zip.as_uri(), sha256=dz)
    assert [p.name for p in (tmp_path / "c3").iterdir()] == ["evilz.zip"]  # no folder, no temp folder


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"name": "Set5"}, ValueError, "no download URL for 'Set5'"),
        ({"name": "mine", "url": "https://example.org/a.zip"}, ValueError, "no SHA-256 for 'mine'"),
        ({"name": "mine", "url": "https://example.org/a.zip", "sha256": "abc"}, ValueError, "64 hex digits"),
        (
            {"name": "mine", "url": "https://example.org/a.zip", "sha256": 5},
            TypeError,
            "sha256 must be a str",
        ),
        (
            {"name": "mine", "url": "https://pan.example.org/s/1A1S", "sha256": "0" * 64},
            ValueError,
            "cannot tell the archive type",
        ),
        ({"name": "mine", "url": "gopher://x/a.zip", "sha256": "0" * 64}, ValueError, "url must start with"),
        ({"name": "mine", "url": 3, "sha256": "0" * 64}, TypeError, "url must be a str"),
        (
            {"name": "../up", "url": "https://example.org/a.zip", "sha256": "0" * 64},
            ValueError,
            "plain folder name",
        ),
        ({"name": 5}, TypeError, "name must be a str"),
        (
            {"name": "mine", "url": "https://example.org/a.zip", "sha256": "0" * 64, "downloader": "curl"},
            TypeError,
            "downloader must be callable",
        ),
    ],
)
def test_fetch_bad_input(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        datasets.fetch(cache_dir=tmp_path / "cache", **kwargs)
    assert not (tmp_path / "cache").exists()  # refused before touching the disk


def test_fetch_bad_cache_dir(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        datasets.fetch("m", afile, url="https://example.org/a.zip", sha256="0" * 64)
    with pytest.raises(TypeError, match="cache_dir must be"):
        datasets.fetch("m", 3, url="https://example.org/a.zip", sha256="0" * 64)


def test_file_downloader(tmp_path):
    src = tmp_path / "a.bin"
    src.write_bytes(b"abc")
    out = tmp_path / "b.bin"
    datasets.file_downloader(src.as_uri(), out)
    assert out.read_bytes() == b"abc"
    buf = io.BytesIO()
    datasets.file_downloader(src.as_uri(), buf)
    assert buf.getvalue() == b"abc"
    assert datasets.file_downloader(src.as_uri(), None, check_only=True) is True
    with pytest.raises(FileNotFoundError, match="no file at"):
        datasets.file_downloader((tmp_path / "missing").as_uri(), out)
    with pytest.raises(ValueError, match="file:// URLs only"):
        datasets.file_downloader("https://example.org/a.zip", out)


# --------------------------------------------------------------------------- images


def test_load_image_folder_natural_order_and_modes(tmp_path):
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "img10.png")
    Image.fromarray(rgb).save(tmp_path / "img2.png")
    Image.fromarray(grey).convert("P").save(tmp_path / "img1.png")
    (tmp_path / "notes.txt").write_text("not matched")
    (tmp_path / "sub").mkdir()
    Image.fromarray(grey).save(tmp_path / "sub" / "deep.png")
    images = datasets.load_image_folder(tmp_path)
    assert [im.name for im in images] == ["img1.png", "img2.png", "img10.png"]
    assert images[0].image.shape == (5, 7, 3) and images[0].image.dtype == np.uint8  # palette -> RGB
    np.testing.assert_array_equal(images[0].image[..., 0], grey)
    np.testing.assert_array_equal(images[1].image, rgb)
    np.testing.assert_array_equal(images[2].image, grey)
    assert [im.name for im in datasets.load_image_folder(tmp_path, "**/*.png")][-1] == "sub/deep.png"


def test_load_image_folder_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="no files matching '\\*.png'"):
        datasets.load_image_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.load_image_folder(tmp_path / "missing")
    Image.fromarray(np.zeros((3, 3, 4), np.uint8)).save(tmp_path / "alpha.png")
    with pytest.raises(ValueError, match="mode 'RGBA'.*without alpha"):
        datasets.load_image_folder(tmp_path)
    (tmp_path / "alpha.png").unlink()
    Image.fromarray(np.zeros((3, 3), np.uint16)).save(tmp_path / "deep.png")
    with pytest.raises(ValueError, match="8-bit"):
        datasets.load_image_folder(tmp_path)
    (tmp_path / "deep.png").unlink()
    (tmp_path / "fake.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="fake.png is not an image"):
        datasets.load_image_folder(tmp_path)


def test_y_channel_against_bt601_by_hand():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 100, 50]]], dtype=np.uint8)
    by_hand = np.rint(0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2])
    np.testing.assert_array_equal(datasets.y_channel(rgb), by_hand.astype(np.uint8))  # 76, 150, 29, 124
    assert datasets.y_channel(rgb).tolist() == [[76, 150, 29, 124]]
    grey = np.array([[0, 128, 255]], dtype=np.uint8)
    assert datasets.y_channel(grey).dtype == np.uint8 and datasets.y_channel(grey).tolist() == [[0, 128, 255]]


@pytest.mark.parametrize(
    "image, error, message",
    [
        (np.zeros((2, 2, 4)), ValueError, "shape"),
        (np.zeros(3), ValueError, "shape"),
        (np.full((2, 2), 300.0), ValueError, "0..255"),
        (np.array([["a"]]), TypeError, "real number"),
    ],
)
def test_y_channel_bad_input(image, error, message):
    with pytest.raises(error, match=message):
        datasets.y_channel(image)


# --------------------------------------------------------------------------- resizing


def test_border_weights_hand_computed():
    # x2 enlargement, first output pixel: Keys weights at distances 1.75, 0.75, 0.25, 1.25
    # are -3/128, 29/128, 111/128, -9/128. MATLAB mirrors the border (pixel -1 -> 1, 0 -> 0):
    # 1.09375 x0 - 0.09375 x1. Pillow drops the outside taps and renormalises: (111 x0 - 9 x1) / 102.
    row = np.array([10.0, 50.0, 20.0, 80.0])
    image = np.tile(row, (4, 1))
    m = datasets.resize_bicubic(image, (8, 8), method="matlab")
    p = datasets.resize_bicubic(image, (8, 8), method="pillow")
    assert m[0, 0] == pytest.approx(1.09375 * 10 - 0.09375 * 50)
    assert p[0, 0] == pytest.approx((111 * 10 - 9 * 50) / 102, abs=1e-4)
    # inner pixel 3 (u = 2.25): distances 2.25 .. -2.75 -> taps 0, -9, 111, 29, -3 (/128) on x0..x3
    assert m[0, 3] == pytest.approx((-9 * 10 + 111 * 50 + 29 * 20 - 3 * 80) / 128)
    assert p[0, 3] == pytest.approx(m[0, 3], abs=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_resize_reproduces_constants_and_ramps(method):
    const = np.full((24, 30), 77.0)
    np.testing.assert_allclose(datasets.resize_bicubic(const, (8, 10), method=method), 77.0, atol=1e-4)
    np.testing.assert_allclose(datasets.resize_bicubic(const, (48, 60), method=method), 77.0, atol=1e-4)
    # shrinking a ramp by s samples it at the LR pixel centres s (i + 1/2) - 1/2 (away from borders)
    s = 3
    ramp = np.tile(np.arange(60.0), (60, 1))
    small = datasets.resize_bicubic(ramp, (20, 20), method=method)
    centres = s * (np.arange(20) + 0.5) - 0.5
    np.testing.assert_allclose(small[:, 3:-3], np.tile(centres, (20, 1))[:, 3:-3], atol=1e-3)
    big = datasets.resize_bicubic(small, (60, 60), method=method)
    np.testing.assert_allclose(big[:, 12:-12], ramp[:, 12:-12], atol=1e-3)


def test_pillow_matches_matlab_away_from_border_only():
    rng = np.random.default_rng(2)
    hr = ndimage.gaussian_filter(rng.random((60, 75)) * 255, 1.5)
    for s in (2, 3, 4):
        a = datasets.make_lr_hr_pair(hr, s, method="pillow")
        b = datasets.make_lr_hr_pair(hr, s, method="matlab")
        np.testing.assert_allclose(a.lr[2:-2, 2:-2], b.lr[2:-2, 2:-2], atol=1e-3)
        assert np.abs(a.lr - b.lr).max() > 1e-2  # not bit-identical at the border


@pytest.mark.parametrize("method", METHODS)
def test_make_lr_hr_pair_crops_and_handles_colour(method):
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (31, 44, 3), dtype=np.uint8)
    pair = datasets.make_lr_hr_pair(rgb, 3, method=method)
    assert pair.hr.shape == (30, 42, 3) and pair.lr.shape == (10, 14, 3) and pair.bicubic.shape == (30, 42, 3)
    np.testing.assert_array_equal(pair.hr, rgb[:30, :42])
    grey = datasets.make_lr_hr_pair(rgb[..., 1], 3, method=method)
    np.testing.assert_allclose(pair.bicubic[..., 1], grey.bicubic, atol=1e-9)
    assert pair.bicubic.dtype == np.float64


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: datasets.make_lr_hr_pair(np.zeros((2, 2)), 3), ValueError, "smaller than the scale"),
        (lambda: datasets.make_lr_hr_pair(np.zeros((9, 9)), 0), ValueError, "scale must be >= 1"),
        (lambda: datasets.make_lr_hr_pair(np.zeros((9, 9)), 2.0), TypeError, "scale must be an int"),
        (lambda: datasets.make_lr_hr_pair(np.zeros(9), 3), ValueError, "shape"),
        (
            lambda: datasets.make_lr_hr_pair(np.zeros((9, 9)), 3, method="lanczos"),
            ValueError,
            "method must be one of",
        ),
        (lambda: datasets.resize_bicubic(np.zeros((4, 4)), 8), TypeError, "pair"),
        (lambda: datasets.resize_bicubic(np.zeros((4, 4)), (0, 4)), ValueError, "height must be >= 1"),
        (lambda: datasets.resize_bicubic("img", (4, 4)), TypeError, "real number"),
    ],
)
def test_resizing_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_psnr_shaved_and_bicubic_psnr_against_skimage():
    rng = np.random.default_rng(4)
    hr = ndimage.gaussian_filter(rng.random((40, 52)) * 255, 2)
    pair = datasets.make_lr_hr_pair(hr, 4)
    expected = peak_signal_noise_ratio(pair.hr[4:-4, 4:-4], pair.bicubic[4:-4, 4:-4], data_range=255)
    assert datasets.psnr_shaved(pair.bicubic, pair.hr, 4) == pytest.approx(expected)
    assert datasets.bicubic_psnr(hr, 4) == pytest.approx(expected)
    # hand case: errors only in the border -> shaving removes them all
    a = np.zeros((6, 6))
    b = a.copy()
    b[0, :] = 10
    assert datasets.psnr_shaved(a, b, 1) == float("inf")
    assert datasets.psnr_shaved(a, b, 0) == pytest.approx(10 * np.log10(255**2 / (600 / 36)))


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((np.zeros((6, 6)), np.zeros((6, 5)), 1), ValueError, "same shape"),
        ((np.zeros((6, 6)), np.zeros((6, 6)), 3), ValueError, "leaves nothing"),
        ((np.zeros((6, 6)), np.zeros((6, 6)), -1), ValueError, "border must be >= 0"),
    ],
)
def test_psnr_shaved_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        datasets.psnr_shaved(*args)


# --------------------------------------------------------------------------- patches

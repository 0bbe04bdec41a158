"""Tests of utils.images against Pillow, OpenCV, scikit-image, torch and TensorFlow."""

from __future__ import annotations

import sys
import types

import cv2
import numpy as np
import pytest
import torch
from PIL import Image, ImageOps
from skimage import img_as_ubyte, util

from utils import color, images


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def all_colours():
    """Every one of the 2**24 RGB colours once, as a 4096 x 4096 image."""
    v = np.arange(1 << 24, dtype=np.uint32)
    return np.stack([v >> 16, (v >> 8) & 255, v & 255], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)


def test_all_colours_is_the_full_cube_in_order(all_colours):
    assert np.array_equal(images.all_colours(), all_colours)


# ------------------------------------------------------------------------ to_gray
def test_to_gray_pillow_is_bit_exact_on_every_colour(all_colours, rng):
    pillow = np.asarray(Image.fromarray(all_colours).convert("L"))
    assert np.array_equal(images.to_gray(all_colours), pillow)
    odd = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)  # odd sizes, strided rows
    assert np.array_equal(images.to_gray(odd, "pillow"), np.asarray(Image.fromarray(odd).convert("L")))


def test_to_gray_opencv_is_bit_exact_with_cvtcolor(all_colours):
    assert np.array_equal(
        images.to_gray(all_colours, "opencv"), cv2.cvtColor(all_colours, cv2.COLOR_RGB2GRAY)
    )


def test_to_gray_libpng_matches_cv2_imread_gray_of_a_png(tmp_path, rng):
    rgb = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    path = tmp_path / "random.png"
    Image.fromarray(rgb).save(path)
    assert np.array_equal(images.to_gray(rgb, "libpng"), cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))


def test_to_gray_bt601_closed_form_and_rounding_gap():
    np.testing.assert_allclose(
        images.to_gray([[255, 0, 0], [0, 0, 255]], "bt601"), [0.299 * 255, 0.114 * 255]
    )
    rgb = np.random.default_rng(1).integers(0, 256, (50, 50, 3), dtype=np.uint8)
    exact = images.to_gray(rgb, "bt601")
    np.testing.assert_allclose(exact, color.rgb_to_ycbcr(rgb)[..., 0], atol=1e-9)
    for method in ("pillow", "opencv"):  # rounded fixed point: within half a level (+ weight error)
        assert np.abs(images.to_gray(rgb, method) - exact).max() < 0.51
    gap = exact - images.to_gray(rgb, "libpng")  # truncated: up to one level below, never clearly above
    assert gap.min() > -0.01 and gap.max() < 1.01


def test_to_gray_bad_input():
    with pytest.raises(ValueError, match="method must be one of"):
        images.to_gray(np.zeros((2, 2, 3), np.uint8), "average")
    with pytest.raises(TypeError, match="uint8 array .*got dtype float64"):
        images.to_gray(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"alpha channel"):
        images.to_gray(np.zeros((2, 2, 4), np.uint8))
    with pytest.raises(ValueError, match=r"last axis of length 3.*\(2, 2\)"):
        images.to_gray(np.zeros((2, 2)), "bt601")


# ----------------------------------------------------------------------- to_uint8
def test_to_uint8_unit_floats_match_skimage(rng):
    x = np.concatenate([rng.uniform(0, 1, 1000), [0.0, 1.0, 0.5 / 255, 1.5 / 255, 254.5 / 255]])
    assert np.array_equal(images.to_uint8(x), img_as_ubyte(x))
    # float32 is scaled in float64 here, in float32 by skimage: only exact half-level ties
    # (such as 0.5 / 255 above) may land on different sides, so compare random values.
    x32 = rng.uniform(0, 1, 1000).astype(np.float32)
    assert np.array_equal(images.to_uint8(x32), img_as_ubyte(x32))


def test_to_uint8_rules_by_dtype():
    assert np.array_equal(images.to_uint8(np.array([True, False])), [255, 0])
    ints = np.array([0, 7, 255], dtype=np.int64)
    assert images.to_uint8(ints).dtype == np.uint8 and np.array_equal(images.to_uint8(ints), ints)
    assert np.array_equal(images.to_uint8(np.array([0.4, 2.0, 254.6])), [0, 2, 255])  # 0..255 floats, rounded
    assert np.array_equal(images.to_uint8(np.array([0.0, 0.5, 1.0]), scale="byte"), [0, 0, 1])
    assert np.array_equal(images.to_uint8(np.array([0, 1]), scale="unit"), [0, 255])  # a 0/1 mask
    # astype wraps integers and truncates floats; to_uint8 refuses or clips instead
    assert np.array_equal(np.array([300, -1]).astype(np.uint8), [44, 255])
    assert np.array_equal(images.to_uint8(np.array([300, -1]), clip=True), [255, 0])
    assert np.array_equal(images.to_uint8(np.array([70000], np.uint32), clip=True), [255])
    assert np.array_equal(images.to_uint8(np.array([-1.2, 0.5, 1.3]), scale="unit", clip=True), [0, 128, 255])
    assert np.array_equal(images.to_uint8(np.array([np.inf, -np.inf]), clip=True), [255, 0])
    assert images.to_uint8(np.zeros((0, 3))).shape == (0, 3)
    a = np.array([1, 2], np.uint8)
    assert images.to_uint8(a) is not a


def test_to_uint8_bad_input():
    with pytest.raises(ValueError, match=r"0\.\.255, got range \[-1, 300\]"):
        images.to_uint8(np.array([300, -1]))
    with pytest.raises(ValueError, match="NaN"):
        images.to_uint8(np.array([0.5, np.nan]), clip=True)
    with pytest.raises(ValueError, match="after multiplying by 255"):
        images.to_uint8(np.array([0.5, 1.2]), scale="unit")
    with pytest.raises(ValueError, match="scale must be one of"):
        images.to_uint8(np.zeros(3), scale="percent")
    with pytest.raises(TypeError, match="clip must be a bool"):
        images.to_uint8(np.zeros(3), clip=1)
    with pytest.raises(TypeError, match="got dtype complex128"):
        images.to_uint8(np.zeros(3, complex))
    with pytest.raises(TypeError, match="got str"):
        images.to_uint8("image")


# ------------------------------------------------------------------------- invert
def test_invert_matches_pillow_and_skimage(rng):
    rgb = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    assert np.array_equal(images.invert(rgb), np.asarray(ImageOps.invert(Image.fromarray(rgb))))
    for arr in (
        rng.integers(0, 65536, 50).astype(np.uint16),
        rng.uniform(0, 1, 50),
        rng.uniform(0, 1, 5) > 0.5,
    ):
        out = images.invert(arr)
        assert out.dtype == arr.dtype and np.array_equal(out, util.invert(arr))


def test_invert_bad_input():
    with pytest.raises(TypeError, match="signed integer"):
        images.invert(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        images.invert(np.array([0.0, 255.0]))
    with pytest.raises(TypeError, match="got dtype"):
        images.invert(np.array(["a"]))
    with pytest.raises(TypeError, match="got str"):
        images.invert("image")


# ------------------------------------------------------------------ describe_image
def test_describe_image_each_kind():
    rgb = np.zeros((3, 5, 3), np.uint8)
    rgb[0, 0] = [255, 10, 0]
    pil = Image.fromarray(rgb)
    assert images.describe_image(pil) == (
        "PIL.Image: mode RGB, size (W, H) = (5, 3), as array (3, 5, 3) HWC, uint8, "
        "range [0, 255], channels RGB"
    )
    assert "channels palette indices" in images.describe_image(pil.convert("P"))
    assert images.describe_image(rgb / 255) == (
        "numpy.ndarray: shape (3, 5, 3) HWC, float64, range [0, 1], channels unknown"
    )
    t = torch.from_numpy(rgb).permute(2, 0, 1).float()
    assert (
        images.describe_image(t)
        == "torch.Tensor: shape (3, 3, 5) CHW, float32, range [0, 255], channels unknown"
    )
    assert images.describe_image(np.array([[0.5, np.nan]])).endswith(
        "range [0.5, 0.5] with NaN, channels unknown"
    )
    assert "range empty" in images.describe_image(np.zeros((0, 4)))
    assert "shape (2, 3, 5) ?" in images.describe_image(np.zeros((2, 3, 5)))


def test_describe_image_bad_input():
    with pytest.raises(TypeError, match="got list"):
        images.describe_image([[0, 1]])


# -------------------------------------------------------------------- conversions
def test_to_tensor_follows_totensor_rules(rng):
    rgb = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    expected = torch.from_numpy(rgb).permute(2, 0, 1).to(torch.float32) / 255
    for source in (rgb, Image.fromarray(rgb)):
        t = images.to_tensor(source)
        assert t.dtype == torch.float32 and t.shape == (3, 6, 7)
        assert torch.equal(t, expected)
    gray = rgb[..., 0]
    assert images.to_tensor(gray).shape == (1, 6, 7)
    unit = rng.uniform(0, 1, (4, 5, 3))
    assert torch.equal(images.to_tensor(unit), torch.from_numpy(unit.transpose(2, 0, 1)).float())
    assert images.to_tensor(rgb, device="cpu").device.type == "cpu"


def test_to_tensor_bad_input():
    with pytest.raises(TypeError, match="int16.*to_uint8"):
        images.to_tensor(np.zeros((2, 2), np.int16))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        images.to_tensor(np.full((2, 2, 3), 255.0))
    with pytest.raises(ValueError, match="looks like CHW"):
        images.to_tensor(np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="not 8 bits per band"):
        images.to_tensor(Image.fromarray(np.zeros((2, 2), np.uint16)))
    with pytest.raises(TypeError, match="use to_array first"):
        images.to_tensor(torch.zeros(3, 2, 2))


def test_to_array_and_to_pil_round_trips(rng):
    rgb = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    t = images.to_tensor(rgb)
    assert np.array_equal(images.to_array(t), np.asarray(t.permute(1, 2, 0)))
    assert np.array_equal(np.asarray(images.to_pil(t)), rgb)  # float CHW tensor -> uint8 HWC image
    assert np.array_equal(images.to_array(Image.fromarray(rgb)), rgb)
    gray = images.to_pil(rgb[..., :1])
    assert gray.mode == "L" and np.array_equal(np.asarray(gray), rgb[..., 0])
    unit = rng.uniform(0, 1, (4, 5))
    assert np.array_equal(np.asarray(images.to_pil(unit)), img_as_ubyte(unit))
    assert images.to_pil(rgb.astype(np.int64)).mode == "RGB"


def test_conversions_bad_input():
    with pytest.raises(ValueError, match=r"looks like CHW.*np\.squeeze"):
        images.to_pil(np.zeros((1, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="2 or 3 axes"):
        images.to_array(np.zeros((1, 3, 4, 5)))
    with pytest.raises(TypeError, match="got list"):
        images.to_array([[1, 2]])
    with pytest.raises(ValueError, match="0..255"):
        images.to_pil(np.full((2, 2), 300))


class _FakeTensor:
    """Stands in for an eager tf.Tensor: what to_tf hands over and what describe_image reads."""

    __module__ = "tensorflow.fake"

    def __init__(self, value):
        self.value = value
        self.dtype, self.shape = value.dtype, value.shape

    def numpy(self):
        return self.value


def test_to_tf_hands_hwc_unit_floats_to_tensorflow(monkeypatch, rng):
    # Importing TensorFlow costs seconds, so this test replaces it by a stub module;
    # the next test checks the real thing whenever TensorFlow is already loaded.
    fake = types.ModuleType("tensorflow")
    fake.convert_to_tensor = _FakeTensor
    monkeypatch.setitem(sys.modules, "tensorflow", fake)
    rgb = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    rgb[0, 0, :2] = [0, 255]
    t = images.to_tf(Image.fromarray(rgb))
    assert t.value.dtype == np.float32 and t.value.shape == (6, 7, 3)
    assert np.array_equal(t.value, rgb.astype(np.float32) / np.float32(255))
    assert images.to_tf(rgb[..., 0]).shape == (6, 7, 1)
    assert (
        images.describe_image(t) == "tf.Tensor: shape (6, 7, 3) HWC, float32, range [0, 1], channels unknown"
    )
    assert np.array_equal(np.asarray(images.to_pil(t)), rgb)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        images.to_tf(np.full((2, 2), 2.0))


def test_to_tf_matches_convert_image_dtype(rng):
    import tensorflow as tf

    import utils  # noqa: F401  (first: TensorFlow then imports quietly)

    rgb = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    t = images.to_tf(rgb)
    reference = tf.image.convert_image_dtype(tf.constant(rgb), tf.float32)
    assert t.dtype == tf.float32 and t.shape == (6, 7, 3)
    np.testing.assert_allclose(t.numpy(), reference.numpy(), atol=1e-7)
    assert images.describe_image(t).startswith("tf.Tensor: shape (6, 7, 3) HWC, float32")
    assert np.array_equal(np.asarray(images.to_pil(t)), rgb)


# ---------------------------------------------------------- what the readers return
def test_channel_order_hand_cases():
    ref = np.zeros((2, 2, 3), np.uint8)
    ref[..., 0] = 200
    assert images.channel_order(ref, ref) == "RGB"
    assert images.channel_order(ref[..., ::-1], ref) == "BGR"
    assert images.channel_order(ref / 255, ref) == "RGB"
    assert images.channel_order(ref[..., 0], ref) == "gray"
    assert images.channel_order(np.roll(ref, 1, axis=-1), ref) == "other"
    with pytest.raises(ValueError, match="height and width"):
        images.channel_order(ref[:1], ref)


def test_reading_conventions_against_direct_reads(tmp_path, rng):
    rgb = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)  # not square: (W, H) != (H, W)
    rgb[0, 0, :2] = [0, 255]
    path = tmp_path / "x.png"
    Image.fromarray(rgb).save(path)
    rows = {row[0]: row for row in images.reading_conventions(path, rgb)}
    assert rows["Image.open(p)"][2] == "size (6, 4)"
    assert np.array_equal(cv2.imread(str(path))[..., ::-1], rgb)
    assert rows["cv2.imread(p)"][-1] == "BGR" and rows["cv2.imread(p, 0)"][2:4] == ("(4, 6)", "HW")
    assert rows["mpimg.imread(p)"][4:] == ("float32", "[0, 1]", "RGB")
    assert rows["skimage.io.imread(p)"][4] == "uint8" and rows["np.array(Image.open(p))"][-1] == "RGB"
    assert rows["to_tensor(np.array(...))"][2:5] == ("(3, 4, 6)", "CHW", "float32")
    with pytest.raises(FileNotFoundError, match="missing.png"):
        images.reading_conventions(tmp_path / "missing.png", rgb)

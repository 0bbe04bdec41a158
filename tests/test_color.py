"""Tests of utils.color against Pillow, scikit-image and the JFIF formulas."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data
from skimage.color import rgb2xyz

from utils import color


def test_rgb_to_ycbcr_matches_pillow_within_rounding():
    rgb = data.astronaut()
    ours = np.round(color.rgb_to_ycbcr(rgb))
    pillow = np.asarray(Image.fromarray(rgb).convert("YCbCr")).astype(float)
    assert np.abs(ours - pillow).max() <= 1


def test_ycbcr_to_rgb_matches_pillow_within_rounding():
    ycc = data.astronaut()  # any uint8 triplets can serve as YCbCr input
    pillow = np.asarray(Image.fromarray(ycc, mode="YCbCr").convert("RGB")).astype(float)
    ours = np.clip(np.round(color.ycbcr_to_rgb(ycc)), 0, 255)
    assert np.abs(ours - pillow).max() <= 1


def test_ycbcr_hand_cases_and_round_trip():
    # JFIF: white -> (255, 128, 128); pure blue -> Cb = 128 + 127.5, Y = 0.114 * 255.
    np.testing.assert_allclose(color.rgb_to_ycbcr([255, 255, 255]), [255, 128, 128], atol=1e-9)
    np.testing.assert_allclose(
        color.rgb_to_ycbcr([0, 0, 255]), [29.07, 255.5, 128 - 0.081312411 * 255], atol=1e-6
    )
    # Cb and Cr are scaled blue- and red-difference signals.
    rgb = np.random.default_rng(0).uniform(0, 255, (100, 3))
    y, cb, cr = np.moveaxis(color.rgb_to_ycbcr(rgb), -1, 0)
    np.testing.assert_allclose(cb - 128, (rgb[:, 2] - y) / 1.772, atol=1e-6)
    np.testing.assert_allclose(cr - 128, (rgb[:, 0] - y) / 1.402, atol=1e-6)
    np.testing.assert_allclose(color.ycbcr_to_rgb(color.rgb_to_ycbcr(rgb)), rgb, atol=1e-9)


def test_relative_luminance_matches_skimage_xyz():
    rgb = data.coffee()
    np.testing.assert_allclose(color.relative_luminance(rgb), rgb2xyz(rgb)[..., 1], atol=1e-4)


def test_srgb_curve_hand_cases_and_inverse():
    np.testing.assert_allclose(color.srgb_to_linear([0.0, 0.04045, 1.0]), [0.0, 0.04045 / 12.92, 1.0])
    v = np.linspace(0, 1, 101)
    np.testing.assert_allclose(color.linear_to_srgb(color.srgb_to_linear(v)), v, atol=1e-12)


def test_color_bad_input():
    with pytest.raises(ValueError, match=r"last axis of length 3, got shape \(4, 4\)"):
        color.rgb_to_ycbcr(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="last axis of length 3"):
        color.ycbcr_to_rgb(np.zeros((2, 4)))
    with pytest.raises(TypeError, match="rgb must be a real"):
        color.rgb_to_ycbcr("red")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        color.srgb_to_linear([1.5])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        color.linear_to_srgb([-0.1])
    with pytest.raises(ValueError, match="0..255"):
        color.relative_luminance([300, 0, 0])

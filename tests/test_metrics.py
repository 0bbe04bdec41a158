"""Tests of utils.metrics against scikit-image and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio

from utils import metrics


def test_psnr_matches_skimage_uint8():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (32, 32), dtype=np.uint8)
    b = np.clip(a + rng.integers(-5, 6, a.shape), 0, 255).astype(np.uint8)
    assert metrics.psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255))
    assert metrics.mse(a, b) == pytest.approx(mean_squared_error(a, b))


def test_psnr_matches_skimage_float_range_1():
    rng = np.random.default_rng(1)
    a = rng.random((8, 8, 3))
    b = a + rng.normal(0, 0.01, a.shape)
    assert metrics.psnr(a, b, data_range=1) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=1))


def test_psnr_hand_cases():
    # MSE 1 at range 255 -> 20 log10(255) dB; equal arrays -> inf.
    assert metrics.psnr(np.zeros(4), np.ones(4)) == pytest.approx(20 * math.log10(255))
    assert metrics.psnr(np.ones(3), np.ones(3)) == float("inf")
    # uint8 inputs must not wrap around: 0 - 255 is -255, not 1.
    a, b = np.array([0], np.uint8), np.array([255], np.uint8)
    assert metrics.psnr(a, b) == pytest.approx(0.0)


def test_psnr_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="data_range must be a finite number > 0, got 0.0"):
        metrics.psnr(np.zeros(3), np.ones(3), data_range=0)
    with pytest.raises(ValueError, match="data_range must be a finite number > 0, got nan"):
        metrics.psnr(np.zeros(3), np.ones(3), data_range=np.float32("nan"))
    with pytest.raises(TypeError, match="data_range must be a real number"):
        metrics.psnr(np.zeros(3), np.ones(3), data_range="255")
    with pytest.raises(TypeError, match="a must be a real"):
        metrics.psnr("abc", np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        metrics.mse(np.zeros(0), np.zeros(0))

"""Image quality metrics.

Taught on: "The DCT and JPEG (图像的DCT)" (PSNR of a JPEG reconstruction).
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import as_float_array, check_positive_real


def mse(a, b) -> float:
    """Mean squared error between two arrays of the same shape."""
    x = as_float_array(a, "a")
    y = as_float_array(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same shape, got {x.shape} and {y.shape}")
    if x.size == 0:
        raise ValueError("a and b must not be empty")
    return float(np.mean((x - y) ** 2))


def psnr(a, b, data_range: float = 255) -> float:
    """Peak signal-to-noise ratio ``10 log10(data_range**2 / MSE)`` in dB; ``inf`` when equal.

    ``data_range`` is the span of possible values (255 for uint8 images, 1 for images
    in [0, 1]); it must be positive.
    """
    data_range = check_positive_real(data_range, "data_range")
    err = mse(a, b)
    if err == 0.0:
        return float("inf")
    return float(10.0 * math.log10(float(data_range) ** 2 / err))

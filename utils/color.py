"""Colour conversions: JPEG's YCbCr, sRGB gamma, luma vs luminance.

Taught on: "The DCT and JPEG (图像的DCT)". :func:`rgb_to_ycbcr` and :func:`ycbcr_to_rgb`
use the JPEG/JFIF convention: full range 0..255, chroma centred on 128, luma weights of
ITU-R BT.601, applied to the gamma-encoded R'G'B' values stored in an image file.
That Y is *luma* (Y'). *Relative luminance* (CIE Y) is instead a weighted sum of
linear-light values (:func:`relative_luminance`); the two differ for coloured pixels.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array

#: BT.601 luma weights (R', G', B') used by JFIF.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])
#: RGB -> YCbCr (JFIF), applied to values in 0..255; add :data:`YCBCR_OFFSET` after.
#: Cb = (B' - Y') / 1.772 and Cr = (R' - Y') / 1.402, i.e. scaled to span -127.5..127.5.
RGB_TO_YCBCR = np.array(
    [
        LUMA_WEIGHTS,
        (np.array([0.0, 0.0, 1.0]) - LUMA_WEIGHTS) / (2 * (1 - LUMA_WEIGHTS[2])),
        (np.array([1.0, 0.0, 0.0]) - LUMA_WEIGHTS) / (2 * (1 - LUMA_WEIGHTS[0])),
    ]
)
YCBCR_OFFSET = np.array([0.0, 128.0, 128.0])

#: Rows of the sRGB (BT.709 primaries, D65) linear RGB -> XYZ matrix: the Y row.
LUMINANCE_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])


def _as_triplets(x, name: str) -> np.ndarray:
    arr = as_float_array(x, name)
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise ValueError(f"{name} must have a last axis of length 3, got shape {arr.shape}")
    return arr


def rgb_to_ycbcr(rgb) -> np.ndarray:
    """R'G'B' in 0..255 -> Y'CbCr (JFIF, full range, chroma centred on 128), float array."""
    rgb = _as_triplets(rgb, "rgb")
    return rgb @ RGB_TO_YCBCR.T + YCBCR_OFFSET


def ycbcr_to_rgb(ycbcr) -> np.ndarray:
    """Y'CbCr (JFIF) -> R'G'B' in 0..255 as floats (exact inverse of :func:`rgb_to_ycbcr`, no clipping)."""
    ycc = _as_triplets(ycbcr, "ycbcr")
    return (ycc - YCBCR_OFFSET) @ np.linalg.inv(RGB_TO_YCBCR).T


def srgb_to_linear(v) -> np.ndarray:
    """sRGB-encoded values in [0, 1] -> linear light in [0, 1] (IEC 61966-2-1 curve)."""
    v = as_float_array(v, "v")
    if np.any((v < 0) | (v > 1)):
        raise ValueError("srgb_to_linear expects values in [0, 1]; divide uint8 images by 255")
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v) -> np.ndarray:
    """Linear light in [0, 1] -> sRGB-encoded values in [0, 1] (inverse of :func:`srgb_to_linear`)."""
    v = as_float_array(v, "v")
    if np.any((v < 0) | (v > 1)):
        raise ValueError("linear_to_srgb expects values in [0, 1]")
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def relative_luminance(rgb) -> np.ndarray:
    """CIE relative luminance Y in [0, 1] of sRGB colours given in 0..255 (linear-light sum)."""
    rgb = _as_triplets(rgb, "rgb")
    if np.any((rgb < 0) | (rgb > 255)):
        raise ValueError("rgb values must lie in 0..255")
    return srgb_to_linear(rgb / 255.0) @ LUMINANCE_WEIGHTS

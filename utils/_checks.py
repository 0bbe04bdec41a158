"""Small input checks shared by the ``utils`` modules (not taught on a page)."""
from __future__ import annotations

import math
import numbers

import numpy as np


def as_float_array(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float ndarray, or raise ``TypeError`` for non-numeric input.

    Booleans, strings, objects and complex numbers are refused: every caller in
    the course expects real numbers.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a real number or array of real numbers, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a real number or array of real numbers, got dtype {arr.dtype}"
        )
    return arr.astype(np.float64) if arr.dtype.kind in "iu" else arr


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` if it is an int (not a bool) inside [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_positive_real(value, name: str) -> float:
    """Return ``value`` as a float if it is a real number (not a bool), finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def check_module(model, name: str = "model"):
    """Return ``model`` if it is a ``torch.nn.Module``, else raise ``TypeError``."""
    import torch.nn as nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    return model

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
        raise TypeError(f"{name} must be a real number or array of real numbers, got dtype {arr.dtype}")
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


def _range_text(minimum, maximum, above, below) -> str:
    """The allowed range in words: "> 0", ">= 1", "in (0, 1]", "" (any finite number)."""
    low = (
        (f"[{minimum:g}", f">= {minimum:g}")
        if minimum is not None
        else ((f"({above:g}", f"> {above:g}") if above is not None else None)
    )
    high = (
        (f"{maximum:g}]", f"<= {maximum:g}")
        if maximum is not None
        else ((f"{below:g})", f"< {below:g}") if below is not None else None)
    )
    if low and high:
        return f" in {low[0]}, {high[0]}"
    return f" {(low or high)[1]}" if (low or high) else ""


def check_real(value, name: str, *, minimum=None, maximum=None, above=None, below=None) -> float:
    """Return ``value`` as a float if it is a real number (not a bool), finite and in range.

    ``minimum`` / ``maximum`` are inclusive bounds, ``above`` / ``below`` exclusive ones
    (give at most one of each pair). A non-number raises ``TypeError``; NaN, infinity or
    a value out of range raises ``ValueError`` saying the range, e.g.
    ``target must be a finite number in (0, 1], got 1.5``. The one range check of ``utils``.
    """
    if minimum is not None and above is not None or maximum is not None and below is not None:
        raise ValueError(
            "give at most one lower bound (minimum or above) and one upper bound (maximum or below)"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    ok = math.isfinite(value) and not (
        (minimum is not None and value < minimum)
        or (above is not None and value <= above)
        or (maximum is not None and value > maximum)
        or (below is not None and value >= below)
    )
    if not ok:
        wanted = _range_text(minimum, maximum, above, below)
        raise ValueError(f"{name} must be a finite number{wanted}, got {value}")
    return value


def check_positive_real(value, name: str) -> float:
    """Return ``value`` as a float if it is a real number (not a bool), finite and > 0."""
    return check_real(value, name, above=0)


def check_module(model, name: str = "model"):
    """Return ``model`` if it is a ``torch.nn.Module``, else raise ``TypeError``."""
    import torch.nn as nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    return model

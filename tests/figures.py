"""Compare a re-drawn figure with the stored one (nbval itself skips image/png)."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

#: A pixel "differs" when one of its channels moves by more than this many levels.
LEVEL = 24
#: A figure "changed" when more than this fraction of its pixels differ.
MAX_FRACTION = 0.001


def decode_png(data: str | bytes) -> np.ndarray:
    """Base64 PNG (as stored in a notebook) -> RGBA uint8 array."""
    raw = base64.b64decode(data if isinstance(data, (bytes, str)) else "")
    with Image.open(io.BytesIO(raw)) as im:
        return np.asarray(im.convert("RGBA"))


def png_difference(stored: str, fresh: str) -> str | None:
    """Return why two base64 PNGs differ beyond the tolerance, or None when they match."""
    if stored == fresh:
        return None
    a, b = decode_png(stored), decode_png(fresh)
    if a.shape != b.shape:
        return f"figure size changed: stored {a.shape[1]}x{a.shape[0]}, now {b.shape[1]}x{b.shape[0]}"
    differs = (np.abs(a.astype(np.int16) - b.astype(np.int16)) > LEVEL).any(axis=-1)
    fraction = differs.mean()
    if fraction > MAX_FRACTION:
        return f"figure changed: {fraction:.2%} of its pixels differ (tolerance {MAX_FRACTION:.2%})"
    return None


def compare_figures(fresh_outputs, stored_outputs) -> list[str]:
    """Problems found comparing the image/png outputs of one cell, in order."""

    def pngs(outputs):
        return [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]

    stored, fresh = pngs(stored_outputs), pngs(fresh_outputs)
    if len(stored) != len(fresh):
        return [f"the cell drew {len(fresh)} figure(s), the stored page has {len(stored)}"]
    problems = []
    for i, (s, f) in enumerate(zip(stored, fresh), start=1):
        why = png_difference(s, f)
        if why:
            problems.append(f"figure {i}: {why}")
    return problems

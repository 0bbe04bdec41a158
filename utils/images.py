"""Image types and conversions: Pillow, numpy, OpenCV, matplotlib, scikit-image, torch, TF.

Taught on: "Image formats and conversions (图像格式转换)". Every library stores a picture
a little differently: Pillow's ``size`` is (W, H) while arrays are (H, W, C); OpenCV keeps
BGR channel order; matplotlib reads PNG files as float32 in [0, 1]; torch models expect
float CHW tensors in [0, 1]. The helpers here make each of those assumptions explicit:

* :func:`to_uint8`: any real array -> uint8 with stated rules (no silent wrap-around);
* :func:`to_gray`: RGB -> grey exactly as Pillow, OpenCV or libpng compute it;
* :func:`invert`: the negative of an image, by dtype;
* :func:`describe_image`: a stable one-line description of a PIL image, array or tensor;
* :func:`to_array`, :func:`to_pil`, :func:`to_tensor`, :func:`to_tf`: conversions;
* :func:`channel_order`, :func:`reading_conventions`: what a reader returned;
* :func:`all_colours`: the 2**24 RGB colours as one image, for exhaustive checks.

torch and TensorFlow are imported only by the functions that build their tensors, so
importing this module stays cheap.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ._checks import as_float_array
from .color import LUMA_WEIGHTS

#: Scales understood by :func:`to_uint8`.
SCALES = ("auto", "unit", "byte")
#: Grey conversions of :func:`to_gray`.
GRAY_METHODS = ("pillow", "opencv", "libpng", "bt601")
#: Pillow modes that :func:`to_tensor` and :func:`to_tf` accept (8 bits per band).
EIGHT_BIT_MODES = ("L", "LA", "RGB", "RGBA")


def _fixed_weights(bits: int, rounding: bool) -> tuple[int, int, int]:
    """BT.601 luma weights as integers summing to ``2**bits`` (blue takes the remainder)."""
    one = 1 << bits
    r, g = (w * one for w in LUMA_WEIGHTS[:2])
    r, g = (int(np.floor(r + 0.5)), int(np.floor(g + 0.5))) if rounding else (int(r), int(g))
    return r, g, one - r - g


#: method -> (integer weights for R, G, B; right shift; rounded (add half) or truncated).
#: Pillow's ``convert('L')``: 16-bit weights, rounded. OpenCV's ``cvtColor(..., RGB2GRAY)``
#: on uint8: 15-bit weights, rounded. libpng's rgb-to-grey (what ``cv2.imread(path, 0)``
#: does for PNG files): 15-bit weights cut from 0.299 and 0.587, result truncated.
FIXED_POINT = {
    "pillow": (_fixed_weights(16, True), 16, True),
    "opencv": (_fixed_weights(15, True), 15, True),
    "libpng": (_fixed_weights(15, False), 15, False),
}


def all_colours() -> np.ndarray:
    """Every 24-bit RGB colour exactly once: a 4096 x 4096 x 3 uint8 image (R slowest, B fastest)."""
    levels = np.arange(256, dtype=np.uint8)
    cube = np.empty((256, 256, 256, 3), np.uint8)
    cube[..., 0] = levels[:, None, None]
    cube[..., 1] = levels[None, :, None]
    cube[..., 2] = levels
    return cube.reshape(4096, 4096, 3)


# ----------------------------------------------------------------------------- dtypes
def to_uint8(array, *, scale: str = "auto", clip: bool = False) -> np.ndarray:
    """Convert a real array to uint8 pixel levels 0..255 by explicit rules; returns a new array.

    * ``bool``: False -> 0, True -> 255.
    * ``scale="unit"``: values are on [0, 1] and are multiplied by 255 (any real dtype).
    * ``scale="byte"``: values are already levels on 0..255 (integers kept, floats rounded).
    * ``scale="auto"`` (default): integer arrays are levels ("byte"); a float array is
      "unit" when all its values lie in [0, 1], else "byte". (A very dark float image on
      0..255 would be read as unit-scaled: pass ``scale="byte"`` when that can happen.)

    Floats are scaled in float64 and rounded to the nearest level (ties to even, as
    ``np.rint`` and ``skimage.img_as_ubyte`` do). NaN always raises ``ValueError``. Levels outside
    0..255 after scaling and rounding raise ``ValueError`` unless ``clip=True``, which
    clips them. ``astype(np.uint8)`` would instead wrap integers (300 -> 44) and
    truncate floats (0.9 -> 0).
    """
    if isinstance(array, (str, bytes)):
        raise TypeError(f"array must be a numeric array, got {type(array).__name__}")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if not isinstance(clip, bool):
        raise TypeError(f"clip must be a bool, got {type(clip).__name__}")
    arr = np.asarray(array)
    kind = arr.dtype.kind
    if kind == "b":
        return arr.astype(np.uint8) * np.uint8(255)
    if kind not in "iuf":
        raise TypeError(f"array must hold real numbers or booleans, got dtype {arr.dtype}")
    if arr.size == 0:
        return arr.astype(np.uint8)
    if kind in "iu" and scale != "unit":
        lo, hi = int(arr.min()), int(arr.max())
        if lo >= 0 and hi <= 255:
            return arr.astype(np.uint8)
        if not clip:
            raise ValueError(
                f"integer levels must lie in 0..255, got range [{lo}, {hi}] ({arr.dtype}); "
                "pass clip=True to clip, or rescale first (e.g. uint16 // 257)"
            )
        return (
            np.minimum(arr, np.uint64(255)) if kind == "u" else np.clip(arr.astype(np.int64), 0, 255)
        ).astype(np.uint8)
    values = arr.astype(np.float64)
    if np.isnan(values).any():
        raise ValueError(f"array contains NaN ({int(np.isnan(values).sum())} values); no pixel level fits")
    if scale == "auto":
        scale = "unit" if values.min() >= 0 and values.max() <= 1 else "byte"
    if scale == "unit":
        values = values * 255.0
    values = np.rint(values)
    lo, hi = values.min(), values.max()
    if (lo < 0 or hi > 255) and not clip:
        where = "after multiplying by 255 " if scale == "unit" else ""
        raise ValueError(
            f"levels must lie in 0..255 {where}(scale={scale!r}), got range "
            f"[{lo:.4g}, {hi:.4g}]; pass clip=True to clip"
        )
    return np.clip(values, 0, 255).astype(np.uint8)


def _rgb_uint8(rgb, name: str = "rgb") -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        raise TypeError(f"{name} must be a uint8 array (use to_uint8 first), got dtype {arr.dtype}")
    if arr.ndim < 1 or arr.shape[-1] != 3:
        hint = "; drop the alpha channel with rgb[..., :3]" if arr.ndim >= 1 and arr.shape[-1] == 4 else ""
        raise ValueError(f"{name} must have a last axis of length 3 (R, G, B), got shape {arr.shape}{hint}")
    return arr


def to_gray(rgb, method: str = "pillow") -> np.ndarray:
    """Grey levels of an RGB image (last axis R, G, B) with the BT.601 luma weights.

    ``method`` picks whose arithmetic is reproduced, bit for bit:

    * ``"pillow"``: ``Image.convert('L')``, L = R*299/1000 + G*587/1000 + B*114/1000 in
      16-bit fixed point (weights 19595, 38470, 7471), rounded;
    * ``"opencv"``: ``cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)`` on uint8 (15-bit weights
      9798, 19235, 3735, rounded);
    * ``"libpng"``: what ``cv2.imread(path, 0)`` returns for an RGB PNG file (15-bit
      weights 9797, 19234, 3737, truncated);
    * ``"bt601"``: the exact float 0.299 R + 0.587 G + 0.114 B, not rounded.

    The integer methods need uint8 input and return uint8; ``"bt601"`` takes any real
    array and returns float64.
    """
    if method not in GRAY_METHODS:
        raise ValueError(f"method must be one of {GRAY_METHODS}, got {method!r}")
    if method == "bt601":
        arr = as_float_array(rgb, "rgb")
        if arr.ndim < 1 or arr.shape[-1] != 3:
            raise ValueError(f"rgb must have a last axis of length 3 (R, G, B), got shape {arr.shape}")
        return arr @ LUMA_WEIGHTS
    arr = _rgb_uint8(rgb)
    (wr, wg, wb), shift, rounded = FIXED_POINT[method]
    total = arr[..., 0].astype(np.uint32) * np.uint32(wr)  # one channel at a time: less memory
    total += arr[..., 1].astype(np.uint32) * np.uint32(wg)
    total += arr[..., 2].astype(np.uint32) * np.uint32(wb)
    if rounded:
        total += 1 << (shift - 1)
    return (total >> shift).astype(np.uint8)


def invert(img) -> np.ndarray:
    """The negative of an image array, by dtype; returns a new array of the same dtype.

    unsigned ints: ``max - img`` (255 - img for uint8, never wraps); bool: ``~img``;
    floats: ``1 - img``, values must lie in [0, 1]. Signed ints have no fixed white
    level and are refused (convert with :func:`to_uint8` first).
    """
    if isinstance(img, (str, bytes)):
        raise TypeError(f"img must be an image array, got {type(img).__name__}")
    arr = np.asarray(img)
    kind = arr.dtype.kind
    if kind == "b":
        return ~arr
    if kind == "u":
        return np.iinfo(arr.dtype).max - arr
    if kind == "f":
        if arr.size and (np.isnan(arr).any() or arr.min() < 0 or arr.max() > 1):
            raise ValueError(
                "a float image to invert must lie in [0, 1] (no NaN); divide 0..255 images by 255"
            )
        return (1 - arr).astype(arr.dtype)
    if kind == "i":
        raise TypeError(f"signed integer images ({arr.dtype}) have no fixed white level; use to_uint8 first")
    raise TypeError(f"img must hold numbers or booleans, got dtype {arr.dtype}")


# -------------------------------------------------------------------- kinds of object
def _torch_tensor(obj) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _tf_tensor(obj) -> bool:
    return type(obj).__module__.startswith("tensorflow") and hasattr(obj, "dtype") and hasattr(obj, "shape")


def _pil_image(obj) -> bool:
    image = sys.modules.get("PIL.Image")
    return image is not None and isinstance(obj, image.Image)


def _tf_values(t) -> np.ndarray:
    if not hasattr(t, "numpy"):
        raise TypeError(
            "a symbolic TensorFlow tensor (TF1 graph) has no values; run it eagerly or in a session"
        )
    return np.asarray(t.numpy())


def _layout(shape: tuple[int, ...], channels_first: bool) -> str:
    """Name the axes of an image of this shape; ambiguous shapes follow the library's habit."""
    if len(shape) == 2:
        return "HW"
    if len(shape) not in (3, 4):
        return "?"
    batch = "N" if len(shape) == 4 else ""
    first, last = shape[-3], shape[-1]
    chw, hwc = first in (1, 3, 4), last in (1, 3, 4)
    if chw and (channels_first or not hwc):
        return batch + "CHW"
    if hwc:
        return batch + "HWC"
    return "?"


def _value_range(arr: np.ndarray) -> str:
    if arr.size == 0:
        return "empty"
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint8)
    if arr.dtype.kind in "iu":
        return f"[{int(arr.min())}, {int(arr.max())}]"
    if arr.dtype.kind != "f":
        return "?"
    finite = arr[~np.isnan(arr)]
    if finite.size == 0:
        return "all NaN"
    text = f"[{float(finite.min()):.4g}, {float(finite.max()):.4g}]"
    return text + (" with NaN" if finite.size < arr.size else "")


def describe_image(obj: Any) -> str:
    """One stable line: type, shape (and its axis order), dtype, value range, channel order.

    Knows PIL images (channel order from the mode; ``size`` is (W, H)), numpy arrays,
    torch tensors and eager TensorFlow tensors. The axis order of arrays is guessed from
    the shape (a small first axis in torch means CHW, a small last axis elsewhere HWC);
    an array does not know its channel order (OpenCV's are BGR), so it says "unknown".
    The device of a torch tensor is left out so the line is the same on CPU and GPU.
    """
    if _pil_image(obj):
        arr = np.asarray(obj)
        bands = "".join(obj.getbands())
        channels = "palette indices" if obj.mode == "P" else bands
        return (
            f"PIL.Image: mode {obj.mode}, size (W, H) = {obj.size}, as array {arr.shape} "
            f"{_layout(arr.shape, False)}, {arr.dtype}, range {_value_range(arr)}, channels {channels}"
        )
    if isinstance(obj, np.ndarray):
        name, arr, first, dtype = "numpy.ndarray", obj, False, str(obj.dtype)
    elif _torch_tensor(obj):
        arr = obj.detach().cpu().numpy()
        name, first, dtype = "torch.Tensor", True, str(obj.dtype).removeprefix("torch.")
    elif _tf_tensor(obj):
        arr = _tf_values(obj)
        name, first, dtype = "tf.Tensor", False, str(arr.dtype)
    else:
        raise TypeError(
            "describe_image expects a PIL image, numpy array, torch tensor or TensorFlow "
            f"tensor, got {type(obj).__name__}"
        )
    return (
        f"{name}: shape {tuple(arr.shape)} {_layout(tuple(arr.shape), first)}, {dtype}, "
        f"range {_value_range(arr)}, channels unknown"
    )


# ------------------------------------------------------------------------ conversions
def to_array(obj: Any) -> np.ndarray:
    """A PIL image, array, torch tensor or TF tensor as a numpy array in HWC (or HW) order.

    Values and dtype are kept. Assumes torch tensors are CHW (or HW) and TF tensors HWC
    (or HW), the frameworks' habits; a batch axis is refused. PIL images give
    ``np.array(img)``: (H, W) for one band, (H, W, bands) otherwise, palette images
    ('P') give their indices, not colours.
    """
    if _pil_image(obj):
        return np.array(obj)
    if isinstance(obj, np.ndarray):
        arr = obj.copy()
    elif _torch_tensor(obj):
        t = obj.detach().cpu()
        if t.ndim == 3:
            t = t.permute(1, 2, 0)
        arr = t.numpy().copy()
    elif _tf_tensor(obj):
        arr = _tf_values(obj).copy()
    else:
        raise TypeError(
            f"to_array expects a PIL image, numpy array, torch or TF tensor, got {type(obj).__name__}"
        )
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"expected one image with 2 or 3 axes (HW, HWC or CHW for torch), got shape {arr.shape}"
        )
    return arr


def _single_image_hwc(arr: np.ndarray) -> np.ndarray:
    """Check an array is one HW or HWC image with 1, 3 or 4 channels; name the likely mistake."""
    if arr.ndim == 3 and arr.shape[-1] not in (1, 2, 3, 4):
        if arr.shape[0] in (1, 3, 4):
            raise ValueError(
                f"got shape {arr.shape}: this looks like CHW; transpose to HWC with arr.transpose(1, 2, 0)"
                + (" or drop the axis with np.squeeze" if arr.shape[0] == 1 else "")
            )
        raise ValueError(f"expected HW or HWC with 1 to 4 channels, got shape {arr.shape}")
    if arr.ndim not in (2, 3):
        raise ValueError(f"expected one image with shape (H, W) or (H, W, C), got shape {arr.shape}")
    return arr


def to_pil(obj: Any, *, scale: str = "auto", clip: bool = False):
    """A PIL image (mode L, LA, RGB or RGBA) from an array or tensor, by explicit rules.

    The values go through :func:`to_uint8` (``scale``, ``clip``); a single channel axis
    is squeezed to an (H, W) grey image; a CHW array is refused with a hint, since
    ``Image.fromarray`` only understands (H, W) and (H, W, C).
    """
    from PIL import Image

    if _pil_image(obj):
        return obj.copy()
    arr = _single_image_hwc(to_array(obj))
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    return Image.fromarray(to_uint8(arr, scale=scale, clip=clip))


def _unit_float_hwc(obj: Any) -> np.ndarray:
    """HWC float32 in [0, 1] from a PIL image (8-bit modes) or a uint8 / [0, 1] float array."""
    if _pil_image(obj) and obj.mode not in EIGHT_BIT_MODES:
        raise ValueError(
            f"PIL mode {obj.mode!r} is not 8 bits per band; convert to one of {EIGHT_BIT_MODES} first"
        )
    if _torch_tensor(obj) or _tf_tensor(obj):
        raise TypeError("expected a PIL image or a numpy array; for a tensor use to_array first")
    arr = to_array(obj) if _pil_image(obj) else np.asarray(obj) if isinstance(obj, np.ndarray) else None
    if arr is None:
        raise TypeError(f"expected a PIL image or a numpy array, got {type(obj).__name__}")
    arr = _single_image_hwc(arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255)
    if arr.dtype.kind != "f":
        raise TypeError(
            f"expected uint8 (levels 0..255) or float in [0, 1], got dtype {arr.dtype}; use to_uint8 first"
        )
    if arr.size and (np.isnan(arr).any() or arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            "a float image must already lie in [0, 1] (no NaN); a 0..255 float image needs to_uint8 first"
        )
    return arr.astype(np.float32)


def to_tensor(obj: Any, device=None):
    """torch float32 CHW tensor in [0, 1] from a PIL image or an HW/HWC array (torchvision's ToTensor rules).

    uint8 levels are divided by 255; float arrays must already lie in [0, 1] and are
    only cast to float32 (ToTensor keeps them too); other dtypes are refused. An (H, W)
    image gets one channel axis: (1, H, W). ``device`` is where the tensor goes.
    """
    from .training import as_tensor

    return as_tensor(_unit_float_hwc(obj).transpose(2, 0, 1), device=device)


def to_tf(obj: Any):
    """TensorFlow float32 HWC tensor in [0, 1] (``tf.image.convert_image_dtype`` rules).

    Same input rules as :func:`to_tensor`, but the axes stay (H, W, C), TensorFlow's
    default layout. Imports TensorFlow (a few seconds the first time).
    """
    hwc = _unit_float_hwc(obj)
    import tensorflow as tf

    return tf.convert_to_tensor(hwc)


# ---------------------------------------------------------------- what readers return
def channel_order(read, reference_rgb) -> str:
    """'RGB', 'BGR', 'gray' or 'other': how an image read from disk relates to its known RGB source.

    ``read`` is what a reader returned (uint8 levels or floats on [0, 1]), ``reference_rgb``
    the uint8 RGB array that was written. Channels are compared within one level.
    """
    ref = _rgb_uint8(reference_rgb, "reference_rgb")
    arr = np.asarray(read)
    if arr.dtype.kind not in "uif":
        raise TypeError(f"read must be a numeric array, got dtype {arr.dtype}")
    levels = arr.astype(np.float64) * (255 if arr.dtype.kind == "f" else 1)
    if levels.shape[:2] != ref.shape[:2]:
        raise ValueError(f"read has height and width {levels.shape[:2]}, the reference {ref.shape[:2]}")
    if levels.ndim == 2:
        return "gray"
    levels = levels[..., :3]
    ref = ref.astype(np.float64)
    if np.abs(levels - ref).max() <= 1:
        return "RGB"
    if np.abs(levels - ref[..., ::-1]).max() <= 1:
        return "BGR"
    return "other"


def _readers() -> dict[str, Any]:
    import cv2
    import matplotlib.image as mpimg
    from PIL import Image
    from skimage import io

    return {
        "np.array(Image.open(p))": lambda p: np.array(Image.open(p)),
        "cv2.imread(p)": lambda p: cv2.imread(str(p)),
        "cv2.imread(p, 0)": lambda p: cv2.imread(str(p), 0),
        "mpimg.imread(p)": mpimg.imread,
        "skimage.io.imread(p)": io.imread,
    }


def reading_conventions(path, reference_rgb) -> list[tuple[str, str, str, str, str, str, str]]:
    """Read one image file with Pillow, OpenCV, matplotlib and scikit-image and report what came back.

    ``reference_rgb`` is the uint8 RGB array that was written to ``path`` (lossless, e.g.
    PNG). Rows of (call, type, shape, axes, dtype, range, channel order), all measured
    from the returned objects: first ``Image.open`` itself (its ``size`` is (W, H), its
    channel order comes from its mode), then one row per array reader, then
    :func:`to_tensor` of the Pillow read.
    """
    from pathlib import Path

    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path.name!r}")
    with Image.open(path) as img:
        rows = [
            (
                "Image.open(p)",
                type(img).__name__,
                f"size {img.size}",
                "WH",
                f"mode {img.mode}",
                "n/a",
                "".join(img.getbands()),
            )
        ]
    readers = _readers()
    for call, read in readers.items():
        arr = read(path)
        if arr is None:
            raise ValueError(f"{call} could not read {path.name!r}")
        rows.append(
            (
                call,
                type(arr).__name__,
                str(arr.shape),
                _layout(arr.shape, False),
                str(arr.dtype),
                _value_range(arr),
                channel_order(arr, reference_rgb),
            )
        )
    t = to_tensor(readers["np.array(Image.open(p))"](path))
    rows.append(
        (
            "to_tensor(np.array(...))",
            type(t).__name__,
            str(tuple(t.shape)),
            "CHW",
            str(t.dtype).removeprefix("torch."),
            _value_range(t.numpy()),
            channel_order(t.permute(1, 2, 0).numpy(), reference_rgb),
        )
    )
    return rows

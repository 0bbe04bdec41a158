"""The 8x8 discrete cosine transform and a numpy model of JPEG's luminance path.

Taught on: "The DCT and JPEG (图像的DCT)". The DCT-II here is the orthonormal one
(``scipy.fft.dct(x, norm="ortho")``); the quantisation tables are those of the JPEG
standard (ITU-T T.81, Annex K) scaled by quality the way libjpeg's ``jpeg_set_quality``
does, so :func:`jpeg_roundtrip` can be compared with a real encoder (Pillow). The block
transforms are vectorised: an image is reshaped into a stack of blocks and transformed
with two matrix products, with no Python loop over blocks.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_int

#: JPEG standard luminance quantisation table (ITU-T T.81, Annex K, Table K.1), natural
#: (row-major) order; row = vertical frequency, column = horizontal frequency.
JPEG_LUMA_TABLE = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.int64,
)


def dct_matrix(n: int = 8) -> np.ndarray:
    """Orthonormal DCT-II matrix ``C`` (n x n): ``C @ x == scipy.fft.dct(x, norm="ortho")``.

    Row ``k`` is the k-th cosine basis vector ``a_k cos(pi (2i + 1) k / 2n)`` with
    ``a_0 = sqrt(1/n)`` and ``a_k = sqrt(2/n)`` otherwise, so ``C @ C.T`` is the identity
    and the inverse transform is ``C.T``.
    """
    n = check_int(n, "n", minimum=1)
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    c = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    c[0, :] = np.sqrt(1.0 / n)
    return c


def _check_block(block) -> int:
    return check_int(block, "block", minimum=1)


def block_dct(image, block: int = 8) -> np.ndarray:
    """2-D DCT of every ``block x block`` tile of a 2-D image, vectorised.

    ``image`` of shape (H, W) with H and W multiples of ``block`` gives coefficients of
    shape (H // block, W // block, block, block); ``coeffs[i, j]`` is the orthonormal
    2-D DCT-II of ``image[i*block:(i+1)*block, j*block:(j+1)*block]``.
    """
    block = _check_block(block)
    x = as_float_array(image, "image")
    if x.ndim != 2 or x.shape[0] % block or x.shape[1] % block or x.size == 0:
        raise ValueError(
            f"image must be a non-empty 2-D array whose sides are multiples of block={block}, "
            f"got shape {x.shape}"
        )
    h, w = x.shape
    tiles = x.reshape(h // block, block, w // block, block).swapaxes(1, 2)
    c = dct_matrix(block)
    return c @ tiles @ c.T


def block_idct(coeffs, block: int = 8) -> np.ndarray:
    """Inverse of :func:`block_dct`: (H//block, W//block, block, block) -> (H, W) image."""
    block = _check_block(block)
    y = as_float_array(coeffs, "coeffs")
    if y.ndim != 4 or y.shape[2:] != (block, block) or y.size == 0:
        raise ValueError(
            f"coeffs must have shape (rows, cols, {block}, {block}) with rows, cols >= 1, got shape {y.shape}"
        )
    c = dct_matrix(block)
    tiles = c.T @ y @ c
    rows, cols = y.shape[:2]
    return tiles.swapaxes(1, 2).reshape(rows * block, cols * block)


def quant_table(quality: int) -> np.ndarray:
    """JPEG luminance table for ``quality`` in 1..100, scaled as libjpeg does (8x8 int array).

    ``scale = 5000 / quality`` below 50 and ``200 - 2 * quality`` from 50 on; each entry
    of the Annex K table becomes ``(t * scale + 50) // 100`` clipped to 1..255 (the
    baseline limit), in natural (row-major) order.
    """
    quality = check_int(quality, "quality", minimum=1, maximum=100)
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return np.clip((JPEG_LUMA_TABLE * scale + 50) // 100, 1, 255)


def zigzag_order(n: int = 8) -> np.ndarray:
    """Flat (row-major) indices of an n x n block in JPEG's zig-zag scan order.

    ``block.ravel()[zigzag_order(n)]`` lists the coefficients from the DC term outwards,
    anti-diagonal by anti-diagonal, alternating direction (T.81, Figure A.6 for n = 8).
    """
    n = check_int(n, "n", minimum=1)
    cells = [(r, c) for r in range(n) for c in range(n)]
    # On anti-diagonal s = r + c, odd s runs down (r increasing), even s runs up.
    cells.sort(key=lambda rc: (rc[0] + rc[1], rc[0] if (rc[0] + rc[1]) % 2 else rc[1]))
    return np.array([r * n + c for r, c in cells], dtype=np.int64)


def energy_compaction(coeffs, k: int) -> float:
    """Fraction of the energy (sum of squares) of block coefficients in the top-left k x k.

    ``coeffs`` has shape (rows, cols, block, block), as returned by :func:`block_dct`;
    ``k = 1`` gives the share of the DC terms. For an orthonormal transform the total
    equals the energy of the image itself (Parseval).
    """
    y = as_float_array(coeffs, "coeffs")
    if y.ndim != 4 or y.shape[2] != y.shape[3] or y.size == 0:
        raise ValueError(f"coeffs must have shape (rows, cols, block, block), got shape {y.shape}")
    k = check_int(k, "k", minimum=1, maximum=y.shape[2])
    total = float(np.sum(y * y))
    if total == 0.0:
        raise ValueError("coeffs are all zero: the energy fraction is undefined")
    return float(np.sum(y[:, :, :k, :k] ** 2)) / total


def _check_gray_uint8(gray) -> np.ndarray:
    arr = np.asarray(gray)
    if arr.dtype != np.uint8:
        raise TypeError(f"gray must be a uint8 array, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"gray must be a non-empty 2-D (grey) image, got shape {arr.shape}")
    return arr


def _pad_to_blocks(gray: np.ndarray, block: int = 8) -> np.ndarray:
    h, w = gray.shape
    return np.pad(gray, ((0, -h % block), (0, -w % block)), mode="edge")


def quantize(coeffs, table) -> np.ndarray:
    """Quantise DCT coefficients by ``table`` (broadcast over blocks), rounding half away from zero.

    This is libjpeg's rounding (``(|x| + q/2) / q`` with the sign put back); the result is
    an int64 array of quantised levels.
    """
    y = as_float_array(coeffs, "coeffs")
    q = as_float_array(table, "table")
    if q.ndim != 2 or y.shape[-2:] != q.shape:
        raise ValueError(f"table of shape {q.shape} does not match blocks of coeffs shape {y.shape}")
    if np.any(q <= 0):
        raise ValueError("table entries must be positive")
    return (np.sign(y) * np.floor(np.abs(y) / q + 0.5)).astype(np.int64)


def jpeg_quantized(gray, quality: int) -> np.ndarray:
    """Quantised DCT levels of a uint8 grey image: (rows, cols, 8, 8) int64.

    Level shift by 128, pad to multiples of 8 by repeating the last row and column
    (as libjpeg does), block DCT, quantise with :func:`quant_table` (``quality``).
    """
    gray = _check_gray_uint8(gray)
    table = quant_table(quality)
    padded = _pad_to_blocks(gray).astype(np.float64) - 128.0
    return quantize(block_dct(padded), table)


def jpeg_roundtrip(gray, quality: int) -> np.ndarray:
    """Encode and decode a uint8 grey image through JPEG's lossy steps (no entropy coding).

    :func:`jpeg_quantized`, then dequantise, inverse block DCT, undo the level shift,
    round, clip to 0..255 and crop to the input's shape. Returns uint8.
    """
    gray = _check_gray_uint8(gray)
    levels = jpeg_quantized(gray, quality)
    recon = block_idct(levels * quant_table(quality)) + 128.0
    h, w = gray.shape
    return np.clip(np.round(recon[:h, :w]), 0, 255).astype(np.uint8)


def blockiness(image, block: int = 8) -> tuple[float, float, float]:
    """Mean absolute step between neighbouring pixels across block borders vs inside blocks.

    Horizontal and vertical neighbour differences are pooled. Returns ``(border, inside,
    border / inside)``; a ratio well above 1 means visible block edges. The image must be
    2-D and at least ``2 * block`` pixels on each side.
    """
    block = check_int(block, "block", minimum=2)
    x = as_float_array(image, "image")
    if x.ndim != 2 or min(x.shape) < 2 * block:
        raise ValueError(f"image must be 2-D with both sides >= {2 * block} (2 * block), got shape {x.shape}")
    border, inside = [], []
    for axis in (0, 1):
        d = np.abs(np.diff(x, axis=axis))
        # d[..., j] is the step between pixel j and j + 1: a border when j + 1 is a multiple of block.
        at_border = (np.arange(d.shape[axis]) + 1) % block == 0
        border.append(np.compress(at_border, d, axis=axis).ravel())
        inside.append(np.compress(~at_border, d, axis=axis).ravel())
    b = float(np.mean(np.concatenate(border)))
    i = float(np.mean(np.concatenate(inside)))
    return b, i, (b / i if i > 0 else float("inf"))


def last_nonzero(levels, order=None) -> np.ndarray:
    """Position of the last non-zero coefficient of each block along a scan order.

    ``levels`` has shape (rows, cols, n, n); ``order`` is a permutation of the n*n flat
    indices (default: row-major raster order; pass :func:`zigzag_order` for JPEG's scan).
    Returns an int array of shape (rows, cols); -1 marks an all-zero block. Everything
    after this position is a single run of zeros, which JPEG codes as one end-of-block.
    """
    y = np.asarray(levels)
    if y.ndim != 4 or y.shape[2] != y.shape[3] or y.size == 0:
        raise ValueError(f"levels must have shape (rows, cols, n, n), got shape {y.shape}")
    n2 = y.shape[2] * y.shape[3]
    order = np.arange(n2) if order is None else np.asarray(order)
    if order.shape != (n2,) or not np.array_equal(np.sort(order), np.arange(n2)):
        raise ValueError(f"order must be a permutation of range({n2}), got shape {order.shape}")
    nz = y.reshape(y.shape[0], y.shape[1], n2)[..., order] != 0
    last = n2 - 1 - np.argmax(nz[..., ::-1], axis=-1)
    return np.where(nz.any(axis=-1), last, -1)


def pillow_jpeg(image, quality: int, subsampling: int | None = None, *, ycbcr: bool = False):
    """Encode ``image`` (uint8, grey 2-D or RGB) with Pillow's JPEG encoder and decode it.

    Returns ``(decoded, nbytes, qtable, sampling)``: the decoded uint8 array (RGB, or
    the raw decoded Y'CbCr planes when ``ycbcr=True``), the file size in bytes, the
    first quantisation table read back from the file as an 8x8 array in natural order,
    and the sampling factors ``(h, v)`` of each component. ``subsampling`` is Pillow's
    0 (4:4:4), 1 (4:2:2), 2 (4:2:0) or None (Pillow's default).
    """
    import io

    from PIL import Image

    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise TypeError(f"image must be a uint8 array, got dtype {arr.dtype}")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)) or arr.size == 0:
        raise ValueError(f"image must be a grey (H, W) or RGB (H, W, 3) array, got shape {arr.shape}")
    quality = check_int(quality, "quality", minimum=1, maximum=100)
    options = {"quality": quality}
    if subsampling is not None:
        options["subsampling"] = check_int(subsampling, "subsampling", minimum=0, maximum=2)
    if ycbcr and arr.ndim == 2:
        raise ValueError("ycbcr=True needs an RGB image (a grey JPEG has no chroma)")
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", **options)
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as im:
        if ycbcr:
            im.draft("YCbCr", im.size)  # skip the decoder's colour conversion
        # Pillow de-zigzags DQT tables on load since 2021 (older releases kept zig-zag order).
        qtable = np.asarray(im.quantization[0], dtype=np.int64).reshape(8, 8)
        sampling = tuple((h, v) for _, h, v, _ in im.layer)
        decoded = np.asarray(im)
    return decoded, len(data), qtable, sampling

"""The discrete Fourier transform as a matrix, and what it does to images.

Taught on: "The Fourier transform (傅里叶变换)". Every transform here uses the unitary
("ortho") convention of ``numpy.fft``: the forward and inverse transforms both carry
a factor ``1/sqrt(n)`` per axis, so the DFT matrix satisfies ``F @ F.conj().T == I``
and Parseval's relation holds without extra factors.

Frequencies are in cycles per pixel (or per sample), as ``numpy.fft.fftfreq`` gives
them: from -0.5 up to (but, for even sizes, not including) +0.5.
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import timing
from ._checks import as_float_array, check_int, check_real

#: Filter kinds accepted by :func:`frequency_mask` and :func:`frequency_filter`.
FILTER_KINDS = ("lowpass", "highpass", "bandpass")
#: Mask profiles: a hard (ideal) cut, or a smooth Gaussian roll-off.
FILTER_PROFILES = ("ideal", "gaussian")


# --------------------------------------------------------------------------- checks
def _as_2d(x, name: str = "x", *, complex_ok: bool = True) -> np.ndarray:
    """A numeric 2-D array (float64 or complex128), or a clear error."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a 2-D numeric array, got {type(x).__name__}")
    arr = np.asarray(x)
    kinds = "iufc" if complex_ok else "iuf"
    if arr.dtype.kind not in kinds:
        what = "real or complex" if complex_ok else "real"
        raise TypeError(f"{name} must be a 2-D array of {what} numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {arr.shape}")
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype.kind == "c":
        return arr.astype(np.complex128)
    return arr.astype(np.float64)


def _as_1d(x, name: str = "x") -> np.ndarray:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D numeric array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "iufc":
        raise TypeError(f"{name} must be a 1-D array of real or complex numbers, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    return arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64)


# --------------------------------------------------------------------------- 1-D
def dft_matrix(n: int) -> np.ndarray:
    """The unitary n×n DFT matrix ``F[j, k] = exp(-2πi jk/n) / sqrt(n)``.

    ``F @ x`` equals ``numpy.fft.fft(x, norm="ortho")``. The exponent is reduced
    modulo n before the exponential, so large n keeps full accuracy.
    """
    n = check_int(n, "n", minimum=1)
    j = np.arange(n)
    phase = np.outer(j, j) % n  # exact integers
    return np.exp(-2j * np.pi * phase / n) / np.sqrt(n)


def dtft(x, omega) -> np.ndarray:
    """Discrete-time Fourier transform ``X(ω) = Σ_n x[n] exp(-iωn)`` of a finite signal.

    ``x`` holds x[0], ..., x[N-1] (zero elsewhere); ``omega`` (radians per sample) may
    be any real array. No normalisation: at ``ω = 2πk/N`` it equals
    ``numpy.fft.fft(x)[k]`` (the default, non-unitary scaling).
    """
    x = _as_1d(x, "x")
    omega = as_float_array(omega, "omega")
    n = np.arange(x.size)
    return np.exp(-1j * np.multiply.outer(omega, n)) @ x


def leakage_fraction(x, freq: float, width: float = 2.0) -> float:
    """Fraction of the DFT energy of ``x`` that lies ``width`` bins or more away from ±freq.

    ``freq`` is in cycles per record (DFT bins, may be fractional). Distances are
    measured around the circle of n bins. A sinusoid with a whole number of cycles in
    the record has zero leakage; a fractional one spreads energy over all bins.
    """
    x = _as_1d(x, "x")
    freq = check_real(freq, "freq")
    width = check_real(width, "width", above=0)
    n = x.size
    power = np.abs(np.fft.fft(x)) ** 2
    total = power.sum()
    if total == 0:
        raise ValueError("x is all zeros: its leakage is undefined")
    k = np.arange(n)

    def dist(f):
        d = np.abs(k - f) % n
        return np.minimum(d, n - d)

    outside = (dist(freq) >= width) & (dist(-freq) >= width)
    return float(power[outside].sum() / total)


def square_wave_series(t, n_terms: int, form: str = "trig") -> np.ndarray:
    """Partial Fourier series of the ±1 square wave of period 1 (+1 on (0, ½), -1 on (½, 1)).

    Sums the first ``n_terms`` odd harmonics k = 1, 3, ..., 2·n_terms-1, either as the
    sine series ``(4/π) Σ sin(2πkt)/k`` (``form="trig"``) or, through Euler's formula,
    as complex exponentials ``Σ c_k exp(2πikt)`` over ±k with ``c_k = 2/(iπk)``
    (``form="complex"``; the imaginary parts cancel and the real part is returned).
    """
    t = as_float_array(t, "t")
    n_terms = check_int(n_terms, "n_terms", minimum=1)
    if form not in ("trig", "complex"):
        raise ValueError(f"form must be 'trig' or 'complex', got {form!r}")
    k = np.arange(1, 2 * n_terms, 2, dtype=np.float64)
    arg = 2 * np.pi * np.multiply.outer(t, k)
    if form == "trig":
        return (4 / np.pi) * (np.sin(arg) / k).sum(axis=-1)
    c = 2 / (1j * np.pi * k)  # c_{-k} = conj(c_k) for a real signal
    total = (c * np.exp(1j * arg) + np.conj(c) * np.exp(-1j * arg)).sum(axis=-1)
    return total.real


# --------------------------------------------------------------------------- 2-D
def dft2(x) -> np.ndarray:
    """2-D unitary DFT computed with DFT matrices: ``F_H @ x @ F_W``.

    Equals ``numpy.fft.fft2(x, norm="ortho")`` (O(H·W·(H+W)) work instead of the
    FFT's O(H·W·log(H·W))). ``x`` must be a 2-D real or complex array.
    """
    x = _as_2d(x, "x")
    h, w = x.shape
    return dft_matrix(h) @ x @ dft_matrix(w)  # F is symmetric: F.T == F


def idft2(coeffs) -> np.ndarray:
    """Inverse of :func:`dft2` with the conjugate DFT matrices; returns a complex array.

    Equals ``numpy.fft.ifft2(coeffs, norm="ortho")``. Take ``.real`` when the
    coefficients came from a real image.
    """
    coeffs = _as_2d(coeffs, "coeffs")
    h, w = coeffs.shape
    return dft_matrix(h).conj() @ coeffs @ dft_matrix(w).conj()


def spectra(image) -> tuple[np.ndarray, np.ndarray]:
    """Centred (``fftshift``-ed) log-magnitude ``log(1 + |X|)`` and phase (radians) of an image.

    ``X`` is the unscaled DFT (``numpy.fft.fft2``'s default), as in Gonzalez & Woods: with the
    unitary scaling most magnitudes are below 1 and ``log(1 + |X|)`` would flatten them.
    """
    image = _as_2d(image, "image", complex_ok=False)
    coeffs = np.fft.fftshift(np.fft.fft2(image))
    return np.log1p(np.abs(coeffs)), np.angle(coeffs)


def basis_image(n: int, u: int, v: int) -> np.ndarray:
    """The complex n×n DFT basis image of row frequency u and column frequency v.

    ``B[r, c] = exp(2πi (u·r + v·c) / n) / n``: unit norm, orthogonal to every other
    (u, v) under the Hermitian inner product, and ``image = Σ dft2(image)[u, v] · B_uv``.
    """
    n = check_int(n, "n", minimum=1)
    u = check_int(u, "u", minimum=0, maximum=n - 1)
    v = check_int(v, "v", minimum=0, maximum=n - 1)
    r = np.arange(n)
    return np.outer(np.exp(2j * np.pi * (u * r % n) / n), np.exp(2j * np.pi * (v * r % n) / n)) / n


def basis_images(n: int) -> np.ndarray:
    """All n² basis images of :func:`basis_image`, shaped ``(n, n, n, n)`` as ``[u, v, r, c]``."""
    n = check_int(n, "n", minimum=1)
    if n > 64:
        raise ValueError(f"n must be <= 64 (the stack holds n**4 complex numbers), got {n}")
    f = dft_matrix(n).conj()  # f[u, r] = exp(2πi u r / n) / sqrt(n)
    return np.einsum("ur,vc->uvrc", f, f)


def sum_of_basis_images(coeffs) -> np.ndarray:
    """Synthesise ``Σ_uv coeffs[u, v] · basis_image(n, u, v)`` term by term (complex result).

    ``coeffs`` must be square (n×n, n ≤ 64). The explicit sum over basis images is the
    note's "image = weighted sum of orthogonal basis images"; it equals :func:`idft2`.
    """
    coeffs = _as_2d(coeffs, "coeffs")
    if coeffs.shape[0] != coeffs.shape[1]:
        raise ValueError(f"coeffs must be square, got shape {coeffs.shape}")
    return np.einsum("uv,uvrc->rc", coeffs, basis_images(coeffs.shape[0]))


def keep_largest(coeffs, k: int) -> np.ndarray:
    """A copy of ``coeffs`` with all but its ``k`` largest-magnitude entries set to zero.

    Ties are broken by position (row-major order), so the result is deterministic.
    """
    coeffs = _as_2d(coeffs, "coeffs")
    k = check_int(k, "k", minimum=0, maximum=coeffs.size)
    order = np.argsort(-np.abs(coeffs).ravel(), kind="stable")
    out = np.zeros_like(coeffs)
    keep = order[:k]
    out.ravel()[keep] = coeffs.ravel()[keep]
    return out


def phase_swap(a, b) -> np.ndarray:
    """The real image with the Fourier magnitude of ``a`` and the Fourier phase of ``b``.

    ``a`` and ``b`` are real 2-D arrays of the same shape (Oppenheim & Lim 1981's
    experiment). Where a coefficient of ``b`` is zero its phase is taken as 0.
    """
    a = _as_2d(a, "a", complex_ok=False)
    b = _as_2d(b, "b", complex_ok=False)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    mixed = np.abs(np.fft.fft2(a)) * np.exp(1j * np.angle(np.fft.fft2(b)))
    return np.fft.ifft2(mixed).real


# --------------------------------------------------------------------------- filtering
def frequency_radius(shape, centred: bool = True) -> np.ndarray:
    """Distance of every DFT bin from the zero frequency, in cycles per pixel.

    ``centred=True`` returns it in ``fftshift`` order (zero frequency in the middle, as
    spectra are displayed); ``False`` in ``numpy.fft`` order (zero frequency at [0, 0]).
    """
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape must be a (height, width) pair, got {shape!r}")
    h = check_int(shape[0], "height", minimum=1)
    w = check_int(shape[1], "width", minimum=1)
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    r = np.hypot(fy, fx)
    return np.fft.fftshift(r) if centred else r


def frequency_mask(shape, kind: str, cutoff, profile: str = "ideal", centred: bool = True) -> np.ndarray:
    """A real, radially symmetric filter mask on the DFT grid of an image of ``shape``.

    ``kind`` is ``"lowpass"``, ``"highpass"`` (``cutoff`` a radius in cycles per pixel,
    0 < cutoff) or ``"bandpass"`` (``cutoff = (low, high)``, 0 < low < high).
    ``profile="ideal"`` passes radii ``r <= cutoff`` (low-pass) with a hard edge;
    ``"gaussian"`` uses ``exp(-r²/(2·cutoff²))`` (Gonzalez & Woods), high-pass is one
    minus low-pass and band-pass the difference of two low-passes.
    """
    if kind not in FILTER_KINDS:
        raise ValueError(f"kind must be one of {FILTER_KINDS}, got {kind!r}")
    if profile not in FILTER_PROFILES:
        raise ValueError(f"profile must be one of {FILTER_PROFILES}, got {profile!r}")
    r = frequency_radius(shape, centred=centred)

    def lowpass(c):
        if profile == "ideal":
            return (r <= c).astype(np.float64)
        return np.exp(-(r**2) / (2 * c**2))

    if kind == "bandpass":
        if not isinstance(cutoff, (tuple, list)) or len(cutoff) != 2:
            raise ValueError(f"a bandpass cutoff must be a (low, high) pair, got {cutoff!r}")
        low, high = (check_real(c, "cutoff") for c in cutoff)
        if not 0 < low < high:
            raise ValueError(f"bandpass cutoffs must satisfy 0 < low < high, got ({low}, {high})")
        return lowpass(high) - lowpass(low)
    cutoff = check_real(cutoff, "cutoff", above=0)
    return lowpass(cutoff) if kind == "lowpass" else 1.0 - lowpass(cutoff)


def frequency_filter(image, kind: str, cutoff, profile: str = "ideal") -> np.ndarray:
    """Filter a real image by multiplying its DFT with :func:`frequency_mask`; real result.

    The mask is real and even, so the filtered image is real (the imaginary part left by
    rounding, ~1e-16, is dropped). Equivalent to circular convolution with the kernel
    ``ifft2(mask)`` (the convolution theorem).
    """
    image = _as_2d(image, "image", complex_ok=False)
    mask = frequency_mask(image.shape, kind, cutoff, profile=profile, centred=False)
    return np.fft.ifft2(np.fft.fft2(image) * mask).real


def circular_convolve2d(x, kernel, method: str = "fft", centred: bool = False) -> np.ndarray:
    """Circular (wrap-around) 2-D convolution ``y[m, n] = Σ_ij k[i, j] · x[(m-i) % H, (n-j) % W]``.

    ``kernel`` may be smaller than ``x``; its tap [0, 0] sits at the origin, or with
    ``centred=True`` its tap [kh//2, kw//2] does (then, for odd sizes, it equals
    ``scipy.ndimage.convolve(x, kernel, mode="wrap")``). ``method="fft"`` multiplies
    the DFTs (O(HW log HW)); ``"direct"`` adds one shifted copy of ``x`` per non-zero
    tap. Real inputs give a real result.
    """
    x = _as_2d(x, "x")
    kernel = _as_2d(kernel, "kernel")
    if method not in ("fft", "direct"):
        raise ValueError(f"method must be 'fft' or 'direct', got {method!r}")
    (h, w), (kh, kw) = x.shape, kernel.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel shape {kernel.shape} must not exceed the signal's shape {x.shape}")
    ci, cj = (kh // 2, kw // 2) if centred else (0, 0)
    real = x.dtype.kind == "f" and kernel.dtype.kind == "f"
    if method == "fft":
        padded = np.zeros((h, w), dtype=kernel.dtype)
        padded[:kh, :kw] = kernel
        padded = np.roll(padded, (-ci, -cj), axis=(0, 1))
        y = np.fft.ifft2(np.fft.fft2(x) * np.fft.fft2(padded))
        return y.real if real else y
    y = np.zeros((h, w), dtype=np.result_type(x, kernel))
    for i, j in zip(*np.nonzero(kernel)):
        y += kernel[i, j] * np.roll(x, (i - ci, j - cj), axis=(0, 1))
    return y


# --------------------------------------------------------------------------- speed
def _one_blas_thread():
    """Context manager limiting BLAS to one thread; a no-op without ``threadpoolctl``."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def time_dft(sizes, repeat: int = 3, seed: int = 0) -> list[dict]:
    """Seconds per 1-D transform of a random complex signal: matrix DFT vs ``numpy.fft.fft``.

    For each n in ``sizes`` returns ``{"n", "matrix_s", "fft_s", "ratio"}``; ``matrix_s``
    times ``F @ x`` with F built beforehand (building it costs extra). Each time is the
    best of ``repeat`` batches (:func:`utils.timing.measure`). The matrix product runs
    with BLAS limited to one thread (when ``threadpoolctl`` is installed), like numpy's
    single-threaded FFT, so the comparison is one core against one core and is not
    disturbed by thread contention. Wall-clock numbers: they vary from machine to machine.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of ints, got {type(sizes).__name__}")
    sizes = [check_int(n, "size", minimum=1, maximum=8192) for n in sizes]
    if not sizes:
        raise ValueError("sizes must not be empty")
    repeat = check_int(repeat, "repeat", minimum=1)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    rows = []
    for n in sizes:
        x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        f = dft_matrix(n)
        with _one_blas_thread():
            matrix_s = timing.measure(lambda: f @ x, repeat=repeat)
        fft_s = timing.measure(lambda: np.fft.fft(x, norm="ortho"), repeat=repeat)
        rows.append(
            {"n": n, "matrix_s": matrix_s, "fft_s": fft_s, "ratio": timing.speed_ratio(matrix_s, fft_s)}
        )
    return rows

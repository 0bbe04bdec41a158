"""Tests for utils.fourier: every function against numpy.fft / scipy / closed forms, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.special

from utils import fourier

RNG = np.random.default_rng(1234)


def rand(*shape):
    return RNG.standard_normal(shape)


# --------------------------------------------------------------------------- dft_matrix
@pytest.mark.parametrize("n", [1, 2, 5, 8, 17, 64])
def test_dft_matrix_matches_numpy_fft_ortho(n):
    x = rand(n) + 1j * rand(n)
    np.testing.assert_allclose(fourier.dft_matrix(n) @ x, np.fft.fft(x, norm="ortho"), atol=1e-12)


def test_dft_matrix_columns_are_fft_of_unit_impulses():
    n = 12
    np.testing.assert_allclose(fourier.dft_matrix(n), np.fft.fft(np.eye(n), axis=0, norm="ortho"), atol=1e-13)


def test_dft_matrix_is_unitary_but_not_real_orthogonal():
    n = 16
    f = fourier.dft_matrix(n)
    np.testing.assert_allclose(f @ f.conj().T, np.eye(n), atol=1e-13)
    # F F^T = F^2 is the index-reversal permutation k -> -k mod n, not the identity.
    reversal = np.eye(n)[(-np.arange(n)) % n]
    np.testing.assert_allclose(f @ f.T, reversal, atol=1e-13)


def test_dft_matrix_large_n_stays_accurate():
    n = 2048
    x = rand(n)
    np.testing.assert_allclose(fourier.dft_matrix(n) @ x, np.fft.fft(x, norm="ortho"), atol=1e-10)


@pytest.mark.parametrize(
    "bad, exc, match",
    [
        (0, ValueError, "n must be >= 1"),
        (-3, ValueError, "n must be >= 1"),
        (2.0, TypeError, "n must be an int"),
        ("8", TypeError, "n must be an int"),
        (True, TypeError, "n must be an int"),
    ],
)
def test_dft_matrix_bad_n(bad, exc, match):
    with pytest.raises(exc, match=match):
        fourier.dft_matrix(bad)


# --------------------------------------------------------------------------- dft2 / idft2
@pytest.mark.parametrize("shape", [(1, 1), (8, 8), (5, 12), (16, 3)])
def test_dft2_matches_fft2_ortho(shape):
    x = rand(*shape)
    np.testing.assert_allclose(fourier.dft2(x), np.fft.fft2(x, norm="ortho"), atol=1e-12)
    z = x + 1j * rand(*shape)
    np.testing.assert_allclose(fourier.dft2(z), np.fft.fft2(z, norm="ortho"), atol=1e-12)


def test_dft2_accepts_uint8_images():
    x = RNG.integers(0, 256, size=(6, 10)).astype(np.uint8)
    np.testing.assert_allclose(fourier.dft2(x), np.fft.fft2(x.astype(float), norm="ortho"), atol=1e-10)


def test_idft2_matches_ifft2_and_inverts_dft2():
    c = rand(7, 9) + 1j * rand(7, 9)
    np.testing.assert_allclose(fourier.idft2(c), np.fft.ifft2(c, norm="ortho"), atol=1e-12)
    x = rand(7, 9)
    np.testing.assert_allclose(fourier.idft2(fourier.dft2(x)).real, x, atol=1e-12)


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((2, 3, 4)), np.float64(1.0)])
def test_dft2_rejects_non_2d_and_names_the_shape(bad):
    with pytest.raises(ValueError, match=r"2-D array, got shape \("):
        fourier.dft2(bad)
    with pytest.raises(ValueError, match="got shape"):
        fourier.idft2(bad)


def test_dft2_rejects_empty_and_non_numeric():
    with pytest.raises(ValueError, match="must not be empty"):
        fourier.dft2(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="numbers, got dtype"):
        fourier.dft2(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="got str"):
        fourier.dft2("image")


# --------------------------------------------------------------------------- dtft
def test_dtft_samples_are_the_dft():
    x = rand(10)
    k = np.arange(10)
    np.testing.assert_allclose(fourier.dtft(x, 2 * np.pi * k / 10), np.fft.fft(x), atol=1e-12)


def test_dtft_of_a_rectangle_is_the_dirichlet_kernel():
    length = 7
    omega = np.linspace(0.1, 3.0, 25)
    closed = np.exp(-1j * omega * (length - 1) / 2) * np.sin(omega * length / 2) / np.sin(omega / 2)
    np.testing.assert_allclose(fourier.dtft(np.ones(length), omega), closed, atol=1e-12)


def test_dtft_bad_input():
    with pytest.raises(ValueError, match="1-D array, got shape"):
        fourier.dtft(np.ones((2, 2)), [0.0])
    with pytest.raises(TypeError, match="omega must be a real number"):
        fourier.dtft(np.ones(3), "w")


# --------------------------------------------------------------------------- leakage
def test_leakage_zero_for_whole_cycles_positive_for_fractional():
    n = np.arange(64)
    assert fourier.leakage_fraction(np.cos(2 * np.pi * 5 * n / 64), 5) < 1e-25
    assert fourier.leakage_fraction(np.cos(2 * np.pi * 5.5 * n / 64), 5.5) > 0.02


def test_leakage_of_an_impulse_counts_bins():
    # A unit impulse has a flat spectrum: each of the 32 bins holds 1/32 of the energy.
    # Bins within 2 of +3 or -3 (=29): {2, 3, 4} and {28, 29, 30} -> 6 inside, 26 outside.
    x = np.zeros(32)
    x[0] = 1.0
    assert fourier.leakage_fraction(x, 3, width=2) == pytest.approx(26 / 32)


def test_leakage_bad_input():
    with pytest.raises(ValueError, match="width must be a finite number > 0"):
        fourier.leakage_fraction(np.ones(8), 1, width=0)
    with pytest.raises(ValueError, match="all zeros"):
        fourier.leakage_fraction(np.zeros(8), 1)
    with pytest.raises(TypeError, match="freq must be a real number"):
        fourier.leakage_fraction(np.ones(8), "1")
    with pytest.raises(ValueError, match="freq must be a finite number, got nan"):
        fourier.leakage_fraction(np.ones(8), float("nan"))


# --------------------------------------------------------------------------- square wave
def test_square_wave_trig_and_complex_forms_agree():
    t = np.linspace(-1, 1, 101)
    np.testing.assert_allclose(
        fourier.square_wave_series(t, 15, "trig"), fourier.square_wave_series(t, 15, "complex"), atol=1e-12
    )


def test_square_wave_quarter_period_is_leibniz_partial_sum_and_jump_is_zero():
    n = 40
    leibniz = sum((-1) ** j / (2 * j + 1) for j in range(n))
    assert fourier.square_wave_series(np.array([0.25]), n)[0] == pytest.approx(4 / np.pi * leibniz, abs=1e-13)
    assert abs(fourier.square_wave_series(np.array([0.0, 0.5]), n)).max() < 1e-12


def test_square_wave_gibbs_peak_tends_to_wilbraham_gibbs_constant():
    n = 500
    t = np.linspace(0, 2 / (2 * n), 4001)  # the first peak sits near t = 1/(4n)
    peak = fourier.square_wave_series(t, n).max()
    si_pi = scipy.special.sici(np.pi)[0]
    assert peak == pytest.approx(2 / np.pi * si_pi, abs=2e-4)


def test_square_wave_bad_input():
    with pytest.raises(ValueError, match="n_terms must be >= 1"):
        fourier.square_wave_series([0.1], 0)
    with pytest.raises(ValueError, match="form must be"):
        fourier.square_wave_series([0.1], 3, form="cos")


# --------------------------------------------------------------------------- spectra
def test_spectra_match_shifted_fft():
    x = rand(6, 8)
    logmag, phase = fourier.spectra(x)
    c = np.fft.fftshift(np.fft.fft2(x))
    np.testing.assert_allclose(logmag, np.log1p(np.abs(c)), atol=1e-13)
    np.testing.assert_allclose(np.exp(1j * phase), c / np.abs(c), atol=1e-12)
    with pytest.raises(TypeError, match="real numbers"):
        fourier.spectra(x + 1j)


# --------------------------------------------------------------------------- basis images
def test_basis_image_is_inverse_dft_of_an_impulse():
    n, u, v = 8, 2, 5
    impulse = np.zeros((n, n))
    impulse[u, v] = 1.0
    np.testing.assert_allclose(fourier.basis_image(n, u, v), np.fft.ifft2(impulse, norm="ortho"), atol=1e-14)


def test_basis_images_are_orthonormal():
    n = 6
    b = fourier.basis_images(n).reshape(n * n, n * n)
    np.testing.assert_allclose(b @ b.conj().T, np.eye(n * n), atol=1e-13)


def test_sum_of_basis_images_matches_ifft2():
    c = rand(8, 8) + 1j * rand(8, 8)
    np.testing.assert_allclose(fourier.sum_of_basis_images(c), np.fft.ifft2(c, norm="ortho"), atol=1e-13)


def test_basis_bad_input():
    with pytest.raises(ValueError, match="u must be <= 7"):
        fourier.basis_image(8, 8, 0)
    with pytest.raises(ValueError, match="v must be >= 0"):
        fourier.basis_image(8, 0, -1)
    with pytest.raises(TypeError, match="n must be an int"):
        fourier.basis_image(8.0, 0, 0)
    with pytest.raises(ValueError, match="n must be <= 64"):
        fourier.basis_images(65)
    with pytest.raises(ValueError, match="must be square"):
        fourier.sum_of_basis_images(np.zeros((4, 5)))


# --------------------------------------------------------------------------- keep_largest
def test_keep_largest_hand_case():
    c = np.array([[1.0, -5.0], [3.0, 0.5]])
    np.testing.assert_array_equal(fourier.keep_largest(c, 2), [[0.0, -5.0], [3.0, 0.0]])
    np.testing.assert_array_equal(fourier.keep_largest(c, 0), np.zeros((2, 2)))
    np.testing.assert_array_equal(fourier.keep_largest(c, 4), c)


def test_keep_largest_keeps_the_biggest_magnitudes():
    c = rand(9, 9) + 1j * rand(9, 9)
    kept = fourier.keep_largest(c, 20)
    mask = kept != 0
    assert mask.sum() == 20
    assert np.abs(c[mask]).min() >= np.abs(c[~mask]).max()


def test_keep_largest_bad_k():
    with pytest.raises(ValueError, match="k must be <= 4"):
        fourier.keep_largest(np.ones((2, 2)), 5)
    with pytest.raises(TypeError, match="k must be an int"):
        fourier.keep_largest(np.ones((2, 2)), 1.5)


# --------------------------------------------------------------------------- phase swap
def test_phase_swap_with_itself_and_with_a_shift():
    a = rand(16, 12)
    np.testing.assert_allclose(fourier.phase_swap(a, a), a, atol=1e-12)
    # A circular shift changes only the phase: |a| with the phase of shift(a) is shift(a).
    shifted = np.roll(a, (3, -2), axis=(0, 1))
    np.testing.assert_allclose(fourier.phase_swap(a, shifted), shifted, atol=1e-12)


def test_phase_swap_keeps_magnitude_of_a_and_phase_of_b():
    a, b = rand(10, 10), rand(10, 10)
    s = np.fft.fft2(fourier.phase_swap(a, b))
    np.testing.assert_allclose(np.abs(s), np.abs(np.fft.fft2(a)), atol=1e-10)
    np.testing.assert_allclose(np.angle(s / np.fft.fft2(b)), 0, atol=1e-9)


def test_phase_swap_bad_input():
    with pytest.raises(ValueError, match=r"same shape, got \(4, 4\) and \(4, 5\)"):
        fourier.phase_swap(np.ones((4, 4)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="got shape"):
        fourier.phase_swap(np.ones(4), np.ones(4))


# --------------------------------------------------------------------------- masks and filters
def test_frequency_radius_matches_fftfreq_and_is_centred():
    r = fourier.frequency_radius((4, 6), centred=False)
    assert r[0, 0] == 0.0
    assert r[1, 2] == pytest.approx(np.hypot(0.25, 2 / 6))
    rc = fourier.frequency_radius((4, 6))
    assert rc[2, 3] == 0.0  # fftshift puts the zero frequency at (h//2, w//2)
    np.testing.assert_array_equal(np.fft.ifftshift(rc), r)


def test_ideal_masks_partition_the_grid():
    shape = (32, 32)
    low = fourier.frequency_mask(shape, "lowpass", 0.1)
    high = fourier.frequency_mask(shape, "highpass", 0.1)
    band = fourier.frequency_mask(shape, "bandpass", (0.1, 0.3))
    np.testing.assert_array_equal(low + high, np.ones(shape))
    r = fourier.frequency_radius(shape)
    np.testing.assert_array_equal(band, ((r > 0.1) & (r <= 0.3)).astype(float))


def test_gaussian_lowpass_equals_scipy_gaussian_filter_with_wrap():
    # exp(-r^2 / (2 s^2)) in frequency is a Gaussian of sigma 1/(2 pi s) pixels in space.
    x = rand(64, 64)
    s = 0.05
    ours = fourier.frequency_filter(x, "lowpass", s, profile="gaussian")
    ref = ndi.gaussian_filter(x, 1 / (2 * np.pi * s), mode="wrap", truncate=12)
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    high = fourier.frequency_filter(x, "highpass", s, profile="gaussian")
    np.testing.assert_allclose(high, x - ref, atol=1e-12)


def test_ideal_filter_equals_direct_convolution_with_inverse_dft_of_mask():
    x = rand(16, 16)
    mask = fourier.frequency_mask(x.shape, "bandpass", (0.1, 0.3), centred=False)
    kernel = np.fft.ifft2(mask).real
    direct = fourier.circular_convolve2d(x, kernel, method="direct")
    np.testing.assert_allclose(fourier.frequency_filter(x, "bandpass", (0.1, 0.3)), direct, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(kind="notch", cutoff=0.1), ValueError, "kind must be one of"),
        (dict(kind="lowpass", cutoff=0.1, profile="butterworth"), ValueError, "profile must be one of"),
        (dict(kind="lowpass", cutoff=0.0), ValueError, "cutoff must be a finite number > 0, got 0.0"),
        (
            dict(kind="highpass", cutoff=float("inf")),
            ValueError,
            "cutoff must be a finite number > 0, got inf",
        ),
        (dict(kind="lowpass", cutoff="0.1"), TypeError, "cutoff must be a real number"),
        (dict(kind="bandpass", cutoff=0.1), ValueError, r"\(low, high\) pair"),
        (dict(kind="bandpass", cutoff=(0.3, 0.1)), ValueError, "0 < low < high"),
    ],
)
def test_frequency_mask_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fourier.frequency_mask((8, 8), **kwargs)


def test_frequency_radius_and_filter_bad_input():
    with pytest.raises(ValueError, match="shape must be a"):
        fourier.frequency_radius((8,))
    with pytest.raises(ValueError, match="height must be >= 1"):
        fourier.frequency_radius((0, 8))
    with pytest.raises(ValueError, match="got shape"):
        fourier.frequency_filter(np.ones(8), "lowpass", 0.1)


# --------------------------------------------------------------------------- convolution
def test_circular_convolution_centred_matches_scipy_ndimage_wrap():
    x = rand(20, 17)
    k = rand(5, 3)
    ref = ndi.convolve(x, k, mode="wrap")
    for method in ("fft", "direct"):
        np.testing.assert_allclose(
            fourier.circular_convolve2d(x, k, method=method, centred=True), ref, atol=1e-12
        )


def test_circular_convolution_of_an_impulse_is_the_padded_kernel():
    x = np.zeros((6, 7))
    x[0, 0] = 1.0
    k = rand(3, 2)
    expected = np.zeros((6, 7))
    expected[:3, :2] = k
    for method in ("fft", "direct"):
        np.testing.assert_allclose(fourier.circular_convolve2d(x, k, method=method), expected, atol=1e-14)


def test_circular_convolution_theorem_with_complex_input():
    x = rand(8, 8) + 1j * rand(8, 8)
    k = rand(8, 8)
    direct = fourier.circular_convolve2d(x, k, method="direct")
    np.testing.assert_allclose(fourier.circular_convolve2d(x, k), direct, atol=1e-12)
    # With unitary DFTs the theorem carries a factor sqrt(H*W).
    np.testing.assert_allclose(fourier.dft2(direct), 8 * fourier.dft2(x) * fourier.dft2(k), atol=1e-11)


def test_circular_convolution_bad_input():
    with pytest.raises(ValueError, match=r"kernel shape \(5, 5\) must not exceed"):
        fourier.circular_convolve2d(np.ones((4, 4)), np.ones((5, 5)))
    with pytest.raises(ValueError, match="method must be"):
        fourier.circular_convolve2d(np.ones((4, 4)), np.ones((2, 2)), method="overlap-add")
    with pytest.raises(ValueError, match="kernel must be a 2-D array"):
        fourier.circular_convolve2d(np.ones((4, 4)), np.ones(2))


# --------------------------------------------------------------------------- timing
def test_time_dft_reports_positive_times():
    rows = fourier.time_dft([8, 32], repeat=1)
    assert [r["n"] for r in rows] == [8, 32]
    for r in rows:
        assert r["matrix_s"] > 0 and r["fft_s"] > 0
        assert r["ratio"] == pytest.approx(r["matrix_s"] / r["fft_s"])


def test_time_dft_bad_input():
    with pytest.raises(TypeError, match="sizes must be a sequence"):
        fourier.time_dft(16)
    with pytest.raises(ValueError, match="sizes must not be empty"):
        fourier.time_dft([])
    with pytest.raises(ValueError, match="size must be >= 1"):
        fourier.time_dft([0])

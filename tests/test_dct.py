"""Tests of utils.dct against scipy.fft, Pillow's JPEG codec and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
from PIL import Image
from skimage import data

from utils import dct
from utils.metrics import psnr

# ITU-T T.81 Figure A.6: zig-zag sequence as flat row-major indices (libjpeg's
# jpeg_natural_order), typed in from the standard, independent of dct.zigzag_order.
T81_ZIGZAG = [
    0,
    1,
    8,
    16,
    9,
    2,
    3,
    10,
    17,
    24,
    32,
    25,
    18,
    11,
    4,
    5,
    12,
    19,
    26,
    33,
    40,
    48,
    41,
    34,
    27,
    20,
    13,
    6,
    7,
    14,
    21,
    28,
    35,
    42,
    49,
    56,
    57,
    50,
    43,
    36,
    29,
    22,
    15,
    23,
    30,
    37,
    44,
    51,
    58,
    59,
    52,
    45,
    38,
    31,
    39,
    46,
    53,
    60,
    61,
    54,
    47,
    55,
    62,
    63,
]


@pytest.fixture(scope="module")
def camera():
    return data.camera()


# --- dct_matrix -------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 8, 16])
def test_dct_matrix_matches_scipy_and_is_orthonormal(n):
    c = dct.dct_matrix(n)
    x = np.random.default_rng(n).normal(size=(n, 3))
    np.testing.assert_allclose(c @ x, scipy.fft.dct(x, axis=0, norm="ortho"), atol=1e-12)
    np.testing.assert_allclose(c @ c.T, np.eye(n), atol=1e-14)


def test_dct_matrix_hand_case_n2():
    s = np.sqrt(0.5)
    np.testing.assert_allclose(dct.dct_matrix(2), [[s, s], [s, -s]], atol=1e-15)


def test_dct_matrix_bad_input():
    with pytest.raises(ValueError, match="n must be >= 1"):
        dct.dct_matrix(0)
    with pytest.raises(TypeError, match="n must be an int"):
        dct.dct_matrix(8.0)


# --- block_dct / block_idct --------------------------------------------------


def test_block_dct_matches_scipy_dctn_per_block():
    x = np.random.default_rng(0).uniform(0, 255, size=(24, 40))
    coeffs = dct.block_dct(x)
    assert coeffs.shape == (3, 5, 8, 8)
    for i in range(3):
        for j in range(5):
            ref = scipy.fft.dctn(x[8 * i : 8 * i + 8, 8 * j : 8 * j + 8], norm="ortho")
            np.testing.assert_allclose(coeffs[i, j], ref, atol=1e-10)


def test_block_dct_other_block_size_and_round_trip():
    x = np.random.default_rng(1).normal(size=(12, 8))
    coeffs = dct.block_dct(x, block=4)
    np.testing.assert_allclose(coeffs[2, 1], scipy.fft.dctn(x[8:12, 4:8], norm="ortho"), atol=1e-12)
    np.testing.assert_allclose(dct.block_idct(coeffs, block=4), x, atol=1e-12)


def test_block_dct_constant_block_has_only_dc():
    # A constant 8x8 block of value v has DC = 8 v (orthonormal scaling) and nothing else.
    coeffs = dct.block_dct(np.full((8, 16), 3.0))
    np.testing.assert_allclose(coeffs[0, 0, 0, 0], 24.0)
    assert np.abs(coeffs[..., 1:, :]).max() < 1e-12 and np.abs(coeffs[..., :, 1:]).max() < 1e-12


def test_block_idct_inverts_scipy_coefficients():
    x = np.random.default_rng(2).normal(size=(16, 16))
    tiles = x.reshape(2, 8, 2, 8).swapaxes(1, 2)
    np.testing.assert_allclose(
        dct.block_idct(scipy.fft.dctn(tiles, axes=(2, 3), norm="ortho")), x, atol=1e-12
    )


@pytest.mark.parametrize("shape", [(10, 16), (16, 12), (8,), (2, 8, 8), (0, 8)])
def test_block_dct_bad_shapes_name_the_shape(shape):
    with pytest.raises(ValueError, match=r"got shape \(" + ", ".join(map(str, shape))):
        dct.block_dct(np.zeros(shape))


def test_block_dct_and_idct_bad_input():
    with pytest.raises(TypeError, match="image must be a real"):
        dct.block_dct(np.zeros((8, 8), dtype=complex))
    with pytest.raises(TypeError, match="block must be an int"):
        dct.block_dct(np.zeros((8, 8)), block=8.0)
    with pytest.raises(ValueError, match=r"coeffs must have shape .* got shape \(2, 2, 4, 4\)"):
        dct.block_idct(np.zeros((2, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"got shape \(16, 16\)"):
        dct.block_idct(np.zeros((16, 16)))


# --- quant_table, zigzag_order ----------------------------------------------


@pytest.mark.parametrize("quality", [1, 10, 25, 50, 75, 90, 95, 100])
def test_quant_table_equals_pillow_encoder(camera, quality):
    _, _, qtable, _ = dct.pillow_jpeg(camera[:64, :64], quality)
    np.testing.assert_array_equal(dct.quant_table(quality), qtable)


def test_quant_table_hand_cases():
    assert dct.quant_table(50)[0, 0] == 16  # scale 100: the Annex K table itself
    assert dct.quant_table(75)[0, 0] == 8  # (16 * 50 + 50) // 100
    assert dct.quant_table(10)[0, 0] == 80  # scale 500
    assert dct.quant_table(1)[7, 7] == 255  # 99 * 5000 / 100 clipped to the baseline limit
    assert dct.quant_table(100).max() == 1


def test_quant_table_bad_input():
    for q in (0, 101, -5):
        with pytest.raises(ValueError, match="quality must be"):
            dct.quant_table(q)
    for q in (50.0, "50", True):
        with pytest.raises(TypeError, match="quality must be an int"):
            dct.quant_table(q)


def test_zigzag_order_matches_t81():
    np.testing.assert_array_equal(dct.zigzag_order(8), T81_ZIGZAG)
    np.testing.assert_array_equal(dct.zigzag_order(2), [0, 1, 2, 3])
    np.testing.assert_array_equal(dct.zigzag_order(3), [0, 1, 3, 6, 4, 2, 5, 7, 8])


def test_zigzag_order_bad_input():
    with pytest.raises(ValueError, match="n must be >= 1"):
        dct.zigzag_order(0)


# --- energy_compaction, quantize, last_nonzero --------------------------------


def test_energy_compaction_hand_case():
    coeffs = np.zeros((1, 2, 8, 8))
    coeffs[0, 0, 0, 0] = 3.0  # DC
    coeffs[0, 1, 1, 1] = 4.0  # inside the top-left 2x2
    coeffs[0, 1, 7, 7] = 5.0  # highest frequency
    assert dct.energy_compaction(coeffs, 1) == pytest.approx(9 / 50)
    assert dct.energy_compaction(coeffs, 2) == pytest.approx(25 / 50)
    assert dct.energy_compaction(coeffs, 8) == pytest.approx(1.0)


def test_energy_compaction_white_noise_is_spread_evenly():
    x = np.random.default_rng(3).normal(size=(512, 512))
    assert dct.energy_compaction(dct.block_dct(x), 4) == pytest.approx(16 / 64, abs=0.01)


def test_energy_compaction_bad_input():
    with pytest.raises(ValueError, match="k must be <= 8"):
        dct.energy_compaction(np.ones((1, 1, 8, 8)), 9)
    with pytest.raises(ValueError, match="all zero"):
        dct.energy_compaction(np.zeros((1, 1, 8, 8)), 2)
    with pytest.raises(ValueError, match=r"got shape \(8, 8\)"):
        dct.energy_compaction(np.ones((8, 8)), 2)


def test_quantize_rounds_half_away_from_zero():
    table = np.full((2, 2), 10.0)
    coeffs = np.array([[[[15.0, -15.0], [14.9, -25.0]]]])
    np.testing.assert_array_equal(dct.quantize(coeffs, table), [[[[2, -2], [1, -3]]]])
    with pytest.raises(ValueError, match="does not match"):
        dct.quantize(coeffs, np.ones((8, 8)))
    with pytest.raises(ValueError, match="positive"):
        dct.quantize(coeffs, np.zeros((2, 2)))


def test_last_nonzero_hand_case():
    levels = np.zeros((1, 3, 8, 8), dtype=int)
    levels[0, 0, 0, 0] = 5  # DC only
    levels[0, 1, 2, 0] = 1  # raster index 16, zig-zag position 3
    assert dct.last_nonzero(levels).tolist() == [[0, 16, -1]]
    assert dct.last_nonzero(levels, dct.zigzag_order()).tolist() == [[0, 3, -1]]
    with pytest.raises(ValueError, match="permutation"):
        dct.last_nonzero(levels, np.zeros(64, dtype=int))
    with pytest.raises(ValueError, match=r"got shape \(8, 8\)"):
        dct.last_nonzero(np.zeros((8, 8)))


# --- jpeg_roundtrip against Pillow ---------------------------------------------


@pytest.mark.parametrize("quality", [10, 50, 90])
def test_jpeg_roundtrip_matches_pillow(camera, quality):
    ours = dct.jpeg_roundtrip(camera, quality)
    pillow, _, _, _ = dct.pillow_jpeg(camera, quality)
    assert ours.dtype == np.uint8 and ours.shape == camera.shape
    assert abs(psnr(camera, ours) - psnr(camera, pillow)) < 0.05
    assert np.mean(ours == pillow) > 0.8


def test_jpeg_roundtrip_pads_like_libjpeg():
    coins = data.coins()[:61, :45]  # neither side a multiple of 8
    ours = dct.jpeg_roundtrip(coins, 75)
    pillow, _, _, _ = dct.pillow_jpeg(coins, 75)
    assert ours.shape == coins.shape
    assert np.abs(ours.astype(int) - pillow).mean() < 0.3


def test_jpeg_roundtrip_quality_100_is_nearly_lossless(camera):
    assert psnr(camera, dct.jpeg_roundtrip(camera, 100)) > 55


def test_jpeg_roundtrip_bad_input(camera):
    with pytest.raises(TypeError, match="uint8"):
        dct.jpeg_roundtrip(camera.astype(float), 50)
    with pytest.raises(ValueError, match=r"got shape \(8, 8, 3\)"):
        dct.jpeg_roundtrip(np.zeros((8, 8, 3), np.uint8), 50)
    with pytest.raises(ValueError, match="quality must be <= 100"):
        dct.jpeg_roundtrip(camera, 101)


# --- blockiness ------------------------------------------------------------------


def test_blockiness_hand_cases():
    # Constant 8x8 tiles: every step is at a border, none inside.
    tiles = np.kron(np.array([[0.0, 8.0], [4.0, 4.0]]), np.ones((8, 8)))
    border, inside, ratio = dct.blockiness(tiles)
    assert inside == 0 and ratio == float("inf")
    # border steps: rows 0-7 |0-8|=8, rows 8-15 0 (horizontal); cols 0-7 4, cols 8-15 4 (vertical)
    assert border == pytest.approx((8 * 8 + 8 * 0 + 8 * 4 + 8 * 4) / 32)
    # A ramp steps by 1 everywhere: ratio 1.
    ramp = np.add.outer(np.arange(16.0), np.arange(24.0))
    assert dct.blockiness(ramp) == (1.0, 1.0, 1.0)


def test_blockiness_grows_at_low_quality(camera):
    low = dct.blockiness(dct.jpeg_roundtrip(camera, 10))[2]
    assert low > 2 * dct.blockiness(camera)[2]


def test_blockiness_bad_input():
    with pytest.raises(ValueError, match=r"got shape \(10, 40\)"):
        dct.blockiness(np.zeros((10, 40)))
    with pytest.raises(ValueError, match="block must be >= 2"):
        dct.blockiness(np.zeros((16, 16)), block=1)


# --- pillow_jpeg -------------------------------------------------------------------


def test_pillow_jpeg_sampling_factors_and_default():
    rgb = data.astronaut()[:64, :64]
    factors = {s: dct.pillow_jpeg(rgb, 75, s)[3][0] for s in (0, 1, 2)}
    assert factors == {0: (1, 1), 1: (2, 1), 2: (2, 2)}
    assert dct.pillow_jpeg(rgb, 75)[3] == ((2, 2), (1, 1), (1, 1))
    decoded, nbytes, _, _ = dct.pillow_jpeg(rgb, 75, ycbcr=True)
    ref = np.asarray(Image.fromarray(rgb).convert("YCbCr")).astype(int)
    assert decoded.shape == (64, 64, 3) and nbytes > 0
    assert np.abs(decoded[..., 0].astype(int) - ref[..., 0]).mean() < 3


def test_pillow_jpeg_bad_input():
    with pytest.raises(TypeError, match="uint8"):
        dct.pillow_jpeg(np.zeros((8, 8)), 50)
    with pytest.raises(ValueError, match=r"got shape \(8, 8, 4\)"):
        dct.pillow_jpeg(np.zeros((8, 8, 4), np.uint8), 50)
    with pytest.raises(ValueError, match="subsampling must be <= 2"):
        dct.pillow_jpeg(np.zeros((8, 8, 3), np.uint8), 50, 3)
    with pytest.raises(ValueError, match="needs an RGB image"):
        dct.pillow_jpeg(np.zeros((8, 8), np.uint8), 50, ycbcr=True)

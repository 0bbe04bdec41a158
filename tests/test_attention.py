"""Tests of utils.attention against hand-written numpy/scipy references and PyTorch's fused attention."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.signal import correlate2d
from scipy.special import expit, softmax

from utils import attention


def _images(shape=(2, 6, 5, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


# ----------------------------------------------------------------- Squeeze-and-Excitation


def test_se_matches_numpy_formula():
    torch.manual_seed(0)
    se = attention.SqueezeExcitation(6, reduction=2).double()
    x = _images()
    w1, b1 = se.fc1.weight.detach().numpy(), se.fc1.bias.detach().numpy()
    w2, b2 = se.fc2.weight.detach().numpy(), se.fc2.bias.detach().numpy()
    xn = x.numpy()
    z = xn.mean(axis=(2, 3))  # squeeze
    s = expit(np.maximum(z @ w1.T + b1, 0) @ w2.T + b2)  # excitation
    np.testing.assert_allclose(se.gates(x).detach().numpy(), s, rtol=0, atol=1e-12)
    np.testing.assert_allclose(se(x).detach().numpy(), xn * s[:, :, None, None], rtol=0, atol=1e-12)
    assert se.fc1.out_features == 3


def test_se_equal_weights_is_one_scalar_per_image():
    se = attention.SqueezeExcitation(6, reduction=3).double()
    with torch.no_grad():
        se.fc1.weight.fill_(0.2)
        se.fc1.bias.fill_(0.1)
        se.fc2.weight.fill_(-0.4)
        se.fc2.bias.fill_(0.3)
    x = _images()
    g = se.gates(x).detach()
    assert torch.allclose(g, g[:, :1].expand_as(g), rtol=0, atol=0)
    # the scalar by hand: every hidden unit sees 0.2 * (sum of channel means) + 0.1
    total = x.mean(dim=(2, 3)).sum(dim=1)
    h = torch.relu(0.2 * total + 0.1)
    expected = torch.sigmoid(-0.4 * 2 * h + 0.3)
    torch.testing.assert_close(g[:, 0], expected)
    torch.testing.assert_close(se(x), x * expected[:, None, None, None])


@pytest.mark.parametrize(
    "channels,reduction,error,match",
    [
        (4, 8, ValueError, "reduction must be <= channels"),
        (0, 1, ValueError, "channels must be >= 1"),
        (4, 0, ValueError, "reduction must be >= 1"),
        (4.0, 2, TypeError, "channels must be an int"),
    ],
)
def test_se_bad_construction(channels, reduction, error, match):
    with pytest.raises(error, match=match):
        attention.SqueezeExcitation(channels, reduction)


def test_se_bad_input():
    se = attention.SqueezeExcitation(6, 2)
    with pytest.raises(ValueError, match="must have 6 channels, got 5"):
        se(torch.zeros(1, 5, 3, 3))
    with pytest.raises(ValueError, match="4-D"):
        se(torch.zeros(6, 3, 3))
    with pytest.raises(TypeError, match="torch.Tensor"):
        se(np.zeros((1, 6, 3, 3)))
    with pytest.raises(TypeError, match="floating-point"):
        se(torch.zeros(1, 6, 3, 3, dtype=torch.int64))


@pytest.mark.parametrize("channels,reduction", [(16, 4), (32, 4), (64, 16), (7, 2), (5, 5)])
def test_se_parameter_count_closed_form(channels, reduction):
    se = attention.SqueezeExcitation(channels, reduction)
    assert attention.se_parameter_count(channels, reduction) == sum(p.numel() for p in se.parameters())


def test_se_parameter_count_bad_input():
    with pytest.raises(ValueError, match="reduction must be <= channels"):
        attention.se_parameter_count(3, 4)
    with pytest.raises(TypeError, match="channels must be an int"):
        attention.se_parameter_count("3", 1)


# ----------------------------------------------------------------- spatial attention


def test_spatial_attention_matches_scipy():
    torch.manual_seed(1)
    sa = attention.SpatialAttention(5).double()
    x = _images((2, 4, 9, 8))
    kernel = sa.conv.weight.detach().numpy()[0]  # (2, 5, 5)
    xn = x.numpy()
    for n in range(2):
        pooled = [xn[n].mean(axis=0), xn[n].max(axis=0)]
        pre = sum(correlate2d(p, kk, mode="same", boundary="fill") for p, kk in zip(pooled, kernel))
        np.testing.assert_allclose(sa.attention_map(x)[n, 0].detach().numpy(), expit(pre), rtol=0, atol=1e-12)
        np.testing.assert_allclose(sa(x)[n].detach().numpy(), xn[n] * expit(pre)[None], rtol=0, atol=1e-12)
    assert sa.conv.bias is None
    assert sa.attention_map(x).shape == (2, 1, 9, 8)


@pytest.mark.parametrize(
    "k,error,match", [(4, ValueError, "must be odd"), (0, ValueError, ">= 1"), (3.0, TypeError, "int")]
)
def test_spatial_attention_bad_kernel(k, error, match):
    with pytest.raises(error, match=match):
        attention.SpatialAttention(k)


def test_spatial_attention_bad_input():
    with pytest.raises(ValueError, match="4-D"):
        attention.SpatialAttention()(torch.zeros(3, 4, 4))


# ----------------------------------------------------------------- scaled dot-product attention


def _qkv(dtype=torch.float64, seed=0, lq=5, lk=7):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(2, 3, lq, 4, generator=g, dtype=dtype),
        torch.randn(2, 3, lk, 4, generator=g, dtype=dtype),
        torch.randn(2, 3, lk, 6, generator=g, dtype=dtype),
    )


def test_sdpa_matches_numpy_softmax_reference():
    q, k, v = _qkv()
    scores = q.numpy() @ np.swapaxes(k.numpy(), -1, -2) / np.sqrt(4)
    w = softmax(scores, axis=-1)
    out, weights = attention.scaled_dot_product_attention(q, k, v, return_weights=True)
    np.testing.assert_allclose(weights.numpy(), w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), w @ v.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(weights.sum(-1).numpy(), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype,atol", [(torch.float64, 1e-12), (torch.float32, 1e-6)])
@pytest.mark.parametrize("kind", ["none", "bool", "float", "scale"])
def test_sdpa_matches_pytorch_fused(dtype, atol, kind):
    q, k, v = _qkv(dtype)
    g = torch.Generator().manual_seed(5)
    kwargs = {}
    if kind == "bool":
        kwargs["attn_mask"] = torch.rand(5, 7, generator=g) > 0.4
    elif kind == "float":
        kwargs["attn_mask"] = torch.randn(2, 1, 5, 7, generator=g, dtype=dtype)
    elif kind == "scale":
        kwargs["scale"] = 0.3
    ours = attention.scaled_dot_product_attention(
        q, k, v, mask=kwargs.get("attn_mask"), scale=kwargs.get("scale")
    )
    fused = F.scaled_dot_product_attention(q, k, v, **kwargs)
    torch.testing.assert_close(ours, fused, rtol=0, atol=atol)


def test_sdpa_fully_masked_row_gives_zeros_like_pytorch():
    q, k, v = _qkv()
    mask = torch.ones(5, 7, dtype=torch.bool)
    mask[2] = False
    out, w = attention.scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
    assert torch.equal(w[..., 2, :], torch.zeros_like(w[..., 2, :]))
    assert torch.equal(out[..., 2, :], torch.zeros_like(out[..., 2, :]))
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), rtol=0, atol=1e-12
    )
    assert not torch.isnan(out).any()


@pytest.mark.parametrize(
    "args,kwargs,error,match",
    [
        (
            (torch.zeros(2, 3, 4), torch.zeros(2, 5, 3), torch.zeros(2, 5, 2)),
            {},
            ValueError,
            "same feature size",
        ),
        ((torch.zeros(2, 3, 4), torch.zeros(2, 5, 4), torch.zeros(2, 6, 2)), {}, ValueError, "same length"),
        ((np.zeros((3, 4)), torch.zeros(5, 4), torch.zeros(5, 2)), {}, TypeError, "q must be a torch.Tensor"),
        ((torch.zeros(4), torch.zeros(5, 4), torch.zeros(5, 2)), {}, ValueError, "at least 2 dimensions"),
        (
            (torch.zeros(3, 4, dtype=torch.int64), torch.zeros(5, 4), torch.zeros(5, 2)),
            {},
            TypeError,
            "floating-point",
        ),
        (
            (torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(5, 2)),
            {"mask": torch.ones(4, 5, dtype=torch.bool)},
            ValueError,
            "does not broadcast",
        ),
        (
            (torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(5, 2)),
            {"mask": torch.ones(3, 5, dtype=torch.int64)},
            TypeError,
            "bool or floating point",
        ),
        (
            (torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(5, 2)),
            {"mask": [[True] * 5] * 3},
            TypeError,
            "mask must be",
        ),
        (
            (torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(5, 2)),
            {"scale": "big"},
            TypeError,
            "scale must be a real number, got str",
        ),
        (
            (torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(5, 2)),
            {"scale": True},
            TypeError,
            "scale must be a real number, got bool",
        ),
        (
            (torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(5, 2)),
            {"scale": float("inf")},
            ValueError,
            "scale must be a finite number, got inf",
        ),
        (
            (torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(5, 2)),
            {"scale": float("nan")},
            ValueError,
            "scale must be a finite number, got nan",
        ),
    ],
)
def test_sdpa_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        attention.scaled_dot_product_attention(*args, **kwargs)


# ----------------------------------------------------------------- attention_map


def test_attention_map_is_a_softmax_row_over_pixels():
    feats = _images((1, 3, 4, 5))[0]
    tokens = feats.numpy().reshape(3, 20).T
    amap = attention.attention_map(feats, (2, 3))
    expected = softmax(tokens @ tokens[2 * 5 + 3] / np.sqrt(3))
    assert amap.shape == (4, 5)
    np.testing.assert_allclose(amap.numpy().ravel(), expected, rtol=0, atol=1e-12)
    assert float(amap.sum()) == pytest.approx(1.0, abs=1e-12)
    flat = attention.attention_map(feats, (0, 0), scale=0.0)
    np.testing.assert_allclose(flat.numpy(), 1 / 20, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "features,query,error,match",
    [
        (torch.zeros(2, 3), (0, 0), ValueError, r"\(C, H, W\)"),
        (np.zeros((2, 3, 3)), (0, 0), ValueError, r"\(C, H, W\)"),
        (torch.zeros(2, 3, 3), [0, 0], TypeError, "tuple"),
        (torch.zeros(2, 3, 3), (3, 0), ValueError, "query row must be <= 2"),
        (torch.zeros(2, 3, 4), (0, -1), ValueError, "query column must be >= 0"),
    ],
)
def test_attention_map_bad_input(features, query, error, match):
    with pytest.raises(error, match=match):
        attention.attention_map(features, query)


# ----------------------------------------------------------------- small_cnn, features


@pytest.mark.parametrize("reduction", [None, 4])
def test_small_cnn_structure(reduction):
    net = attention.small_cnn((8, 16), se_reduction=reduction, n_classes=10)
    assert net(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    n_se = sum(isinstance(m, attention.SqueezeExcitation) for m in net)
    assert n_se == (0 if reduction is None else 2)
    base = (9 * 8 + 8) + (8 * 16 * 9 + 16) + (16 * 16 + 1) * 10
    extra = (
        0 if reduction is None else attention.se_parameter_count(8, 4) + attention.se_parameter_count(16, 4)
    )
    assert sum(p.numel() for p in net.parameters()) == base + extra


def test_small_cnn_bad_input():
    with pytest.raises(TypeError, match="tuple of two ints"):
        attention.small_cnn([8, 16])
    with pytest.raises(ValueError, match="image_size must be even"):
        attention.small_cnn(image_size=7)
    with pytest.raises(ValueError, match="reduction must be <= channels"):
        attention.small_cnn((2, 4), se_reduction=4)


def test_edge_color_features_against_scipy():
    rng = np.random.default_rng(0)
    image = rng.random((6, 7, 3))
    out = attention.edge_color_features(image)[0].numpy()
    assert out.shape == (7, 6, 7)
    np.testing.assert_allclose(out[:3], np.moveaxis(image, 2, 0), rtol=0, atol=1e-6)
    grey = image @ np.array([0.299, 0.587, 0.114])
    sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 4
    gx = correlate2d(grey, sobel, mode="same")
    gy = correlate2d(grey, sobel.T, mode="same")
    for got, want in zip(
        out[3:], [np.maximum(gx, 0), np.maximum(-gx, 0), np.maximum(gy, 0), np.maximum(-gy, 0)]
    ):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        attention.edge_color_features(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="numeric"):
        attention.edge_color_features(np.zeros((4, 4, 3), dtype=bool))

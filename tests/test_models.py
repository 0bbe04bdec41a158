"""Tests of utils.models: mlp structure and init_linear_layers statistics."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from utils.models import INIT_SCHEMES, init_linear_layers, mlp

# Typed in from torch.nn, independent of models.TORCH_ACTIVATIONS.
EXPECTED_CLASS = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def _count(model, cls):
    return sum(type(m) is cls for m in model.modules())


@pytest.mark.parametrize("activation", sorted(EXPECTED_CLASS))
def test_mlp_activation_class_and_shape(activation):
    model = mlp(5, 7, 3, depth=2, activation=activation)
    assert _count(model, EXPECTED_CLASS[activation]) == 2
    assert model(torch.randn(4, 5)).shape == (4, 3)


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_mlp_layer_structure(depth, batchnorm, dropout):
    model = mlp(64, 16, 10, depth=depth, activation="tanh", batchnorm=batchnorm, dropout=dropout)
    assert isinstance(model, nn.Sequential)
    assert _count(model, nn.Linear) == depth + 1
    assert _count(model, nn.BatchNorm1d) == (depth if batchnorm else 0)
    assert _count(model, nn.Dropout) == (depth if dropout else 0)
    assert _count(model, nn.Tanh) == depth
    # order within a hidden layer: Linear -> (BatchNorm1d) -> activation -> (Dropout)
    per_layer = (
        [nn.Linear] + ([nn.BatchNorm1d] if batchnorm else []) + [nn.Tanh] + ([nn.Dropout] if dropout else [])
    )
    assert [type(m) for m in model] == per_layer * depth + [nn.Linear]
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(64, 16)] + [(16, 16)] * (depth - 1) + [
        (16, 10)
    ]
    if dropout:
        assert all(m.p == dropout for m in model if isinstance(m, nn.Dropout))
    model.eval()
    assert model(torch.randn(6, 64)).shape == (6, 10)


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"in_features": 0}, ValueError),
        ({"hidden": 0}, ValueError),
        ({"out_features": 0}, ValueError),
        ({"depth": 0}, ValueError),
        ({"in_features": 2.0}, TypeError),
        ({"depth": True}, TypeError),
        ({"activation": "swish"}, ValueError),
        ({"activation": "ReLU"}, ValueError),
        ({"dropout": 1.0}, ValueError),
        ({"dropout": -0.1}, ValueError),
        ({"dropout": True}, ValueError),
        ({"dropout": "0.1"}, ValueError),
    ],
)
def test_mlp_bad_args(kwargs, error):
    args = {"in_features": 4, "hidden": 8, "out_features": 2, **kwargs}
    with pytest.raises(error):
        mlp(**args)


def test_mlp_unknown_activation_lists_known():
    with pytest.raises(ValueError) as info:
        mlp(4, 8, 2, activation="swish")
    assert all(name in str(info.value) for name in EXPECTED_CLASS)


@pytest.mark.parametrize(
    "scheme,fan_in,fan_out",
    [
        ("xavier", 1000, 500),
        ("xavier", 300, 900),
        ("kaiming", 1000, 500),
        ("kaiming", 300, 900),
    ],
)
def test_init_variance(scheme, fan_in, fan_out):
    layer = nn.Linear(fan_in, fan_out)
    init_linear_layers(layer, scheme, seed=1)
    expected = 2.0 / (fan_in + fan_out) if scheme == "xavier" else 2.0 / fan_in
    var = layer.weight.detach().double().var().item()
    assert abs(var / expected - 1) < 0.15
    assert abs(layer.weight.detach().double().mean().item()) < 3 * math.sqrt(expected / layer.weight.numel())
    assert torch.count_nonzero(layer.bias) == 0


def test_default_scheme_restores_pytorch_init():
    layer = nn.Linear(1000, 500)
    init_linear_layers(layer, "kaiming")
    init_linear_layers(layer, "default")
    bound = 1 / math.sqrt(1000)  # PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w = layer.weight.detach().double()
    assert w.abs().max().item() <= bound
    assert abs(w.var().item() / (bound**2 / 3) - 1) < 0.15
    assert torch.count_nonzero(layer.bias) > 0
    assert layer.bias.detach().abs().max().item() <= bound


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_init_reaches_every_linear_and_is_reproducible(scheme):
    a = mlp(20, 30, 5, depth=3, batchnorm=True)
    b = mlp(20, 30, 5, depth=3, batchnorm=True)
    c = mlp(20, 30, 5, depth=3, batchnorm=True)
    assert init_linear_layers(a, scheme, seed=3) is a
    init_linear_layers(b, scheme, seed=3)
    init_linear_layers(c, scheme, seed=4)
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values()):
        assert torch.equal(pa, pb)
    la = [m for m in a.modules() if isinstance(m, nn.Linear)]
    lc = [m for m in c.modules() if isinstance(m, nn.Linear)]
    assert all(not torch.equal(x.weight, y.weight) for x, y in zip(la, lc))  # every layer redrawn


def test_init_does_not_disturb_global_rng():
    layer = nn.Linear(50, 50)  # building a layer draws from the global RNG: do it first
    torch.manual_seed(99)
    state = torch.get_rng_state()
    expected_next = torch.rand(5)
    torch.set_rng_state(state)
    init_linear_layers(layer, "xavier", seed=0)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(torch.rand(5), expected_next)


def test_init_bad_args():
    with pytest.raises(ValueError, match="unknown scheme"):
        init_linear_layers(nn.Linear(3, 3), "orthogonal")
    with pytest.raises(ValueError, match="seed"):
        init_linear_layers(nn.Linear(3, 3), "xavier", seed=-1)
    with pytest.raises(TypeError, match="seed"):
        init_linear_layers(nn.Linear(3, 3), "xavier", seed=1.5)

"""Tests of utils.activations against torch.nn.functional (float64), torch autograd,
central finite differences and closed forms."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from utils import activations as act

# name -> (torch reference, parameter sets to try); the references are PyTorch's, not ours.
TORCH_REF = {
    "sigmoid": (lambda t: torch.sigmoid(t), [{}]),
    "tanh": (lambda t: torch.tanh(t), [{}]),
    "relu": (lambda t: F.relu(t), [{}]),
    "elu": (lambda t, alpha=1.0: F.elu(t, alpha=alpha), [{}, {"alpha": 0.5}, {"alpha": 2.5}]),
    "leaky_relu": (
        lambda t, negative_slope=0.01: F.leaky_relu(t, negative_slope=negative_slope),
        [{}, {"negative_slope": 0.2}, {"negative_slope": 0.3}],
    ),
    "gelu": (lambda t: F.gelu(t), [{}]),
    "silu": (lambda t: F.silu(t), [{}]),
}
KINKED = {"relu", "elu", "leaky_relu"}

CASES = [(name, params) for name, (_, plist) in TORCH_REF.items() for params in plist]
CASE_IDS = [f"{n}-{p}" if p else n for n, p in CASES]

GRID = np.concatenate([np.linspace(-8.0, 8.0, 161), [-30.0, -1e-9, 0.0, 1e-9, 30.0]])


def test_reference_table_covers_every_activation():
    assert set(TORCH_REF) == set(act.ACTIVATIONS)


@pytest.mark.parametrize("name,params", CASES, ids=CASE_IDS)
def test_values_match_torch(name, params):
    ref, _ = TORCH_REF[name]
    expected = ref(torch.from_numpy(GRID), **params).numpy()
    np.testing.assert_allclose(act.activation(name, GRID, **params), expected, rtol=1e-13, atol=1e-15)
    function = getattr(act, name)  # module-level function of the same name
    np.testing.assert_allclose(function(GRID, **params), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name,params", CASES, ids=CASE_IDS)
def test_derivative_matches_torch_autograd_including_x0(name, params):
    ref, _ = TORCH_REF[name]
    t = torch.tensor(GRID, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(ref(t, **params).sum(), t)
    np.testing.assert_allclose(act.derivative(name, GRID, **params), grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name,params", CASES, ids=CASE_IDS)
def test_derivative_matches_central_differences_away_from_kinks(name, params):
    x = np.linspace(-6.0, 6.0, 241)
    x = x[np.abs(x) > 1e-3]  # the kink of ReLU-like functions is at 0
    h = 1e-6
    fd = (act.activation(name, x + h, **params) - act.activation(name, x - h, **params)) / (2 * h)
    np.testing.assert_allclose(act.derivative(name, x, **params), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "name,params,left,right",
    [
        ("relu", {}, 0.0, 1.0),
        ("leaky_relu", {}, 0.01, 1.0),
        ("leaky_relu", {"negative_slope": 0.2}, 0.2, 1.0),
        ("elu", {}, 1.0, 1.0),
        ("elu", {"alpha": 2.5}, 2.5, 1.0),
    ],
)
def test_kink_convention_is_left_derivative_as_torch(name, params, left, right):
    # documented: at x = 0 the derivative is taken from the left
    assert float(act.derivative(name, 0.0, **params)) == left
    assert float(act.derivative(name, 1e-12, **params)) == right
    ref, _ = TORCH_REF[name]
    t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(ref(t, **params).sum(), t)
    assert float(grad) == left


def test_closed_forms():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(act.sigmoid(x), [1 / (1 + math.exp(-v)) for v in x], rtol=1e-15)
    np.testing.assert_allclose(act.relu(x), [0, 0, 0, 0.5, 2.0])
    np.testing.assert_allclose(act.leaky_relu(x, negative_slope=0.1), [-0.2, -0.05, 0, 0.5, 2.0])
    np.testing.assert_allclose(act.elu(x, alpha=2.0), [2 * math.expm1(-2), 2 * math.expm1(-0.5), 0, 0.5, 2])
    phi = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(act.gelu(x), x * phi, rtol=1e-14)
    np.testing.assert_allclose(act.silu(x), [v / (1 + math.exp(-v)) for v in x], rtol=1e-14)
    assert act.sigmoid(0.0) == 0.5
    np.testing.assert_allclose(act.derivative("sigmoid", 0.0), 0.25)
    np.testing.assert_allclose(act.derivative("tanh", 0.0), 1.0)
    np.testing.assert_allclose(act.derivative("gelu", 0.0), 0.5)
    np.testing.assert_allclose(act.derivative("silu", 0.0), 0.5)


def test_tanh_is_rescaled_sigmoid():
    x = np.linspace(-20, 20, 401)
    np.testing.assert_allclose(act.tanh(x), 2 * act.sigmoid(2 * x) - 1, atol=1e-15)


def test_sigmoid_stable_at_large_magnitude():
    x = np.array([-1000.0, -700.0, 700.0, 1000.0])
    # Underflow of exp(-1000) to 0 is the correct float64 answer; overflow, division
    # by zero and NaN are not. Any numpy RuntimeWarning is an error here as well.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            s = act.sigmoid(x)
            ds = act.derivative("sigmoid", x)
            silu = act.silu(x)
        # control: the naive formula does overflow under the same settings
        with np.errstate(over="raise"), pytest.raises(FloatingPointError):
            1.0 / (1.0 + np.exp(-x))
    np.testing.assert_allclose(s, [0.0, math.exp(-700.0), 1.0, 1.0], rtol=1e-13, atol=0)
    assert np.all(np.isfinite(ds)) and ds[0] == 0.0 and ds[-1] == 0.0
    np.testing.assert_array_equal(silu[[0, -1]], [0.0, 1000.0])


def test_integer_and_scalar_inputs_become_float():
    ints = np.array([-3, -1, 0, 2, 5])
    for name in act.ACTIVATIONS:
        out = act.activation(name, ints)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, act.activation(name, ints.astype(float)))
        np.testing.assert_array_equal(act.derivative(name, ints), act.derivative(name, ints.astype(float)))
        np.testing.assert_array_equal(
            act.activation(name, [1, 2]), act.activation(name, np.array([1.0, 2.0]))
        )
    assert float(act.relu(np.uint8(3))) == 3.0


BAD_X = ["1.0", b"1", None, ["a", "b"], np.array([1 + 2j]), np.array([True, False]), True, {"x": 1}, object()]


@pytest.mark.parametrize(
    "x", BAD_X, ids=lambda v: type(v).__name__ + (f"-{v.dtype}" if hasattr(v, "dtype") else "")
)
def test_bad_x_raises_type_error(x):
    for name in act.ACTIVATIONS:
        with pytest.raises(TypeError, match="real number"):
            act.activation(name, x)
        with pytest.raises(TypeError, match="real number"):
            act.derivative(name, x)
        with pytest.raises(TypeError):
            getattr(act, name)(x)


def test_unknown_name_lists_known_names():
    for call in (act.activation, act.derivative):
        with pytest.raises(ValueError) as info:
            call("swish", 1.0)
        message = str(info.value)
        assert "swish" in message
        for known in act.ACTIVATIONS:
            assert known in message


@pytest.mark.parametrize("name", [None, 3, ("relu",), b"relu"])
def test_non_str_name_raises_type_error(name):
    with pytest.raises(TypeError, match="name must be a str"):
        act.activation(name, 1.0)
    with pytest.raises(TypeError, match="name must be a str"):
        act.derivative(name, 1.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -np.inf, np.float64("nan")])
def test_non_finite_parameters_raise_value_error(bad):
    with pytest.raises(ValueError, match="alpha must be finite"):
        act.elu(1.0, alpha=bad)
    with pytest.raises(ValueError, match="alpha must be finite"):
        act.derivative("elu", 1.0, alpha=bad)
    with pytest.raises(ValueError, match="negative_slope must be finite"):
        act.leaky_relu(1.0, negative_slope=bad)
    with pytest.raises(ValueError, match="negative_slope must be finite"):
        act.derivative("leaky_relu", 1.0, negative_slope=bad)


@pytest.mark.parametrize("bad", ["1.0", None, True, [1.0], np.array(1.0), 1j])
def test_non_numeric_parameters_raise_type_error(bad):
    with pytest.raises(TypeError, match="alpha must be a real number"):
        act.elu(1.0, alpha=bad)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        act.derivative("elu", 1.0, alpha=bad)
    with pytest.raises(TypeError, match="negative_slope must be a real number"):
        act.activation("leaky_relu", 1.0, negative_slope=bad)


def test_numpy_and_int_parameters_accepted():
    x = np.array([-1.0, 1.0])
    np.testing.assert_allclose(act.elu(x, alpha=np.float32(2.0)), act.elu(x, alpha=2))
    np.testing.assert_allclose(act.leaky_relu(x, negative_slope=np.int64(1)), x)

"""Activation functions and their analytic derivatives, in numpy.

Taught on: "Activation functions (激活函数)". Defaults follow PyTorch:
``elu(alpha=1.0)`` as ``torch.nn.functional.elu`` and
``leaky_relu(negative_slope=0.01)`` as ``torch.nn.functional.leaky_relu``
(TensorFlow's ``tf.nn.leaky_relu`` defaults to ``alpha=0.2``; the page compares them).
At the kink of ReLU-like functions (x = 0) the derivative is taken from the left,
the value autograd in both frameworks reports.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ._checks import as_float_array

_SQRT_2 = math.sqrt(2.0)


def _check_parameter(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), computed without overflow for large |x|."""
    x = as_float_array(x)
    # exp of a non-positive number never overflows; pick the stable form per sign.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def tanh(x):
    """Hyperbolic tangent, values in (-1, 1)."""
    return np.tanh(as_float_array(x))


def relu(x):
    """Rectified linear unit max(x, 0)."""
    x = as_float_array(x)
    return np.maximum(x, 0.0)


def elu(x, alpha: float = 1.0):
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise (Clevert et al. 2016)."""
    x = as_float_array(x)
    alpha = _check_parameter(alpha, "alpha")
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def leaky_relu(x, negative_slope: float = 0.01):
    """Leaky ReLU: x for x >= 0, negative_slope * x otherwise (Maas et al. 2013)."""
    x = as_float_array(x)
    negative_slope = _check_parameter(negative_slope, "negative_slope")
    return np.where(x >= 0, x, negative_slope * x)


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return erf(x)


def gelu(x):
    """Gaussian error linear unit x * Phi(x), in the exact (erf) form, PyTorch's default
    (Hendrycks & Gimpel 2016)."""
    x = as_float_array(x)
    return 0.5 * x * (1.0 + _erf(x / _SQRT_2))


def silu(x):
    """SiLU / swish x * sigmoid(x) (Elfwing et al. 2018; Ramachandran et al. 2017)."""
    x = as_float_array(x)
    return x * sigmoid(x)


def _d_sigmoid(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def _d_tanh(x):
    return 1.0 - np.tanh(x) ** 2


def _d_relu(x):
    return (x > 0).astype(np.float64)


def _d_elu(x, alpha: float = 1.0):
    alpha = _check_parameter(alpha, "alpha")
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def _d_leaky_relu(x, negative_slope: float = 0.01):
    negative_slope = _check_parameter(negative_slope, "negative_slope")
    return np.where(x > 0, 1.0, negative_slope)


def _d_gelu(x):
    pdf = np.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi)
    return 0.5 * (1.0 + _erf(x / _SQRT_2)) + x * pdf


def _d_silu(x):
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


#: name -> (function, derivative); the names ``derivative`` accepts.
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, _d_sigmoid),
    "tanh": (tanh, _d_tanh),
    "relu": (relu, _d_relu),
    "elu": (elu, _d_elu),
    "leaky_relu": (leaky_relu, _d_leaky_relu),
    "gelu": (gelu, _d_gelu),
    "silu": (silu, _d_silu),
}


def _lookup(name: str) -> tuple[Callable, Callable]:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(sorted(ACTIVATIONS))}") from None


def activation(name: str, x, **params):
    """Apply the activation called ``name`` (see :data:`ACTIVATIONS`) to ``x``."""
    function, _ = _lookup(name)
    return function(x, **params)


def derivative(name: str, x, **params):
    """Analytic derivative of the activation called ``name`` at ``x``.

    ``params`` are the activation's own (``alpha`` for ELU, ``negative_slope`` for
    Leaky ReLU). An unknown name raises ``ValueError`` listing the known ones;
    non-numeric ``x`` raises ``TypeError``.
    """
    _, grad = _lookup(name)
    return grad(as_float_array(x), **params)

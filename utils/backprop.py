"""Backpropagation by hand: finite differences, a two-layer network, a convolution.

Taught on: "Backpropagation (反向传播算法)".

- :func:`numerical_gradient` estimates a gradient by central (or forward) differences;
- :func:`init_two_layer`, :func:`two_layer_forward` and :func:`two_layer_backward` are a
  two-layer classifier (affine → activation → affine → softmax cross-entropy, mean over
  the batch) whose backward pass is written out with the chain rule;
- :func:`chain_rule_example` and :func:`draw_chain_rule` show the chain rule on the
  computation graph of ``f = (x*y + z)**2``;
- :func:`conv2d_input_grad` and :func:`conv2d_weight_grad` compute the two gradients of a
  2-D convolution with a transposed convolution and a correlation (PyTorch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from . import activations as _act
from ._checks import as_float_array, check_int, check_positive_real, check_real
from .timing import measure

#: The parameter names of the two-layer network, in order.
PARAM_KEYS = ("W1", "b1", "W2", "b2")


# --------------------------------------------------------------------------- checks


def _check_params(params) -> dict[str, np.ndarray]:
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict with keys {PARAM_KEYS}, got {type(params).__name__}")
    missing = [k for k in PARAM_KEYS if k not in params]
    if missing:
        raise KeyError(f"params is missing {missing}; expected keys {list(PARAM_KEYS)}")
    p = {k: as_float_array(params[k], name=k) for k in PARAM_KEYS}
    w1, b1, w2, b2 = (p[k] for k in PARAM_KEYS)
    if w1.ndim != 2 or w2.ndim != 2 or b1.ndim != 1 or b2.ndim != 1:
        raise ValueError(
            "expected W1 (n_in, n_hidden), b1 (n_hidden,), W2 (n_hidden, n_out), b2 (n_out,); "
            f"got W1 {w1.shape}, b1 {b1.shape}, W2 {w2.shape}, b2 {b2.shape}"
        )
    if not (w1.shape[1] == b1.shape[0] == w2.shape[0] and w2.shape[1] == b2.shape[0]):
        raise ValueError(
            "parameter shapes do not chain: expected W1 (n_in, n_hidden), b1 (n_hidden,), "
            f"W2 (n_hidden, n_out), b2 (n_out,); got W1 {w1.shape}, b1 {b1.shape}, "
            f"W2 {w2.shape}, b2 {b2.shape}"
        )
    return p


# ------------------------------------------------------------- finite differences


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6, *, scheme: str = "central"
) -> np.ndarray:
    """Estimate the gradient of the scalar function ``f`` at ``x`` by finite differences.

    ``x`` must be a writable float64 ndarray; each element in turn is moved by ``±eps``
    in place (central differences, ``(f(x+eps) - f(x-eps)) / (2 eps)``, error O(eps²),
    2 calls per element) or by ``+eps`` (``scheme="forward"``, error O(eps), 1 + 1 call
    per element). ``x`` is restored after every step, even when ``f`` raises. Returns
    an array of ``x``'s shape.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable returning a scalar, got {type(f).__name__}")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy float64 array, got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(f"x must have dtype float64 (finite differences need it), got {x.dtype}")
    if not x.flags.writeable:
        raise ValueError("x must be writable: its elements are perturbed in place and restored")
    eps = check_positive_real(eps, "eps")
    if scheme not in ("central", "forward"):
        raise ValueError(f"scheme must be 'central' or 'forward', got {scheme!r}")

    def value() -> float:
        out = f(x)
        arr = np.asarray(out)
        if arr.shape != () or arr.dtype.kind not in "iuf":
            raise ValueError(f"f must return a real scalar, got {type(out).__name__} of shape {arr.shape}")
        return float(arr)

    grad = np.zeros_like(x)
    base = value() if scheme == "forward" else 0.0
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        try:
            x[idx] = old + eps
            plus = value()
            if scheme == "central":
                x[idx] = old - eps
                minus = value()
                grad[idx] = (plus - minus) / (2.0 * eps)
            else:
                grad[idx] = (plus - base) / eps
        finally:
            x[idx] = old
    return grad


class CountingFunction:
    """Wrap a function and count its calls (``calls``), e.g. forward passes of a gradient check."""

    def __init__(self, f: Callable):
        if not callable(f):
            raise TypeError(f"f must be callable, got {type(f).__name__}")
        self.f = f
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.f(*args, **kwargs)


# ------------------------------------------------------------- two-layer network


def init_two_layer(n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random float64 parameters of the two-layer network.

    ``W1`` (n_in, n_hidden) and ``W2`` (n_hidden, n_out) are Gaussian with variance
    1/fan-in; the biases are small Gaussians (0.1 std), not zeros, so that their
    gradients are exercised by a gradient check.
    """
    n_in = check_int(n_in, "n_in", minimum=1)
    n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
    n_out = check_int(n_out, "n_out", minimum=1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return {
        "W1": rng.standard_normal((n_in, n_hidden)) / math.sqrt(n_in),
        "b1": 0.1 * rng.standard_normal(n_hidden),
        "W2": rng.standard_normal((n_hidden, n_out)) / math.sqrt(n_hidden),
        "b2": 0.1 * rng.standard_normal(n_out),
    }


def n_parameters(params) -> int:
    """Number of scalar parameters of the two-layer network."""
    p = _check_params(params)
    return int(sum(p[k].size for k in PARAM_KEYS))


def two_layer_forward(params, x, y, activation: str = "tanh") -> tuple[float, dict]:
    """Forward pass: ``z1 = x W1 + b1``, ``h = act(z1)``, ``z2 = h W2 + b2``, then the mean
    softmax cross-entropy of the logits ``z2`` against the integer labels ``y``.

    ``activation`` is a name of :data:`utils.activations.ACTIVATIONS` (``"tanh"``,
    ``"sigmoid"``, ``"relu"``, ...). Returns ``(loss, cache)``; the cache holds what
    :func:`two_layer_backward` needs (the inputs, ``z1``, ``h`` and the softmax
    probabilities).
    """
    p = _check_params(params)
    x = as_float_array(x, name="x")
    y = np.asarray(y)
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a str, got {type(activation).__name__}")
    if activation not in _act.ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(sorted(_act.ACTIVATIONS))}")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (batch, n_in) with batch >= 1, got {x.shape}")
    if x.shape[1] != p["W1"].shape[0]:
        raise ValueError(
            f"x has shape {x.shape} but W1 has shape {p['W1'].shape}: x.shape[1] must equal W1.shape[0]"
        )
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},) to match x {x.shape}, got {y.shape}")
    n_out = p["W2"].shape[1]
    if y.min() < 0 or y.max() >= n_out:
        raise ValueError(f"labels must lie in [0, {n_out - 1}], got values from {y.min()} to {y.max()}")

    z1 = x @ p["W1"] + p["b1"]
    h = _act.activation(activation, z1)
    z2 = h @ p["W2"] + p["b2"]
    shifted = z2 - z2.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm
    loss = float(-log_probs[np.arange(len(y)), y].mean())
    cache = {
        "params": p,
        "x": x,
        "y": y,
        "z1": z1,
        "h": h,
        "probs": np.exp(log_probs),
        "activation": activation,
    }
    return loss, cache


def two_layer_backward(params, cache: dict) -> dict[str, np.ndarray]:
    """Backward pass of :func:`two_layer_forward` by the chain rule.

    With ``N`` the batch size and ``Y`` the one-hot labels:
    ``d2 = (probs - Y) / N``, ``dW2 = hᵀ d2``, ``db2 = Σ_n d2``,
    ``d1 = (d2 W2ᵀ) ⊙ act'(z1)``, ``dW1 = xᵀ d1``, ``db1 = Σ_n d1``.
    Returns the gradients of the loss as a dict with the keys of ``params``.
    """
    p = _check_params(params)
    if not isinstance(cache, Mapping):
        raise TypeError(f"cache must be the dict returned by two_layer_forward, got {type(cache).__name__}")
    needed = ("x", "y", "z1", "h", "probs", "activation")
    missing = [k for k in needed if k not in cache]
    if missing:
        raise KeyError(
            f"cache is missing {missing}; expected the cache of two_layer_forward with keys {list(needed)}"
        )
    x, y, z1, h, probs = cache["x"], cache["y"], cache["z1"], cache["h"], cache["probs"]
    if h.shape[1] != p["W2"].shape[0] or probs.shape[1] != p["W2"].shape[1] or x.shape[1] != p["W1"].shape[0]:
        raise ValueError(
            f"cache does not belong to these params: x {x.shape}, h {h.shape}, probs {probs.shape} "
            f"vs W1 {p['W1'].shape}, W2 {p['W2'].shape}"
        )
    n = x.shape[0]
    d2 = probs.copy()
    d2[np.arange(n), y] -= 1.0
    d2 /= n
    grads = {"W2": h.T @ d2, "b2": d2.sum(axis=0)}
    d1 = (d2 @ p["W2"].T) * _act.derivative(cache["activation"], z1)
    grads["W1"] = x.T @ d1
    grads["b1"] = d1.sum(axis=0)
    return {k: grads[k] for k in PARAM_KEYS}


def numerical_param_gradients(
    params, x, y, activation: str = "tanh", eps: float = 1e-6, *, scheme: str = "central"
) -> dict[str, np.ndarray]:
    """Finite-difference gradients of :func:`two_layer_forward`'s loss for every parameter.

    ``params`` must hold float64 arrays; they are perturbed in place and restored.
    """
    p = _check_params(params)
    for k in PARAM_KEYS:
        if params[k] is not p[k] or p[k].dtype != np.float64:
            got = getattr(params[k], "dtype", type(params[k]).__name__)
            raise TypeError(f"params[{k!r}] must be a float64 numpy array (perturbed in place), got {got}")
    return {
        k: numerical_gradient(
            lambda _: two_layer_forward(params, x, y, activation)[0], params[k], eps, scheme=scheme
        )
        for k in PARAM_KEYS
    }


def gradient_errors(
    reference: Mapping[str, np.ndarray], other: Mapping[str, np.ndarray]
) -> dict[str, tuple[float, float]]:
    """Per key: ``(max |a - b|, max |a - b| / max |a|)`` between two gradient dicts.

    The relative error divides by the largest magnitude of the reference (not element
    by element, which blows up where a gradient entry is near zero).
    """
    for name, d in (("reference", reference), ("other", other)):
        if not isinstance(d, Mapping):
            raise TypeError(f"{name} must be a dict of arrays, got {type(d).__name__}")
    if set(reference) != set(other):
        raise KeyError(f"the two gradient dicts have different keys: {sorted(reference)} vs {sorted(other)}")
    out = {}
    for k in reference:
        a = as_float_array(np.asarray(reference[k]), name=f"reference[{k!r}]")
        b = as_float_array(np.asarray(other[k]), name=f"other[{k!r}]")
        if a.shape != b.shape:
            raise ValueError(f"gradient {k!r} has shape {a.shape} in reference but {b.shape} in other")
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        scale = float(np.max(np.abs(a))) if a.size else 0.0
        out[k] = (diff, diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf))
    return out


def eps_sweep(params, x, y, eps_values, activation: str = "tanh", scheme: str = "central") -> np.ndarray:
    """Max absolute error of the finite-difference gradient (all parameters) for each eps,
    measured against :func:`two_layer_backward`."""
    exact = two_layer_backward(params, two_layer_forward(params, x, y, activation)[1])
    values = as_float_array(eps_values, name="eps_values")
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"eps_values must be a non-empty 1-D sequence, got shape {values.shape}")
    errors = []
    for eps in values:
        approx = numerical_param_gradients(params, x, y, activation, float(eps), scheme=scheme)
        errors.append(max(d for d, _ in gradient_errors(exact, approx).values()))
    return np.array(errors)


@dataclass(frozen=True)
class CostRow:
    """The cost of one gradient of the two-layer network with ``n_params`` parameters."""

    n_hidden: int
    n_params: int
    fd_forward_calls: int
    bp_forward_calls: int
    bp_backward_calls: int
    fd_seconds: float
    bp_seconds: float


def gradient_cost(
    hidden_sizes, x, y, n_out: int, rng: np.random.Generator, activation: str = "tanh", repeat: int = 1
) -> list[CostRow]:
    """For each hidden width: count the forward passes a central-difference gradient
    and a backprop gradient need, and time both (seconds, best of ``repeat`` runs for
    the finite differences, of at least 3 batches for backprop)."""
    x = as_float_array(x, name="x")
    n_out = check_int(n_out, "n_out", minimum=1)
    repeat = check_int(repeat, "repeat", minimum=1)
    if isinstance(hidden_sizes, (str, bytes)) or not hasattr(hidden_sizes, "__iter__"):
        raise TypeError(f"hidden_sizes must be a sequence of ints, got {type(hidden_sizes).__name__}")
    rows = []
    for n_hidden in hidden_sizes:
        n_hidden = check_int(n_hidden, "hidden size", minimum=1)
        params = init_two_layer(x.shape[1], n_hidden, n_out, rng)
        fwd = CountingFunction(two_layer_forward)
        bwd = CountingFunction(two_layer_backward)

        def by_backprop():
            return bwd(params, fwd(params, x, y, activation)[1])

        def by_differences():
            return {
                k: numerical_gradient(lambda _: fwd(params, x, y, activation)[0], params[k])
                for k in PARAM_KEYS
            }

        by_backprop()
        bp_counts = (fwd.calls, bwd.calls)
        fwd.calls = 0
        fd_seconds = measure(by_differences, repeat=repeat, number=1)
        fd_count = fwd.calls // repeat
        times = (fd_seconds, measure(by_backprop, repeat=max(repeat, 3)))
        rows.append(CostRow(n_hidden, n_parameters(params), fd_count, *bp_counts, *times))
    return rows


# ----------------------------------------------------------- chain rule, by hand


@dataclass(frozen=True)
class ChainRuleExample:
    """``f = (x*y + z)**2`` through ``u = x*y``, ``v = u + z``, ``f = v**2``.

    ``values`` are the forward values of every node, ``local`` the local derivatives
    on every edge (``"u/x"`` is ∂u/∂x) and ``grads`` the gradients ∂f/∂node obtained by
    multiplying local derivatives backwards along the graph.
    """

    values: dict[str, float]
    local: dict[str, float]
    grads: dict[str, float]


def chain_rule_example(x: float, y: float, z: float) -> ChainRuleExample:
    """Forward values, local derivatives and backpropagated gradients of ``(x*y + z)**2``."""
    x, y, z = check_real(x, "x"), check_real(y, "y"), check_real(z, "z")
    u = x * y
    v = u + z
    f = v * v
    local = {"f/v": 2.0 * v, "v/u": 1.0, "v/z": 1.0, "u/x": y, "u/y": x}
    df_dv = local["f/v"]
    df_du = df_dv * local["v/u"]
    grads = {
        "f": 1.0,
        "v": df_dv,
        "u": df_du,
        "z": df_dv * local["v/z"],
        "x": df_du * local["u/x"],
        "y": df_du * local["u/y"],
    }
    return ChainRuleExample({"x": x, "y": y, "z": z, "u": u, "v": v, "f": f}, local, grads)


#: Where :func:`draw_chain_rule` puts each node (data coordinates).
_NODE_XY = {
    "x": (0.0, 2.0),
    "y": (0.0, 1.0),
    "z": (0.0, 0.0),
    "u": (1.6, 1.5),
    "v": (3.2, 0.9),
    "f": (4.8, 0.9),
}
_NODE_OP = {"x": "x", "y": "y", "z": "z", "u": "u = x·y", "v": "v = u + z", "f": "f = v²"}
_EDGES = (("x", "u"), ("y", "u"), ("u", "v"), ("z", "v"), ("v", "f"))


def draw_chain_rule(example: ChainRuleExample, ax) -> None:
    """Draw the computation graph of ``example`` on the matplotlib axes ``ax``: each node
    with its forward value (blue) and its gradient ∂f/∂node (orange), each edge with its
    local derivative."""
    if not isinstance(example, ChainRuleExample):
        raise TypeError(f"example must be a ChainRuleExample, got {type(example).__name__}")
    if not hasattr(ax, "annotate") or not hasattr(ax, "text"):
        raise TypeError(f"ax must be matplotlib Axes, got {type(ax).__name__}")
    from .plotting import PALETTE

    blue, orange = PALETTE[0], PALETTE[1]
    boxes = {}
    for node, (xn, yn) in _NODE_XY.items():
        boxes[node] = ax.text(
            xn,
            yn,
            _NODE_OP[node],
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.35", "fc": "#f4f4f4", "ec": "#555555"},
        )
        ax.text(xn, yn - 0.22, f"{example.values[node]:g}", ha="center", va="top", fontsize=8, color=blue)
        ax.text(
            xn,
            yn - 0.42,
            f"∂f/∂{node} = {example.grads[node]:g}",
            ha="center",
            va="top",
            fontsize=8,
            color=orange,
        )
    for a, b in _EDGES:
        (xa, ya), (xb, yb) = _NODE_XY[a], _NODE_XY[b]
        # arrows run between the boxes' edges, whatever the width of their text
        ax.annotate(
            "",
            xy=(0.0, 0.5),
            xycoords=boxes[b],
            xytext=(1.0, 0.5),
            textcoords=boxes[a],
            arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 1.2, "shrinkA": 6, "shrinkB": 6},
        )
        label = f"∂{b}/∂{a} = {example.local[f'{b}/{a}']:g}"
        ax.text(
            (xa + xb) / 2,
            (ya + yb) / 2,
            label,
            ha="center",
            va="center",
            fontsize=8,
            color="#333333",
            bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"},
        )
    ax.set_xlim(-0.6, 5.5)
    ax.set_ylim(-0.7, 2.4)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


# ------------------------------------------------------------------ convolution


def _check_stride_padding(stride, padding) -> tuple[int, int]:
    return check_int(stride, "stride", minimum=1), check_int(padding, "padding", minimum=0)


def conv2d_input_grad(grad_output, weight, input_shape, stride: int = 1, padding: int = 0):
    """Gradient of a ``conv2d(x, weight, stride, padding)`` loss w.r.t. ``x`` (PyTorch).

    It is the transposed convolution of ``grad_output`` with the *same* weights. With a
    stride > 1 several input sizes give the same output size, so ``output_padding`` adds
    back the rows/columns the forward pass dropped; ``input_shape`` (N, C, H, W) fixes it.
    """
    import torch
    import torch.nn.functional as F

    stride, padding = _check_stride_padding(stride, padding)
    for name, t in (("grad_output", grad_output), ("weight", weight)):
        if not isinstance(t, torch.Tensor) or t.ndim != 4:
            raise TypeError(f"{name} must be a 4-D torch.Tensor, got {getattr(t, 'shape', type(t).__name__)}")
    if len(tuple(input_shape)) != 4:
        raise ValueError(f"input_shape must be (N, C, H, W), got {tuple(input_shape)}")
    n, c, h, w = (int(s) for s in input_shape)
    if weight.shape[1] != c or grad_output.shape[1] != weight.shape[0] or grad_output.shape[0] != n:
        raise ValueError(
            f"shapes do not fit: input {tuple(input_shape)}, weight {tuple(weight.shape)} "
            f"(C_out, C_in, kH, kW), grad_output {tuple(grad_output.shape)} (N, C_out, H', W')"
        )
    kh, kw = weight.shape[2:]
    oh, ow = grad_output.shape[2:]
    if (oh, ow) != ((h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1):
        raise ValueError(
            f"grad_output {tuple(grad_output.shape)} is not the output of conv2d on input "
            f"{tuple(input_shape)} "
            f"with kernel {(kh, kw)}, stride {stride}, padding {padding}"
        )
    extra = (h + 2 * padding - kh - (oh - 1) * stride, w + 2 * padding - kw - (ow - 1) * stride)
    return F.conv_transpose2d(grad_output, weight, stride=stride, padding=padding, output_padding=extra)


def conv2d_weight_grad(x, grad_output, kernel_size, stride: int = 1, padding: int = 0):
    """Gradient of a ``conv2d(x, weight, stride, padding)`` loss w.r.t. ``weight`` (PyTorch).

    It is the cross-correlation of the input with the output gradient, summed over the
    batch: swap the batch and channel axes of both, correlate (the output gradient acts
    as the kernel, dilated by the stride), swap back and crop to ``kernel_size``.
    """
    import torch
    import torch.nn.functional as F

    stride, padding = _check_stride_padding(stride, padding)
    for name, t in (("x", x), ("grad_output", grad_output)):
        if not isinstance(t, torch.Tensor) or t.ndim != 4:
            raise TypeError(f"{name} must be a 4-D torch.Tensor, got {getattr(t, 'shape', type(t).__name__)}")
    kh, kw = (check_int(k, "kernel_size", minimum=1) for k in kernel_size)
    if x.shape[0] != grad_output.shape[0]:
        raise ValueError(
            f"x {tuple(x.shape)} and grad_output {tuple(grad_output.shape)} must have the same batch size"
        )
    h, w = x.shape[2:]
    oh, ow = grad_output.shape[2:]
    if (oh, ow) != ((h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1):
        raise ValueError(
            f"grad_output {tuple(grad_output.shape)} is not the output of conv2d on x {tuple(x.shape)} "
            f"with kernel {(kh, kw)}, stride {stride}, padding {padding}"
        )
    corr = F.conv2d(x.transpose(0, 1), grad_output.transpose(0, 1), padding=padding, dilation=stride)
    return corr.transpose(0, 1)[:, :, :kh, :kw]

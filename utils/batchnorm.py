"""Batch Normalization in numpy: forward, backward, running statistics, and its cost.

Taught on: "Batch Normalization (BN)". The numpy functions follow Ioffe & Szegedy (2015):
a batch is normalised per channel with its mean and its *biased* variance (divide by the
number of values per channel), then scaled by ``gamma`` and shifted by ``beta``. Input is
``(N, C)`` (features) or ``(N, C, H, W)`` (images, channels first, as PyTorch's
``BatchNorm2d``); statistics are taken over every axis but the channel axis 1.

The running statistics used at inference follow two conventions, both reproduced by
:func:`update_running_stats`:

* PyTorch: ``new = (1 - m) * old + m * batch`` with ``m = momentum = 0.1`` by default,
  and the *unbiased* batch variance (divide by n - 1); ``momentum=None`` gives the
  cumulative (plain) average over the batches seen so far.
* Keras 3: ``new = m * old + (1 - m) * batch`` with ``m = momentum = 0.99`` by default,
  and the *biased* batch variance (``keras.ops.moments``).

The torch helpers (:func:`layer_input_statistics`, :func:`recalibrate_running_stats`,
:func:`bn_bandwidth`, :func:`bn_benchmark`) import torch lazily.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from pathlib import Path

import numpy as np

from ._checks import as_float_array, check_int, check_module, check_positive_real
from .diagnostics import capture_module_inputs, hooks
from .env import device_name
from .paths import atomic_write
from .timing import MIN_BATCH_SECONDS, measure
from .training import as_tensor, train_mode

#: Running-statistics conventions accepted by :func:`update_running_stats`.
CONVENTIONS = ("keras", "torch")

#: Tensor passes counted by :func:`bn_bandwidth`'s byte model: forward reads x and
#: writes y; backward reads dy, reads x again and writes dx (per-channel vectors ignored).
BYTE_PASSES = 5


# --------------------------------------------------------------------------- numpy BN


def _check_batch(x, name: str = "x") -> np.ndarray:
    """A finite (N, C) or (N, C, H, W) float array with more than one value per channel."""
    x = as_float_array(x, name)
    if x.ndim not in (2, 4):
        raise ValueError(f"{name} must have shape (N, C) or (N, C, H, W), got shape {x.shape}")
    if 0 in x.shape:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    per_channel = x.size // x.shape[1]
    if per_channel < 2:
        raise ValueError(
            f"{name} needs more than one value per channel (N*H*W >= 2, so N >= 2 for (N, C) "
            f"input), got shape {x.shape}: the batch variance would be 0"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must contain only finite values")
    return x


def _check_channel_vector(v, name: str, channels: int, x_shape: tuple) -> np.ndarray:
    v = as_float_array(v, name)
    if v.shape != (channels,):
        raise ValueError(
            f"{name} must have shape ({channels},) to match x of shape {x_shape}, got shape {v.shape}"
        )
    return v


def _reduce_axes(ndim: int) -> tuple[int, ...]:
    return (0,) if ndim == 2 else (0, 2, 3)


def _channel_view(v: np.ndarray, ndim: int) -> np.ndarray:
    return v if ndim == 2 else v[None, :, None, None]


def batch_statistics(x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-channel ``(mean, biased variance, unbiased variance)`` of an (N, C[, H, W]) batch.

    The biased variance (divide by n = N*H*W) is what BN normalises with; the unbiased one
    (divide by n - 1) is what PyTorch puts into its running variance.
    """
    x = _check_batch(x)
    axes = _reduce_axes(x.ndim)
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    return mean, var, var * n / (n - 1)


def batchnorm_forward(x, gamma, beta, eps: float = 1e-5):
    """Training-mode BN: ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` per channel.

    ``x`` is (N, C) or (N, C, H, W); ``gamma`` and ``beta`` have shape (C,). ``mean`` and
    ``var`` are the batch's per-channel mean and biased variance. Returns ``(y, cache)``;
    the cache holds what :func:`batchnorm_backward` needs. Raises ``ValueError`` for
    other shapes, for a single value per channel (N*H*W < 2) and for ``eps <= 0``.
    """
    x = _check_batch(x)
    eps = check_positive_real(eps, "eps")
    channels = x.shape[1]
    gamma = _check_channel_vector(gamma, "gamma", channels, x.shape)
    beta = _check_channel_vector(beta, "beta", channels, x.shape)
    axes = _reduce_axes(x.ndim)
    mean = x.mean(axis=axes)  # step 1: batch mean
    var = x.var(axis=axes)  # step 2: biased batch variance
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - _channel_view(mean, x.ndim)) * _channel_view(inv_std, x.ndim)  # step 3
    y = _channel_view(gamma, x.ndim) * x_hat + _channel_view(beta, x.ndim)  # step 4
    cache = {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma, "mean": mean, "var": var, "eps": eps}
    return y, cache


def batchnorm_backward(dy, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of BN given the upstream gradient ``dy`` and the forward pass's cache.

    With ``x_hat`` the normalised input, ``n`` the values per channel and sums over all
    axes but the channel axis: ``dbeta = sum(dy)``, ``dgamma = sum(dy * x_hat)`` and
    ``dx = gamma / sqrt(var + eps) * (dy - dbeta / n - x_hat * dgamma / n)``.
    Returns ``(dx, dgamma, dbeta)``.
    """
    if not isinstance(cache, dict) or not {"x_hat", "inv_std", "gamma"} <= cache.keys():
        raise TypeError("cache must be the dict returned by batchnorm_forward")
    x_hat = cache["x_hat"]
    dy = as_float_array(dy, "dy")
    if dy.shape != x_hat.shape:
        raise ValueError(f"dy must have the shape of the forward input {x_hat.shape}, got shape {dy.shape}")
    if not np.all(np.isfinite(dy)):
        raise ValueError("dy must contain only finite values")
    axes = _reduce_axes(dy.ndim)
    n = dy.size // dy.shape[1]
    dbeta = dy.sum(axis=axes)
    dgamma = (dy * x_hat).sum(axis=axes)
    scale = _channel_view(cache["gamma"] * cache["inv_std"], dy.ndim)
    dx = scale * (dy - _channel_view(dbeta / n, dy.ndim) - x_hat * _channel_view(dgamma / n, dy.ndim))
    return dx, dgamma, dbeta


def batchnorm_inference(x, mean, var, gamma, beta, eps: float = 1e-5) -> np.ndarray:
    """Inference-mode BN: normalise with fixed (running) ``mean`` and ``var`` of shape (C,).

    ``x`` is (N, C) or (N, C, H, W); any N >= 1 works, since no statistics are taken from
    the batch. ``var`` must be >= 0.
    """
    x = as_float_array(x, "x")
    if x.ndim not in (2, 4) or 0 in x.shape:
        raise ValueError(f"x must have shape (N, C) or (N, C, H, W) and not be empty, got shape {x.shape}")
    eps = check_positive_real(eps, "eps")
    channels = x.shape[1]
    mean, var, gamma, beta = (
        _check_channel_vector(v, name, channels, x.shape)
        for v, name in ((mean, "mean"), (var, "var"), (gamma, "gamma"), (beta, "beta"))
    )
    if np.any(var < 0):
        raise ValueError("var must be >= 0 in every channel")
    scale = gamma / np.sqrt(var + eps)
    return _channel_view(scale, x.ndim) * (x - _channel_view(mean, x.ndim)) + _channel_view(beta, x.ndim)


def _check_momentum(momentum, convention: str):
    if momentum is None:
        if convention != "torch":
            raise ValueError("momentum=None (cumulative average) exists only in the 'torch' convention")
        return None
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.integer, np.floating)):
        raise TypeError(f"momentum must be a float in [0, 1] or None, got {type(momentum).__name__}")
    momentum = float(momentum)
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    return momentum


def update_running_stats(running_mean, running_var, x, momentum, convention: str, *, step: int | None = None):
    """New ``(running_mean, running_var)`` after one training batch ``x``, as a framework does it.

    ``convention="torch"``: ``new = (1 - momentum) * old + momentum * batch`` with the
    unbiased batch variance (``torch.nn.BatchNorm*d``, default ``momentum=0.1``). With
    ``momentum=None`` torch keeps a cumulative average: pass ``step``, the number of
    batches seen including this one (torch's ``num_batches_tracked``), and the factor is
    ``1 / step``. ``convention="keras"``: ``new = momentum * old + (1 - momentum) * batch``
    with the biased batch variance (``keras.layers.BatchNormalization``, default
    ``momentum=0.99``). The inputs are not modified.
    """
    if not isinstance(convention, str):
        raise TypeError(f"convention must be a str, got {type(convention).__name__}")
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; known: {', '.join(CONVENTIONS)}")
    momentum = _check_momentum(momentum, convention)
    mean, var_biased, var_unbiased = batch_statistics(x)
    x_shape = np.shape(x)
    old_mean = _check_channel_vector(running_mean, "running_mean", len(mean), x_shape)
    old_var = _check_channel_vector(running_var, "running_var", len(mean), x_shape)
    if convention == "keras":
        if step is not None:
            raise ValueError("step is used only with convention='torch' and momentum=None")
        return momentum * old_mean + (1 - momentum) * mean, momentum * old_var + (1 - momentum) * var_biased
    if momentum is None:
        if step is None:
            raise ValueError("momentum=None needs step (batches seen, including this one)")
        factor = 1.0 / check_int(step, "step", minimum=1)
    else:
        if step is not None:
            raise ValueError("step is used only with momentum=None")
        factor = momentum
    return (1 - factor) * old_mean + factor * mean, (1 - factor) * old_var + factor * var_unbiased


def identity_parameters(x, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """The ``(gamma, beta)`` that make training-mode BN return its input unchanged.

    They are ``gamma = sqrt(var + eps)`` and ``beta = mean`` with the batch's mean and
    biased variance (not ``gamma = var``).
    """
    x = _check_batch(x)
    eps = check_positive_real(eps, "eps")
    mean, var, _ = batch_statistics(x)
    return np.sqrt(var + eps), mean


# --------------------------------------------------------------------------- torch models


def _bn_layers(model) -> list:
    import torch.nn as nn

    check_module(model)
    kinds = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
    layers = [m for m in model.modules() if isinstance(m, kinds)]
    if not layers:
        raise ValueError("model has no BatchNorm layer")
    return layers


def layer_input_statistics(model, x) -> list[dict[str, np.ndarray]]:
    """Per-channel statistics of what each BatchNorm layer of ``model`` receives on ``x``.

    The model runs once on all of ``x`` in eval mode (as at inference; its training flag
    is restored afterwards), on the device of its parameters. Returns one dict per BN layer,
    in order, with float64 arrays ``mean``, ``var`` (biased) and ``var_unbiased``.
    """
    layers = _bn_layers(model)
    param = next(model.parameters())
    x = as_tensor(x, dtype=param.dtype, device=param.device)
    seen = capture_module_inputs(model, x, layers)
    stats = []
    for inp in seen:
        mean, var, var_unbiased = batch_statistics(inp.cpu().double().numpy())
        stats.append({"mean": mean, "var": var, "var_unbiased": var_unbiased})
    return stats


def recalibrate_running_stats(model, x, batch_size: int) -> list[dict[str, np.ndarray]]:
    """Recompute every BN layer's running statistics as a plain average over batches.

    The running statistics are reset and ``momentum`` set to ``None`` (torch's cumulative
    average); ``x`` is passed once, in order, in batches of ``batch_size``, in train mode
    without gradients. Afterwards each layer's running mean is the average of its batch
    means, its running variance the average of its unbiased batch variances. The model's
    momentum values and training flag are restored. Returns, per BN layer, the batch
    statistics seen (``batch_means`` and ``batch_vars_unbiased``, shape (batches, C)).
    """
    import torch

    layers = _bn_layers(model)
    batch_size = check_int(batch_size, "batch_size", minimum=2)
    param = next(model.parameters())
    x = as_tensor(x, dtype=param.dtype, device=param.device)
    if len(x) % batch_size == 1:
        raise ValueError(
            f"the last batch would hold a single sample ({len(x)} samples, batch_size={batch_size})"
        )
    seen: list[list] = [[] for _ in layers]

    def record(i, module, args, output):
        seen[i].append(args[0].detach().cpu().double().numpy())

    momenta = [layer.momentum for layer in layers]
    try:
        for layer in layers:
            layer.reset_running_stats()
            layer.momentum = None
        with hooks(layers, forward=record), train_mode(model), torch.no_grad():
            for first in range(0, len(x), batch_size):
                model(x[first : first + batch_size])
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    out = []
    for batches in seen:
        stats = [batch_statistics(b) for b in batches]
        out.append(
            {
                "batch_means": np.stack([s[0] for s in stats]),
                "batch_vars_unbiased": np.stack([s[2] for s in stats]),
            }
        )
    return out


# --------------------------------------------------------------------------- cost on a device


def _check_shape(shape) -> tuple[int, int, int, int]:
    if not isinstance(shape, (tuple, list)) or len(shape) != 4:
        raise ValueError(f"shape must be a 4-tuple (N, C, H, W), got {shape!r}")
    shape = tuple(check_int(s, "shape entry", minimum=1) for s in shape)
    if shape[0] * shape[2] * shape[3] < 2:
        raise ValueError(f"shape needs N*H*W >= 2 for training-mode BN, got {shape}")
    return shape


def bn_bandwidth(shape, device="cpu", *, dtype: str = "float32", repeats: int = 5, warmup: int = 2) -> dict:
    """Time BN forward + backward on an (N, C, H, W) tensor and estimate memory bandwidth.

    Runs ``torch.nn.functional.batch_norm`` in training mode and its backward on ``device``
    (a GPU is synchronised after each call), ``warmup`` times untimed, then times
    ``repeats`` batches of calls with :func:`utils.timing.measure`; a batch holds enough
    calls to last at least :data:`utils.timing.MIN_BATCH_SECONDS`, so that the clock's
    resolution does not matter. The byte model counts :data:`BYTE_PASSES` passes over the
    tensor (read x, write y; read dy, read x again, write dx) and ignores the per-channel
    vectors, so ``gb_per_s = 5 * numel * itemsize / seconds / 1e9`` is an effective
    (lower-bound) bandwidth. Returns a dict with ``shape``, ``numel``, ``bytes``,
    ``seconds`` (the best batch, in seconds per call: the least disturbed by other work on
    the machine), ``seconds_median`` (the median batch: much larger than ``seconds`` when
    the machine was busy) and ``gb_per_s`` (from ``seconds``).
    """
    import torch
    import torch.nn.functional as F

    shape = _check_shape(shape)
    repeats = check_int(repeats, "repeats", minimum=1)
    warmup = check_int(warmup, "warmup", minimum=0)
    if dtype not in ("float32", "float16", "bfloat16", "float64"):
        raise ValueError(f"dtype must be one of float32, float16, bfloat16, float64; got {dtype!r}")
    device = torch.device(device)
    torch_dtype = getattr(torch, dtype)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=gen).to(device=device, dtype=torch_dtype).requires_grad_(True)
    dy = torch.randn(shape, generator=gen).to(device=device, dtype=torch_dtype)
    weight = torch.ones(shape[1], device=device, dtype=torch_dtype, requires_grad=True)
    bias = torch.zeros(shape[1], device=device, dtype=torch_dtype, requires_grad=True)

    def step():
        y = F.batch_norm(x, None, None, weight, bias, training=True)
        x.grad = weight.grad = bias.grad = None
        y.backward(dy)

    def step_synchronised():
        step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        step_synchronised()
    once = measure(step_synchronised, repeat=1, number=1)
    number = max(1, math.ceil(MIN_BATCH_SECONDS / max(once, 1e-9)))
    batches = [measure(step_synchronised, repeat=1, number=number) for _ in range(repeats)]
    seconds = min(batches)
    numel = math.prod(shape)
    nbytes = BYTE_PASSES * numel * x.element_size()
    return {
        "shape": list(shape),
        "numel": numel,
        "bytes": nbytes,
        "seconds": seconds,
        "seconds_median": float(np.median(batches)),
        "gb_per_s": nbytes / seconds / 1e9,
    }


def bn_benchmark(shapes, device="cpu", *, dtype: str = "float32", repeats: int = 5) -> dict:
    """Run :func:`bn_bandwidth` for each (N, C, H, W) in ``shapes`` and record where.

    Returns a JSON-ready dict: ``device`` (type), ``device_name``, ``torch`` (version),
    ``threads`` (torch's CPU threads: the caller's setting, unchanged), ``date`` (UTC, ISO),
    ``load_average`` (1-minute load of the machine, read after the measurement: other work
    slows a CPU measurement), ``dtype``, ``repeats``, ``byte_passes`` and ``results`` (one
    :func:`bn_bandwidth` dict per shape).
    """
    import torch

    shapes = list(shapes)
    if not shapes:
        raise ValueError("shapes must name at least one (N, C, H, W) shape")
    results = [bn_bandwidth(s, device, dtype=dtype, repeats=repeats) for s in shapes]
    return {
        "device": torch.device(device).type,
        "device_name": device_name(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "dtype": dtype,
        "repeats": repeats,
        "byte_passes": BYTE_PASSES,
        "results": results,
    }


_BENCHMARK_KEYS = ("device", "device_name", "torch", "threads", "date", "dtype", "byte_passes", "results")
_RESULT_KEYS = ("shape", "numel", "bytes", "seconds", "gb_per_s")


def _check_benchmark(record) -> dict:
    if not isinstance(record, dict):
        raise TypeError(f"a benchmark record must be a dict, got {type(record).__name__}")
    missing = [k for k in _BENCHMARK_KEYS if k not in record]
    if missing:
        raise KeyError(f"benchmark record lacks {', '.join(missing)}")
    if not isinstance(record["results"], list) or not record["results"]:
        raise ValueError("benchmark record needs a non-empty list of results")
    for row in record["results"]:
        absent = [k for k in _RESULT_KEYS if not isinstance(row, dict) or k not in row]
        if absent:
            raise KeyError(f"benchmark result lacks {', '.join(absent)}")
    return record


def save_benchmark(record: dict, path) -> Path:
    """Write a :func:`bn_benchmark` record as JSON; the file is replaced only when complete."""
    record = _check_benchmark(record)
    text = json.dumps(record, indent=1) + "\n"  # fails before anything is written
    with atomic_write(path) as tmp:
        tmp.write_text(text)
    return path


def load_benchmark(path) -> dict:
    """Read and check a record written by :func:`save_benchmark`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no benchmark file at {path}")
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name} is not valid JSON: {exc}") from None
    return _check_benchmark(record)

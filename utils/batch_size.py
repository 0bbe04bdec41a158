"""Experiments on the batch size: gradient noise, throughput, time to a target accuracy.

Taught on: "Batch size (batch_size 的使用)".

Everything here measures what the batch size changes when a small classifier is trained
with :func:`utils.training.fit`:

- how close a mini-batch gradient is to the full-batch gradient (cosine similarity) and
  how its variance falls with the batch size (:func:`gradient_noise`);
- how many samples per second a training step processes (:func:`throughput`), how much
  work a step does whatever the machine (:func:`step_work`: tensor operations dispatched
  and floating-point operations), and a two-parameter cost model of a step's time
  (:func:`fit_step_cost`, :func:`time_optimal_overheads`);
- how many epochs, steps and seconds it takes to reach a target accuracy
  (:func:`time_to_accuracy`), and what accuracy and sharpness training ends with
  (:func:`final_accuracy_sweep`, :func:`top_hessian_eigenvalue`);
- full-batch Rprop (:func:`rprop_full_batch`), and what Rprop does on a sign flip
  (:func:`rprop_trace`);
- the error surface of a linear neuron under the mean squared error, a paraboloid whose
  level sets are ellipses (:func:`quadratic_surface`, :func:`linear_sgd_path`).

Functions that train take a ``model_factory`` (no arguments, returns a fresh
``torch.nn.Module``; the torch seed is set just before it is called, so the initial
weights depend only on ``seed``) and an ``optimizer_factory(params, batch_size)`` that
returns a ``torch.optim.Optimizer`` (so the learning rate may depend on the batch size).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from ._checks import as_float_array, check_int, check_module, check_positive_real, check_real
from .timing import measure
from .training import History, as_tensor, evaluate, first_reaching, fit, train_step

# --------------------------------------------------------------------------- checks


def _check_batch_sizes(batch_sizes, n: int, name: str = "batch_sizes") -> tuple[int, ...]:
    if isinstance(batch_sizes, (str, bytes)) or not isinstance(batch_sizes, Sequence):
        raise TypeError(f"{name} must be a sequence of ints, got {type(batch_sizes).__name__}")
    sizes = tuple(check_int(b, f"each of {name}", minimum=1, maximum=n) for b in batch_sizes)
    if not sizes:
        raise ValueError(f"{name} must hold at least one batch size")
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"{name} must not repeat a batch size, got {list(sizes)}")
    return sizes


def _as_xy(x, y):
    """(x, y) as float32 / int64 CPU tensors of the same length."""
    import torch

    def tensor(a, dtype, name):
        if not isinstance(a, (torch.Tensor, np.ndarray)):
            raise TypeError(f"{name} must be a numpy array or torch tensor, got {type(a).__name__}")
        return as_tensor(a.detach() if isinstance(a, torch.Tensor) else a, dtype, "cpu")

    x, y = tensor(x, torch.float32, "x"), tensor(y, torch.int64, "y")
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (samples, features), got shape {tuple(x.shape)}")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be 1-D with one label per row of x ({len(x)}), got shape {tuple(y.shape)}")
    if len(x) == 0:
        raise ValueError("x must hold at least one sample")
    return x, y


def _check_model(model, *, per_sample: bool = False):
    import torch.nn as nn

    check_module(model)
    if not any(True for _ in model.parameters()):
        raise ValueError("model has no parameters")
    if per_sample:
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) or (isinstance(m, nn.Dropout) and m.p > 0):
                raise ValueError(
                    "per-sample gradients need layers that treat every sample alone and "
                    f"deterministically; the model has a {type(m).__name__} layer"
                )
    return model


def _check_data(data):
    for name in ("x_train", "y_train", "x_test", "y_test"):
        if not hasattr(data, name):
            raise TypeError(
                f"data must have x_train, y_train, x_test and y_test (e.g. utils.digits.Split); "
                f"{type(data).__name__} has no {name}"
            )
    return data


def _check_callable(fn, name: str):
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    return fn


def _check_fraction(value, name: str) -> float:
    return check_real(value, name, above=0, maximum=1)


# ------------------------------------------------------------------ gradients


def _double_copy(model):
    """A float64 copy of ``model`` on the same device, with gradients cleared."""
    import torch

    device = next(model.parameters()).device
    twin = copy.deepcopy(model).to(device=device, dtype=torch.float64)
    for p in twin.parameters():
        p.grad = None
    return twin, device


def full_gradient(model, x, y) -> np.ndarray:
    """The gradient of the mean cross-entropy over all of ``(x, y)``, flattened over
    every parameter in ``model.parameters()`` order, computed in float64.

    ``model`` itself is not changed (a float64 copy does the work).
    """
    import torch
    import torch.nn.functional as F

    _check_model(model)
    x, y = _as_xy(x, y)
    twin, device = _double_copy(model)
    loss = F.cross_entropy(twin(x.to(device, torch.float64)), y.to(device))
    loss.backward()
    return np.concatenate([p.grad.detach().cpu().numpy().ravel() for p in twin.parameters()])


def per_sample_gradients(model, x, y, chunk_size: int = 256) -> np.ndarray:
    """One flattened cross-entropy gradient per sample: an array of shape
    ``(len(x), number of parameters)`` in float64 (``torch.func.vmap`` over
    ``torch.func.grad``).

    Their mean is :func:`full_gradient`. The model must not contain BatchNorm or
    active Dropout (a per-sample gradient is not defined for them).
    """
    import torch
    import torch.nn.functional as F
    from torch.func import functional_call, grad, vmap

    _check_model(model, per_sample=True)
    x, y = _as_xy(x, y)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    twin, device = _double_copy(model)
    params = {k: v.detach() for k, v in twin.named_parameters()}

    def loss_one(p, xi, yi):
        logits = functional_call(twin, p, (xi.unsqueeze(0),))
        return F.cross_entropy(logits, yi.unsqueeze(0))

    per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0), chunk_size=chunk_size)
    g = per_sample(params, x.to(device, torch.float64), y.to(device))
    n = len(x)
    return torch.cat([g[k].reshape(n, -1) for k in params], dim=1).detach().cpu().numpy()


@dataclass(frozen=True)
class GradientNoise:
    """What :func:`gradient_noise` measured, one entry per batch size.

    ``cosine``: mean cosine similarity between a mini-batch gradient and the full-batch
    gradient (``cosine_std`` its spread over the sampled batches); ``variance``: mean
    squared distance ``‖g_B − g‖²`` (the trace of the mini-batch gradient's covariance);
    ``predicted_variance``: the closed form ``tr(Σ)/B · (N − B)/(N − 1)`` for batches
    drawn without replacement, with Σ the covariance of the per-sample gradients.
    """

    batch_sizes: tuple[int, ...]
    cosine: np.ndarray
    cosine_std: np.ndarray
    variance: np.ndarray
    predicted_variance: np.ndarray
    full_gradient_norm: float
    n: int

    def slope(self, max_batch: int | None = None) -> float:
        """Log-log slope of the measured variance against the batch size, fitted over
        the batch sizes ≤ ``max_batch`` (default: all below the full set, whose variance is 0)."""
        b = np.asarray(self.batch_sizes, dtype=float)
        keep = (self.variance > 0) & (b < self.n)
        if max_batch is not None:
            keep &= b <= check_int(max_batch, "max_batch", minimum=1)
        return loglog_slope(b[keep], self.variance[keep])


def gradient_noise(model, x, y, batch_sizes, n_batches: int = 100, seed: int = 0) -> GradientNoise:
    """Compare mini-batch gradients with the full-batch gradient of ``model`` on ``(x, y)``.

    For each batch size B, ``n_batches`` batches are drawn without replacement (as one
    epoch's mini-batches are) with ``numpy.random.default_rng(seed)``; each batch's
    gradient is the mean of its samples' per-sample gradients
    (:func:`per_sample_gradients`).
    """
    G = per_sample_gradients(model, x, y)
    n = G.shape[0]
    sizes = _check_batch_sizes(batch_sizes, n)
    n_batches = check_int(n_batches, "n_batches", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    g = G.mean(axis=0)
    g_norm = float(np.linalg.norm(g))
    if g_norm == 0.0:
        raise ValueError("the full-batch gradient is zero: cosine similarities are undefined")
    trace_sigma = float(((G - g) ** 2).sum(axis=1).mean())  # tr of the population covariance
    cos_mean, cos_std, var, pred = [], [], [], []
    for b in sizes:
        if b == n:  # every "batch" is the whole set: exactly the full gradient
            cos, dist = np.ones(n_batches), np.zeros(n_batches)
        else:
            picks = np.stack([rng.choice(n, size=b, replace=False) for _ in range(n_batches)])
            if b < 16:  # small batches: gathering their rows is cheapest
                gb = G[picks].mean(axis=1)
            else:  # larger ones: one product with a selection matrix (weights 1/B) is faster
                select = np.zeros((n_batches, n))
                np.put_along_axis(select, picks, 1.0 / b, axis=1)
                gb = select @ G
            cos = (gb @ g) / (np.linalg.norm(gb, axis=1) * g_norm)
            dist = ((gb - g) ** 2).sum(axis=1)
        cos_mean.append(cos.mean())
        cos_std.append(cos.std())
        var.append(dist.mean())
        pred.append(trace_sigma / b * ((n - b) / (n - 1) if n > 1 else 0.0))
    return GradientNoise(
        sizes, np.array(cos_mean), np.array(cos_std), np.array(var), np.array(pred), g_norm, n
    )


def loglog_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (the exponent of a power law)."""
    x = as_float_array(x, "x").ravel()
    y = as_float_array(y, "y").ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if x.size < 2:
        raise ValueError(f"need at least 2 points to fit a slope, got {x.size}")
    if np.any(x <= 0) or np.any(y <= 0) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be positive and finite for a log-log fit")
    lx, ly = np.log(x), np.log(y)
    if np.ptp(lx) == 0:
        raise ValueError("x must hold at least two different values")
    lx0 = lx - lx.mean()
    return float((lx0 @ (ly - ly.mean())) / (lx0 @ lx0))


def top_hessian_eigenvalue(model, x, y, iterations: int = 30, seed: int = 0) -> float:
    """The largest-magnitude eigenvalue of the Hessian of the mean cross-entropy on
    ``(x, y)`` with respect to all parameters: the *sharpness* of the point ``model``
    sits at (Keskar et al. 2017). Power iteration with Hessian-vector products (double
    backward) in float64, started from a random vector seeded by ``seed``; returns the
    Rayleigh quotient of the last iterate.
    """
    import torch
    import torch.nn.functional as F

    _check_model(model)
    x, y = _as_xy(x, y)
    iterations = check_int(iterations, "iterations", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    twin, device = _double_copy(model)
    params = [p for p in twin.parameters() if p.requires_grad]
    loss = F.cross_entropy(twin(x.to(device, torch.float64)), y.to(device))
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat_grad = torch.cat([g.reshape(-1) for g in grads])
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(flat_grad.numel(), generator=gen, dtype=torch.float64).to(device)
    v /= v.norm()
    value = 0.0
    for _ in range(iterations):
        hv = torch.autograd.grad(flat_grad @ v, params, retain_graph=True)
        hv = torch.cat([h.reshape(-1) for h in hv])
        value = float(v @ hv)
        norm = hv.norm()
        if norm == 0:
            return 0.0
        v = hv / norm
    return value


# ------------------------------------------------------------------ throughput


def _step_optimizer(optimizer_factory):
    """The optimizer factory of a timed step: plain SGD with a tiny learning rate by default."""
    import torch

    if optimizer_factory is None:

        def optimizer_factory(params, batch_size):
            return torch.optim.SGD(params, lr=1e-4)

    return _check_callable(optimizer_factory, "optimizer_factory")


def _training_step(model, optimizer, x, y, idx, device) -> None:
    """What :func:`utils.training.fit` does per batch: index the batch, move it to
    ``device``, then :func:`utils.training.train_step` with cross-entropy."""
    import torch.nn.functional as F

    train_step(model, optimizer, F.cross_entropy, x[idx].to(device), y[idx].to(device))


def throughput(
    model_factory: Callable,
    x,
    y,
    batch_sizes,
    *,
    optimizer_factory: Callable | None = None,
    min_samples: int = 256,
    min_steps: int = 5,
    repeats: int = 3,
    seed: int = 0,
    device=None,
) -> dict[int, float]:
    """Training throughput in samples per second for each batch size.

    One step is what :func:`utils.training.fit` does per batch: index the batch, move it
    to ``device``, forward, cross-entropy, backward, optimizer step, read the loss. Each
    batch size is timed with :func:`utils.timing.measure` (best of ``repeats`` runs of
    ``max(min_steps, ceil(min_samples / B))`` steps) after two warm-up steps. The default
    optimizer is plain SGD with a tiny learning rate. Timings vary with the machine and
    its load: print them only in cells whose output is not checked.
    """
    import torch

    _check_callable(model_factory, "model_factory")
    x, y = _as_xy(x, y)
    n = len(x)
    sizes = _check_batch_sizes(batch_sizes, n)
    min_samples = check_int(min_samples, "min_samples", minimum=1)
    min_steps = check_int(min_steps, "min_steps", minimum=1)
    repeats = check_int(repeats, "repeats", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    optimizer_factory = _step_optimizer(optimizer_factory)
    device = torch.device(device) if device is not None else torch.device("cpu")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    result = {}
    for b in sizes:
        torch.manual_seed(seed)
        model = _check_model(model_factory()).to(device)
        model.train()
        optimizer = optimizer_factory(model.parameters(), b)
        batches = [order[i : i + b] for i in range(0, n - b + 1, b)]  # full batches only
        position = [0]

        def step():
            idx = batches[position[0] % len(batches)]
            position[0] += 1
            _training_step(model, optimizer, x, y, idx, device)

        for _ in range(2):
            step()
        steps = max(min_steps, math.ceil(min_samples / b))
        seconds = measure(step, repeat=repeats, number=steps)
        result[b] = b / seconds
    return result


@dataclass(frozen=True)
class StepWork:
    """The work of one training step, counted rather than timed (:func:`step_work`).

    ``operations``: tensor operations PyTorch dispatched (each has a fixed cost: Python,
    argument checks, a kernel launch); ``flops``: floating-point operations of the
    matrix products (``torch.utils.flop_counter``), the arithmetic that grows with B.
    """

    batch_size: int
    operations: int
    flops: int

    @property
    def flops_per_sample(self) -> float:
        """``flops / batch_size``."""
        return self.flops / self.batch_size


def step_work(
    model_factory: Callable,
    x,
    y,
    batch_size: int,
    *,
    optimizer_factory: Callable | None = None,
    seed: int = 0,
    device=None,
) -> StepWork:
    """Count the work of one training step (the step :func:`throughput` times) on a batch of
    ``batch_size`` samples: the tensor operations dispatched (a ``TorchDispatchMode`` sees
    every one) and the FLOPs of its matrix products (``FlopCounterMode``).

    The counts do not depend on the machine's speed or load, unlike a timing. One warm-up
    step runs first, so optimizer state created on the first step is not counted.
    """
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode

    _check_callable(model_factory, "model_factory")
    x, y = _as_xy(x, y)
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=len(x))
    seed = check_int(seed, "seed", minimum=0)
    optimizer_factory = _step_optimizer(optimizer_factory)
    device = torch.device(device) if device is not None else torch.device("cpu")
    torch.manual_seed(seed)
    model = _check_model(model_factory()).to(device)
    model.train()
    optimizer = optimizer_factory(model.parameters(), batch_size)
    idx = torch.arange(batch_size)
    _training_step(model, optimizer, x, y, idx, device)

    class _Count(TorchDispatchMode):
        operations = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.operations += 1
            return func(*args, **(kwargs or {}))

    counter, flops = _Count(), FlopCounterMode(display=False)
    with flops, counter:
        _training_step(model, optimizer, x, y, idx, device)
    return StepWork(batch_size, counter.operations, int(flops.get_total_flops()))


# ------------------------------------------------------------ a cost model of time


def fit_step_cost(rates: Mapping[int, float]) -> tuple[float, float]:
    """Fit the cost model ``t(B) = a + b·B`` (seconds per training step) to measured
    throughputs ``{batch size: samples per second}`` (e.g. from :func:`throughput`).

    ``a`` is the fixed cost of a step, ``b`` the cost of one sample; ``a / b`` is the fixed
    cost in samples' worth of compute, the ``overhead`` of :func:`time_optimal_overheads`.
    The fit minimises the squared *relative* error over the batch sizes, so small and
    large batches count alike. Returns ``(a, b)`` in seconds. Both come from timings:
    print them only in cells whose output is not checked.
    """
    if not isinstance(rates, Mapping):
        raise TypeError(
            f"rates must be a mapping {{batch size: samples per second}}, got {type(rates).__name__}"
        )
    if len(rates) < 2:
        raise ValueError(f"need the throughput of at least 2 batch sizes, got {len(rates)}")
    b = np.array([check_int(k, "each batch size", minimum=1) for k in rates], dtype=float)
    r = as_float_array(list(rates.values()), "rates")
    if np.any(~np.isfinite(r)) or np.any(r <= 0):
        raise ValueError("every throughput must be a positive, finite number of samples per second")
    if np.ptp(b) == 0:
        raise ValueError("rates must hold at least two different batch sizes")
    t = b / r  # seconds per step
    design = np.stack([1.0 / t, b / t], axis=1)  # (a + b·B) / t should be 1
    (a, per_sample), *_ = np.linalg.lstsq(design, np.ones_like(t), rcond=None)
    return float(a), float(per_sample)


def _check_counts(values, name: str) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a sequence of positive numbers or None, got {type(values).__name__}")
    out = []
    for v in values:
        if v is None or v == math.inf:
            out.append(math.inf)
        else:
            out.append(check_positive_real(v, f"each of {name} (None: a run that never got there)"))
    return out


def time_optimal_overheads(steps, samples, margin: float = 1.25) -> list[tuple[float, float]]:
    """For which fixed step costs is an intermediate batch size optimal in time?

    ``steps[i]`` and ``samples[i]`` are the optimizer steps and the samples processed until
    a target was reached with the i-th batch size (batch sizes in increasing order; None
    for a run that never reached it). The cost model counts time in units of one sample's
    compute: ``time = k · steps + samples``, with ``k >= 0`` the fixed cost of a step
    (:func:`fit_step_cost` measures it on a machine: ``a / b``).

    Returns the values of k, as sorted disjoint closed intervals ``(low, high)`` (``high``
    may be ``inf``), for which some intermediate batch size reaches the target at least
    ``margin`` times sooner than both the first and the last one. Each inequality is
    linear in k, so the intervals are exact. An empty list: never.
    """
    steps = _check_counts(steps, "steps")
    samples = _check_counts(samples, "samples")
    if len(steps) != len(samples):
        raise ValueError(f"steps and samples must have the same length, got {len(steps)} and {len(samples)}")
    if len(steps) < 3:
        raise ValueError(f"need at least 3 batch sizes (two ends and one in between), got {len(steps)}")
    if any((s == math.inf) != (m == math.inf) for s, m in zip(steps, samples)):
        raise ValueError("steps and samples must be None for the same runs")
    margin = check_real(margin, "margin", minimum=1)
    found = []
    for i in range(1, len(steps) - 1):
        if steps[i] == math.inf:
            continue
        low, high = 0.0, math.inf
        for end in (0, len(steps) - 1):
            if steps[end] == math.inf:  # the end never gets there: any intermediate run beats it
                continue
            # steps[end]·k + samples[end] >= margin·(steps[i]·k + samples[i])  <=>  c·k >= r
            c = steps[end] - margin * steps[i]
            r = margin * samples[i] - samples[end]
            if c > 0:
                low = max(low, r / c)
            elif c < 0:
                high = min(high, r / c)
            elif r > 0:
                low, high = math.inf, -math.inf
        if low <= high:
            found.append((low, high))
    merged: list[tuple[float, float]] = []
    for low, high in sorted(found):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


# ------------------------------------------------------------------ training runs


@dataclass(frozen=True)
class Run:
    """One training run and what it reached.

    ``history`` is :func:`utils.training.fit`'s record; ``target`` the test accuracy the
    run stopped at (None: it ran all ``epochs_cap`` epochs); ``model`` the trained model.
    """

    label: str
    batch_size: int
    epochs_cap: int
    target: float | None
    history: History
    model: object = field(repr=False, compare=False, default=None)

    def _index(self) -> int | None:
        """Position in ``history`` of the first epoch at ``target``
        (:func:`utils.training.first_reaching`)."""
        return None if self.target is None else first_reaching(self.history.test_accuracy, self.target)

    @property
    def reached(self) -> bool:
        """True when the run reached ``target``."""
        return self._index() is not None

    @property
    def epochs_to_target(self) -> int | None:
        """The first epoch at which the test accuracy was ≥ ``target`` (None if never)."""
        i = self._index()
        return None if i is None else self.history.epoch[i]

    @property
    def steps_to_target(self) -> int | None:
        """Optimizer steps taken up to that epoch (None if never)."""
        i = self._index()
        return None if i is None else self.history.steps[i]

    @property
    def seconds_to_target(self) -> float:
        """Training seconds (evaluation excluded) up to that epoch; ``inf`` if never."""
        i = self._index()
        return math.inf if i is None else self.history.seconds[i]

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy after the last completed epoch (``nan`` if none completed)."""
        return self.history.test_accuracy[-1] if self.history.test_accuracy else math.nan

    @property
    def epochs_run(self) -> int:
        """Completed epochs."""
        return self.history.epoch[-1] if self.history.epoch else 0

    @property
    def diverged(self) -> bool:
        """True when the loss became non-finite or huge (``History.diverged``)."""
        return self.history.diverged


def epochs_cap(batch_size: int, n: int, max_epochs: int, max_steps: int | None = None) -> int:
    """Epoch budget for one batch size: ``max_epochs``, lowered so that the run takes at
    most ``max_steps`` optimizer steps (``ceil(n / batch_size)`` per epoch), but at
    least one epoch."""
    n = check_int(n, "n", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    max_epochs = check_int(max_epochs, "max_epochs", minimum=1)
    if max_steps is None:
        return max_epochs
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    per_epoch = math.ceil(n / batch_size)
    return max(1, min(max_epochs, max_steps // per_epoch))


def scaled_lr(base_lr: float, base_batch: int, batch_size: int, rule: str = "linear") -> float:
    """Learning rate for ``batch_size`` from one tuned at ``base_batch``: ``"linear"``
    (lr ∝ B, Goyal et al. 2017) or ``"sqrt"`` (lr ∝ √B)."""
    base_lr = check_positive_real(base_lr, "base_lr")
    base_batch = check_int(base_batch, "base_batch", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if rule == "linear":
        return base_lr * batch_size / base_batch
    if rule == "sqrt":
        return base_lr * math.sqrt(batch_size / base_batch)
    raise ValueError(f"rule must be 'linear' or 'sqrt', got {rule!r}")


def train_run(
    model_factory: Callable,
    optimizer_factory: Callable,
    data,
    batch_size: int,
    *,
    epochs: int,
    target: float | None = None,
    seed: int = 0,
    device=None,
    label: str = "",
    use_test: bool = True,
) -> Run:
    """Seed torch with ``seed``, build the model and its optimizer, and train with
    :func:`utils.training.fit` (data order fixed by ``seed``) for at most ``epochs``
    epochs, stopping early at ``target`` accuracy. With ``use_test=False`` the test set
    is not passed to ``fit``: the target then applies to the epoch's running training
    accuracy."""
    import torch

    _check_callable(model_factory, "model_factory")
    _check_callable(optimizer_factory, "optimizer_factory")
    _check_data(data)
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    n = len(data.x_train)
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n)
    epochs = check_int(epochs, "epochs", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    if target is not None:
        target = _check_fraction(target, "target")
    torch.manual_seed(seed)
    model = _check_model(model_factory())
    device = torch.device(device) if device is not None else torch.device("cpu")
    model.to(device)
    optimizer = optimizer_factory(model.parameters(), batch_size)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer_factory must return a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    test = dict(x_test=data.x_test, y_test=data.y_test) if use_test else {}
    history = fit(
        model,
        data.x_train,
        data.y_train,
        optimizer=optimizer,
        batch_size=batch_size,
        epochs=epochs,
        target_accuracy=target,
        seed=seed,
        device=device,
        progress=False,
        **test,
    )
    return Run(label, batch_size, epochs, target, history, model)


def time_to_accuracy(
    model_factory: Callable,
    optimizer_factory: Callable,
    data,
    batch_sizes,
    *,
    target: float,
    max_epochs: int = 200,
    max_steps: int | None = None,
    seed: int = 0,
    device=None,
    label: str = "",
) -> list[Run]:
    """For each batch size, train a fresh model (same seed, same initial weights) until
    the test accuracy reaches ``target`` or the epoch budget (:func:`epochs_cap`) is
    spent. Returns one :class:`Run` per batch size, in order."""
    _check_data(data)
    n = len(data.x_train)
    sizes = _check_batch_sizes(batch_sizes, n)
    target = _check_fraction(target, "target")
    max_epochs = check_int(max_epochs, "max_epochs", minimum=1)
    return [
        train_run(
            model_factory,
            optimizer_factory,
            data,
            b,
            epochs=epochs_cap(b, n, max_epochs, max_steps),
            target=target,
            seed=seed,
            device=device,
            label=label,
        )
        for b in sizes
    ]


def rprop_full_batch(
    model_factory: Callable,
    data,
    *,
    epochs: int,
    seed: int = 0,
    device=None,
    batch_size: int | None = None,
    **rprop_options,
) -> Run:
    """Train with ``torch.optim.Rprop`` (Riedmiller & Braun 1993): every weight moves by
    its own step size, which grows while the sign of its gradient stays and shrinks when
    it flips (PyTorch's rule on a flip, without weight-backtracking: :func:`rprop_trace`).
    By default the batch is the whole training set (one step per epoch), the
    setting Rprop was made for; pass ``batch_size`` to try it on mini-batches."""
    import torch

    _check_data(data)
    b = len(data.x_train) if batch_size is None else batch_size

    def factory(params, _):
        return torch.optim.Rprop(params, **rprop_options)

    name = "Rprop, full batch" if batch_size is None else f"Rprop, B={b}"
    return train_run(model_factory, factory, data, b, epochs=epochs, seed=seed, device=device, label=name)


def rprop_trace(
    grads, *, backtracking: bool, lr: float = 0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)
) -> tuple[np.ndarray, np.ndarray]:
    """Follow one weight, starting at 0, through Rprop steps driven by ``grads`` (one
    gradient per step); return the weight and its step size after every step.

    The step size starts at ``lr``; it is multiplied by ``etas[1]`` when the gradient
    keeps its sign from the previous step, by ``etas[0]`` when the sign flips, and
    clipped to ``step_sizes``; the weight moves by the step size against the sign. On a
    sign flip, ``backtracking=False`` is what ``torch.optim.Rprop`` does: the gradient
    counts as zero, so the weight does not move and the next step has no sign to compare
    with. ``backtracking=True`` is Riedmiller & Braun's original (1993): the same, and
    the weight also moves back by the previous step (weight-backtracking).

    Taught on: "Batch size (batch_size 的使用)", Experiment 2.
    """
    if isinstance(grads, (str, bytes)) or not isinstance(grads, Sequence):
        raise TypeError(f"grads must be a sequence of numbers, got {type(grads).__name__}")
    grads = [check_real(g, "each gradient") for g in grads]
    if not grads:
        raise ValueError("grads must hold at least one gradient")
    if not isinstance(backtracking, bool):
        raise TypeError(f"backtracking must be True or False, got {type(backtracking).__name__}")
    step = check_positive_real(lr, "lr")
    if not isinstance(etas, Sequence) or len(etas) != 2:
        raise TypeError(f"etas must be a pair (etaminus, etaplus), got {etas!r}")
    eta_minus = check_real(etas[0], "etaminus", above=0, below=1)
    eta_plus = check_real(etas[1], "etaplus", above=1)
    if not isinstance(step_sizes, Sequence) or len(step_sizes) != 2:
        raise TypeError(f"step_sizes must be a pair (min, max), got {step_sizes!r}")
    low, high = (check_positive_real(v, "each step size bound") for v in step_sizes)
    if low > high:
        raise ValueError(f"step_sizes must be (min, max) with min <= max, got {tuple(step_sizes)}")
    w, prev, last_move = 0.0, 0.0, 0.0
    weights, steps = [], []
    for g in grads:
        agreement = g * prev
        factor = eta_plus if agreement > 0 else eta_minus if agreement < 0 else 1.0
        step = min(max(step * factor, low), high)
        if agreement < 0:
            move = -last_move if backtracking else 0.0
            g = 0.0  # no sign to compare with at the next step
        else:
            move = -math.copysign(step, g) if g != 0 else 0.0
        w += move
        prev, last_move = g, move
        weights.append(w)
        steps.append(step)
    return np.array(weights), np.array(steps)


def final_accuracy_sweep(
    model_factory: Callable,
    optimizer_factory: Callable,
    data,
    batch_sizes,
    seeds: Sequence[int],
    *,
    max_epochs: int,
    train_target: float = 1.0,
    sharpness_iterations: int = 30,
    device=None,
) -> list[dict]:
    """Train every batch size with every seed until the running training accuracy of an
    epoch reaches ``train_target`` (or ``max_epochs``), then measure the test accuracy and
    the sharpness (:func:`top_hessian_eigenvalue` on the training set).

    Returns one dict per run: batch_size, seed, epochs, steps, train_accuracy (of the
    final model), test_accuracy, sharpness.
    """
    _check_data(data)
    n = len(data.x_train)
    sizes = _check_batch_sizes(batch_sizes, n)
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise TypeError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    seeds = [check_int(s, "each seed", minimum=0) for s in seeds]
    train_target = _check_fraction(train_target, "train_target")
    rows = []
    for b in sizes:
        for s in seeds:
            run = train_run(
                model_factory,
                optimizer_factory,
                data,
                b,
                epochs=max_epochs,
                target=train_target,
                seed=s,
                device=device,
                use_test=False,
            )
            model = run.model
            rows.append(
                dict(
                    batch_size=b,
                    seed=s,
                    epochs=run.epochs_run,
                    steps=run.history.steps[-1] if run.history.steps else 0,
                    train_accuracy=evaluate(model, data.x_train, data.y_train),
                    test_accuracy=evaluate(model, data.x_test, data.y_test),
                    sharpness=top_hessian_eigenvalue(
                        model, data.x_train, data.y_train, iterations=sharpness_iterations, seed=s
                    ),
                )
            )
    return rows


# ------------------------------------------------------- linear neuron, MSE surface


@dataclass(frozen=True)
class QuadraticSurface:
    """The MSE loss ``L(w) = ‖X w − y‖² / (2n)`` of a linear neuron (no bias).

    ``hessian = XᵀX / n``; ``eigenvalues`` ascending with unit ``eigenvectors`` as
    columns; ``w_star`` the least-squares minimiser and ``min_loss`` = L(w_star).
    """

    x: np.ndarray
    y: np.ndarray
    w_star: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    min_loss: float

    def loss(self, w) -> np.ndarray:
        """L at ``w`` of shape (d,) or (..., d), computed from the data directly."""
        w = as_float_array(w, "w")
        d = self.x.shape[1]
        if w.shape[-1:] != (d,):
            raise ValueError(f"w must end with a dimension of size {d}, got shape {w.shape}")
        residual = w @ self.x.T - self.y  # (..., n)
        return (residual**2).sum(axis=-1) / (2 * len(self.y))

    def semi_axes(self, level: float) -> np.ndarray:
        """Half-lengths of the level set ``L = min_loss + level`` along each eigenvector:
        ``sqrt(2 level / λ_i)`` (ascending eigenvalues → descending axes)."""
        level = check_positive_real(level, "level")
        return np.sqrt(2.0 * level / self.eigenvalues)

    def ellipse(self, level: float, n_points: int = 200) -> np.ndarray:
        """``n_points`` points (n_points, 2) on the level set ``L = min_loss + level`` of a
        2-weight neuron: an ellipse centred at ``w_star``."""
        if self.x.shape[1] != 2:
            raise ValueError(f"ellipse needs exactly 2 weights, the surface has {self.x.shape[1]}")
        n_points = check_int(n_points, "n_points", minimum=3)
        a = self.semi_axes(level)
        t = np.linspace(0.0, 2 * np.pi, n_points)
        coords = np.stack([a[0] * np.cos(t), a[1] * np.sin(t)], axis=1)
        return self.w_star + coords @ self.eigenvectors.T


def quadratic_surface(x, y) -> QuadraticSurface:
    """Build the :class:`QuadraticSurface` of a linear neuron ``ŷ = x · w`` on ``(x, y)``;
    ``x`` is (n, d) with full column rank, ``y`` is (n,)."""
    x = as_float_array(x, "x")
    y = as_float_array(y, "y")
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"x must be (n, d) and y (n,), got shapes {x.shape} and {y.shape}")
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError("x must have full column rank (otherwise the minimum is a valley, not a point)")
    n = len(y)
    hessian = x.T @ x / n
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    w_star = np.linalg.solve(hessian, x.T @ y / n)
    surface = QuadraticSurface(x.copy(), y.copy(), w_star, hessian, eigenvalues, eigenvectors, 0.0)
    return QuadraticSurface(
        x.copy(), y.copy(), w_star, hessian, eigenvalues, eigenvectors, float(surface.loss(w_star))
    )


def linear_sgd_path(
    surface: QuadraticSurface, w0, *, lr: float, batch_size: int, steps: int, seed: int = 0
) -> np.ndarray:
    """Weights visited by mini-batch gradient descent on ``surface``'s MSE loss, starting at
    ``w0``: an array (steps + 1, d). Batches are drawn epoch by epoch from a shuffled
    order (``numpy.random.default_rng(seed)``); ``batch_size = n`` is full-batch descent."""
    if not isinstance(surface, QuadraticSurface):
        raise TypeError(f"surface must be a QuadraticSurface, got {type(surface).__name__}")
    w = as_float_array(w0, "w0").astype(float).copy()
    d = surface.x.shape[1]
    if w.shape != (d,):
        raise ValueError(f"w0 must have shape ({d},), got {w.shape}")
    lr = check_positive_real(lr, "lr")
    n = len(surface.y)
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n)
    steps = check_int(steps, "steps", minimum=0)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    path = [w.copy()]
    order, position = rng.permutation(n), 0
    for _ in range(steps):
        if position + batch_size > n:
            order, position = rng.permutation(n), 0
        idx = order[position : position + batch_size]
        position += batch_size
        xb, yb = surface.x[idx], surface.y[idx]
        w = w - lr * xb.T @ (xb @ w - yb) / batch_size
        path.append(w.copy())
    return np.array(path)

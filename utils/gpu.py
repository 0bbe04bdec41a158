"""Which device a model lives on, and how much memory training it needs.

Taught on: "GPU settings (GPU设置-torch)".

Device helpers (:func:`describe_devices`, :func:`module_device`, :func:`check_same_device`)
answer "is my model on the GPU, and is my batch on the same device?". Memory helpers
(:func:`activation_memory_bytes`, :func:`training_memory_estimate`,
:func:`largest_batch_size`) count bytes without running anything on a GPU: the forward
pass runs on PyTorch's ``meta`` device, which computes shapes and dtypes but holds no data.
:func:`track_saved_tensors` and :func:`autograd_graph_size` show what the autograd graph
keeps alive, and :func:`flat_gradient` checks gradient accumulation.
"""

from __future__ import annotations

import contextlib
import copy
import numbers
import weakref
from collections import deque
from dataclasses import dataclass

import numpy as np

from ._checks import check_int, check_module
from .diagnostics import hooks
from .env import device_name
from .training import train_mode

#: How many parameter-sized buffers each optimizer keeps per trainable parameter
#: (PyTorch's implementations; the scalar step counters are not counted).
#: "sgd" is plain SGD (no momentum), "momentum" is SGD with momentum.
OPTIMIZER_STATE_COPIES = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adagrad": 1, "adam": 2, "adamw": 2}


def _torch():
    import torch

    return torch


def _check_dtype(dtype):
    torch = _torch()
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype (e.g. torch.float32), got {dtype!r}")
    return dtype


def _check_shape(shape, name: str) -> tuple[int, ...]:
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{name} must be a tuple of ints, got {type(shape).__name__}")
    dims = tuple(check_int(d, f"{name} entry", minimum=1) for d in shape)
    if not dims:
        raise ValueError(f"{name} must have at least one dimension, got ()")
    return dims


def describe_devices() -> str:
    """A short text listing the CUDA devices torch can use, or saying there is none.

    The text depends on the machine (print it in a cell whose output is not checked).
    """
    torch = _torch()
    if not torch.cuda.is_available():
        build = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        return f"no CUDA GPU: torch {torch.__version__} ({build}) sees no CUDA device"
    lines = []
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        lines.append(
            f"cuda:{i}: {device_name(f'cuda:{i}')}, {p.total_memory / 2**30:.1f} GiB, "
            f"compute capability {p.major}.{p.minor}"
        )
    return "\n".join(lines)


def _tensors_of(module):
    return [t for t in list(module.parameters()) + list(module.buffers()) if t is not None]


def module_device(model) -> set:
    """The set of devices holding ``model``'s parameters and buffers (one device when all is well).

    Raises ``ValueError`` for a module without any parameter or buffer (e.g. a
    ``CrossEntropyLoss`` without class weights): it has no device to report.
    """
    check_module(model)
    tensors = _tensors_of(model)
    if not tensors:
        raise ValueError(f"{type(model).__name__} has no parameters or buffers, so it has no device")
    return {t.device for t in tensors}


def check_same_device(*items):
    """Check that every tensor and module in ``items`` is on one device, and return it.

    Modules without parameters or buffers are skipped (they work on any device). When the
    devices differ, raises ``RuntimeError`` naming each item's device, e.g.
    ``argument 0 (Tensor) on cpu; argument 1 (AlexNet) on cuda:0``.
    """
    torch = _torch()
    import torch.nn as nn

    if not items:
        raise ValueError("check_same_device needs at least one tensor or module")
    found = []  # (index, kind, devices)
    for i, item in enumerate(items):
        if isinstance(item, torch.Tensor):
            found.append((i, "Tensor", {item.device}))
        elif isinstance(item, nn.Module):
            tensors = _tensors_of(item)
            if tensors:
                found.append((i, type(item).__name__, {t.device for t in tensors}))
        else:
            raise TypeError(
                f"argument {i} must be a torch.Tensor or torch.nn.Module, got {type(item).__name__}"
            )
    if not found:
        raise ValueError("none of the arguments holds a tensor (only modules without parameters or buffers)")
    devices = set().union(*(d for _, _, d in found))
    if len(devices) > 1:
        parts = [f"argument {i} ({kind}) on {', '.join(sorted(str(d) for d in ds))}" for i, kind, ds in found]
        raise RuntimeError("tensors and modules are on different devices: " + "; ".join(parts))
    return devices.pop()


def _leaf_modules(model):
    return [m for m in model.modules() if not any(True for _ in m.children())]


def _storage_key(t):
    return t.untyped_storage()._cdata  # identifies the storage; views and in-place results share it


@contextlib.contextmanager
def _recording_outputs(model):
    """Record every tensor output of ``model``'s leaf modules while the block runs."""
    torch = _torch()
    outputs: list = []

    def collect(output):
        stack = [output]
        while stack:
            value = stack.pop()
            if isinstance(value, torch.Tensor):
                outputs.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(value)
            elif isinstance(value, dict):
                stack.extend(value.values())

    with hooks(_leaf_modules(model), forward=lambda i, module, args, output: collect(output)):
        yield outputs


def _distinct_bytes(tensors) -> int:
    seen: dict[int, int] = {}
    for t in tensors:
        seen[_storage_key(t)] = t.untyped_storage().nbytes()
    return sum(seen.values())


def _outputs_bytes_meta(model, shape, dtype) -> int:
    torch = _torch()
    from torch.func import functional_call

    def meta_like(t):
        if t.is_floating_point():
            return torch.empty_like(t, device="meta", dtype=dtype)
        return torch.empty_like(t, device="meta")

    state = {name: meta_like(t) for name, t in list(model.named_parameters()) + list(model.named_buffers())}
    x = torch.empty(shape, device="meta", dtype=dtype)
    with _recording_outputs(model) as outputs:
        try:
            functional_call(model, state, (x,))
        except (RuntimeError, NotImplementedError) as exc:
            raise RuntimeError(
                f"the forward pass does not run on the meta device ({exc}); try method='cpu'"
            ) from None
        return _distinct_bytes(outputs)


def _outputs_bytes_cpu(model, shape, dtype) -> int:
    torch = _torch()
    clone = copy.deepcopy(model).to("cpu")
    clone.to(dtype)
    clone.train()
    sizes = []
    for batch in (2, 4):
        with torch.no_grad(), _recording_outputs(clone) as outputs:
            clone(torch.zeros((batch,) + shape[1:], dtype=dtype))
            sizes.append(_distinct_bytes(outputs))
    slope = (sizes[1] - sizes[0]) // 2
    intercept = sizes[0] - 2 * slope
    return intercept + slope * shape[0]


def activation_memory_bytes(model, input_shape, dtype=None, method: str = "meta") -> int:
    """Bytes of the outputs of ``model``'s leaf modules for one forward pass on a batch of
    shape ``input_shape`` (batch dimension first), in training mode.

    Outputs that share storage (views such as ``Flatten``, in-place ``ReLU``) are counted
    once. ``dtype`` (default ``torch.float32``) is the dtype of the input and of the
    floating-point activations. ``method="meta"`` runs the forward pass on the ``meta``
    device (shapes only, no data, no memory); ``method="cpu"`` runs a CPU copy of the
    model on batches of 2 and 4 samples and extrapolates the (affine) size to the batch.
    The model itself is not changed.
    """
    torch = _torch()
    check_module(model)
    shape = _check_shape(input_shape, "input_shape")
    dtype = _check_dtype(torch.float32 if dtype is None else dtype)
    if method not in ("meta", "cpu"):
        raise ValueError(f"method must be 'meta' or 'cpu', got {method!r}")
    with train_mode(model):
        if method == "meta":
            return _outputs_bytes_meta(model, shape, dtype)
        return _outputs_bytes_cpu(model, shape, dtype)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes needed to train a model for one step, by part."""

    parameters: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def fixed(self) -> int:
        """The part that does not depend on the batch size."""
        return self.parameters + self.gradients + self.optimizer_state

    @property
    def total(self) -> int:
        return self.fixed + self.activations


def _nbytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _check_optimizer(optimizer: str) -> str:
    if not isinstance(optimizer, str):
        raise TypeError(f"optimizer must be a str, got {type(optimizer).__name__}")
    key = optimizer.lower()
    if key not in OPTIMIZER_STATE_COPIES:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_STATE_COPIES)}")
    return key


def training_memory_estimate(
    model, batch_size: int, input_shape, optimizer: str = "adam", dtype=None
) -> MemoryEstimate:
    """Parameters + gradients + optimizer state + activations, in bytes, for one training
    step of ``model`` on ``batch_size`` samples of shape ``input_shape`` (one sample, no
    batch dimension).

    Parameters (buffers included), gradients and optimizer state are counted in the model's
    own dtypes, gradients and state for trainable parameters only (``OPTIMIZER_STATE_COPIES``
    gives the state per optimizer). ``dtype`` is the activations' dtype (default
    ``torch.float32``; ``torch.float16`` approximates mixed precision, which keeps the
    weights in float32). Not counted: the input batch, the CUDA context and the allocator's
    cache.
    """
    check_module(model)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    shape = _check_shape(input_shape, "input_shape")
    copies = OPTIMIZER_STATE_COPIES[_check_optimizer(optimizer)]
    trainable = [p for p in model.parameters() if p.requires_grad]
    params = _nbytes(list(model.parameters())) + _nbytes(b for b in model.buffers() if b is not None)
    grads = _nbytes(trainable)
    return MemoryEstimate(
        parameters=params,
        gradients=grads,
        optimizer_state=copies * grads,
        activations=activation_memory_bytes(model, (batch_size,) + shape, dtype),
    )


def largest_batch_size(model, input_shape, budget_bytes: int, optimizer: str = "adam", dtype=None) -> int:
    """The largest batch size whose :func:`training_memory_estimate` total is at most
    ``budget_bytes`` (0 when not even one sample fits).
    """
    budget_bytes = check_int(budget_bytes, "budget_bytes", minimum=1)
    # batches of 2 and 4, not 1: BatchNorm refuses a single sample in training mode
    two = training_memory_estimate(model, 2, input_shape, optimizer, dtype)
    four = training_memory_estimate(model, 4, input_shape, optimizer, dtype)
    per_sample = (four.activations - two.activations) // 2
    if per_sample <= 0:
        raise ValueError("the activations do not grow with the batch size; every batch size fits")
    base = two.total - 2 * per_sample  # fixed part + any batch-independent activations
    return max(0, (budget_bytes - base) // per_sample)


class SavedTensorTracker:
    """Weak references to every tensor autograd saves for the backward pass (see
    :func:`track_saved_tensors`)."""

    def __init__(self, exclude=()):
        self._refs: list = []
        self._exclude = {_storage_key(t) for t in exclude}

    def _pack(self, tensor):
        held = tensor.detach()  # same storage, no grad_fn: no reference cycle
        self._refs.append(weakref.ref(held))
        return held

    @staticmethod
    def _unpack(tensor):
        return tensor

    def held_bytes(self) -> int:
        """Bytes of the distinct storages the autograd graph still holds (excluded ones left out)."""
        alive = [r() for r in self._refs]
        alive = [t for t in alive if t is not None and _storage_key(t) not in self._exclude]
        return _distinct_bytes(alive)

    def held_by_dtype(self) -> dict[str, int]:
        """``held_bytes()`` split by dtype name (e.g. ``{"float32": ..., "int64": ...}``), sorted by name."""
        alive = [r() for r in self._refs]
        alive = [t for t in alive if t is not None and _storage_key(t) not in self._exclude]
        seen: dict[int, tuple[str, int]] = {}
        for t in alive:
            seen[_storage_key(t)] = (str(t.dtype).replace("torch.", ""), t.untyped_storage().nbytes())
        out: dict[str, int] = {}
        for name, nbytes in seen.values():
            out[name] = out.get(name, 0) + nbytes
        return dict(sorted(out.items()))

    def held_count(self) -> int:
        """How many saved tensors are still held."""
        return sum(r() is not None for r in self._refs)


@contextlib.contextmanager
def track_saved_tensors(exclude=()):
    """Context manager: record what autograd saves for backward inside the block.

    Yields a :class:`SavedTensorTracker`; its ``held_bytes()`` tells, at any later time,
    how many bytes those saved tensors still occupy (they are freed by ``backward()`` or
    when the graph is dropped). Tensors sharing storage with ``exclude`` (e.g. the model's
    parameters, which live anyway) are not counted.
    """
    torch = _torch()
    exclude = list(exclude)
    for t in exclude:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"exclude must hold tensors, got {type(t).__name__}")
    tracker = SavedTensorTracker(exclude)
    with torch.autograd.graph.saved_tensors_hooks(tracker._pack, tracker._unpack):
        yield tracker


def autograd_graph_size(value) -> int:
    """Number of distinct autograd nodes reachable from ``value.grad_fn`` (its history).

    0 for a tensor without history and for a plain Python number.
    """
    torch = _torch()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return 0
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"value must be a torch.Tensor or a real number, got {type(value).__name__}")
    if value.grad_fn is None:
        return 0
    seen = {value.grad_fn}
    queue = deque([value.grad_fn])
    while queue:
        node = queue.popleft()
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    return len(seen)


def flat_gradient(model, loss_fn, x, y, accumulation_steps: int = 1) -> np.ndarray:
    """The gradient of ``loss_fn(model(x), y)`` w.r.t. the trainable parameters, flattened
    (float64), computed in ``accumulation_steps`` equal micro-batches whose losses are
    divided by ``accumulation_steps`` and whose gradients add up (gradient accumulation).

    With a mean-reduced loss and no batch-dependent layers (BatchNorm) every number of
    steps gives the full-batch gradient up to rounding. The model's existing ``.grad``
    values are restored afterwards.
    """
    torch = _torch()
    check_module(model)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("x and y must be torch tensors")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same batch size, got {len(x)} and {len(y)}")
    steps = check_int(accumulation_steps, "accumulation_steps", minimum=1)
    if len(x) % steps:
        raise ValueError(f"accumulation_steps ({steps}) must divide the batch size ({len(x)})")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = None
        for xc, yc in zip(x.chunk(steps), y.chunk(steps)):
            (loss_fn(model(xc), yc) / steps).backward()
        return np.concatenate(
            [
                (p.grad if p.grad is not None else torch.zeros_like(p))
                .detach()
                .cpu()
                .double()
                .reshape(-1)
                .numpy()
                for p in params
            ]
        )
    finally:
        for p, g in zip(params, saved):
            p.grad = g

"""Looking inside a network: gradient norms per layer, dead units, and what a layer
receives or returns (:func:`capture`, on top of :func:`hooks`).

Taught on: "Activation functions (激活函数)" (vanishing gradients, dying ReLU).
"""

from __future__ import annotations

from contextlib import contextmanager


def _linear_layers(model):
    import torch.nn as nn

    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError("the model has no nn.Linear layer")
    return layers


def layer_gradient_norms(model, x, y) -> list[float]:
    """Frobenius norm of the cross-entropy gradient of every ``nn.Linear`` weight, input
    layer first, for one batch ``(x, y)``.

    The model's parameters are not changed, and gradients it held before are restored.
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("x and y must be torch tensors")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same batch size, got {x.shape[0]} and {y.shape[0]}")
    layers = _linear_layers(model)
    saved = [p.grad for p in model.parameters()]
    try:
        for p in model.parameters():
            p.grad = None
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return [float(layer.weight.grad.norm()) for layer in layers]
    finally:
        for p, g in zip(model.parameters(), saved):
            p.grad = g


@contextmanager
def hooks(modules, *, forward=None, pre=None):
    """Register forward hooks on ``modules`` for the block and remove them at its end,
    even after an error. The one way ``utils`` attaches hooks.

    ``forward(i, module, args, output)`` runs after each call of ``modules[i]``,
    ``pre(i, module, args)`` before it (give one or both). Yields nothing.
    """
    import torch.nn as nn

    modules = list(modules)
    for m in modules:
        if not isinstance(m, nn.Module):
            raise TypeError(f"modules must hold torch.nn.Module objects, got {type(m).__name__}")
    if forward is None and pre is None:
        raise ValueError("give a forward hook, a pre hook or both")
    for name, fn in (("forward", forward), ("pre", pre)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    handles = []
    try:
        for i, m in enumerate(modules):
            if pre is not None:
                handles.append(m.register_forward_pre_hook(lambda mod, args, i=i: pre(i, mod, args)))
            if forward is not None:
                handles.append(
                    m.register_forward_hook(lambda mod, args, out, i=i: forward(i, mod, args, out))
                )
        yield
    finally:
        for h in handles:
            h.remove()


def capture(model, x, modules, what: str = "input") -> list:
    """Run ``model`` once on ``x`` in eval mode without gradients and return, for each of
    ``modules`` (in order), the tensor it received (``what="input"``, its first
    argument) or returned (``what="output"``), detached (a non-tensor output as it is).
    A module called twice gives its last call.

    The model's training flag is restored and no hook is left behind, even on error.
    A module the forward pass never calls raises ``ValueError``.
    """
    import torch

    from .training import eval_mode

    if what not in ("input", "output"):
        raise ValueError(f"what must be 'input' or 'output', got {what!r}")
    modules = list(modules)
    if not modules:
        raise ValueError("modules must name at least one module of the model")
    seen: dict[int, torch.Tensor] = {}

    def record(i, module, args, output):
        value = args[0] if what == "input" else output
        seen[i] = value.detach() if isinstance(value, torch.Tensor) else value

    with hooks(modules, forward=record), eval_mode(model), torch.no_grad():
        model(x)
    missing = [i for i in range(len(modules)) if i not in seen]
    if missing:
        raise ValueError(f"modules {missing} (by position) were not called by the model's forward pass")
    return [seen[i] for i in range(len(modules))]


def capture_module_inputs(model, x, modules) -> list:
    """``capture(model, x, modules, what="input")``: the tensor each of ``modules``
    received. Used by :func:`dead_unit_fraction` and ``utils.batchnorm.layer_input_statistics``."""
    return capture(model, x, modules, what="input")


def dead_unit_fraction(model, x, kinds=("ReLU", "LeakyReLU")) -> list[float]:
    """For every activation module whose class name is in ``kinds``, the fraction of its
    units whose input (pre-activation) is ≤ 0 for *every* sample of ``x``.

    Such a ReLU unit outputs 0 and passes no gradient for the whole dataset: it is
    "dead". A Leaky ReLU unit in the same state still passes a small gradient.
    """
    import torch

    if not isinstance(x, torch.Tensor):
        raise TypeError("x must be a torch tensor")
    modules = [m for m in model.modules() if type(m).__name__ in kinds]
    if not modules:
        raise ValueError(f"the model has no activation module of kind {', '.join(kinds)}")
    inputs = capture_module_inputs(model, x, modules)
    return [float((inp.amax(dim=0) <= 0).float().mean()) for inp in inputs]

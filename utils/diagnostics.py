"""Looking inside a network: gradient norms per layer and dead units.

Taught on: "Activation functions (激活函数)" (vanishing gradients, dying ReLU).
"""
from __future__ import annotations


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


def capture_module_inputs(model, x, modules) -> list:
    """Run ``model`` once on ``x`` in eval mode without gradients and return, for each of
    ``modules`` (in order), the tensor it received as input.

    The model's training flag is restored and no hook is left behind, even on error.
    Used by :func:`dead_unit_fraction` and ``utils.batchnorm.layer_input_statistics``.
    """
    import torch

    modules = list(modules)
    if not modules:
        raise ValueError("modules must name at least one module of the model")
    seen: dict[int, torch.Tensor] = {}
    hooks = [
        m.register_forward_hook(lambda mod, inp, out, i=i: seen.__setitem__(i, inp[0].detach()))
        for i, m in enumerate(modules)
    ]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    missing = [i for i in range(len(modules)) if i not in seen]
    if missing:
        raise ValueError(f"modules {missing} (by position) were not called by the model's forward pass")
    return [seen[i] for i in range(len(modules))]


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

"""Fine-tuning: reuse the layers of a trained network for a new task.

Taught on: "Fine-tuning (微调 · finetune)".

- :func:`freeze` / :func:`unfreeze` switch ``requires_grad`` for the first layers of a
  model (by index or by name), :func:`count_trainable` counts what an optimiser will train;
- :func:`replace_head` swaps the final ``nn.Linear`` of an ``nn.Sequential`` (e.g. from
  :func:`utils.models.mlp`) for a new one with another number of classes;
- :func:`load_matching` copies every tensor whose name *and* shape match from a trained
  model into a new architecture and reports what was left out;
- :func:`select_classes`, :func:`take_per_class` build the few-shot data sets;
- :func:`transfer_model` builds the three contenders (from scratch, fine-tune all layers,
  frozen body + new head) and :func:`train_for_steps` trains one of them with
  :func:`utils.training.train_step`, recording test accuracy every few steps (:class:`Curve`,
  :func:`steps_to_reach`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ._checks import check_int, check_module, check_positive_real, check_real
from .training import as_tensor, evaluate, first_reaching, train_step

#: The ways :func:`transfer_model` can start training on the new task.
METHODS = ("scratch", "finetune", "features")


def _selected(model, up_to) -> list:
    """The parameters named by ``up_to`` (see :func:`freeze`), in registration order."""
    check_module(model)
    named = list(model.named_parameters())
    if up_to is None:
        return [p for _, p in named]
    if isinstance(up_to, bool):
        raise TypeError("up_to must be None, an int or a str, got bool")
    children = [name for name, _ in model.named_children()]
    if isinstance(up_to, (int, np.integer)):
        n = len(children)
        up_to = int(up_to)
        if not -n <= up_to <= n:
            raise ValueError(f"up_to must be between {-n} and {n} (the model has {n} layers), got {up_to}")
        chosen = set(children[:up_to])
        return [p for name, p in named if name.split(".", 1)[0] in chosen]
    if isinstance(up_to, str):

        def matches(name: str) -> bool:
            return name == up_to or name.startswith(up_to + ".")

        hits = [i for i, (name, _) in enumerate(named) if matches(name)]
        if not hits:
            known = sorted({name.rsplit(".", 1)[0] for name, _ in named})
            raise ValueError(
                f"no parameter of the model is named {up_to!r} or below it; "
                f"layers with parameters: {', '.join(known) or 'none'}"
            )
        return [p for _, p in named[: hits[-1] + 1]]
    raise TypeError(f"up_to must be None, an int or a str, got {type(up_to).__name__}")


def freeze(model, up_to=None) -> int:
    """Stop training the first layers of ``model`` (``requires_grad = False``), in place.

    ``up_to`` chooses them: ``None`` every parameter; an int ``k`` the first ``k``
    top-level layers, with slice semantics (``-1``: all but the last layer, e.g. the
    body of an MLP without its head); a str a layer name (``"2"``, ``"body.0"``):
    every parameter registered before it and the layer itself. Returns the number of
    scalar parameters in the selection (all frozen now). An unknown name raises
    ``ValueError``.
    """
    params = _selected(model, up_to)
    for p in params:
        p.requires_grad_(False)
    return int(sum(p.numel() for p in params))


def unfreeze(model, up_to=None) -> int:
    """Undo :func:`freeze`: make the same selection trainable again; returns its size."""
    params = _selected(model, up_to)
    for p in params:
        p.requires_grad_(True)
    return int(sum(p.numel() for p in params))


def count_trainable(model) -> int:
    """The number of scalar parameters of ``model`` that an optimiser would update."""
    check_module(model)
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def replace_head(model, n_classes: int, seed: int | None = None):
    """Replace the final ``nn.Linear`` of an ``nn.Sequential`` by a new one with
    ``n_classes`` outputs (same input width, device and dtype), in place; returns the
    model. The new layer has PyTorch's default initialisation, drawn reproducibly
    when ``seed`` is given.
    """
    import torch
    import torch.nn as nn

    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be a torch.nn.Sequential, got {type(model).__name__}")
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    if len(model) == 0 or not isinstance(model[-1], nn.Linear):
        last = type(model[-1]).__name__ if len(model) else "nothing"
        raise ValueError(f"the last layer must be an nn.Linear (the head), got {last}")
    old = model[-1]
    state = torch.random.get_rng_state()
    if seed is not None:
        torch.manual_seed(check_int(seed, "seed", minimum=0))
    try:
        new = nn.Linear(old.in_features, n_classes, bias=old.bias is not None)
    finally:
        if seed is not None:
            torch.random.set_rng_state(state)
    model[-1] = new.to(device=old.weight.device, dtype=old.weight.dtype)
    return model


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_matching` did, as lists of state-dict keys."""

    loaded: list[str]
    missing: list[str]  # in the new model, not in the checkpoint: keep their init
    unexpected: list[str]  # in the checkpoint, not in the new model: ignored
    mismatched: list[str]  # in both, but with different shapes: keep their init


def load_matching(model, state_dict) -> LoadReport:
    """Initialise ``model`` from every tensor of ``state_dict`` whose key and shape match.

    ``model.load_state_dict(..., strict=False)`` tolerates missing and unexpected keys
    but still raises on a shape mismatch; this drops the mismatched tensors first, then
    loads the rest with ``strict=False`` and returns a :class:`LoadReport`.
    """
    import torch

    check_module(model)
    if not isinstance(state_dict, dict):
        raise TypeError(f"state_dict must be a dict of tensors, got {type(state_dict).__name__}")
    for key, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"state_dict[{key!r}] must be a tensor, got {type(value).__name__}")
    own = model.state_dict()
    mismatched = [k for k in state_dict if k in own and own[k].shape != state_dict[k].shape]
    usable = {k: v for k, v in state_dict.items() if k not in mismatched}
    result = model.load_state_dict(usable, strict=False)
    missing = [k for k in result.missing_keys if k not in mismatched]
    loaded = [k for k in own if k in usable]
    return LoadReport(loaded, missing, list(result.unexpected_keys), mismatched)


def select_classes(split, classes: Sequence[int]):
    """The part of a :class:`utils.digits.Split` with the given classes, relabelled
    ``0 .. len(classes) - 1`` in the order given (e.g. digits 5..9 become 0..4)."""
    from .digits import Split

    for name in ("x_train", "y_train", "x_test", "y_test"):
        if not hasattr(split, name):
            raise TypeError(f"split must be a utils.digits.Split, got {type(split).__name__}")
    if isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence):
        raise TypeError(f"classes must be a sequence of ints, got {type(classes).__name__}")
    classes = [check_int(c, "each class", minimum=0) for c in classes]
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be non-empty and distinct, got {classes}")
    present = set(np.unique(split.y_train).tolist())
    absent = [c for c in classes if c not in present]
    if absent:
        raise ValueError(f"classes {absent} do not occur in the training labels {sorted(present)}")
    lookup = {c: i for i, c in enumerate(classes)}

    def part(x, y):
        keep = np.isin(y, classes)
        return x[keep], np.array([lookup[int(v)] for v in y[keep]], dtype=np.int64)

    x_tr, y_tr = part(split.x_train, split.y_train)
    x_te, y_te = part(split.x_test, split.y_test)
    return Split(x_tr, y_tr, x_te, y_te)


def take_per_class(x, y, k: int | None, seed: int = 0):
    """``k`` randomly chosen examples of every class of ``(x, y)`` (all of them when
    ``k`` is None), in class order; the draw depends only on ``seed``."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    seed = check_int(seed, "seed", minimum=0)
    if k is None:
        return x, y
    k = check_int(k, "k", minimum=1)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(y):
        pool = np.flatnonzero(y == c)
        if len(pool) < k:
            raise ValueError(f"class {c} has only {len(pool)} examples, fewer than k = {k}")
        chosen.append(np.sort(rng.choice(pool, size=k, replace=False)))
    idx = np.concatenate(chosen)
    return x[idx], y[idx]


def _reset_parameters(model) -> None:
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()


def transfer_model(pretrained, method: str, n_classes: int, seed: int = 0, keep: int | None = None):
    """A new model for a task with ``n_classes`` classes, built from ``pretrained``
    (an ``nn.Sequential`` ending in its classifier), which is left untouched.

    ``"scratch"``: the same architecture, every layer freshly initialised;
    ``"finetune"``: the first ``keep`` top-level layers copied from ``pretrained``
    (default: all but the head), the rest new, everything trainable;
    ``"features"``: the same, with the copied layers frozen, so that only the new layers
    train (feature extraction when only the head is new). The fresh weights are drawn
    reproducibly from ``seed``.
    """
    import torch
    import torch.nn as nn

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    if not isinstance(pretrained, nn.Sequential):
        raise TypeError(f"pretrained must be a torch.nn.Sequential, got {type(pretrained).__name__}")
    seed = check_int(seed, "seed", minimum=0)
    n_layers = len(pretrained)
    keep = n_layers - 1 if keep is None else check_int(keep, "keep", minimum=1, maximum=n_layers - 1)
    if method == "scratch":
        keep = 0
    model = copy.deepcopy(pretrained)
    replace_head(model, n_classes, seed=seed)
    unfreeze(model)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        for layer in list(model)[keep:-1]:
            _reset_parameters(layer)
    finally:
        torch.random.set_rng_state(state)
    if method == "features":
        freeze(model, up_to=keep)
    return model


@dataclass
class Curve:
    """Test accuracy after ``steps[i]`` optimiser steps (``steps[0] == 0``: before training)."""

    steps: list[int] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


def train_for_steps(
    model,
    x,
    y,
    *,
    x_test,
    y_test,
    steps: int,
    batch_size: int,
    lr: float,
    eval_every: int = 5,
    seed: int = 0,
    device=None,
) -> Curve:
    """Train the trainable parameters of ``model`` with Adam for ``steps`` mini-batch steps,
    measuring the test accuracy before training and every ``eval_every`` steps.

    The data are visited in epochs shuffled by ``seed`` (the last batch of an epoch may
    be smaller); each step is one :func:`utils.training.train_step` (cross-entropy) on one
    batch with the same optimiser, so the result is plain Adam training observed at fixed steps.
    """
    import torch
    import torch.nn.functional as F

    check_module(model)
    steps = check_int(steps, "steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    eval_every = check_int(eval_every, "eval_every", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    lr = check_positive_real(lr, "lr")
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of the same length, got {len(x)} and {len(y)}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters (all frozen)")
    device = device or next(model.parameters()).device
    model.to(device)
    optimizer = torch.optim.Adam(params, lr=lr)
    batch_size = min(batch_size, len(x))
    per_epoch = math.ceil(len(x) / batch_size)
    rng = np.random.default_rng(seed)
    # The batches of as many epochs as needed, each epoch a fresh permutation.
    batches = [
        idx
        for _ in range(math.ceil(steps / per_epoch))
        for order in [rng.permutation(len(x))]
        for idx in np.array_split(order, per_epoch)
    ][:steps]
    xt, yt = as_tensor(x, next(model.parameters()).dtype), as_tensor(y)
    curve = Curve([0], [evaluate(model, x_test, y_test, device)])
    model.train()
    for first in range(0, steps, eval_every):
        chunk = batches[first : first + eval_every]
        for b in chunk:
            train_step(model, optimizer, F.cross_entropy, xt[b].to(device), yt[b].to(device))
        curve.steps.append(first + len(chunk))
        curve.test_accuracy.append(evaluate(model, x_test, y_test, device))
    return curve


def steps_to_reach(curve: Curve, target: float) -> int | None:
    """The first recorded step count whose test accuracy is ≥ ``target``, or None
    (:func:`utils.training.first_reaching`)."""
    if not isinstance(curve, Curve):
        raise TypeError(f"curve must be a utils.finetune.Curve, got {type(curve).__name__}")
    target = check_real(target, "target", above=0, maximum=1)
    return first_reaching(curve.test_accuracy, target, at=curve.steps)


def run_grid(
    pretrained,
    x,
    y,
    *,
    x_test,
    y_test,
    ks: Sequence[int | None],
    methods: Sequence[str] = METHODS,
    seeds: Sequence[int] = (0, 1, 2),
    n_classes: int | None = None,
    keep: int | None = None,
    steps: int = 100,
    batch_size: int = 25,
    lr: float = 3e-3,
    eval_every: int = 5,
    device=None,
) -> dict:
    """Train every (k, method, seed): ``k`` examples per class drawn from ``(x, y)`` with
    :func:`take_per_class` (``None``: all), a model from :func:`transfer_model`, then
    :func:`train_for_steps`. The seed fixes the examples, the new weights and the batch
    order. Returns ``{(k, method): [Curve per seed]}``.
    """
    if isinstance(ks, (str, bytes)) or not isinstance(ks, Sequence) or not ks:
        raise TypeError(f"ks must be a non-empty sequence of ints or None, got {ks!r}")
    if isinstance(methods, str) or not methods or any(m not in METHODS for m in methods):
        raise ValueError(f"methods must be a non-empty sequence of {METHODS}, got {methods!r}")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise TypeError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    n_classes = int(len(np.unique(y))) if n_classes is None else check_int(n_classes, "n_classes", minimum=1)
    results: dict = {}
    for k in ks:
        for method in methods:
            curves = []
            for s in seeds:
                xs, ys = take_per_class(x, y, k, s)
                model = transfer_model(pretrained, method, n_classes, seed=s, keep=keep)
                curves.append(
                    train_for_steps(
                        model,
                        xs,
                        ys,
                        x_test=x_test,
                        y_test=y_test,
                        steps=steps,
                        batch_size=batch_size,
                        lr=lr,
                        eval_every=eval_every,
                        seed=s,
                        device=device,
                    )
                )
            results[k, method] = curves
    return results


def summarise(curves: Sequence[Curve], early_step: int, target: float) -> dict:
    """Mean and spread (max - min) over seeds of the test accuracy after ``early_step``
    steps and at the end, and the steps each seed needed to reach ``target`` (None: never)."""
    if isinstance(curves, Curve) or not curves or not all(isinstance(c, Curve) for c in curves):
        raise TypeError("curves must be a non-empty sequence of Curve objects")
    early_step = check_int(early_step, "early_step", minimum=0)
    if any(early_step not in c.steps for c in curves):
        raise ValueError(f"early_step {early_step} is not a recorded step of every curve")
    early = np.array([c.test_accuracy[c.steps.index(early_step)] for c in curves])
    final = np.array([c.test_accuracy[-1] for c in curves])
    return {
        "early_mean": float(early.mean()),
        "early_spread": float(np.ptp(early)),
        "final_mean": float(final.mean()),
        "final_spread": float(np.ptp(final)),
        "steps_to_target": [steps_to_reach(c, target) for c in curves],
    }

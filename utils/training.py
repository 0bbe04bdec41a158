"""A small, deterministic training loop for classifiers, shared by the pages.

Taught on: "Batch size (batch_size 的使用)" (and used on "Batch Normalization" and
"Activation functions (激活函数)").

The data order is fixed by ``seed`` (one ``torch.Generator`` shuffles every epoch), so
two runs with the same seed see the same batches. A text progress bar goes to stderr
when the loop runs interactively; it stays off when ``ORANGE_QUIET`` is set, which the
test suite and ``scripts/execute_pages.py`` do, so stored pages never contain it.
"""

from __future__ import annotations

import math
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ._checks import as_float_array, check_int, check_module, check_real


@dataclass
class History:
    """What happened in :func:`fit`, one entry per epoch (``steps`` is cumulative)."""

    epoch: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    samples_per_second: list[float] = field(default_factory=list)
    diverged: bool = False

    def first_epoch_reaching(self, accuracy: float) -> int | None:
        """The first epoch whose test accuracy is ≥ ``accuracy``, or None (:func:`first_reaching`)."""
        return first_reaching(self.test_accuracy, accuracy, at=self.epoch)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def as_tensor(array, dtype=None, device=None):
    """A numpy array or torch tensor as a tensor of ``dtype`` on ``device`` (no copy when
    nothing changes). The one converter the course's helpers use."""
    import torch

    if isinstance(array, np.ndarray):
        array = torch.from_numpy(np.ascontiguousarray(array))
    elif not isinstance(array, torch.Tensor):
        raise TypeError(f"expected a numpy array or torch tensor, got {type(array).__name__}")
    return array.to(device=device, dtype=dtype)


def first_reaching(values, target: float, at=None):
    """The first position whose value is ≥ ``target``, or None when none is.

    ``values`` is a sequence of real numbers (e.g. test accuracies, one per record; NaN
    never reaches). The answer is the index, or ``at[index]`` when ``at`` (a sequence of
    the same length: epochs, step counts) is given. The one "first time the target is
    reached" rule of the course: :class:`History`, ``utils.batch_size.Run`` and
    ``utils.finetune.steps_to_reach`` use it.
    """
    arr = as_float_array(values, "values")
    if arr.ndim != 1:
        raise ValueError(f"values must be a 1-D sequence of numbers, got shape {arr.shape}")
    target = check_real(target, "target")
    if at is not None:
        if isinstance(at, (str, bytes)) or not hasattr(at, "__len__") or not hasattr(at, "__getitem__"):
            raise TypeError(f"at must be a sequence (one entry per value) or None, got {type(at).__name__}")
        if len(at) != len(arr):
            raise ValueError(f"at must have one entry per value ({len(arr)}), got {len(at)}")
    for i, value in enumerate(arr.tolist()):
        if value >= target:  # False for NaN
            return i if at is None else at[i]
    return None


@contextmanager
def _mode(model, training: bool):
    check_module(model)
    was_training = model.training
    model.train(training)
    try:
        yield model
    finally:
        model.train(was_training)


def eval_mode(model):
    """Put ``model`` in eval mode for the block, then restore the mode it had (even after
    an error): BatchNorm uses its running statistics and Dropout is off inside."""
    return _mode(model, False)


def train_mode(model):
    """Put ``model`` in training mode for the block, then restore the mode it had (even
    after an error); the twin of :func:`eval_mode`."""
    return _mode(model, True)


def train_step(model, optimizer, loss_fn, x, y) -> tuple[float, object]:
    """One optimisation step: forward, loss, zero the gradients, backward, step.
    Returns ``(loss value, model output)``; every training loop of the course calls it."""
    output = model(x)
    loss = loss_fn(output, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item(), output


def show_progress() -> bool:
    """True when a progress bar should be drawn (interactive use, ``ORANGE_QUIET`` unset)."""
    return not os.environ.get("ORANGE_QUIET")


def _progress(epoch: int, epochs: int, loss: float, acc: float) -> None:
    done = int(20 * epoch / epochs)
    sys.stderr.write(
        f"\r[{'#' * done}{'.' * (20 - done)}] epoch {epoch}/{epochs} loss {loss:.4f} test acc {acc:.3f}"
    )
    if epoch == epochs:
        sys.stderr.write("\n")
    sys.stderr.flush()


def evaluate(model, x, y, device=None, batch_size: int = 4096) -> float:
    """Classification accuracy of ``model`` on ``(x, y)`` (model put in eval mode, then restored)."""
    import torch

    dtype = next(model.parameters()).dtype
    x, y = as_tensor(x, dtype), as_tensor(y, torch.int64)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    device = device or next(model.parameters()).device
    correct = 0
    with eval_mode(model), torch.no_grad():
        for start in range(0, len(x), batch_size):
            logits = model(x[start : start + batch_size].to(device))
            correct += (logits.argmax(1).cpu() == y[start : start + batch_size]).sum().item()
    return correct / max(len(x), 1)


def fit(
    model,
    x_train,
    y_train,
    *,
    optimizer,
    batch_size: int,
    epochs: int,
    x_test=None,
    y_test=None,
    target_accuracy: float | None = None,
    seed: int = 0,
    device=None,
    progress: bool | None = None,
    max_loss: float = 1e4,
) -> History:
    """Train ``model`` with cross-entropy on ``(x_train, y_train)``.

    One epoch visits every training sample once, in a shuffled order fixed by ``seed``;
    the last batch may be smaller. After each epoch the test accuracy is recorded (the
    training accuracy when no test set is given). Training stops early once
    ``target_accuracy`` is reached, or when the loss becomes non-finite or exceeds
    ``max_loss`` (then ``History.diverged`` is True).
    """
    import torch
    import torch.nn.functional as F

    batch_size = check_int(batch_size, "batch_size", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    dtype = next(model.parameters()).dtype
    x_train, y_train = as_tensor(x_train, dtype), as_tensor(y_train, torch.int64)
    if len(x_train) != len(y_train):
        raise ValueError(
            f"x_train and y_train must have the same length, got {len(x_train)} and {len(y_train)}"
        )
    if (x_test is None) != (y_test is None):
        raise ValueError("give both x_test and y_test, or neither")
    if target_accuracy is not None:
        target_accuracy = check_real(target_accuracy, "target_accuracy", above=0, maximum=1)
    if progress is None:
        progress = show_progress()
    device = device or next(model.parameters()).device
    model.to(device)
    generator = torch.Generator().manual_seed(seed)
    n = len(x_train)
    history = History()
    total_steps = 0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator)
        loss_sum, correct = 0.0, 0
        start = time.perf_counter()
        for first in range(0, n, batch_size):
            idx = order[first : first + batch_size]
            xb, yb = x_train[idx].to(device), y_train[idx].to(device)
            value, logits = train_step(model, optimizer, F.cross_entropy, xb, yb)
            total_steps += 1
            if not math.isfinite(value) or value > max_loss:
                history.diverged = True
                break
            loss_sum += value * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        elapsed = time.perf_counter() - start
        if history.diverged:
            break
        train_acc = correct / n
        test_acc = evaluate(model, x_test, y_test, device) if x_test is not None else train_acc
        history.epoch.append(epoch)
        history.steps.append(total_steps)
        history.train_loss.append(loss_sum / n)
        history.train_accuracy.append(train_acc)
        history.test_accuracy.append(test_acc)
        history.seconds.append((history.seconds[-1] if history.seconds else 0.0) + elapsed)
        history.samples_per_second.append(n / elapsed if elapsed > 0 else float("inf"))
        if progress:
            _progress(epoch, epochs, loss_sum / n, test_acc)
        if target_accuracy is not None and test_acc >= target_accuracy:
            break
    return history

"""Tests of utils.training: fit's determinism, stopping rules, bookkeeping and errors."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from utils import training
from utils.training import History, evaluate, fit


def _blobs(n=60, seed=0):
    """Two well separated Gaussian blobs in 2-D: linearly separable."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(scale=0.3, size=(n, 2)) + np.where(y[:, None] == 1, 3.0, -3.0)
    return x.astype(np.float32), y.astype(np.int64)


def _linear(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(2, 2)


def _run(seed, model_seed=0, **kwargs):
    x, y = _blobs()
    model = _linear(model_seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    args = {"batch_size": 8, "epochs": 3, **kwargs}
    history = fit(model, x, y, optimizer=opt, seed=seed, progress=False, **args)
    return model, history


def _numbers(h: History):
    d = h.as_dict()
    del d["seconds"], d["samples_per_second"]  # wall-clock: legitimately variable
    return d


class Recorder(nn.Module):
    """A linear classifier that records the sample ids (column 0) of every training batch."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 2)
        self.batches = []

    def forward(self, x):
        if self.training:
            self.batches.append(x[:, 0].long().tolist())
        return self.fc(x[:, 1:])


def _order(seed, n=10, batch=4, epochs=2):
    x = np.stack([np.arange(n), np.linspace(-1, 1, n)], axis=1).astype(np.float32)
    y = (np.arange(n) % 2).astype(np.int64)
    model = Recorder()
    fit(
        model,
        x,
        y,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.0),
        batch_size=batch,
        epochs=epochs,
        seed=seed,
        progress=False,
    )
    return model.batches


def test_same_seed_identical_history_and_weights():
    m1, h1 = _run(seed=3)
    m2, h2 = _run(seed=3)
    assert _numbers(h1) == _numbers(h2)
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)


def test_data_order_fixed_by_seed_and_each_epoch_a_permutation():
    a, b, c = _order(0), _order(0), _order(1)
    assert a == b
    assert a != c
    # 10 samples, batch 4, 2 epochs: batches of 4, 4, 2 per epoch, each epoch visits all once
    assert [len(batch) for batch in a] == [4, 4, 2, 4, 4, 2]
    for epoch in (a[:3], a[3:]):
        assert sorted(i for batch in epoch for i in batch) == list(range(10))
    assert a[:3] != a[3:]  # reshuffled every epoch
    assert [i for batch in a[:3] for i in batch] != list(range(10))  # shuffled at all


def test_learns_separable_problem():
    x, y = _blobs()
    xt, yt = _blobs(seed=1)
    model = _linear()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, x, y, optimizer=opt, batch_size=10, epochs=20, x_test=xt, y_test=yt, progress=False)
    assert h.train_accuracy[-1] == 1.0 and h.test_accuracy[-1] == 1.0
    assert h.train_loss[-1] < h.train_loss[0]
    with torch.no_grad():  # independent check of the recorded test accuracy
        assert (model(torch.from_numpy(xt)).argmax(1).numpy() == yt).mean() == 1.0
    assert not h.diverged and h.epoch == list(range(1, 21))


def test_target_accuracy_stops_early():
    _, full = _run(seed=0, epochs=30)
    _, h = _run(seed=0, epochs=30, target_accuracy=1.0)
    assert len(h.epoch) < 30
    assert h.test_accuracy[-1] >= 1.0
    assert all(acc < 1.0 for acc in h.test_accuracy[:-1])
    assert h.epoch[-1] == full.first_epoch_reaching(1.0)
    assert _numbers(h)["train_loss"] == full.train_loss[: len(h.epoch)]


def test_divergence_detected():
    rng = np.random.default_rng(0)
    x = rng.normal(scale=10.0, size=(64, 2)).astype(np.float32)
    y = rng.integers(0, 2, size=64)  # random labels: never separable, the loss must blow up
    model = _linear()
    opt = torch.optim.SGD(model.parameters(), lr=1e8)
    h = fit(model, x, y, optimizer=opt, batch_size=8, epochs=10, progress=False)
    assert h.diverged
    assert len(h.epoch) < 10
    model = _linear()
    calm = fit(
        model,
        x,
        y,
        optimizer=torch.optim.SGD(model.parameters(), lr=1e-3),
        batch_size=8,
        epochs=3,
        progress=False,
    )
    assert not calm.diverged and len(calm.epoch) == 3


@pytest.mark.parametrize("n,batch,epochs", [(60, 8, 3), (60, 60, 2), (60, 7, 2), (60, 100, 2), (5, 1, 2)])
def test_steps_count(n, batch, epochs):
    x, y = _blobs(n)
    model = _linear()
    h = fit(
        model,
        x,
        y,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        batch_size=batch,
        epochs=epochs,
        progress=False,
    )
    per_epoch = math.ceil(n / batch)
    assert h.steps == [per_epoch * e for e in range(1, epochs + 1)]
    assert len(h.seconds) == epochs and all(b >= a for a, b in zip(h.seconds, h.seconds[1:]))


def test_progress_to_stderr_only_when_asked(capsys, monkeypatch):
    x, y = _blobs()
    model = _linear()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    fit(model, x, y, optimizer=opt, batch_size=8, epochs=3, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "epoch 3/3" in err and err.endswith("\n")
    fit(model, x, y, optimizer=opt, batch_size=8, epochs=3, progress=False)
    assert capsys.readouterr() == ("", "")
    monkeypatch.setenv("ORANGE_QUIET", "1")
    assert not training.show_progress()
    fit(model, x, y, optimizer=opt, batch_size=8, epochs=3)  # progress=None
    assert capsys.readouterr() == ("", "")
    monkeypatch.delenv("ORANGE_QUIET")
    assert training.show_progress()
    fit(model, x, y, optimizer=opt, batch_size=8, epochs=2)
    out, err = capsys.readouterr()
    assert out == "" and "epoch 2/2" in err


def test_evaluate_accuracy_and_mode_restored():
    x, y = _blobs()
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    with torch.no_grad():
        model.eval()
        expected = (model(torch.from_numpy(x)).argmax(1).numpy() == y).mean()
    for mode in (True, False):
        model.train(mode)
        assert evaluate(model, x, y) == pytest.approx(expected)
        assert evaluate(model, torch.from_numpy(x), torch.from_numpy(y), batch_size=7) == pytest.approx(
            expected
        )
        assert model.training is mode and model[1].training is mode
    with pytest.raises(ValueError, match="same length"):
        evaluate(model, x, y[:-1])


def test_evaluate_restores_mode_after_an_error():
    model = nn.Linear(3, 2)  # wrong input width for the blobs
    model.train()
    x, y = _blobs()
    with pytest.raises(RuntimeError):
        evaluate(model, x, y)
    assert model.training


def test_first_epoch_reaching():
    h = History(epoch=[1, 2, 3, 4], test_accuracy=[0.5, 0.9, 0.85, 0.95])
    assert h.first_epoch_reaching(0.9) == 2
    assert h.first_epoch_reaching(0.5) == 1
    assert h.first_epoch_reaching(0.91) == 4
    assert h.first_epoch_reaching(0.99) is None
    assert History().first_epoch_reaching(0.1) is None


def test_fit_bad_args():
    x, y = _blobs()
    model = _linear()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def call(**kwargs):
        args = {"x_train": x, "y_train": y, "batch_size": 8, "epochs": 1, "progress": False, **kwargs}
        return fit(model, args.pop("x_train"), args.pop("y_train"), optimizer=opt, **args)

    for kwargs, error in [
        ({"batch_size": 0}, ValueError),
        ({"batch_size": 2.5}, TypeError),
        ({"epochs": 0}, ValueError),
        ({"seed": -1}, ValueError),
        ({"y_train": y[:-1]}, ValueError),
        ({"x_test": x}, ValueError),
        ({"y_test": y}, ValueError),
        ({"target_accuracy": 0.0}, ValueError),
        ({"target_accuracy": 1.5}, ValueError),
        ({"target_accuracy": float("nan")}, ValueError),
        ({"x_train": x.tolist()}, TypeError),
        ({"y_train": list(y)}, TypeError),
    ]:
        before = copy.deepcopy(model.state_dict())
        with pytest.raises(error):
            call(**kwargs)
        for a, b in zip(before.values(), model.state_dict().values()):
            assert torch.equal(a, b), kwargs  # refused before any training step


def test_as_tensor_converts_and_refuses():
    import torch

    from utils.training import as_tensor

    t = as_tensor(np.arange(3, dtype=np.float64), torch.float32)
    assert t.dtype == torch.float32 and t.tolist() == [0.0, 1.0, 2.0]
    same = torch.ones(2)
    assert as_tensor(same) is same  # nothing to change: no copy
    assert as_tensor(np.ones((2, 2))[:, 0]).shape == (2,)  # non-contiguous view
    with pytest.raises(TypeError, match="numpy array or torch tensor"):
        as_tensor([1, 2, 3])


def test_eval_mode_restores_the_mode_even_after_an_error():
    import torch

    from utils.training import eval_mode

    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout())
    net.train()
    with eval_mode(net):
        assert not net.training and not net[1].training
    assert net.training
    net.eval()
    with pytest.raises(RuntimeError):
        with eval_mode(net):
            raise RuntimeError("inside")
    assert not net.training
    with pytest.raises(TypeError, match="torch.nn.Module"):
        with eval_mode("net"):
            pass


def test_train_step_lowers_the_loss():
    import torch

    from utils.training import train_step

    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    x, y = torch.randn(64, 3), torch.randn(64, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    first, out = train_step(net, opt, torch.nn.functional.mse_loss, x, y)
    assert out.shape == (64, 1)
    for _ in range(20):
        last, _ = train_step(net, opt, torch.nn.functional.mse_loss, x, y)
    assert last < first


def test_first_reaching_index_or_label():
    from utils.training import first_reaching

    acc = [0.5, 0.9, 0.85, 0.95]
    assert first_reaching(acc, 0.9) == 1  # the index: >= counts
    assert first_reaching(acc, 0.91, at=[10, 20, 30, 40]) == 40
    assert first_reaching(acc, 0.1, at=[0, 5, 10, 15]) == 0  # reached at the first record
    assert first_reaching(acc, 0.99) is None and first_reaching(acc, 0.99, at=[1, 2, 3, 4]) is None
    assert first_reaching([], 0.5) is None and first_reaching([], 0.5, at=[]) is None
    assert first_reaching(np.array([np.nan, 0.2, np.nan, 0.7]), 0.5) == 3  # NaN never reaches
    assert first_reaching([float("inf")], 1.0) == 0
    assert first_reaching((1, 2, 3), 2) == 1  # ints, tuples


@pytest.mark.parametrize(
    "values, target, at, error, match",
    [
        ([0.1, "x"], 0.5, None, TypeError, "values must be a real number"),
        ([0.1, None], 0.5, None, TypeError, "values must be a real number"),
        ([[0.1, 0.2]], 0.5, None, ValueError, "values must be a 1-D sequence"),
        ([0.1], "0.5", None, TypeError, "target must be a real number"),
        ([0.1], float("nan"), None, ValueError, "target must be a finite number"),
        ([0.1], None, None, TypeError, "target must be a real number"),
        ([0.1, 0.2], 0.5, [1], ValueError, r"at must have one entry per value \(2\), got 1"),
        ([0.1], 0.5, 3, TypeError, "at must be a sequence"),
        ([0.1], 0.5, "a", TypeError, "at must be a sequence"),
    ],
)
def test_first_reaching_bad_input(values, target, at, error, match):
    from utils.training import first_reaching

    with pytest.raises(error, match=match):
        first_reaching(values, target, at=at)


def test_train_mode_restores_the_mode_even_after_an_error():
    import torch

    from utils.training import train_mode

    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout())
    net.eval()
    with train_mode(net) as inside:
        assert inside is net and net.training and net[1].training
    assert not net.training and not net[1].training
    with pytest.raises(RuntimeError):
        with train_mode(net):
            raise RuntimeError("inside")
    assert not net.training
    with pytest.raises(TypeError, match="torch.nn.Module"):
        with train_mode(3):
            pass

"""Tests of utils.batch_size (gradient noise, throughput, runs, quadratic surface)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils import batch_size as bx
from utils import training
from utils.digits import Split


def tiny_model(seed: int = 0, hidden: int = 5, activation=nn.Tanh):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, hidden), activation(), nn.Linear(hidden, 4))


def tiny_data(n: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = rng.integers(0, 4, size=n).astype(np.int64)
    return x, y


def blobs(n_train: int = 64, n_test: int = 32, seed: int = 0) -> Split:
    """Two well separated Gaussian blobs in 3-D: a learnable, tiny classification task."""
    rng = np.random.default_rng(seed)

    def draw(n):
        y = rng.integers(0, 2, size=n)
        x = rng.normal(size=(n, 3)) + 3.0 * (2 * y[:, None] - 1)
        return x.astype(np.float32), y.astype(np.int64)

    return Split(*draw(n_train), *draw(n_test))


def blob_model():
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))


def sgd(params, batch_size):
    return torch.optim.SGD(params, lr=0.1)


# ------------------------------------------------------------------ gradients


def test_per_sample_and_full_gradient_match_autograd_loop():
    model = tiny_model()
    x, y = tiny_data()
    G = bx.per_sample_gradients(model, x, y, chunk_size=5)
    ref = model.double()
    rows = []
    for xi, yi in zip(torch.from_numpy(x).double(), torch.from_numpy(y)):
        ref.zero_grad()
        F.cross_entropy(ref(xi[None]), yi[None]).backward()
        rows.append(torch.cat([p.grad.reshape(-1) for p in ref.parameters()]).numpy())
    assert G.dtype == np.float64 and G.shape == (12, sum(p.numel() for p in ref.parameters()))
    np.testing.assert_allclose(G, np.array(rows), atol=1e-12)
    np.testing.assert_allclose(bx.full_gradient(tiny_model(), x, y), G.mean(axis=0), atol=1e-12)


def test_full_gradient_matches_finite_differences_and_leaves_model_alone():
    model = tiny_model(seed=3)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = tiny_data(seed=1)
    g = bx.full_gradient(model, x, y)
    for p, q in zip(model.parameters(), before):
        assert p.dtype == torch.float32 and torch.equal(p, q) and p.grad is None
    flat = torch.cat([p.detach().double().reshape(-1) for p in model.parameters()])
    twin = tiny_model(seed=3).double()

    def loss_at(v):
        torch.nn.utils.vector_to_parameters(v, twin.parameters())
        with torch.no_grad():
            return float(F.cross_entropy(twin(torch.from_numpy(x).double()), torch.from_numpy(y)))

    eps = 1e-6
    numeric = np.array(
        [
            (loss_at(flat + eps * e) - loss_at(flat - eps * e)) / (2 * eps)
            for e in torch.eye(len(flat), dtype=torch.float64)
        ]
    )
    np.testing.assert_allclose(g, numeric, atol=1e-8)


def test_per_sample_gradients_bad_input():
    x, y = tiny_data()
    with pytest.raises(ValueError, match="BatchNorm1d"):
        bx.per_sample_gradients(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), x, y)
    with pytest.raises(ValueError, match="Dropout"):
        bx.per_sample_gradients(nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5)), x, y)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        bx.per_sample_gradients("model", x, y)
    with pytest.raises(TypeError, match="numpy array or torch tensor"):
        bx.per_sample_gradients(tiny_model(), x.tolist(), y)
    with pytest.raises(ValueError, match="one label per row"):
        bx.full_gradient(tiny_model(), x, y[:-1])
    with pytest.raises(ValueError, match="2-D"):
        bx.full_gradient(tiny_model(), x[0], y[:1])


def test_predicted_variance_equals_exhaustive_average_over_all_batches():
    model = tiny_model(seed=2)
    x, y = tiny_data(n=7, seed=2)
    G = bx.per_sample_gradients(model, x, y)
    g = G.mean(axis=0)
    noise = bx.gradient_noise(model, x, y, [1, 2, 3, 7], n_batches=2)
    for b, predicted in zip(noise.batch_sizes, noise.predicted_variance):
        exact = np.mean(
            [((G[list(s)].mean(axis=0) - g) ** 2).sum() for s in itertools.combinations(range(7), b)]
        )
        assert predicted == pytest.approx(exact, rel=1e-10, abs=1e-15)
    assert noise.cosine[-1] == 1.0 and noise.variance[-1] == 0.0
    assert noise.full_gradient_norm == pytest.approx(np.linalg.norm(g))


def test_gradient_noise_sampling_agrees_with_theory_and_exact_cosine():
    model = tiny_model(seed=4)
    x, y = tiny_data(n=40, seed=4)
    noise = bx.gradient_noise(model, x, y, [1, 2, 4, 8, 20], n_batches=3000, seed=1)
    np.testing.assert_allclose(noise.variance, noise.predicted_variance, rtol=0.1)
    G = bx.per_sample_gradients(model, x, y)
    g = G.mean(axis=0)
    exact_cos_b1 = np.mean(G @ g / (np.linalg.norm(G, axis=1) * np.linalg.norm(g)))
    assert noise.cosine[0] == pytest.approx(exact_cos_b1, abs=0.02)
    assert np.all(np.diff(noise.cosine) > 0)  # a bigger batch points closer to the full gradient
    # without the finite-population factor the slope is -1; with it, steeper
    assert -1.3 < noise.slope(max_batch=8) < -0.9
    again = bx.gradient_noise(model, x, y, [1, 2, 4, 8, 20], n_batches=3000, seed=1)
    np.testing.assert_array_equal(again.variance, noise.variance)


def test_gradient_noise_bad_input():
    model = tiny_model()
    x, y = tiny_data()
    with pytest.raises(ValueError, match="<= 12"):
        bx.gradient_noise(model, x, y, [1, 13])
    with pytest.raises(ValueError, match="must not repeat"):
        bx.gradient_noise(model, x, y, [2, 2])
    with pytest.raises(ValueError, match="at least one"):
        bx.gradient_noise(model, x, y, [])
    with pytest.raises(TypeError, match="sequence of ints"):
        bx.gradient_noise(model, x, y, 4)
    with pytest.raises(ValueError, match="n_batches must be >= 2"):
        bx.gradient_noise(model, x, y, [1], n_batches=1)


def test_loglog_slope():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    assert bx.loglog_slope(x, 3.0 * x**-1.5) == pytest.approx(-1.5, abs=1e-12)
    noisy = 2.0 / x * np.array([1.1, 0.9, 1.05, 0.97, 1.02])
    assert bx.loglog_slope(x, noisy) == pytest.approx(np.polyfit(np.log(x), np.log(noisy), 1)[0], abs=1e-12)
    with pytest.raises(ValueError, match="positive and finite"):
        bx.loglog_slope([1, 2], [1, 0])
    with pytest.raises(ValueError, match="same length"):
        bx.loglog_slope([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 2 points"):
        bx.loglog_slope([1], [1])
    with pytest.raises(ValueError, match="two different values"):
        bx.loglog_slope([2, 2], [1, 3])
    with pytest.raises(TypeError, match="real number"):
        bx.loglog_slope(["a", "b"], [1, 2])


def test_top_hessian_eigenvalue_matches_dense_hessian():
    model = tiny_model(seed=5, hidden=3)
    x, y = tiny_data(n=10, seed=5)
    twin = tiny_model(seed=5, hidden=3).double()
    shapes = [p.shape for p in twin.parameters()]
    names = [n for n, _ in twin.named_parameters()]
    xt, yt = torch.from_numpy(x).double(), torch.from_numpy(y)

    def loss_of(flat):
        params, i = {}, 0
        for name, shape in zip(names, shapes):
            k = math.prod(shape)
            params[name] = flat[i : i + k].reshape(shape)
            i += k
        return F.cross_entropy(torch.func.functional_call(twin, params, (xt,)), yt)

    flat = torch.cat([p.detach().reshape(-1) for p in twin.parameters()])
    eig = np.linalg.eigvalsh(torch.autograd.functional.hessian(loss_of, flat).numpy())
    expected = eig[np.argmax(np.abs(eig))]
    assert bx.top_hessian_eigenvalue(model, x, y, iterations=60) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="iterations must be >= 1"):
        bx.top_hessian_eigenvalue(model, x, y, iterations=0)


# ------------------------------------------------------------------ throughput


def test_throughput_counts_samples_per_second(monkeypatch):
    """Rates are batch size / seconds per step; the clock is replaced so that the test
    checks the arithmetic and the steps taken, not this machine's speed."""
    calls = []

    def fake_measure(fn, *, repeat, number):
        for _ in range(number):
            fn()
        calls.append(number)
        return 0.01  # seconds per step

    monkeypatch.setattr(bx, "measure", fake_measure)
    x, y = tiny_data(n=64)
    rates = bx.throughput(lambda: tiny_model(hidden=8), x, y, [1, 16, 64], min_samples=64, repeats=2)
    assert rates == {1: 100.0, 16: 1600.0, 64: 6400.0}
    assert calls == [64, 5, 5]  # max(min_steps=5, ceil(64 / B)) steps per timing


def test_throughput_really_times_training_steps():
    x, y = tiny_data(n=64)
    rates = bx.throughput(lambda: tiny_model(hidden=8), x, y, [1, 64], min_samples=64, repeats=2)
    assert list(rates) == [1, 64]
    assert all(math.isfinite(r) and r > 0 for r in rates.values())


def test_throughput_bad_input():
    x, y = tiny_data(n=8)
    with pytest.raises(TypeError, match="model_factory must be callable"):
        bx.throughput(None, x, y, [1])
    with pytest.raises(ValueError, match="<= 8"):
        bx.throughput(tiny_model, x, y, [16])
    with pytest.raises(TypeError, match="torch.nn.Module"):
        bx.throughput(lambda: 3, x, y, [1])
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        bx.throughput(tiny_model, x, y, [1], repeats=0)


def test_step_work_counts_fixed_operations_and_flops_per_sample():
    """A step dispatches the same operations at every batch size; its matrix-product FLOPs grow
    with B: forward 2·(3·5 + 5·4) = 70 per sample, backward 70 for the weight gradients plus
    2·5·4 = 40 for the hidden layer's gradient (the input needs none) = 180 per sample."""
    x, y = tiny_data(n=12)
    work = [bx.step_work(tiny_model, x, y, b) for b in (1, 4, 12)]
    assert len({w.operations for w in work}) == 1 and work[0].operations > 10
    assert [w.flops for w in work] == [180, 720, 2160]
    assert all(w.flops_per_sample == 180 for w in work)
    adam = bx.step_work(tiny_model, x, y, 4, optimizer_factory=lambda p, b: torch.optim.Adam(p))
    assert adam.flops == 720 and adam.operations > work[0].operations  # Adam's update has more steps


def test_step_work_bad_input():
    x, y = tiny_data(n=8)
    with pytest.raises(ValueError, match="batch_size must be <= 8"):
        bx.step_work(tiny_model, x, y, 9)
    with pytest.raises(TypeError, match="model_factory must be callable"):
        bx.step_work(None, x, y, 1)
    with pytest.raises(TypeError, match="optimizer_factory must be callable"):
        bx.step_work(tiny_model, x, y, 1, optimizer_factory=3)


def test_fit_step_cost_recovers_a_and_b():
    a, b = 2e-4, 1e-6
    rates = {size: size / (a + b * size) for size in (1, 8, 64, 512)}
    fa, fb = bx.fit_step_cost(rates)
    assert fa == pytest.approx(a, rel=1e-9) and fb == pytest.approx(b, rel=1e-9)
    noisy = {size: r * (1.05 if i % 2 else 0.95) for i, (size, r) in enumerate(rates.items())}
    fa, fb = bx.fit_step_cost(noisy)
    assert fa / fb == pytest.approx(a / b, rel=0.3)  # k = a/b is still found roughly


def test_fit_step_cost_bad_input():
    with pytest.raises(ValueError, match="at least 2 batch sizes"):
        bx.fit_step_cost({1: 100.0})
    with pytest.raises(TypeError, match="mapping"):
        bx.fit_step_cost([(1, 100.0), (2, 150.0)])
    with pytest.raises(ValueError, match="positive, finite"):
        bx.fit_step_cost({1: 100.0, 2: -1.0})
    with pytest.raises(ValueError, match="each batch size must be >= 1"):
        bx.fit_step_cost({0: 100.0, 2: 150.0})


def _model_time(k, steps, samples):
    return [math.inf if s is None else k * s + m for s, m in zip(steps, samples)]


def _intermediate_wins(k, steps, samples, margin):
    t = _model_time(k, steps, samples)
    return any(
        margin * t[i] <= t[0] and margin * t[i] <= t[-1] for i in range(1, len(t) - 1) if t[i] < math.inf
    )


def test_time_optimal_overheads_are_exact_intervals():
    n = 1347
    sgd = [2694, 1183, 1118, 1133, None], [2 * n, 7 * n, 26 * n, 103 * n, None]
    adam = [2694, 507, 301, 143, 112], [2 * n, 3 * n, 7 * n, 13 * n, 112 * n]
    [(lo, hi)] = bx.time_optimal_overheads(*sgd)
    assert hi == math.inf and lo == pytest.approx((1.25 * 7 * n - 2 * n) / (2694 - 1.25 * 1183))
    [(lo, hi)] = bx.time_optimal_overheads(*adam)
    assert lo == pytest.approx(1.144, abs=1e-3) and hi == pytest.approx(1932.2, abs=0.1)
    # at the upper end B=128 is exactly 1.25x faster than the full batch
    t = _model_time(hi, *adam)
    assert 1.25 * t[3] == pytest.approx(t[4])
    for steps, samples in (sgd, adam):
        ranges = bx.time_optimal_overheads(steps, samples)
        for k in np.geomspace(0.01, 1e5, 400):
            inside = any(lo <= k <= hi for lo, hi in ranges)
            assert inside == _intermediate_wins(k, steps, samples, 1.25), k


def test_time_optimal_overheads_can_be_empty_or_everything():
    # the intermediate batch needs as many samples as the ends and more steps than the
    # full batch: it is never the fastest
    assert bx.time_optimal_overheads([10, 5, 1], [10, 10, 10]) == []
    # neither end gets there: any k
    assert bx.time_optimal_overheads([None, 5, None], [None, 50, None]) == [(0.0, math.inf)]
    # a larger margin can only shrink the range
    wide = bx.time_optimal_overheads([100, 20, 5], [100, 160, 500], margin=1.0)
    narrow = bx.time_optimal_overheads([100, 20, 5], [100, 160, 500], margin=2.0)
    assert wide and narrow and wide[0][0] < narrow[0][0] <= narrow[0][1] < wide[0][1]


def test_time_optimal_overheads_bad_input():
    with pytest.raises(ValueError, match="at least 3 batch sizes"):
        bx.time_optimal_overheads([1, 2], [1, 2])
    with pytest.raises(ValueError, match="same length"):
        bx.time_optimal_overheads([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="None for the same runs"):
        bx.time_optimal_overheads([1, None, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="margin must be a finite number >= 1, got 0.5"):
        bx.time_optimal_overheads([1, 2, 3], [1, 2, 3], margin=0.5)
    with pytest.raises(ValueError, match="margin must be a finite number >= 1, got inf"):
        bx.time_optimal_overheads([1, 2, 3], [1, 2, 3], margin=math.inf)
    with pytest.raises(TypeError, match="margin must be a real number, got str"):
        bx.time_optimal_overheads([1, 2, 3], [1, 2, 3], margin="2")
    never = r"\(None: a run that never got there\)"
    with pytest.raises(ValueError, match=rf"each of steps {never} must be a finite number > 0, got -2.0"):
        bx.time_optimal_overheads([1, -2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match=r"each of samples .* must be a finite number > 0, got nan"):
        bx.time_optimal_overheads([1, 2, 3], [1, math.nan, 3])
    with pytest.raises(TypeError, match=r"each of steps .* must be a real number, got bool"):
        bx.time_optimal_overheads([1, True, 3], [1, 2, 3])
    with pytest.raises(TypeError, match="sequence"):
        bx.time_optimal_overheads("abc", [1, 2, 3])


# ------------------------------------------------------------------ runs


def test_train_run_reproduces_a_direct_fit_call():
    data = blobs()
    run = bx.train_run(blob_model, sgd, data, 16, epochs=3, seed=7, label="sgd")
    torch.manual_seed(7)
    model = blob_model()
    history = training.fit(
        model,
        data.x_train,
        data.y_train,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        batch_size=16,
        epochs=3,
        x_test=data.x_test,
        y_test=data.y_test,
        seed=7,
        progress=False,
    )
    assert run.history.test_accuracy == history.test_accuracy
    assert run.history.train_loss == history.train_loss
    for p, q in zip(run.model.parameters(), model.parameters()):
        assert torch.equal(p, q)
    assert run.label == "sgd" and run.target is None and not run.reached
    assert run.epochs_to_target is None and run.steps_to_target is None and run.seconds_to_target == math.inf
    assert run.epochs_run == 3 and run.final_test_accuracy == history.test_accuracy[-1]


def test_time_to_accuracy_stops_at_target_and_counts_steps():
    data = blobs()
    runs = bx.time_to_accuracy(blob_model, sgd, data, [4, 64], target=0.9, max_epochs=50, max_steps=64)
    assert [r.batch_size for r in runs] == [4, 64]
    assert [r.epochs_cap for r in runs] == [4, 50]  # 64 steps = 4 epochs of 16 steps
    for r in runs:
        assert r.reached and r.final_test_accuracy >= 0.9
        assert r.epochs_to_target == r.epochs_run == r.history.first_epoch_reaching(0.9)
        assert r.steps_to_target == r.epochs_to_target * math.ceil(64 / r.batch_size)
        assert 0 < r.seconds_to_target < math.inf and not r.diverged


def test_run_detects_divergence():
    data = blobs()
    run = bx.train_run(blob_model, lambda p, b: torch.optim.SGD(p, lr=1e6), data, 64, epochs=20, target=0.99)
    assert run.diverged and not run.reached
    assert run.epochs_run < 3  # it blew up within the first steps (one step per epoch here)


def test_epochs_cap_and_scaled_lr():
    assert bx.epochs_cap(1, 1347, 200) == 200
    assert bx.epochs_cap(1, 1347, 200, max_steps=4100) == 3
    assert bx.epochs_cap(8, 1347, 200, max_steps=4100) == 24  # 169 steps per epoch
    assert bx.epochs_cap(1, 1347, 200, max_steps=10) == 1
    assert bx.scaled_lr(0.01, 32, 128) == pytest.approx(0.04)
    assert bx.scaled_lr(0.01, 32, 8, rule="sqrt") == pytest.approx(0.005)
    with pytest.raises(ValueError, match="rule must be"):
        bx.scaled_lr(0.01, 32, 8, rule="cubic")
    with pytest.raises(ValueError, match="base_lr must be a finite number > 0, got 0.0"):
        bx.scaled_lr(0, 32, 8)
    with pytest.raises(ValueError, match="base_lr must be a finite number > 0, got inf"):
        bx.scaled_lr(math.inf, 32, 8)
    with pytest.raises(TypeError, match="base_lr must be a real number, got str"):
        bx.scaled_lr("0.01", 32, 8)
    with pytest.raises(ValueError, match="max_steps must be >= 1"):
        bx.epochs_cap(1, 10, 5, max_steps=0)


def test_runs_bad_input():
    data = blobs()
    with pytest.raises(TypeError, match="has no x_train"):
        bx.train_run(blob_model, sgd, object(), 4, epochs=1)
    with pytest.raises(TypeError, match="torch.optim.Optimizer"):
        bx.train_run(blob_model, lambda p, b: "adam", data, 4, epochs=1)
    with pytest.raises(ValueError, match=r"target must be a finite number in \(0, 1\], got 1.5"):
        bx.time_to_accuracy(blob_model, sgd, data, [4], target=1.5)
    with pytest.raises(TypeError, match="target must be a real number, got bool"):
        bx.train_run(blob_model, sgd, data, 4, epochs=1, target=True)
    with pytest.raises(ValueError, match=r"train_target must be a finite number in \(0, 1\], got 0.0"):
        bx.final_accuracy_sweep(blob_model, sgd, data, [4], [0], max_epochs=1, train_target=0)
    with pytest.raises(ValueError, match="batch_size must be <= 64"):
        bx.train_run(blob_model, sgd, data, 65, epochs=1)
    with pytest.raises(TypeError, match="optimizer_factory must be callable"):
        bx.train_run(blob_model, None, data, 4, epochs=1)
    with pytest.raises(TypeError, match="seeds must be"):
        bx.final_accuracy_sweep(blob_model, sgd, data, [4], [], max_epochs=1)


def test_rprop_full_batch_is_rprop_on_the_whole_set():
    data = blobs()
    run = bx.rprop_full_batch(blob_model, data, epochs=5, seed=1, etas=(0.4, 1.3))
    assert run.history.steps == [1, 2, 3, 4, 5] and run.batch_size == 64
    torch.manual_seed(1)
    model = blob_model()
    opt = torch.optim.Rprop(model.parameters(), etas=(0.4, 1.3))
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for p, q in zip(run.model.parameters(), model.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
    mini = bx.rprop_full_batch(blob_model, data, epochs=1, batch_size=16)
    assert mini.history.steps == [4] and mini.label == "Rprop, B=16"


def torch_rprop_weights(grads, **options):
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Rprop([w], **options)
    weights, steps = [], []
    for g in grads:
        w.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        weights.append(w.item())
        steps.append(opt.state[w]["step_size"].item())
    return weights, steps


def test_rprop_trace_without_backtracking_is_torch_rprop():
    rng = np.random.default_rng(0)
    grads = [float(g) for g in rng.normal(size=200)] + [0.0, 1.0, -2.0, 0.0, -1.0] + [0.1] * 9 + [-0.9]
    for options in ({}, dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.01, 2.0))):
        weights, steps = bx.rprop_trace(grads, backtracking=False, **options)
        expected_w, expected_s = torch_rprop_weights(grads, **options)
        np.testing.assert_array_equal(weights, expected_w)
        np.testing.assert_array_equal(steps, expected_s)


def test_rprop_trace_by_hand():
    # +1, +1: two steps, the second 1.2 times larger; -1: sign flip, step halved
    weights, steps = bx.rprop_trace([1.0, 1.0, -1.0, 1.0], backtracking=False)
    np.testing.assert_allclose(steps, [0.01, 0.012, 0.006, 0.006])
    np.testing.assert_allclose(weights, [-0.01, -0.022, -0.022, -0.028])
    weights, steps = bx.rprop_trace([1.0, 1.0, -1.0, 1.0], backtracking=True)
    np.testing.assert_allclose(steps, [0.01, 0.012, 0.006, 0.006])
    np.testing.assert_allclose(weights, [-0.01, -0.022, -0.01, -0.016])
    # the step size stays within its bounds
    _, steps = bx.rprop_trace([1.0] * 50 + [-1.0, 1.0] * 50, backtracking=True, step_sizes=(1e-3, 0.05))
    assert steps.max() == 0.05 and steps.min() >= 1e-3


def test_rprop_trace_bad_input():
    with pytest.raises(TypeError, match="grads must be a sequence"):
        bx.rprop_trace("1, 2", backtracking=True)
    with pytest.raises(ValueError, match="at least one gradient"):
        bx.rprop_trace([], backtracking=True)
    with pytest.raises(ValueError, match="each gradient must be a finite number"):
        bx.rprop_trace([1.0, math.nan], backtracking=True)
    with pytest.raises(TypeError, match="backtracking must be True or False"):
        bx.rprop_trace([1.0], backtracking=1)
    with pytest.raises(TypeError, match="backtracking"):
        bx.rprop_trace([1.0])
    with pytest.raises(ValueError, match="lr must be a finite number"):
        bx.rprop_trace([1.0], backtracking=True, lr=0)
    with pytest.raises(ValueError, match="etaminus must be a finite number"):
        bx.rprop_trace([1.0], backtracking=True, etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="etaplus must be a finite number"):
        bx.rprop_trace([1.0], backtracking=True, etas=(0.5, 0.9))
    with pytest.raises(TypeError, match="etas must be a pair"):
        bx.rprop_trace([1.0], backtracking=True, etas=0.5)
    with pytest.raises(ValueError, match="min <= max"):
        bx.rprop_trace([1.0], backtracking=True, step_sizes=(1.0, 0.1))
    with pytest.raises(TypeError, match="step_sizes must be a pair"):
        bx.rprop_trace([1.0], backtracking=True, step_sizes=(1.0,))


def test_final_accuracy_sweep_rows():
    data = blobs()
    rows = bx.final_accuracy_sweep(
        blob_model, sgd, data, [16, 64], [0, 1], max_epochs=30, sharpness_iterations=5
    )
    assert [(r["batch_size"], r["seed"]) for r in rows] == [(16, 0), (16, 1), (64, 0), (64, 1)]
    for r in rows:
        assert r["train_accuracy"] == 1.0 and r["test_accuracy"] >= 0.9
        assert r["steps"] == r["epochs"] * math.ceil(64 / r["batch_size"])
    # the last row, rebuilt by hand: train on the training set only, then measure
    run = bx.train_run(blob_model, sgd, data, 64, epochs=30, target=1.0, seed=1, use_test=False)
    assert rows[-1]["epochs"] == run.epochs_run
    assert rows[-1]["test_accuracy"] == training.evaluate(run.model, data.x_test, data.y_test)
    assert rows[-1]["sharpness"] == pytest.approx(
        bx.top_hessian_eigenvalue(run.model, data.x_train, data.y_train, iterations=5, seed=1), rel=1e-12
    )
    with pytest.raises(TypeError, match="has no x_train"):
        bx.rprop_full_batch(blob_model, object(), epochs=1)


# ------------------------------------------------------- linear neuron, MSE surface


def surface_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2)) @ np.array([[1.0, 0.0], [0.8, 0.3]])
    y = x @ np.array([1.0, -2.0]) + 0.1 * rng.normal(size=50)
    return x, y


def test_quadratic_surface_against_least_squares_and_finite_differences():
    x, y = surface_data()
    s = bx.quadratic_surface(x, y)
    np.testing.assert_allclose(s.w_star, np.linalg.lstsq(x, y, rcond=None)[0], atol=1e-12)
    assert s.min_loss == pytest.approx(((x @ s.w_star - y) ** 2).mean() / 2)
    h = 1e-4
    fd = np.empty((2, 2))
    for i, j in itertools.product(range(2), range(2)):
        ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
        fd[i, j] = (
            s.loss(s.w_star + ei + ej)
            - s.loss(s.w_star + ei - ej)
            - s.loss(s.w_star - ei + ej)
            + s.loss(s.w_star - ei - ej)
        ) / (4 * h * h)
    np.testing.assert_allclose(s.hessian, fd, rtol=1e-6)
    assert s.eigenvalues[0] < s.eigenvalues[1]
    # every point of the ellipse has the same loss: the level sets are ellipses
    pts = s.ellipse(0.5, n_points=50)
    np.testing.assert_allclose(s.loss(pts), s.min_loss + 0.5, rtol=1e-12)
    axes = s.semi_axes(0.5)
    for a, v in zip(axes, s.eigenvectors.T):
        assert s.loss(s.w_star + a * v) == pytest.approx(s.min_loss + 0.5, rel=1e-12)


def test_quadratic_surface_bad_input():
    x, y = surface_data()
    with pytest.raises(ValueError, match="full column rank"):
        bx.quadratic_surface(np.c_[x[:, 0], 2 * x[:, 0]], y)
    with pytest.raises(ValueError, match="x must be"):
        bx.quadratic_surface(x, y[:-1])
    s = bx.quadratic_surface(x, y)
    with pytest.raises(ValueError, match="level must be a finite number > 0, got 0.0"):
        s.semi_axes(0.0)
    with pytest.raises(TypeError, match="level must be a real number, got NoneType"):
        s.semi_axes(None)
    with pytest.raises(ValueError, match="exactly 2 weights"):
        bx.quadratic_surface(np.c_[x, x[:, :1] ** 2], y).ellipse(1.0)
    with pytest.raises(ValueError, match="dimension of size 2"):
        s.loss(np.zeros(3))


def test_linear_sgd_path_full_batch_follows_closed_form():
    x, y = surface_data()
    s = bx.quadratic_surface(x, y)
    w0, lr, k = np.array([3.0, 2.0]), 0.5, 25
    path = bx.linear_sgd_path(s, w0, lr=lr, batch_size=50, steps=k)
    step = np.eye(2) - lr * s.hessian
    expected = s.w_star + np.linalg.matrix_power(step, k) @ (w0 - s.w_star)
    assert path.shape == (k + 1, 2)
    np.testing.assert_allclose(path[-1], expected, atol=1e-12)
    # one online step uses the first sample of the seeded permutation
    i = np.random.default_rng(3).permutation(50)[0]
    one = bx.linear_sgd_path(s, w0, lr=lr, batch_size=1, steps=1, seed=3)
    np.testing.assert_allclose(one[1], w0 - lr * x[i] * (x[i] @ w0 - y[i]), atol=1e-12)


def test_linear_sgd_path_bad_input():
    s = bx.quadratic_surface(*surface_data())
    with pytest.raises(ValueError, match=r"w0 must have shape \(2,\)"):
        bx.linear_sgd_path(s, [1.0], lr=0.1, batch_size=1, steps=1)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got -1.0"):
        bx.linear_sgd_path(s, [1.0, 1.0], lr=-1, batch_size=1, steps=1)
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        bx.linear_sgd_path(s, [1.0, 1.0], lr="0.1", batch_size=1, steps=1)
    with pytest.raises(ValueError, match="batch_size must be <= 50"):
        bx.linear_sgd_path(s, [1.0, 1.0], lr=0.1, batch_size=51, steps=1)
    with pytest.raises(TypeError, match="QuadraticSurface"):
        bx.linear_sgd_path("surface", [1.0, 1.0], lr=0.1, batch_size=1, steps=1)

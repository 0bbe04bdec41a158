"""Tests of utils.gpu: devices, memory estimates against hand-computed sizes and real
optimizers, saved-tensor tracking, graph size and gradient accumulation."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
import torch.nn as nn

from utils import gpu


def small_cnn(inplace: bool = True) -> nn.Sequential:
    # input (N, 1, 8, 8): conv -> (N, 4, 8, 8), pool -> (N, 4, 4, 4), flatten -> (N, 64), linear -> (N, 5)
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(inplace=inplace),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 5),
    )


# ---------------------------------------------------------------- devices


def test_describe_devices_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu.describe_devices().startswith("no CUDA GPU")


def test_describe_devices_lists_each_gpu(monkeypatch):
    props = types.SimpleNamespace(name="Fake GPU", total_memory=8 * 2**30, major=8, minor=6)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: props)
    lines = gpu.describe_devices().splitlines()
    assert lines == [f"cuda:{i}: Fake GPU, 8.0 GiB, compute capability 8.6" for i in range(2)]


def test_module_device_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert gpu.module_device(model) == {torch.device("cpu")}
    model[1].register_buffer("extra", torch.zeros(1, device="meta"))
    assert gpu.module_device(model) == {torch.device("cpu"), torch.device("meta")}
    weighted = nn.CrossEntropyLoss(weight=torch.ones(3))  # the weight is a buffer
    assert gpu.module_device(weighted) == {torch.device("cpu")}


def test_module_device_bad_input():
    with pytest.raises(ValueError, match="no parameters or buffers"):
        gpu.module_device(nn.CrossEntropyLoss())
    with pytest.raises(TypeError, match="torch.nn.Module"):
        gpu.module_device(torch.zeros(2))


def test_check_same_device_returns_the_device():
    model = nn.Linear(3, 2)
    assert gpu.check_same_device(model, torch.zeros(4, 3), nn.CrossEntropyLoss()) == torch.device("cpu")
    assert gpu.check_same_device(torch.zeros(1, device="meta")) == torch.device("meta")


def test_check_same_device_names_the_devices():
    model = nn.Linear(3, 2).to("meta")
    with pytest.raises(RuntimeError, match=r"argument 0 \(Linear\) on meta; argument 1 \(Tensor\) on cpu"):
        gpu.check_same_device(model, torch.zeros(4, 3))
    # and torch itself refuses the same mix
    with pytest.raises(RuntimeError, match="device"):
        model(torch.zeros(4, 3))


def test_check_same_device_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        gpu.check_same_device()
    with pytest.raises(ValueError, match="none of the arguments"):
        gpu.check_same_device(nn.ReLU())
    with pytest.raises(TypeError, match="argument 1"):
        gpu.check_same_device(torch.zeros(1), np.zeros(1))


# ---------------------------------------------------------------- activation memory


def test_activation_memory_hand_computed():
    # conv 8*4*8*8*4 B = 8192; in-place ReLU shares it; pool 8*4*4*4*4 = 2048;
    # Flatten is a view of the pool output; linear 8*5*4 = 160
    assert gpu.activation_memory_bytes(small_cnn(), (8, 1, 8, 8)) == 8192 + 2048 + 160
    # a ReLU that is not in place writes a new 8192-byte tensor
    assert gpu.activation_memory_bytes(small_cnn(inplace=False), (8, 1, 8, 8)) == 2 * 8192 + 2048 + 160
    assert gpu.activation_memory_bytes(small_cnn(), (8, 1, 8, 8), torch.float16) == (8192 + 2048 + 160) // 2


def test_activation_memory_matches_real_outputs_and_nesting():
    model = nn.Sequential(nn.Sequential(nn.Linear(6, 7), nn.Tanh()), nn.Linear(7, 3))
    x = torch.randn(5, 6)
    h = model[0][0](x)
    real = sum(t.numel() * t.element_size() for t in (h, torch.tanh(h), model[1](torch.tanh(h))))
    assert gpu.activation_memory_bytes(model, (5, 6)) == real  # containers are not counted twice


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda: small_cnn(), (1, 8, 8)),
        (
            lambda: nn.Sequential(
                nn.Linear(10, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Dropout(0.5), nn.Linear(20, 2)
            ),
            (10,),
        ),
        (
            lambda: nn.Sequential(
                nn.Conv2d(1, 64, 9), nn.ReLU(), nn.Conv2d(64, 32, 1), nn.ReLU(), nn.Conv2d(32, 1, 5)
            ),
            (1, 33, 33),
        ),
    ],
)
def test_meta_and_cpu_methods_agree_and_scale_linearly(make, shape):
    model = make()
    before = [p.detach().clone() for p in model.state_dict().values()]
    for batch in (3, 16):
        meta = gpu.activation_memory_bytes(model, (batch,) + shape)
        assert meta == gpu.activation_memory_bytes(model, (batch,) + shape, method="cpu")
    assert gpu.activation_memory_bytes(model, (16,) + shape) == 16 * (
        gpu.activation_memory_bytes(model, (3,) + shape) // 3
    )
    after = list(model.state_dict().values())
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # model untouched (BN stats too)


def test_activation_memory_bad_input():
    model = small_cnn()
    with pytest.raises(TypeError, match="floating torch.dtype"):
        gpu.activation_memory_bytes(model, (2, 1, 8, 8), torch.int64)
    with pytest.raises(ValueError, match=">= 1"):
        gpu.activation_memory_bytes(model, (0, 1, 8, 8))
    with pytest.raises(TypeError, match="tuple of ints"):
        gpu.activation_memory_bytes(model, "2,1,8,8")
    with pytest.raises(ValueError, match="method"):
        gpu.activation_memory_bytes(model, (2, 1, 8, 8), method="gpu")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        gpu.activation_memory_bytes(lambda x: x, (2, 3))


# ---------------------------------------------------------------- training memory


def _real_optimizer_state_bytes(model, optimizer):
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    optimizer.step()
    return sum(
        t.numel() * t.element_size()
        for s in optimizer.state.values()
        for t in s.values()
        if isinstance(t, torch.Tensor) and t.dim() > 0
    )


@pytest.mark.parametrize(
    "name,factory",
    [
        ("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
        ("momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
        ("rmsprop", lambda p: torch.optim.RMSprop(p)),
        ("adagrad", lambda p: torch.optim.Adagrad(p)),
        ("adam", lambda p: torch.optim.Adam(p)),
        ("adamw", lambda p: torch.optim.AdamW(p)),
    ],
)
def test_optimizer_state_matches_torch(name, factory):
    model = small_cnn(inplace=False)
    est = gpu.training_memory_estimate(model, 4, (1, 8, 8), optimizer=name)
    assert est.optimizer_state == _real_optimizer_state_bytes(model, factory(model.parameters()))


def test_training_memory_parts_hand_computed():
    model = small_cnn()
    # conv 4*1*3*3 + 4 = 40 and linear 64*5 + 5 = 325 parameters, float32
    est = gpu.training_memory_estimate(model, 8, (1, 8, 8), optimizer="adam")
    assert (est.parameters, est.gradients, est.optimizer_state) == (1460, 1460, 2920)
    assert est.activations == 8192 + 2048 + 160
    assert est.fixed == 5840 and est.total == 5840 + 10400
    # frozen parameters need no gradient or state; BatchNorm buffers count as parameters
    frozen = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    frozen[0].weight.requires_grad_(False)
    est = gpu.training_memory_estimate(frozen, 2, (4,), optimizer="momentum")
    assert est.parameters == (12 + 3 + 3 + 3) * 4 + (3 + 3) * 4 + 8  # running mean/var + int64 counter
    assert est.gradients == est.optimizer_state == (3 + 3 + 3) * 4


def test_training_memory_bad_input():
    model = small_cnn()
    with pytest.raises(ValueError, match="unknown optimizer"):
        gpu.training_memory_estimate(model, 2, (1, 8, 8), optimizer="lbfgs")
    with pytest.raises(TypeError, match="optimizer must be a str"):
        gpu.training_memory_estimate(model, 2, (1, 8, 8), optimizer=torch.optim.Adam)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        gpu.training_memory_estimate(model, 0, (1, 8, 8))
    with pytest.raises(TypeError, match="batch_size must be an int"):
        gpu.training_memory_estimate(model, 2.0, (1, 8, 8))


def test_largest_batch_size_against_brute_force():
    model = nn.Sequential(nn.Linear(10, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Linear(20, 2))
    total = {b: gpu.training_memory_estimate(model, b, (10,)).total for b in range(2, 40)}
    for budget in (total[5], total[5] + 1, total[6] - 1, total[30] + 17):
        expected = max(b for b, t in total.items() if t <= budget)
        assert gpu.largest_batch_size(model, (10,), budget) == expected
    assert gpu.largest_batch_size(model, (10,), 10) == 0
    with pytest.raises(ValueError, match="budget_bytes must be >= 1"):
        gpu.largest_batch_size(model, (10,), 0)


# ---------------------------------------------------------------- saved tensors and graphs


def test_track_saved_tensors_hand_computed():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = torch.randn(5, 3)
    with gpu.track_saved_tensors(exclude=model.parameters()) as tracker:
        out = model(x).sum()
    # first Linear keeps x (5*3*4 = 60 B) for its weight gradient; ReLU keeps its output
    # (5*4*4 = 80 B), which the second Linear keeps too (same storage); weights excluded
    assert tracker.held_bytes() == 60 + 80
    out.backward()
    assert tracker.held_bytes() == 0 and tracker.held_count() == 0
    with gpu.track_saved_tensors() as tracker:
        out = model(x).sum()
    assert tracker.held_bytes() == 60 + 80 + 2 * 4 * 4  # now the weight W2 is counted
    del out
    assert tracker.held_bytes() == 0  # dropping the graph frees them
    with torch.no_grad(), gpu.track_saved_tensors() as tracker:
        model(x)
    assert tracker.held_count() == 0


def test_held_by_dtype_sees_max_pool_indices():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2))
    x = torch.randn(3, 1, 4, 4)
    with gpu.track_saved_tensors(exclude=model.parameters()) as tracker:
        out = model(x)
    # conv keeps x (3*1*4*4 floats); max pooling keeps the conv output (3*2*4*4 floats)
    # and the positions of the maxima as int64 (3*2*2*2)
    assert tracker.held_by_dtype() == {"float32": (48 + 96) * 4, "int64": 24 * 8}
    assert sum(tracker.held_by_dtype().values()) == tracker.held_bytes()
    del out


def test_tracking_does_not_change_gradients():
    model = small_cnn(inplace=False)
    x = torch.randn(3, 1, 8, 8)
    model(x).sum().backward()
    expected = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    with gpu.track_saved_tensors():
        out = model(x).sum()
    out.backward()
    assert all(torch.equal(e, p.grad) for e, p in zip(expected, model.parameters()))


def test_track_saved_tensors_bad_input():
    with pytest.raises(TypeError, match="exclude must hold tensors"):
        with gpu.track_saved_tensors(exclude=[1.0]):
            pass


def test_autograd_graph_size():
    x = torch.ones(3, requires_grad=True)
    assert gpu.autograd_graph_size((x * 2).sum()) == 3  # SumBackward, MulBackward, AccumulateGrad
    total = 0
    for _ in range(4):
        total = total + (x * 2).sum()
    # 4 x (Sum, Mul, Add: even 0 + t is recorded) + the one AccumulateGrad of x
    assert gpu.autograd_graph_size(total) == 4 * 3 + 1
    assert gpu.autograd_graph_size(torch.ones(2)) == 0
    assert gpu.autograd_graph_size(total.item()) == 0
    with pytest.raises(TypeError, match="torch.Tensor or a real number"):
        gpu.autograd_graph_size("loss")


# ---------------------------------------------------------------- gradient accumulation


def test_flat_gradient_closed_form_and_accumulation():
    torch.manual_seed(0)
    model = nn.Linear(3, 1, bias=False).double()
    x, y = torch.randn(12, 3, dtype=torch.float64), torch.randn(12, 1, dtype=torch.float64)
    w = model.weight.detach().numpy().ravel()
    X, Y = x.numpy(), y.numpy().ravel()
    closed = 2.0 / len(X) * X.T @ (X @ w - Y)  # gradient of the mean squared error
    for steps in (1, 3, 4, 12):
        np.testing.assert_allclose(gpu.flat_gradient(model, nn.MSELoss(), x, y, steps), closed, rtol=1e-12)


def test_flat_gradient_restores_grads_and_bad_input():
    model = nn.Linear(3, 2)
    model.weight.grad = torch.full_like(model.weight, 7.0)
    x, y = torch.randn(6, 3), torch.tensor([0, 1, 0, 1, 1, 0])
    g = gpu.flat_gradient(model, nn.CrossEntropyLoss(), x, y, 2)
    assert g.shape == (3 * 2 + 2,) and g.dtype == np.float64
    assert torch.all(model.weight.grad == 7.0) and model.bias.grad is None
    with pytest.raises(ValueError, match="must divide"):
        gpu.flat_gradient(model, nn.CrossEntropyLoss(), x, y, 4)
    with pytest.raises(ValueError, match="same batch size"):
        gpu.flat_gradient(model, nn.CrossEntropyLoss(), x, y[:5])
    with pytest.raises(TypeError, match="torch tensors"):
        gpu.flat_gradient(model, nn.CrossEntropyLoss(), x.numpy(), y)
    with pytest.raises(TypeError, match="callable"):
        gpu.flat_gradient(model, "ce", x, y)

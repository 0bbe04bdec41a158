"""Tests of utils.diagnostics against hand-computed autograd gradients and a network
whose dead units are known by construction."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.diagnostics import dead_unit_fraction, layer_gradient_norms


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 5), nn.ReLU(), nn.Linear(5, 3))


def _batch(seed=0, n=16):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 6, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_gradient_norms_match_autograd_by_hand():
    model = _net()
    x, y = _batch()
    reference = copy.deepcopy(model)
    weights = [m.weight for m in reference if isinstance(m, nn.Linear)]
    grads = torch.autograd.grad(F.cross_entropy(reference(x), y), weights)
    expected = [torch.sqrt((g**2).sum()).item() for g in grads]
    got = layer_gradient_norms(model, x, y)
    assert len(got) == 3
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert all(isinstance(v, float) for v in got)


def test_gradient_norms_leave_parameters_and_grads_unchanged():
    model = _net()
    x, y = _batch()
    params = [p.detach().clone() for p in model.parameters()]
    assert all(p.grad is None for p in model.parameters())
    layer_gradient_norms(model, x, y)
    assert all(p.grad is None for p in model.parameters())  # no gradient left behind
    # existing gradients (e.g. mid-way through an accumulation) come back untouched
    for i, p in enumerate(model.parameters()):
        p.grad = torch.full_like(p, float(i + 1))
    held = [p.grad.clone() for p in model.parameters()]
    first = layer_gradient_norms(model, x, y)
    for p, g in zip(model.parameters(), held):
        assert torch.equal(p.grad, g)
    for p, q in zip(model.parameters(), params):
        assert torch.equal(p.detach(), q)
    assert layer_gradient_norms(model, x, y) == first  # held gradients do not leak into the result


def test_gradient_norms_bad_input():
    model = _net()
    x, y = _batch()
    with pytest.raises(TypeError, match="torch tensors"):
        layer_gradient_norms(model, x.numpy(), y)
    with pytest.raises(TypeError, match="torch tensors"):
        layer_gradient_norms(model, x, y.tolist())
    with pytest.raises(ValueError, match="same batch size"):
        layer_gradient_norms(model, x, y[:-1])
    with pytest.raises(ValueError, match="no nn.Linear"):
        layer_gradient_norms(nn.Sequential(nn.Flatten()), x, y)


def _dead_net(kind=nn.ReLU):
    """Linear(4, 8) -> act -> Linear(8, 6) -> act -> Linear(6, 2) with known dead units.

    Layer 1: units 0, 2, 5 get bias -100 (pre-activation < 0 for every input in [-1, 1]^4),
    the others +100 (always alive). Layer 2: zero weights, bias -1 on units 1 and 4 (dead),
    +1 elsewhere, and unit 3 gets bias 0 (pre-activation exactly 0 counts as dead).
    """
    model = nn.Sequential(nn.Linear(4, 8), kind(), nn.Linear(8, 6), kind(), nn.Linear(6, 2))
    with torch.no_grad():
        model[0].weight.uniform_(-1, 1)
        model[0].bias.copy_(torch.tensor([-100.0, 100, -100, 100, 100, -100, 100, 100]))
        model[2].weight.zero_()
        model[2].bias.copy_(torch.tensor([1.0, -1, 1, 0, -1, 1]))
    return model


def _x(n=64):
    return torch.rand(n, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_dead_unit_fraction_known_network():
    model = _dead_net()
    x = _x()
    # hand check of the construction, from the pre-activations themselves
    pre1 = model[0](x)
    assert (pre1[:, [0, 2, 5]] < 0).all() and (pre1[:, [1, 3, 4, 6, 7]] > 0).all()
    assert dead_unit_fraction(model, x) == [3 / 8, 3 / 6]
    leaky = _dead_net(nn.LeakyReLU)
    assert dead_unit_fraction(leaky, x) == [3 / 8, 3 / 6]


def test_unit_alive_for_one_sample_is_not_dead():
    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [1.0]]))
        model[0].bias.copy_(torch.tensor([-2.5, -10.0]))
    x = torch.tensor([[0.0], [1.0], [3.0]])  # unit 0 is positive for the last sample only
    assert dead_unit_fraction(model, x) == [0.5]
    assert dead_unit_fraction(model, x[:2]) == [1.0]


def test_dead_unit_fraction_kinds_and_other_activations():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 6), nn.ReLU())
    with torch.no_grad():
        model[0].bias.fill_(-100.0)
    assert len(dead_unit_fraction(model, _x())) == 1  # Tanh is not counted by default
    assert dead_unit_fraction(model, _x(), kinds=("Tanh",)) == [1.0]


@pytest.mark.parametrize("training", [True, False])
def test_mode_restored_and_no_hooks_left(training):
    model = nn.Sequential(_dead_net(), nn.Dropout(0.5))
    model.train(training)
    dead_unit_fraction(model, _x())
    assert all(m.training is training for m in model.modules())
    assert all(len(m._forward_hooks) == 0 for m in model.modules())


def test_measured_in_eval_mode():
    # BatchNorm in eval mode uses its running statistics (mean 0, var 1 at creation), so
    # the -100 bias keeps every pre-activation negative: both units dead. In train mode
    # the batch statistics would centre them and about half the samples would be positive.
    model = nn.Sequential(nn.Linear(4, 2), nn.BatchNorm1d(2), nn.ReLU())
    with torch.no_grad():
        model[0].bias.fill_(-100.0)
    model.train()
    assert dead_unit_fraction(model, _x()) == [1.0]
    assert torch.equal(model[1].running_mean, torch.zeros(2))  # running statistics untouched
    assert model[1].num_batches_tracked.item() == 0


def test_hooks_removed_and_mode_restored_after_an_error():
    model = _dead_net()
    model.train()
    with pytest.raises(RuntimeError):
        dead_unit_fraction(model, torch.zeros(3, 5))  # wrong feature count
    assert model.training
    assert all(len(m._forward_hooks) == 0 for m in model.modules())


def test_dead_unit_fraction_errors():
    with pytest.raises(TypeError, match="torch tensor"):
        dead_unit_fraction(_dead_net(), _x().numpy())
    with pytest.raises(ValueError, match="no activation module"):
        dead_unit_fraction(nn.Sequential(nn.Linear(4, 2), nn.Tanh()), _x())


def test_capture_inputs_and_outputs_match_running_the_layers_by_hand():
    from utils.diagnostics import capture, capture_module_inputs

    net = _net()
    x, _ = _batch()
    net.train()
    outs = capture(net, x, list(net), what="output")
    ins = capture(net, x, list(net), what="input")
    h = x
    for layer, got_in, got_out in zip(net, ins, outs):
        assert torch.equal(got_in, h)
        h = layer(h)
        assert torch.equal(got_out, h.detach()) and not got_out.requires_grad
    assert net.training and all(not m._forward_hooks for m in net.modules())
    assert all(torch.equal(a, b) for a, b in zip(capture_module_inputs(net, x, [net[2]]), [ins[2]]))


def test_capture_a_layer_called_twice_gives_the_last_call():
    from utils.diagnostics import capture

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return self.fc(self.fc(x))

    net = Twice()
    x = torch.randn(2, 3)
    [out] = capture(net, x, [net.fc], what="output")
    assert torch.equal(out, net.fc(net.fc(x)).detach())


def test_capture_bad_input():
    from utils.diagnostics import capture

    net = _net()
    x, _ = _batch()
    with pytest.raises(ValueError, match="what must be 'input' or 'output'"):
        capture(net, x, [net[0]], what="inputs")
    with pytest.raises(ValueError, match="at least one module"):
        capture(net, x, [])
    with pytest.raises(ValueError, match=r"modules \[1\] \(by position\) were not called"):
        capture(net, x, [net[0], nn.Linear(2, 2)])
    with pytest.raises(TypeError, match="modules must hold torch.nn.Module objects, got str"):
        capture(net, x, ["fc"])
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        capture(lambda t: t, x, [net[0]])
    assert all(not m._forward_hooks for m in net.modules())


def test_hooks_pre_and_forward_in_call_order_and_removed_even_after_an_error():
    from utils.diagnostics import hooks

    net = _net()
    calls = []
    with hooks(
        net.modules(),
        pre=lambda i, m, args: calls.append(("pre", i)),
        forward=lambda i, m, args, out: calls.append(("post", i)),
    ):
        net(torch.zeros(1, 6))
    # net itself is modules[0]: its pre hook first, its forward hook last
    assert calls[:3] == [("pre", 0), ("pre", 1), ("post", 1)] and calls[-1] == ("post", 0)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in net.modules())
    with pytest.raises(RuntimeError):
        with hooks([net[0]], forward=lambda *a: None):
            net(torch.zeros(1, 7))  # wrong feature count
    assert all(not m._forward_hooks for m in net.modules())
    with pytest.raises(ValueError, match="forward hook, a pre hook or both"):
        with hooks([net[0]]):
            pass
    with pytest.raises(TypeError, match="forward must be callable"):
        with hooks([net[0]], forward="print"):
            pass

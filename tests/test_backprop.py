"""Tests for utils.backprop: references are closed forms, PyTorch autograd and torch.nn.grad."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from utils import backprop as bp  # noqa: E402

TORCH_ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


@pytest.fixture
def net():
    rng = np.random.default_rng(1)
    params = bp.init_two_layer(5, 4, 3, rng)
    x = rng.standard_normal((6, 5))
    y = np.array([0, 2, 1, 1, 0, 2])
    return params, x, y


def torch_loss_and_grads(params, x, y, activation):
    """Independent reference: the same network in PyTorch, float64, gradients by autograd."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    h = TORCH_ACT[activation](torch.tensor(x) @ t["W1"] + t["b1"])
    loss = F.cross_entropy(h @ t["W2"] + t["b2"], torch.tensor(y))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


# ----------------------------------------------------------------- numerical_gradient


def f_closed(x):
    return float(np.sum(np.sin(x) * x**2))


def grad_closed(x):
    return np.cos(x) * x**2 + 2 * x * np.sin(x)


def test_numerical_gradient_matches_closed_form_and_restores_x():
    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    g = bp.numerical_gradient(f_closed, x)
    np.testing.assert_allclose(g, grad_closed(x), rtol=1e-8, atol=1e-9)
    assert np.array_equal(x, before)
    gf = bp.numerical_gradient(f_closed, x, 1e-7, scheme="forward")
    np.testing.assert_allclose(gf, grad_closed(x), atol=1e-5)
    assert np.array_equal(x, before)


def test_numerical_gradient_error_orders():
    """Central differences: error ~ eps**2; forward: ~ eps (halving eps divides by 4 and 2)."""
    x = np.array([0.7, -1.3])
    exact = grad_closed(x)
    err = {
        s: [np.abs(bp.numerical_gradient(f_closed, x, e, scheme=s) - exact).max() for e in (1e-2, 5e-3)]
        for s in ("central", "forward")
    }
    assert err["central"][0] / err["central"][1] == pytest.approx(4.0, rel=0.05)
    assert err["forward"][0] / err["forward"][1] == pytest.approx(2.0, rel=0.05)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.arange(4.0)
    before = x.copy()
    calls = {"n": 0}

    def f(v):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError, match="boom"):
        bp.numerical_gradient(f, x)
    assert np.array_equal(x, before)


def test_numerical_gradient_bad_input():
    x = np.zeros(3)
    with pytest.raises(TypeError, match="callable"):
        bp.numerical_gradient(3, x)
    with pytest.raises(TypeError, match="numpy float64 array"):
        bp.numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(TypeError, match="float64.*float32"):
        bp.numerical_gradient(np.sum, np.zeros(3, np.float32))
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        bp.numerical_gradient(np.sum, ro)
    for eps in (0.0, -1e-3, float("nan")):
        with pytest.raises(ValueError, match="eps"):
            bp.numerical_gradient(np.sum, x, eps)
    with pytest.raises(TypeError, match="eps"):
        bp.numerical_gradient(np.sum, x, True)
    with pytest.raises(ValueError, match="scheme"):
        bp.numerical_gradient(np.sum, x, scheme="backward")
    with pytest.raises(ValueError, match="real scalar"):
        bp.numerical_gradient(lambda v: v * 2, x)
    assert np.array_equal(x, np.zeros(3))


def test_counting_function():
    c = bp.CountingFunction(lambda a, b=1: a + b)
    assert c(1) == 2 and c(1, b=3) == 4 and c.calls == 2
    with pytest.raises(TypeError, match="callable"):
        bp.CountingFunction(None)


# ------------------------------------------------------------------ two-layer network


def test_init_two_layer_shapes_and_scale():
    p = bp.init_two_layer(400, 300, 7, np.random.default_rng(0))
    assert {k: v.shape for k, v in p.items()} == {"W1": (400, 300), "b1": (300,), "W2": (300, 7), "b2": (7,)}
    assert all(v.dtype == np.float64 for v in p.values())
    assert p["W1"].var() == pytest.approx(1 / 400, rel=0.02)
    q = bp.init_two_layer(400, 300, 7, np.random.default_rng(0))
    assert all(np.array_equal(p[k], q[k]) for k in p)
    assert bp.n_parameters(p) == 400 * 300 + 300 + 300 * 7 + 7


def test_init_two_layer_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_hidden must be >= 1"):
        bp.init_two_layer(3, 0, 2, rng)
    with pytest.raises(TypeError, match="n_in must be an int"):
        bp.init_two_layer(3.0, 2, 2, rng)
    with pytest.raises(TypeError, match="Generator"):
        bp.init_two_layer(3, 2, 2, 0)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_forward_and_backward_match_torch_autograd(net, activation):
    params, x, y = net
    loss, cache = bp.two_layer_forward(params, x, y, activation)
    grads = bp.two_layer_backward(params, cache)
    ref_loss, ref_grads = torch_loss_and_grads(params, x, y, activation)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    assert list(grads) == list(bp.PARAM_KEYS)
    for k in bp.PARAM_KEYS:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], ref_grads[k], rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_backward_matches_finite_differences(net, activation):
    params, x, y = net
    grads = bp.two_layer_backward(params, bp.two_layer_forward(params, x, y, activation)[1])
    before = {k: v.copy() for k, v in params.items()}
    numeric = bp.numerical_param_gradients(params, x, y, activation)
    for k in bp.PARAM_KEYS:
        np.testing.assert_allclose(numeric[k], grads[k], rtol=1e-6, atol=1e-8)
        assert np.array_equal(params[k], before[k])


def test_forward_bad_input(net):
    params, x, y = net
    with pytest.raises(KeyError, match=r"missing \['b2'\].*expected keys \['W1', 'b1', 'W2', 'b2'\]"):
        bp.two_layer_forward({k: params[k] for k in ("W1", "b1", "W2")}, x, y)
    with pytest.raises(ValueError, match=r"x has shape \(6, 4\) but W1 has shape \(5, 4\)"):
        bp.two_layer_forward(params, x[:, :4], y)
    with pytest.raises(ValueError, match=r"W2 \(3, 3\)"):
        bp.two_layer_forward({**params, "W2": np.zeros((3, 3))}, x, y)
    with pytest.raises(ValueError, match=r"y must have shape \(6,\)"):
        bp.two_layer_forward(params, x, y[:5])
    with pytest.raises(TypeError, match="integer class labels"):
        bp.two_layer_forward(params, x, y.astype(float))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        bp.two_layer_forward(params, x, y + 1)
    with pytest.raises(ValueError, match="unknown activation 'swoosh'"):
        bp.two_layer_forward(params, x, y, "swoosh")
    with pytest.raises(TypeError, match="params must be a dict"):
        bp.two_layer_forward([1, 2], x, y)


def test_backward_bad_input(net):
    params, x, y = net
    _, cache = bp.two_layer_forward(params, x, y)
    with pytest.raises(KeyError, match="cache is missing"):
        bp.two_layer_backward(params, {k: v for k, v in cache.items() if k != "z1"})
    other = bp.init_two_layer(5, 7, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="cache does not belong"):
        bp.two_layer_backward(other, cache)
    with pytest.raises(KeyError, match="expected keys"):
        bp.two_layer_backward({"W1": params["W1"]}, cache)


def test_numerical_param_gradients_needs_float64_arrays(net):
    params, x, y = net
    with pytest.raises(TypeError, match=r"params\['W1'\] must be a float64.*float32"):
        bp.numerical_param_gradients({**params, "W1": params["W1"].astype(np.float32)}, x, y)


def test_gradient_errors_hand_computed():
    ref = {"a": np.array([1.0, -4.0]), "b": np.zeros(2)}
    other = {"a": np.array([1.5, -4.0]), "b": np.array([0.0, 0.25])}
    errs = bp.gradient_errors(ref, other)
    assert errs["a"] == pytest.approx((0.5, 0.125))
    assert errs["b"][0] == 0.25 and errs["b"][1] == np.inf
    with pytest.raises(KeyError, match="different keys"):
        bp.gradient_errors(ref, {"a": ref["a"]})
    with pytest.raises(ValueError, match=r"shape \(2,\) in reference but \(3,\)"):
        bp.gradient_errors(ref, {"a": np.zeros(3), "b": np.zeros(2)})
    with pytest.raises(TypeError, match="dict of arrays"):
        bp.gradient_errors(ref, [1])


def test_eps_sweep_against_torch_reference(net):
    params, x, y = net
    _, exact = torch_loss_and_grads(params, x, y, "tanh")
    eps_values = [1e-2, 1e-5, 1e-11]
    got = bp.eps_sweep(params, x, y, eps_values)
    for eps, err in zip(eps_values, got):
        numeric = bp.numerical_param_gradients(params, x, y, "tanh", eps)
        expected = max(np.abs(numeric[k] - exact[k]).max() for k in exact)
        assert err == pytest.approx(expected, rel=1e-3, abs=1e-13)
    assert got[1] < got[0] and got[1] < got[2]  # the V: truncation left, round-off right
    with pytest.raises(ValueError, match="non-empty 1-D"):
        bp.eps_sweep(params, x, y, [])


def test_gradient_cost_counts(net):
    _, x, y = net
    rows = bp.gradient_cost([1, 3], x, y, 3, np.random.default_rng(0))
    for row, h in zip(rows, (1, 3)):
        p = 5 * h + h + h * 3 + 3
        assert (row.n_hidden, row.n_params, row.fd_forward_calls) == (h, p, 2 * p)
        assert (row.bp_forward_calls, row.bp_backward_calls) == (1, 1)
        assert row.fd_seconds > 0 and row.bp_seconds > 0
    with pytest.raises(TypeError, match="sequence of ints"):
        bp.gradient_cost("12", x, y, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="hidden size must be >= 1"):
        bp.gradient_cost([0], x, y, 3, np.random.default_rng(0))


# ------------------------------------------------------------------------ chain rule


def test_chain_rule_example_matches_autograd():
    ex = bp.chain_rule_example(3.0, -2.0, 8.0)
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in (("x", 3.0), ("y", -2.0), ("z", 8.0))
    }
    f = (t["x"] * t["y"] + t["z"]) ** 2
    f.backward()
    assert ex.values["f"] == f.item() == 4.0
    for k in "xyz":
        assert ex.grads[k] == t[k].grad.item()
    assert ex.local["u/x"] == -2.0 and ex.local["f/v"] == 4.0


def test_chain_rule_example_bad_input():
    with pytest.raises(TypeError, match="y must be a real number"):
        bp.chain_rule_example(1.0, "2", 3.0)
    with pytest.raises(ValueError, match="z must be a finite number, got inf"):
        bp.chain_rule_example(1.0, 2.0, float("inf"))
    with pytest.raises(TypeError, match="x must be a real number, got bool"):
        bp.chain_rule_example(True, 2.0, 3.0)


def test_draw_chain_rule_labels():
    ex = bp.chain_rule_example(3.0, -2.0, 8.0)
    fig, ax = plt.subplots()
    bp.draw_chain_rule(ex, ax)
    texts = {t.get_text() for t in ax.texts}
    assert {"∂f/∂x = -8", "∂f/∂y = 12", "∂f/∂z = 4", "∂u/∂x = -2", "∂f/∂v = 4"} <= texts
    with pytest.raises(TypeError, match="ChainRuleExample"):
        bp.draw_chain_rule({"x": 1}, ax)
    with pytest.raises(TypeError, match="matplotlib Axes"):
        bp.draw_chain_rule(ex, None)
    plt.close(fig)


# ----------------------------------------------------------------------- convolution


@pytest.mark.parametrize("h,k,stride,padding", [(8, 3, 1, 1), (8, 3, 2, 1), (9, 2, 3, 0), (7, 3, 2, 2)])
def test_conv_gradients_match_autograd_and_torch_nn_grad(h, k, stride, padding):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, h, h + 1, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(4, 3, k, k, dtype=torch.float64, generator=g, requires_grad=True)
    out = F.conv2d(x, w, stride=stride, padding=padding)
    grad_out = torch.randn(out.shape, dtype=torch.float64, generator=g)
    out.backward(grad_out)
    dx = bp.conv2d_input_grad(grad_out, w.detach(), x.shape, stride, padding)
    dw = bp.conv2d_weight_grad(x.detach(), grad_out, (k, k), stride, padding)
    torch.testing.assert_close(dx, x.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(dw, w.grad, rtol=1e-12, atol=1e-12)
    ref_w = torch.nn.grad.conv2d_weight(x.detach(), w.shape, grad_out, stride=stride, padding=padding)
    torch.testing.assert_close(dw, ref_w, rtol=1e-12, atol=1e-12)


def test_conv_gradients_bad_input():
    x = torch.zeros(2, 3, 8, 8)
    w = torch.zeros(4, 3, 3, 3)
    g = torch.zeros(2, 4, 8, 8)
    with pytest.raises(TypeError, match="grad_output must be a 4-D torch.Tensor"):
        bp.conv2d_input_grad(g.numpy(), w, x.shape, 1, 1)
    with pytest.raises(ValueError, match=r"weight \(4, 3, 3, 3\)"):
        bp.conv2d_input_grad(g, w, (2, 5, 8, 8), 1, 1)
    with pytest.raises(ValueError, match="is not the output of conv2d"):
        bp.conv2d_input_grad(g, w, x.shape, 2, 1)
    with pytest.raises(ValueError, match="is not the output of conv2d"):
        bp.conv2d_weight_grad(x, g, (3, 3), 1, 0)
    with pytest.raises(ValueError, match="same batch size"):
        bp.conv2d_weight_grad(x[:1], g, (3, 3), 1, 1)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        bp.conv2d_weight_grad(x, g, (3, 3), 0, 1)
    with pytest.raises(TypeError, match="x must be a 4-D"):
        bp.conv2d_weight_grad(x[0], g, (3, 3), 1, 1)

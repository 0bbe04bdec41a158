"""Tests of utils.batchnorm against PyTorch, Keras 3 and finite differences (float64)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from utils import batchnorm as B

SHAPES = [(6, 3), (4, 3, 5, 2)]


def _data(shape, seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = rng.normal(1.5, 2.0, shape)
    return x, rng.normal(1.0, 0.5, c), rng.normal(0.0, 0.5, c), rng.normal(size=shape)


def _torch_bn(shape, gamma, beta, eps=1e-5, momentum=0.1):
    cls = torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d
    bn = cls(shape[1], eps=eps, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    return bn


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_forward_backward_match_torch(shape, eps):
    x, gamma, beta, dy = _data(shape)
    bn = _torch_bn(shape, gamma, beta, eps)
    xt = torch.tensor(x, requires_grad=True)
    yt = bn(xt)
    yt.backward(torch.from_numpy(dy))
    y, cache = B.batchnorm_forward(x, gamma, beta, eps)
    dx, dgamma, dbeta = B.batchnorm_backward(dy, cache)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(dgamma, bn.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(dbeta, bn.bias.grad.numpy(), atol=1e-12)


def _numerical(f, v, h=1e-6):
    grad = np.zeros_like(v)
    for i in np.ndindex(v.shape):
        old = v[i]
        v[i] = old + h
        up = f()
        v[i] = old - h
        down = f()
        v[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("shape", [(5, 2), (3, 2, 2, 3)])
def test_backward_matches_finite_differences(shape):
    x, gamma, beta, dy = _data(shape, seed=1)

    def loss():
        return float(np.sum(B.batchnorm_forward(x, gamma, beta)[0] * dy))

    dx, dgamma, dbeta = B.batchnorm_backward(dy, B.batchnorm_forward(x, gamma, beta)[1])
    np.testing.assert_allclose(dx, _numerical(loss, x), atol=1e-7)
    np.testing.assert_allclose(dgamma, _numerical(loss, gamma), atol=1e-7)
    np.testing.assert_allclose(dbeta, _numerical(loss, beta), atol=1e-7)


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_statistics_and_inference_match_torch(shape):
    x, gamma, beta, _ = _data(shape, seed=2)
    dims = (0,) if len(shape) == 2 else (0, 2, 3)
    xt = torch.from_numpy(x)
    mean, var, var_unbiased = B.batch_statistics(x)
    np.testing.assert_allclose(mean, xt.mean(dims).numpy(), atol=1e-12)
    np.testing.assert_allclose(var, xt.var(dims, correction=0).numpy(), atol=1e-12)
    np.testing.assert_allclose(var_unbiased, xt.var(dims, correction=1).numpy(), atol=1e-12)
    bn = _torch_bn(shape, gamma, beta)
    rm, rv = np.linspace(-1, 1, shape[1]), np.linspace(0.5, 2, shape[1])
    with torch.no_grad():
        bn.running_mean.copy_(torch.from_numpy(rm))
        bn.running_var.copy_(torch.from_numpy(rv))
    bn.eval()
    expected = bn(xt).detach().numpy()
    np.testing.assert_allclose(B.batchnorm_inference(x, rm, rv, gamma, beta), expected, atol=1e-12)
    # inference needs no batch statistics: one sample is fine
    np.testing.assert_allclose(B.batchnorm_inference(x[:1], rm, rv, gamma, beta), expected[:1], atol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_running_stats_match_torch_over_steps(momentum):
    shape = (8, 3, 2, 2)
    bn = _torch_bn(shape, np.ones(3), np.zeros(3), momentum=momentum)
    mean, var = np.zeros(3), np.ones(3)
    rng = np.random.default_rng(3)
    for step in range(1, 6):
        x = rng.normal(step, 1 + step, shape)
        bn(torch.from_numpy(x))
        kwargs = {"step": step} if momentum is None else {}
        mean, var = B.update_running_stats(mean, var, x, momentum, "torch", **kwargs)
        np.testing.assert_allclose(mean, bn.running_mean.numpy(), atol=1e-12)
        np.testing.assert_allclose(var, bn.running_var.numpy(), atol=1e-12)


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.99, 0.5])
def test_running_stats_match_keras_over_steps(keras, shape, momentum):
    layer = keras.layers.BatchNormalization(axis=1, momentum=momentum, epsilon=1e-5, dtype="float64")
    mean, var = np.zeros(shape[1]), np.ones(shape[1])
    rng = np.random.default_rng(4)
    for step in range(1, 5):
        x = rng.normal(step, 1 + step, shape)
        layer(x, training=True)
        mean, var = B.update_running_stats(mean, var, x, momentum, "keras")
        np.testing.assert_allclose(mean, np.asarray(layer.moving_mean), atol=1e-10)
        np.testing.assert_allclose(var, np.asarray(layer.moving_variance), atol=1e-10)


@pytest.mark.parametrize("shape", SHAPES)
def test_forward_backward_and_inference_match_keras(keras, shape):
    import tensorflow as tf

    x, gamma, beta, dy = _data(shape, seed=5)
    layer = keras.layers.BatchNormalization(axis=1, epsilon=1e-3, dtype="float64")
    layer.build(shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = layer(xt, training=True)
    dxt = tape.gradient(yt, xt, output_gradients=tf.constant(dy))
    y, cache = B.batchnorm_forward(x, gamma, beta, eps=1e-3)
    np.testing.assert_allclose(y, yt.numpy(), atol=1e-10)
    np.testing.assert_allclose(B.batchnorm_backward(dy, cache)[0], dxt.numpy(), atol=1e-10)
    mm, mv = np.asarray(layer.moving_mean), np.asarray(layer.moving_variance)
    np.testing.assert_allclose(
        B.batchnorm_inference(x, mm, mv, gamma, beta, eps=1e-3), layer(xt, training=False).numpy(), atol=1e-10
    )


def test_identity_parameters_give_identity_in_torch():
    x, *_ = _data((4, 3, 3, 3), seed=6)
    gamma, beta = B.identity_parameters(x, eps=1e-5)
    bn = _torch_bn(x.shape, gamma, beta, eps=1e-5)
    np.testing.assert_allclose(bn(torch.from_numpy(x)).detach().numpy(), x, atol=1e-12)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    y_note, _ = B.batchnorm_forward(x, var, mean)  # gamma = variance: not the identity
    assert np.abs(y_note - x).max() > 0.1


def test_bad_shapes_raise():
    x, gamma, beta, dy = _data((4, 3))
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, H, W\).*\(4, 3, 2\)"):
        B.batchnorm_forward(np.zeros((4, 3, 2)), gamma, beta)
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\).*got shape \(2,\)"):
        B.batchnorm_forward(x, gamma[:2], beta)
    with pytest.raises(ValueError, match=r"beta must have shape \(3,\)"):
        B.batchnorm_forward(x, gamma, np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"more than one value per channel.*\(1, 3\)"):
        B.batchnorm_forward(x[:1], gamma, beta)
    with pytest.raises(ValueError, match=r"more than one value per channel.*\(1, 3, 1, 1\)"):
        B.batchnorm_forward(np.zeros((1, 3, 1, 1)), gamma, beta)
    with pytest.raises(ValueError, match="must not be empty"):
        B.batchnorm_forward(np.zeros((0, 3)), gamma, beta)
    with pytest.raises(ValueError, match="finite"):
        B.batchnorm_forward(np.full((4, 3), np.nan), gamma, beta)
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        B.batchnorm_forward(x, gamma, beta, eps=0.0)
    with pytest.raises(TypeError, match="eps must be a real number"):
        B.batchnorm_forward(x, gamma, beta, eps="1e-5")
    with pytest.raises(TypeError, match="real number"):
        B.batchnorm_forward(np.array([["a"] * 3] * 4), gamma, beta)
    _, cache = B.batchnorm_forward(x, gamma, beta)
    with pytest.raises(
        ValueError, match=r"dy must have the shape of the forward input \(4, 3\), got shape \(3, 4\)"
    ):
        B.batchnorm_backward(dy.T, cache)
    with pytest.raises(TypeError, match="cache must be the dict"):
        B.batchnorm_backward(dy, (1, 2))
    with pytest.raises(ValueError, match=r"var must have shape \(3,\)"):
        B.batchnorm_inference(x, gamma, gamma[:1], gamma, beta)
    with pytest.raises(ValueError, match="var must be >= 0"):
        B.batchnorm_inference(x, gamma, -np.ones(3), gamma, beta)
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, H, W\)"):
        B.batchnorm_inference(np.zeros(3), gamma, gamma, gamma, beta)
    with pytest.raises(ValueError, match="more than one value per channel"):
        B.identity_parameters(x[:1])


def test_update_running_stats_bad_input():
    x = np.random.default_rng(0).normal(size=(4, 3))
    m, v = np.zeros(3), np.ones(3)
    with pytest.raises(ValueError, match="unknown convention 'tf'; known: keras, torch"):
        B.update_running_stats(m, v, x, 0.1, "tf")
    with pytest.raises(TypeError, match="convention must be a str"):
        B.update_running_stats(m, v, x, 0.1, None)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\], got 1.5"):
        B.update_running_stats(m, v, x, 1.5, "torch")
    with pytest.raises(TypeError, match="momentum must be a float"):
        B.update_running_stats(m, v, x, "0.1", "keras")
    with pytest.raises(ValueError, match="only in the 'torch' convention"):
        B.update_running_stats(m, v, x, None, "keras")
    with pytest.raises(ValueError, match="needs step"):
        B.update_running_stats(m, v, x, None, "torch")
    with pytest.raises(ValueError, match="step is used only with momentum=None"):
        B.update_running_stats(m, v, x, 0.1, "torch", step=2)
    with pytest.raises(ValueError, match="step must be >= 1"):
        B.update_running_stats(m, v, x, None, "torch", step=0)
    with pytest.raises(ValueError, match=r"running_var must have shape \(3,\)"):
        B.update_running_stats(m, v[:2], x, 0.1, "torch")
    with pytest.raises(ValueError, match="more than one value per channel"):
        B.update_running_stats(m, v, x[:1], 0.1, "torch")


def _small_model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 3),
        torch.nn.BatchNorm1d(3),
        torch.nn.ReLU(),
        torch.nn.Linear(3, 2),
        torch.nn.BatchNorm1d(2),
    ).double()


def test_layer_input_statistics_match_manual_forward():
    model = _small_model()
    x = np.random.default_rng(7).normal(size=(20, 4))
    model.train()
    stats = B.layer_input_statistics(model, torch.from_numpy(x))
    assert model.training  # flag restored
    lin1, bn1, _, lin2, bn2 = model
    w1, b1 = lin1.weight.detach().numpy(), lin1.bias.detach().numpy()
    h1 = x @ w1.T + b1
    np.testing.assert_allclose(stats[0]["mean"], h1.mean(0), atol=1e-12)
    np.testing.assert_allclose(stats[0]["var"], h1.var(0), atol=1e-12)
    np.testing.assert_allclose(stats[0]["var_unbiased"], h1.var(0, ddof=1), atol=1e-12)
    a1 = np.maximum((h1 - bn1.running_mean.numpy()) / np.sqrt(bn1.running_var.numpy() + bn1.eps), 0)
    h2 = a1 @ lin2.weight.detach().numpy().T + lin2.bias.detach().numpy()
    np.testing.assert_allclose(stats[1]["mean"], h2.mean(0), atol=1e-12)
    np.testing.assert_allclose(stats[1]["var"], h2.var(0), atol=1e-12)


def test_recalibrate_running_stats_is_plain_average():
    model = _small_model(1)
    x = np.random.default_rng(8).normal(size=(30, 4))
    seen = B.recalibrate_running_stats(model, torch.from_numpy(x), batch_size=8)  # batches 8, 8, 8, 6
    lin1, bn1, _, _, bn2 = model
    assert bn1.momentum == 0.1 and bn2.momentum == 0.1  # restored
    h1 = x @ lin1.weight.detach().numpy().T + lin1.bias.detach().numpy()
    batches = [h1[i : i + 8] for i in range(0, 30, 8)]
    means = np.stack([b.mean(0) for b in batches])
    vars_ = np.stack([b.var(0, ddof=1) for b in batches])
    np.testing.assert_allclose(seen[0]["batch_means"], means, atol=1e-12)
    np.testing.assert_allclose(bn1.running_mean.numpy(), means.mean(0), atol=1e-12)
    np.testing.assert_allclose(bn1.running_var.numpy(), vars_.mean(0), atol=1e-12)
    np.testing.assert_allclose(bn2.running_mean.numpy(), seen[1]["batch_means"].mean(0), atol=1e-12)
    assert int(bn1.num_batches_tracked) == 4


def test_model_helpers_bad_input():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        B.layer_input_statistics("model", np.zeros((4, 4)))
    with pytest.raises(ValueError, match="no BatchNorm layer"):
        B.layer_input_statistics(torch.nn.Linear(4, 2), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="single sample"):
        B.recalibrate_running_stats(_small_model(), np.zeros((9, 4)), batch_size=4)
    with pytest.raises(TypeError, match="numpy array or torch tensor"):
        B.layer_input_statistics(_small_model(), [[0.0] * 4] * 4)


def test_bn_bandwidth_byte_model_and_bad_input():
    r = B.bn_bandwidth((2, 3, 4, 4), "cpu", repeats=2, warmup=1)
    assert r["numel"] == 96 and r["bytes"] == 5 * 96 * 4
    assert r["seconds"] > 0 and r["gb_per_s"] == pytest.approx(r["bytes"] / r["seconds"] / 1e9)
    assert r["seconds_median"] >= r["seconds"]  # the best batch is never slower than the median
    assert B.bn_bandwidth((2, 3, 4, 4), dtype="float64", repeats=1)["bytes"] == 5 * 96 * 8
    with pytest.raises(ValueError, match=r"4-tuple \(N, C, H, W\)"):
        B.bn_bandwidth((2, 3))
    with pytest.raises(ValueError, match="N\\*H\\*W >= 2"):
        B.bn_bandwidth((1, 3, 1, 1))
    with pytest.raises(ValueError, match="dtype must be one of"):
        B.bn_bandwidth((2, 3, 4, 4), dtype="int8")


def test_benchmark_round_trip_and_bad_files(tmp_path):
    record = B.bn_benchmark([(2, 3, 4, 4), (4, 3, 4, 4)], "cpu", repeats=1)
    assert record["device"] == "cpu" and record["torch"] == torch.__version__
    assert record["repeats"] == 1 and record["threads"] == torch.get_num_threads()
    assert [r["shape"] for r in record["results"]] == [[2, 3, 4, 4], [4, 3, 4, 4]]
    path = B.save_benchmark(record, tmp_path / "bn.json")
    assert B.load_benchmark(path) == json.loads(json.dumps(record))
    assert [p.name for p in tmp_path.iterdir()] == ["bn.json"]
    # a failed save leaves the old file untouched and no temporary file behind
    with pytest.raises(TypeError):
        B.save_benchmark({**record, "date": object()}, path)
    assert B.load_benchmark(path)["date"] == record["date"]
    assert [p.name for p in tmp_path.iterdir()] == ["bn.json"]
    with pytest.raises(KeyError, match="lacks device_name"):
        B.save_benchmark({k: v for k, v in record.items() if k != "device_name"}, path)
    with pytest.raises(FileNotFoundError, match="no benchmark file"):
        B.load_benchmark(tmp_path / "missing.json")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        B.save_benchmark(record, tmp_path / "no" / "bn.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        B.load_benchmark(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="at least one"):
        B.bn_benchmark([], "cpu")


def test_device_name_is_the_shared_one():
    from utils import env

    assert B.device_name is env.device_name  # one copy of the mechanism
    name = B.device_name("cpu")
    assert isinstance(name, str) and name.strip()

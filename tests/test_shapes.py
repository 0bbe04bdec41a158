"""Tests of utils.shapes against real torch convolutions and TensorFlow's 'SAME' padding."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils import shapes


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Hundreds of tiny convolutions: one thread avoids thread start-up costs on busy CPUs."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _torch_out(size, kernel, stride, padding, dilation) -> int:
    """Length of a real conv2d output along H (the reference)."""
    x = torch.zeros(1, 1, size, 1)
    w = torch.zeros(1, 1, kernel, 1)
    if isinstance(padding, tuple):
        x = F.pad(x, (0, 0, padding[0], padding[1]))
        padding = 0
    return F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1)).shape[2]


GRID = list(itertools.product(range(1, 10), range(1, 6), range(1, 4), range(0, 3), range(1, 3)))


def test_conv_output_size_matches_torch_conv2d_or_both_refuse():
    agree = refused = 0
    for size, kernel, stride, padding, dilation in GRID:
        try:
            expected = _torch_out(size, kernel, stride, padding, dilation)
        except RuntimeError:
            with pytest.raises(ValueError, match="output would be empty"):
                shapes.conv_output_size(size, kernel, stride, padding, dilation)
            refused += 1
            continue
        assert shapes.conv_output_size(size, kernel, stride, padding, dilation) == expected, (
            size,
            kernel,
            stride,
            padding,
            dilation,
        )
        agree += 1
    assert agree > 300 and refused > 20  # both branches really exercised


def test_conv_output_size_asymmetric_padding_matches_padded_conv():
    for size, kernel, stride, before, after in itertools.product(
        range(2, 9), (2, 3, 4), (1, 2), (0, 1, 2), (0, 1, 2)
    ):
        if kernel > size + before + after:
            continue
        expected = _torch_out(size, kernel, stride, (before, after), 1)
        assert shapes.conv_output_size(size, kernel, stride, (before, after)) == expected


def test_conv_output_size_matches_maxpool_and_a_hand_case():
    x = torch.zeros(1, 1, 33, 33)
    assert nn.MaxPool2d(2)(x).shape[-1] == shapes.conv_output_size(33, 2, stride=2) == 16
    # SRCNN 9-1-5 without padding: 33 -> 25 -> 25 -> 21 (hand computed: 33 - 8 - 0 - 4)
    size = 33
    for k in (9, 1, 5):
        size = shapes.conv_output_size(size, k)
    assert size == 21


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(size=0, kernel=3), ValueError, "size must be >= 1"),
        (dict(size=5, kernel=0), ValueError, "kernel must be >= 1"),
        (dict(size=5, kernel=3, stride=0), ValueError, "stride must be >= 1"),
        (dict(size=5, kernel=3, dilation=0), ValueError, "dilation must be >= 1"),
        (dict(size=5, kernel=3, padding=-1), ValueError, "padding must be >= 0"),
        (dict(size=5, kernel=3, padding=(1, 2, 3)), ValueError, "pair"),
        (dict(size=5, kernel=3, padding="same"), TypeError, "same_padding"),
        (dict(size=5.0, kernel=3), TypeError, "size must be an int"),
        (dict(size=5, kernel=True), TypeError, "kernel must be an int"),
        (dict(size=2, kernel=3), ValueError, "output would be empty"),
        (dict(size=3, kernel=2, dilation=3), ValueError, "output would be empty"),
    ],
)
def test_conv_output_size_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        shapes.conv_output_size(**kwargs)


def test_same_padding_output_is_ceil_of_size_over_stride():
    """TensorFlow's documented rule: out = ceil(in / stride), for any kernel and dilation."""
    for size, kernel, stride, dilation in itertools.product(
        range(1, 20), range(1, 8), range(1, 5), (1, 2, 3)
    ):
        before, after = shapes.same_padding(size, kernel, stride, dilation)
        assert 0 <= after - before <= 1  # extra sample on the after side
        out = shapes.conv_output_size(size, kernel, stride, (before, after), dilation)
        assert out == math.ceil(size / stride), (size, kernel, stride, dilation)


def test_same_padding_matches_torch_padding_same_for_stride_one():
    gen = torch.Generator().manual_seed(0)
    for size, kernel, dilation in itertools.product((5, 8, 9), (1, 2, 3, 4, 5), (1, 2)):
        x = torch.randn(1, 1, size, size, generator=gen)
        w = torch.randn(1, 1, kernel, kernel, generator=gen)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "may require a zero-padded copy"
            ref = F.conv2d(x, w, padding="same", dilation=dilation)
        ours = F.conv2d(shapes.pad_same(x, kernel, 1, dilation), w, dilation=dilation)
        torch.testing.assert_close(ours, ref)


def test_pad_same_matches_tensorflow_conv2d_same():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    cases = [(size, k, s, 1) for size in (7, 8) for k in (1, 2, 3, 4, 5) for s in (1, 2, 3)]
    cases += [(9, k, 1, d) for k in (2, 3, 4) for d in (2, 3)]  # TF: dilation > 1 needs stride 1
    for size, kernel, stride, dilation in cases:
        x = rng.standard_normal((1, 2, size, size + 1)).astype(np.float32)  # NCHW, non-square
        w = rng.standard_normal((3, 2, kernel, kernel)).astype(np.float32)  # OIHW
        ref = (
            tf.nn.conv2d(
                x.transpose(0, 2, 3, 1),
                w.transpose(2, 3, 1, 0),
                strides=stride,
                padding="SAME",
                dilations=dilation,
            )
            .numpy()
            .transpose(0, 3, 1, 2)
        )
        xt = torch.from_numpy(x)
        ours = F.conv2d(
            shapes.pad_same(xt, kernel, stride, dilation),
            torch.from_numpy(w),
            stride=stride,
            dilation=dilation,
        ).numpy()
        assert ours.shape == ref.shape, (size, kernel, stride, dilation)
        np.testing.assert_allclose(ours, ref, atol=1e-5, err_msg=str((size, kernel, stride, dilation)))


def test_same_padding_hand_cases():
    assert shapes.same_padding(8, 4) == (1, 2)  # even kernel: extra after
    assert shapes.same_padding(8, 3, stride=2) == (0, 1)  # out 4: needs 7 + 3 - 8 = 1
    assert shapes.same_padding(8, 4, stride=2) == (1, 1)
    assert shapes.same_padding(5, 1, stride=3) == (0, 0)


@pytest.mark.parametrize(
    "args,error,match",
    [
        ((0, 3), ValueError, "size must be >= 1"),
        ((5, 0), ValueError, "kernel must be >= 1"),
        ((5, 3, 0), ValueError, "stride must be >= 1"),
        ((5, 3, 1, 0), ValueError, "dilation must be >= 1"),
        ((5.5, 3), TypeError, "size must be an int"),
        (("5", 3), TypeError, "size must be an int"),
    ],
)
def test_same_padding_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        shapes.same_padding(*args)


def test_pad_same_bad_input():
    with pytest.raises(TypeError, match="torch.Tensor"):
        shapes.pad_same(np.zeros((1, 1, 4, 4)), 3)
    with pytest.raises(ValueError, match="4 dimensions"):
        shapes.pad_same(torch.zeros(4, 4), 3)
    with pytest.raises(ValueError, match="pair"):
        shapes.pad_same(torch.zeros(1, 1, 4, 4), (3, 3, 3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        shapes.pad_same(torch.zeros(1, 1, 4, 4), 3, stride=0)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(4 * 7 * 7, 3)

    def forward(self, x):
        x = self.features(x)
        return self.head(x.flatten(1))


def test_trace_shapes_matches_running_the_layers_one_by_one():
    torch.manual_seed(0)
    model = _Net().train()
    running_mean = model.features[1].running_mean.clone()
    trace = shapes.trace_shapes(model, (2, 1, 16, 16))
    x = torch.zeros(2, 1, 16, 16)
    expected = []
    with torch.no_grad():
        for i, layer in enumerate(model.features):
            x = layer.eval()(x)
            expected.append((f"features.{i}", tuple(x.shape)))
        expected.append(("head", tuple(model.head(x.flatten(1)).shape)))
    assert trace == expected
    assert model.training  # mode restored
    torch.testing.assert_close(model.features[1].running_mean, running_mean)  # no statistics update
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_trace_shapes_repeats_a_layer_called_twice_and_reports_tuples():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3, padding=1)
            self.rnn = nn.GRU(4, 5, batch_first=True)

        def forward(self, x):
            y = self.conv(self.conv(x))
            return self.rnn(y[:, 0])

    trace = shapes.trace_shapes(Twice(), (1, 1, 4, 4))
    assert [n for n, _ in trace] == ["conv", "conv", "rnn"]
    assert trace[2][1] == ((1, 4, 5), (1, 1, 5))


def test_trace_shapes_names_the_failing_layer_and_keeps_no_hooks():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 8 * 8, 4))
    with pytest.raises(RuntimeError, match=r"in layer '2'.*'0': \(1, 2, 6, 6\).*mat1 and mat2") as info:
        shapes.trace_shapes(model, (1, 1, 8, 8))
    assert isinstance(info.value.__cause__, RuntimeError)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())

    class Cat(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Conv2d(1, 1, 3, stride=2, padding=1)

        def forward(self, x):
            return torch.cat([x, self.down(x)], dim=1)

    with pytest.raises(RuntimeError, match=r"after layer 'down'"):
        shapes.trace_shapes(Cat(), (1, 1, 5, 5))


@pytest.mark.parametrize(
    "model,shape,kwargs,error,match",
    [
        ("not a model", (1, 2), {}, TypeError, "torch.nn.Module"),
        (nn.Linear(2, 2), "1,2", {}, TypeError, "tuple of ints"),
        (nn.Linear(2, 2), (), {}, ValueError, "at least one dimension"),
        (nn.Linear(2, 2), (1, 0), {}, ValueError, ">= 1"),
        (nn.Linear(2, 2), (1, 2.0), {}, TypeError, "must be an int"),
        (nn.Linear(2, 2), (1, 2), {"dtype": "float32"}, TypeError, "torch.dtype"),
    ],
)
def test_trace_shapes_bad_input(model, shape, kwargs, error, match):
    with pytest.raises(error, match=match):
        shapes.trace_shapes(model, shape, **kwargs)

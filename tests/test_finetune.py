"""Tests of utils.finetune: freezing, head replacement, partial loading, few-shot data, training curves."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from utils import finetune
from utils.digits import Split
from utils.models import mlp


def _net(seed=0, out=5, depth=2):
    torch.manual_seed(seed)
    return mlp(6, 4, out, depth=depth)


def _numel(*layers):
    return sum(p.numel() for layer in layers for p in layer.parameters())


# ----------------------------------------------------------------- freeze / unfreeze / count


def test_freeze_all_and_count_trainable():
    net = _net()
    total = 6 * 4 + 4 + 4 * 4 + 4 + 4 * 5 + 5
    assert finetune.count_trainable(net) == total
    assert finetune.freeze(net) == total
    assert finetune.count_trainable(net) == 0
    assert all(not p.requires_grad for p in net.parameters())
    assert finetune.unfreeze(net) == total
    assert finetune.count_trainable(net) == total


@pytest.mark.parametrize(
    "up_to,frozen_layers", [(2, [0]), (4, [0, 2]), (-1, [0, 2]), (0, []), (5, [0, 2, 4]), (-5, [])]
)
def test_freeze_by_index_is_a_slice_of_the_layers(up_to, frozen_layers):
    net = _net()
    n = finetune.freeze(net, up_to=up_to)
    assert n == _numel(*[net[i] for i in frozen_layers])
    for i, layer in enumerate(net):
        for p in layer.parameters():
            assert p.requires_grad == (i not in frozen_layers)


@pytest.mark.parametrize(
    "name,frozen_layers", [("0", [0]), ("2", [0, 2]), ("2.weight", [0]), ("4", [0, 2, 4])]
)
def test_freeze_by_name_freezes_everything_up_to_that_layer(name, frozen_layers):
    net = _net()
    n = finetune.freeze(net, up_to=name)
    frozen = {k for k, p in net.named_parameters() if not p.requires_grad}
    if name == "2.weight":  # a parameter name: everything registered up to that tensor
        assert frozen == {"0.weight", "0.bias", "2.weight"}
        assert n == 6 * 4 + 4 + 4 * 4
    else:
        assert frozen == {f"{i}.{w}" for i in frozen_layers for w in ("weight", "bias")}
        assert n == _numel(*[net[i] for i in frozen_layers])


def test_freeze_by_name_in_a_nested_model_and_no_false_prefix():
    torch.manual_seed(0)
    model = nn.Sequential()
    model.add_module("body", nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3)))
    model.add_module("body2", nn.Linear(3, 3))
    model.add_module("head", nn.Linear(3, 2))
    assert finetune.freeze(model, up_to="body") == 2 * (9 + 3)
    assert model.body2.weight.requires_grad  # "body" must not match "body2"
    assert finetune.unfreeze(model, up_to="body.0") == 12
    assert model.body[0].weight.requires_grad and not model.body[2].weight.requires_grad


def test_unfreeze_after_partial_freeze():
    net = _net()
    finetune.freeze(net)
    assert finetune.unfreeze(net, up_to=-1) == _numel(net[0], net[2])
    assert not net[4].weight.requires_grad


@pytest.mark.parametrize(
    "up_to,error,match",
    [
        ("body", ValueError, "no parameter of the model is named 'body'"),
        ("1", ValueError, "layers with parameters: 0, 2, 4"),  # ReLU has no parameters
        (6, ValueError, "between -5 and 5"),
        (-6, ValueError, "between -5 and 5"),
        (True, TypeError, "got bool"),
        (2.0, TypeError, "got float"),
    ],
)
def test_freeze_bad_selection(up_to, error, match):
    with pytest.raises(error, match=match):
        finetune.freeze(_net(), up_to=up_to)


def test_bad_model_type():
    for fn in (finetune.freeze, finetune.unfreeze, finetune.count_trainable):
        with pytest.raises(TypeError, match="torch.nn.Module"):
            fn([1, 2, 3])


# ----------------------------------------------------------------- replace_head


def test_replace_head_keeps_body_and_changes_outputs():
    net = _net()
    body = [net[0], net[2]]
    old_head = net[4]
    out = finetune.replace_head(net, 3, seed=7)
    assert out is net
    assert net[0] is body[0] and net[2] is body[1]
    assert isinstance(net[4], nn.Linear) and net[4] is not old_head
    assert (net[4].in_features, net[4].out_features) == (4, 3)
    assert net(torch.randn(2, 6)).shape == (2, 3)
    # reproducible from the seed, and the same draw as nn.Linear under that seed
    again = finetune.replace_head(_net(), 3, seed=7)
    torch.manual_seed(7)
    reference = nn.Linear(4, 3)
    assert torch.equal(net[4].weight, again[4].weight)
    assert torch.equal(net[4].weight, reference.weight) and torch.equal(net[4].bias, reference.bias)


def test_replace_head_seed_does_not_touch_global_rng():
    net = _net()
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    finetune.replace_head(net, 2, seed=11)
    assert torch.equal(torch.rand(3), expected)


def test_replace_head_keeps_dtype():
    net = _net().double()
    finetune.replace_head(net, 2)
    assert net[4].weight.dtype == torch.float64


@pytest.mark.parametrize(
    "model,n,error,match",
    [
        (nn.Linear(3, 2), 2, TypeError, "nn.Sequential"),
        (nn.Sequential(nn.Linear(3, 2), nn.ReLU()), 2, ValueError, "got ReLU"),
        (nn.Sequential(), 2, ValueError, "got nothing"),
        (nn.Sequential(nn.Linear(3, 2)), 0, ValueError, "n_classes must be >= 1"),
        (nn.Sequential(nn.Linear(3, 2)), 2.0, TypeError, "n_classes must be an int"),
    ],
)
def test_replace_head_bad_input(model, n, error, match):
    with pytest.raises(error, match=match):
        finetune.replace_head(model, n)


# ----------------------------------------------------------------- load_matching


def test_load_matching_deeper_network():
    source = _net(0, out=3, depth=2)  # keys 0, 2, 4 (head 3x4)
    deeper = _net(1, out=5, depth=3)  # keys 0, 2, 4 (4x4), 6 (head 5x4)
    init = {k: v.clone() for k, v in deeper.state_dict().items()}
    report = finetune.load_matching(deeper, source.state_dict())
    assert report.loaded == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert report.mismatched == ["4.weight", "4.bias"]
    assert report.missing == ["6.weight", "6.bias"]
    assert report.unexpected == []
    state = deeper.state_dict()
    for k in report.loaded:
        assert torch.equal(state[k], source.state_dict()[k])
    for k in report.mismatched + report.missing:
        assert torch.equal(state[k], init[k])
    # plain strict=False refuses the same checkpoint because of the shape mismatch
    with pytest.raises(RuntimeError, match="size mismatch for 4.weight"):
        _net(1, out=5, depth=3).load_state_dict(source.state_dict(), strict=False)


def test_load_matching_shallower_network_reports_unexpected():
    source = _net(0, out=5, depth=3)
    shallow = _net(1, out=5, depth=1)  # keys 0 (4x6), 2 (5x4)
    report = finetune.load_matching(shallow, source.state_dict())
    assert report.loaded == ["0.weight", "0.bias"]
    assert report.mismatched == ["2.weight", "2.bias"]  # source 2 is 4x4
    assert sorted(report.unexpected) == ["4.bias", "4.weight", "6.bias", "6.weight"]
    assert report.missing == []


def test_load_matching_bad_input():
    with pytest.raises(TypeError, match="dict of tensors"):
        finetune.load_matching(_net(), [("0.weight", torch.zeros(1))])
    with pytest.raises(TypeError, match=r"state_dict\['0.weight'\] must be a tensor"):
        finetune.load_matching(_net(), {"0.weight": np.zeros((4, 6))})
    with pytest.raises(TypeError, match="torch.nn.Module"):
        finetune.load_matching("model", {})


# ----------------------------------------------------------------- data helpers


def _split():
    y_tr = np.array([0, 1, 2, 3, 4, 5, 5, 6, 9, 9])
    y_te = np.array([5, 9, 0, 6])
    return Split(
        np.arange(20, dtype=np.float32).reshape(10, 2),
        y_tr,
        np.arange(8, dtype=np.float32).reshape(4, 2),
        y_te,
    )


def test_select_classes_relabels_in_given_order():
    part = finetune.select_classes(_split(), [9, 5])
    assert part.y_train.tolist() == [1, 1, 0, 0]  # rows 5, 6 are 5 -> 1; rows 8, 9 are 9 -> 0
    assert part.x_train[:, 0].tolist() == [10.0, 12.0, 16.0, 18.0]
    assert part.y_test.tolist() == [1, 0]
    assert part.x_test[:, 0].tolist() == [0.0, 2.0]
    assert part.y_train.dtype == np.int64


@pytest.mark.parametrize(
    "classes,error,match",
    [
        ([5, 5], ValueError, "distinct"),
        ([], ValueError, "non-empty"),
        ([7], ValueError, r"classes \[7\] do not occur"),
        ("59", TypeError, "sequence of ints"),
        ([1.5], TypeError, "each class must be an int"),
    ],
)
def test_select_classes_bad_input(classes, error, match):
    with pytest.raises(error, match=match):
        finetune.select_classes(_split(), classes)
    with pytest.raises(TypeError, match="Split"):
        finetune.select_classes((1, 2), [0])


def test_take_per_class_counts_and_determinism():
    y = np.repeat(np.arange(3), [5, 7, 4])
    x = np.arange(len(y))[:, None] * 1.0
    xs, ys = finetune.take_per_class(x, y, 3, seed=1)
    assert np.bincount(ys).tolist() == [3, 3, 3]
    assert np.array_equal(y[xs[:, 0].astype(int)], ys)  # rows kept together
    assert len(set(xs[:, 0].tolist())) == 9  # no repeats
    xs2, _ = finetune.take_per_class(x, y, 3, seed=1)
    xs3, _ = finetune.take_per_class(x, y, 3, seed=2)
    assert np.array_equal(xs, xs2) and not np.array_equal(xs, xs3)
    xa, ya = finetune.take_per_class(x, y, None)
    assert np.array_equal(xa, x) and np.array_equal(ya, y)


def test_take_per_class_bad_input():
    y = np.array([0, 0, 1])
    with pytest.raises(ValueError, match="class 1 has only 1 examples, fewer than k = 2"):
        finetune.take_per_class(np.zeros((3, 1)), y, 2)
    with pytest.raises(ValueError, match="same length"):
        finetune.take_per_class(np.zeros((2, 1)), y, 1)
    with pytest.raises(ValueError, match="k must be >= 1"):
        finetune.take_per_class(np.zeros((3, 1)), y, 0)


# ----------------------------------------------------------------- transfer_model


def test_transfer_model_methods():
    pre = _net(0, out=3, depth=2)
    before = {k: v.clone() for k, v in pre.state_dict().items()}
    scratch = finetune.transfer_model(pre, "scratch", 2, seed=1)
    fine = finetune.transfer_model(pre, "finetune", 2, seed=1)
    feats = finetune.transfer_model(pre, "features", 2, seed=1)
    for k, v in pre.state_dict().items():  # pretrained untouched
        assert torch.equal(v, before[k])
    assert not torch.equal(scratch[0].weight, pre[0].weight)
    assert torch.equal(fine[0].weight, pre[0].weight) and torch.equal(fine[2].weight, pre[2].weight)
    assert torch.equal(fine[4].weight, feats[4].weight) and fine[4].out_features == 2
    assert finetune.count_trainable(fine) == _numel(fine)
    assert finetune.count_trainable(feats) == 4 * 2 + 2
    # keep=2: only the first layer copied (and frozen for "features"); layer 2 re-drawn
    first = finetune.transfer_model(pre, "features", 2, seed=1, keep=2)
    assert torch.equal(first[0].weight, pre[0].weight) and not torch.equal(first[2].weight, pre[2].weight)
    assert finetune.count_trainable(first) == _numel(first[2], first[4])
    # seeded and reproducible
    assert torch.equal(finetune.transfer_model(pre, "scratch", 2, seed=1)[0].weight, scratch[0].weight)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"method": "linear"}, ValueError, "unknown method"),
        ({"keep": 5}, ValueError, "keep must be <= 4"),
        ({"keep": 0}, ValueError, "keep must be >= 1"),
    ],
)
def test_transfer_model_bad_input(kwargs, error, match):
    args = {"method": "finetune", **kwargs}
    with pytest.raises(error, match=match):
        finetune.transfer_model(_net(), args.pop("method"), 2, **args)
    with pytest.raises(TypeError, match="nn.Sequential"):
        finetune.transfer_model(nn.Linear(2, 2), "finetune", 2)


# ----------------------------------------------------------------- training curves


def _toy(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return x, y


def test_train_for_steps_matches_a_hand_written_adam_loop():
    x, y = _toy()
    a, b = _net(0, out=2), _net(0, out=2)
    curve = finetune.train_for_steps(
        a, x, y, x_test=x, y_test=y, steps=7, batch_size=16, lr=1e-2, eval_every=3, seed=4
    )
    assert curve.steps == [0, 3, 6, 7]
    # the reference: the same batch order (epochs of permutations split into near-equal batches)
    rng = np.random.default_rng(4)
    batches = []
    while len(batches) < 7:
        batches += np.array_split(rng.permutation(40), 3)
    opt = torch.optim.Adam(b.parameters(), lr=1e-2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for idx in batches[:7]:
        loss = nn.functional.cross_entropy(b(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)  # the same steps on the same batches, in the same row order
    with torch.no_grad():
        acc = float((b(xt).argmax(1) == yt).double().mean())
    assert curve.test_accuracy[-1] == pytest.approx(acc)


def test_train_for_steps_leaves_frozen_layers_alone():
    x, y = _toy()
    net = _net(0, out=2)
    finetune.freeze(net, up_to=-1)
    body = net[0].weight.clone()
    finetune.train_for_steps(net, x, y, x_test=x, y_test=y, steps=3, batch_size=8, lr=1e-2)
    assert torch.equal(net[0].weight, body)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"steps": 0}, ValueError, "steps must be >= 1"),
        ({"lr": 0.0}, ValueError, "lr must be a finite number > 0, got 0.0"),
        ({"lr": float("nan")}, ValueError, "lr must be a finite number > 0, got nan"),
        ({"lr": "1e-2"}, TypeError, "lr must be a real number, got str"),
        ({"eval_every": 0}, ValueError, "eval_every must be >= 1"),
    ],
)
def test_train_for_steps_bad_input(kwargs, error, match):
    x, y = _toy()
    args = {"steps": 2, "batch_size": 8, "lr": 1e-2, **kwargs}
    with pytest.raises(error, match=match):
        finetune.train_for_steps(_net(0, out=2), x, y, x_test=x, y_test=y, **args)


def test_train_for_steps_refuses_a_fully_frozen_model():
    x, y = _toy()
    net = _net(0, out=2)
    finetune.freeze(net)
    with pytest.raises(ValueError, match="no trainable parameters"):
        finetune.train_for_steps(net, x, y, x_test=x, y_test=y, steps=2, batch_size=8, lr=1e-2)


def test_steps_to_reach_and_summarise():
    a = finetune.Curve([0, 5, 10], [0.2, 0.7, 0.9])
    b = finetune.Curve([0, 5, 10], [0.3, 0.85, 0.95])
    assert finetune.steps_to_reach(a, 0.8) == 10
    assert finetune.steps_to_reach(b, 0.8) == 5
    assert finetune.steps_to_reach(a, 0.95) is None
    s = finetune.summarise([a, b], early_step=5, target=0.8)
    assert s["early_mean"] == pytest.approx(0.775) and s["early_spread"] == pytest.approx(0.15)
    assert s["final_mean"] == pytest.approx(0.925) and s["final_spread"] == pytest.approx(0.05)
    assert s["steps_to_target"] == [10, 5]
    with pytest.raises(ValueError, match=r"target must be a finite number in \(0, 1\], got 1.5"):
        finetune.steps_to_reach(a, 1.5)
    with pytest.raises(TypeError, match="target must be a real number, got NoneType"):
        finetune.steps_to_reach(a, None)
    assert finetune.steps_to_reach(a, 0.2) == 0  # reached before training
    assert finetune.steps_to_reach(finetune.Curve([0, 5], [float("nan"), 0.9]), 0.5) == 5
    with pytest.raises(TypeError, match="Curve"):
        finetune.steps_to_reach({"steps": []}, 0.5)
    with pytest.raises(ValueError, match="not a recorded step"):
        finetune.summarise([a], early_step=3, target=0.5)
    with pytest.raises(TypeError, match="Curve objects"):
        finetune.summarise([], early_step=0, target=0.5)


def test_run_grid_shapes_and_bad_input():
    x, y = _toy(60)
    pre = _net(0, out=2)
    res = finetune.run_grid(
        pre,
        x,
        y,
        x_test=x,
        y_test=y,
        ks=(5, None),
        methods=("scratch", "features"),
        seeds=(0, 1),
        steps=4,
        batch_size=5,
        eval_every=2,
    )
    assert sorted(res, key=str) == sorted(
        [(5, "scratch"), (5, "features"), (None, "scratch"), (None, "features")], key=str
    )
    assert all(len(v) == 2 and v[0].steps == [0, 2, 4] for v in res.values())
    with pytest.raises(ValueError, match="methods must be"):
        finetune.run_grid(pre, x, y, x_test=x, y_test=y, ks=(5,), methods=("bogus",))
    with pytest.raises(TypeError, match="ks must be"):
        finetune.run_grid(pre, x, y, x_test=x, y_test=y, ks=5)

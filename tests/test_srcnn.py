"""Tests for utils.srcnn: the SRCNN flags (from a command line or a notebook), the model,
its patches and the super-resolution pipeline."""

from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest
import torch
from scipy import ndimage

from utils import srcnn
from utils.srcnn import SRCNNConfig, parse_config
from utils.srcnn import output_size as srcnn_output_size

NOTE_DEFAULTS = dict(
    epoch=3,
    batch_size=128,
    image_size=33,
    label_size=21,
    learning_rate=1e-4,
    c_dim=1,
    scale=3,
    stride=14,
    checkpoint_dir="checkpoint",
    sample_dir="sample",
    is_train=False,
)


def _torch_stack_size(image_size, kernels, padding):
    layers = []
    for k in kernels:
        layers.append(torch.nn.Conv2d(1, 1, k, padding=0 if padding == "valid" else "same"))
    with torch.no_grad():
        out = torch.nn.Sequential(*layers)(torch.zeros(1, 1, image_size, image_size))
    return out.shape[-1]


# ---- srcnn_output_size ---------------------------------------------------------------


@pytest.mark.parametrize(
    "image_size, kernels, padding",
    [
        (33, (9, 1, 5), "valid"),
        (13, (9, 1, 5), "valid"),
        (40, (9, 5, 5), "valid"),
        (33, (9, 1, 5), "same"),
        (20, (3, 3, 3, 3), "valid"),
        (8, (1,), "valid"),
    ],
)
def test_output_size_matches_torch(image_size, kernels, padding):
    assert srcnn_output_size(image_size, kernels, padding) == _torch_stack_size(image_size, kernels, padding)


def test_output_size_closed_form():
    # Dong et al.: the network output is (f_sub - f1 - f2 - f3 + 3)
    assert srcnn_output_size(33) == 33 - 9 - 1 - 5 + 3 == 21
    assert srcnn_output_size(33, padding="VALID") == 21


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((12,), ValueError, "too small.*at least 13"),
        ((0,), ValueError, "image_size must be >= 1"),
        ((33.0,), TypeError, "image_size must be an int"),
        ((33, "915"), TypeError, "kernels must be a sequence"),
        ((33, ()), ValueError, "at least one kernel"),
        ((33, (9, 0, 5)), ValueError, "each kernel size must be >= 1"),
        ((33, (9, 1, 5), "full"), ValueError, "padding must be 'valid' or 'same'"),
        ((33, (9, 1, 5), None), TypeError, "padding must be"),
    ],
)
def test_output_size_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        srcnn_output_size(*args)


# ---- SRCNNConfig ---------------------------------------------------------------------


def test_defaults_are_the_notes():
    assert dataclasses.asdict(SRCNNConfig()) == NOTE_DEFAULTS


def test_config_is_frozen_and_replace_validates():
    cfg = SRCNNConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.epoch = 5
    assert dataclasses.replace(cfg, epoch=5).epoch == 5
    with pytest.raises(ValueError, match="epoch must be >= 1"):
        dataclasses.replace(cfg, epoch=0)


def test_label_size_follows_image_size():
    assert SRCNNConfig(image_size=45, label_size=33).label_size == 33
    with pytest.raises(ValueError, match="label_size must be image_size - 12 = 21"):
        SRCNNConfig(label_size=33)


def test_learning_rate_int_becomes_float():
    cfg = SRCNNConfig(learning_rate=1)
    assert cfg.learning_rate == 1.0 and isinstance(cfg.learning_rate, float)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(stride=-14), ValueError, "stride must be >= 1"),
        (dict(scale=3.0), TypeError, "scale must be an int"),
        (dict(epoch=True), TypeError, "epoch must be an int"),
        (dict(c_dim=2), ValueError, "c_dim must be 1 .* or 3"),
        (dict(learning_rate=0.0), ValueError, "learning_rate must be a finite number > 0"),
        (dict(learning_rate=float("nan")), ValueError, "learning_rate must be a finite number > 0"),
        (dict(learning_rate="1e-4"), TypeError, "learning_rate must be a real number"),
        (dict(checkpoint_dir=""), ValueError, "checkpoint_dir must not be empty"),
        (dict(sample_dir=None), TypeError, "sample_dir must be a str"),
        (dict(is_train="False"), TypeError, "is_train must be a bool"),
    ],
)
def test_config_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        SRCNNConfig(**kwargs)


def test_to_argv_round_trips():
    for cfg in (
        SRCNNConfig(),
        SRCNNConfig(
            epoch=7, learning_rate=3e-5, is_train=True, image_size=45, label_size=33, checkpoint_dir="ck pt"
        ),
    ):
        assert parse_config(cfg.to_argv()) == cfg


# ---- parse_config from explicit argv -------------------------------------------------


def test_parse_empty_gives_defaults():
    assert parse_config([]) == SRCNNConfig()


def test_parse_values_both_spellings():
    cfg = parse_config(["--epoch", "10", "--learning_rate=0.001", "--sample_dir", "out"])
    assert (cfg.epoch, cfg.learning_rate, cfg.sample_dir) == (10, 1e-3, "out")


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--is_train"], True),
        (["--nois_train"], False),
        (["--is_train=true"], True),
        (["--is_train=False"], False),
        (["--is_train=1"], True),
        (["--is_train", "--nois_train"], False),
        (["--nois_train", "--is_train"], True),
    ],
)
def test_parse_absl_style_booleans(argv, expected):
    assert parse_config(argv).is_train is expected


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--epochs", "3"], "unrecognized arguments: --epochs"),
        (["--epoch", "3.5"], "invalid int value"),
        (["--is_train=maybe"], "expected true/false"),
        (["-f", "kernel.json"], "unrecognized arguments"),
        (["--epo", "3"], "unrecognized arguments: --epo"),  # no abbreviations, as in absl
    ],
)
def test_parse_bad_command_line_raises_value_error(argv, match):
    with pytest.raises(ValueError, match=match):
        parse_config(argv)


def test_parse_bad_values_reach_validation():
    with pytest.raises(ValueError, match="epoch must be >= 1"):
        parse_config(["--epoch", "-1"])
    with pytest.raises(ValueError, match="label_size must be"):
        parse_config(["--image_size", "45"])


@pytest.mark.parametrize(
    "argv, error", [("--epoch 5", TypeError), (["--epoch", 5], TypeError), (5, TypeError)]
)
def test_parse_bad_argv_type(argv, error):
    with pytest.raises(error, match="argv|argument"):
        parse_config(argv)


# ---- argv=None: script vs Jupyter kernel ---------------------------------------------


class _FakeShell:
    kernel = object()


def _fake_ipython(shell):
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell
    return module


def test_argv_none_in_a_script_reads_sys_argv(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython(None))  # IPython imported, no shell
    monkeypatch.setattr(sys, "argv", ["train.py", "--epoch", "7", "--is_train"])
    assert srcnn.in_jupyter_kernel() is False
    cfg = parse_config()
    assert (cfg.epoch, cfg.is_train) == (7, True)


def test_argv_none_without_ipython_reads_sys_argv(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.setattr(sys, "argv", ["train.py", "--stride", "21"])
    assert parse_config().stride == 21


def test_argv_none_in_a_kernel_ignores_the_kernel_arguments(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython(_FakeShell()))
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "kernel-1234.json"])
    assert srcnn.in_jupyter_kernel() is True
    assert parse_config() == SRCNNConfig()
    # explicit lists still work in a kernel
    assert parse_config(["--epoch", "9"]).epoch == 9


def test_kernel_arguments_would_break_a_plain_parse(monkeypatch):
    # the reason for the rule above: the kernel's -f is not a flag of ours
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython(None))
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "kernel-1234.json"])
    with pytest.raises(ValueError, match="unrecognized arguments: -f"):
        parse_config()


def test_terminal_ipython_is_not_a_kernel(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython(object()))  # a shell with no .kernel
    assert srcnn.in_jupyter_kernel() is False


def test_broken_ipython_is_not_a_kernel(monkeypatch):
    module = types.ModuleType("IPython")

    def boom():
        raise RuntimeError("half imported")

    module.get_ipython = boom
    monkeypatch.setitem(sys.modules, "IPython", module)
    assert srcnn.in_jupyter_kernel() is False


def test_help_lists_every_flag():
    text = srcnn.build_parser().format_help()
    for name in NOTE_DEFAULTS:
        assert f"--{name}" in text
    assert "--nois_train" in text
    with pytest.raises(TypeError, match="prog must be a str"):
        srcnn.build_parser(prog=1)


def test_srcnn_is_the_9_1_5_network_and_trims_33_to_21():
    import torch

    srcnn_model = srcnn.model

    net = srcnn_model()
    convs = [m for m in net if isinstance(m, torch.nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(9, 9), (1, 1), (5, 5)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(1, 64), (64, 32), (32, 1)]
    n_params = sum(p.numel() for p in net.parameters())
    assert n_params == (9 * 9 * 64 + 64) + (64 * 32 + 32) + (5 * 5 * 32 + 1)  # 8,129 in the paper's count
    with torch.no_grad():
        assert net(torch.zeros(2, 1, 33, 33)).shape == (2, 1, 21, 21)
        assert srcnn_model(padding="same")(torch.zeros(1, 1, 33, 33)).shape == (1, 1, 33, 33)
        assert srcnn_model(c_dim=3)(torch.zeros(1, 3, 33, 33)).shape == (1, 3, 21, 21)


def test_srcnn_rejects_bad_arguments():
    srcnn_model = srcnn.model

    with pytest.raises(ValueError, match="three kernel sizes"):
        srcnn_model(kernels=(9, 5))
    with pytest.raises(ValueError, match="padding"):
        srcnn_model(padding="valid-ish")
    with pytest.raises(ValueError, match="c_dim"):
        srcnn_model(c_dim=0)
    with pytest.raises(TypeError, match="kernel size"):
        srcnn_model(kernels=(9, 1.5, 5))


def test_patches_is_zoom_degradation_then_extract_patches():
    # srcnn.patches degrades with scipy zooms, then cuts the windows of extract_patches.
    rng = np.random.default_rng(5)
    image = ndimage.gaussian_filter(rng.random((100, 131)), 2)
    data_ref, label_ref = srcnn.patches(image)
    h, w = 99, 129
    small = ndimage.zoom(image[:h, :w], 1 / 3, order=3, prefilter=False)
    lr_up = ndimage.zoom(small, 3, order=3, prefilter=False)[:h, :w]
    data, label = srcnn.extract_patches(lr_up, image[:h, :w])
    assert data.dtype == label.dtype == np.float32
    np.testing.assert_array_equal(data, data_ref)
    np.testing.assert_array_equal(label, label_ref)


def test_extract_patches_positions_by_hand():
    h, w = 40, 50
    lr = np.arange(h * w, dtype=float).reshape(h, w)  # value = 50 row + col
    hr = -lr
    data, label = srcnn.extract_patches(lr, hr, image_size=33, label_size=21, stride=14)
    # rows: windows at 0 only ((40 - 33) // 14 + 1 = 1); cols at 0, 14 ((50 - 33) // 14 + 1 = 2)
    assert data.shape == (2, 33, 33, 1) and label.shape == (2, 21, 21, 1)
    assert data[1, 0, 0, 0] == 14 and data[1, 32, 32, 0] == 32 * 50 + 14 + 32
    assert label[1, 0, 0, 0] == -(6 * 50 + 14 + 6)  # offset (33 - 21) / 2 = 6
    np.testing.assert_array_equal(label[0, ..., 0], hr[6:27, 6:27])
    # colour: channels kept last, each equal to the grey result
    rgb = np.stack([lr, lr + 1, lr + 2], axis=-1)
    d3, l3 = srcnn.extract_patches(rgb, -rgb)
    assert d3.shape == (2, 33, 33, 3) and l3.shape == (2, 21, 21, 3)
    np.testing.assert_array_equal(d3[..., 2], data[..., 0] + 2)


def test_extract_patches_count_formula():
    for shape, stride in [((510, 510), 14), ((300, 450), 14), ((66, 80), 7)]:
        data, _ = srcnn.extract_patches(np.zeros(shape), np.zeros(shape), stride=stride)
        assert len(data) == ((shape[0] - 33) // stride + 1) * ((shape[1] - 33) // stride + 1)
    assert len(srcnn.extract_patches(np.zeros((510, 510)), np.zeros((510, 510)))[0]) == 35 * 35


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"lr_up": np.zeros((40, 40)), "hr": np.zeros((40, 39))}, ValueError, "same shape"),
        ({"lr_up": np.zeros((20, 40)), "hr": np.zeros((20, 40))}, ValueError, "smaller than one 33x33"),
        (
            {"lr_up": np.zeros((40, 40)), "hr": np.zeros((40, 40)), "label_size": 20},
            ValueError,
            "must be even",
        ),
        (
            {"lr_up": np.zeros((40, 40)), "hr": np.zeros((40, 40)), "label_size": 34},
            ValueError,
            "label_size must be <= 33",
        ),
        (
            {"lr_up": np.zeros((40, 40)), "hr": np.zeros((40, 40)), "stride": 0},
            ValueError,
            "stride must be >= 1",
        ),
        (
            {"lr_up": np.zeros((40, 40)), "hr": np.zeros((40, 40)), "image_size": 33.0},
            TypeError,
            "image_size must be an int",
        ),
        ({"lr_up": np.zeros(40), "hr": np.zeros(40)}, ValueError, "shape"),
    ],
)
def test_extract_patches_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        srcnn.extract_patches(**kwargs)


def test_srcnn_patches_windows_and_labels():
    h, w = 101, 80  # cropped to 99 x 78 by scale 3
    image = (np.arange(h * w, dtype=np.float64).reshape(h, w)) / (h * w)
    data, label = srcnn.patches(image, image_size=33, label_size=21, stride=14, scale=3)
    n = ((99 - 33) // 14 + 1) * ((78 - 33) // 14 + 1)
    assert data.shape == (n, 33, 33, 1) and label.shape == (n, 21, 21, 1)
    assert data.dtype == label.dtype == np.float32
    # Window 1 starts at (0, 14); its label is the centre, offset by (33 - 21) / 2 = 6.
    np.testing.assert_allclose(label[1, :, :, 0], image[6:27, 20:41], rtol=1e-6)
    last = ((78 - 33) // 14 + 1) - 1
    np.testing.assert_allclose(label[last, 0, 0, 0], image[6, 14 * last + 6], rtol=1e-6)


def test_srcnn_input_is_degraded_copy():
    from skimage import data as skdata

    flat = np.full((60, 60), 0.25)
    d, _ = srcnn.patches(flat)
    np.testing.assert_allclose(d, 0.25, atol=1e-6)  # spline weights sum to one
    cam = skdata.camera()[:120, :120] / 255.0
    d, lab = srcnn.patches(cam)
    centre = d[:, 6:27, 6:27]
    mse = float(np.mean((centre - lab) ** 2))
    assert 0 < mse < 0.01  # blurred, but the same picture (PSNR > 20 dB)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"image": np.zeros((40, 40, 3))}, ValueError, "must be 2-D"),
        ({"image": np.zeros((30, 60))}, ValueError, "smaller than one 33x33"),
        ({"image": np.zeros((40, 40)), "label_size": 20}, ValueError, "must be even"),
        ({"image": np.zeros((40, 40)), "label_size": 40}, ValueError, "label_size must be <= 33"),
        ({"image": np.zeros((40, 40)), "stride": 0}, ValueError, "stride must be >= 1"),
        ({"image": np.zeros((40, 40)), "scale": 2.0}, TypeError, "scale must be an int"),
        ({"image": "camera"}, TypeError, "image must be a real number"),
    ],
)
def test_srcnn_patches_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        srcnn.patches(**kwargs)


# --- the pipeline of "Super-resolution with SRCNN" -------------------------------------


def test_bundled_y_and_degrade():
    y = srcnn.bundled_y("chelsea")
    assert y.dtype == np.uint8 and y.ndim == 2
    hr, bicubic = srcnn.degrade(y, 3)
    assert hr.shape == bicubic.shape == (y.shape[0] - y.shape[0] % 3, y.shape[1] - y.shape[1] % 3)
    assert 0 <= hr.min() and hr.max() <= 1
    assert 0 < np.abs(hr - bicubic).mean() < 0.1  # blurred, not another image
    with pytest.raises(KeyError, match="unknown image"):
        srcnn.bundled_y("lena")
    with pytest.raises(TypeError, match="must be a str"):
        srcnn.bundled_y(3)
    with pytest.raises(ValueError, match="one channel"):
        srcnn.degrade(np.zeros((30, 30, 3)))


def test_train_and_held_out_images_do_not_overlap():
    assert not set(srcnn.TRAIN_IMAGES) & set(srcnn.HELD_OUT_IMAGES)


def test_training_pairs_shapes_and_count():
    data, label = srcnn.training_pairs(["text"])
    h, w = (s - s % 3 for s in srcnn.bundled_y("text").shape)
    n = ((h - 33) // 14 + 1) * ((w - 33) // 14 + 1)
    assert data.shape == (n, 1, 33, 33) and label.shape == (n, 1, 21, 21)
    assert data.dtype == label.dtype == np.float32
    with pytest.raises(TypeError, match="non-empty sequence"):
        srcnn.training_pairs("text")


def _identity_srcnn():
    """An SRCNN whose output is its input's centre: a check of predict's padding."""
    net = srcnn.model()
    with torch.no_grad():
        for m in net:
            if isinstance(m, torch.nn.Conv2d):
                m.weight.zero_()
                m.bias.zero_()
        net[0].weight[0, 0, 4, 4] = 1.0
        net[2].weight[0, 0, 0, 0] = 1.0
        net[4].weight[0, 0, 2, 2] = 1.0
    return net


def test_predict_keeps_the_size_and_the_identity_net_returns_its_input():
    rng = np.random.default_rng(0)
    image = rng.random((40, 50))
    out = srcnn.predict(_identity_srcnn(), image)
    assert out.shape == image.shape
    np.testing.assert_allclose(out, image, atol=1e-6)
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        srcnn.predict(_identity_srcnn(), np.zeros((2, 40, 40)))
    with pytest.raises(TypeError, match="no Conv2d"):
        srcnn.predict(torch.nn.Sequential(torch.nn.ReLU()), image)


def test_evaluate_identity_net_scores_like_bicubic():
    (score,) = srcnn.evaluate(_identity_srcnn(), ["chelsea"])
    assert score.name == "chelsea"
    assert abs(score.gain) < 1e-3 and abs(score.ssim_srcnn - score.ssim_bicubic) < 1e-4
    assert 20 < score.psnr_bicubic < 40 and 0 < score.ssim_bicubic < 1


def test_weights_round_trip_with_hash(tmp_path):
    net = srcnn.model()
    path = tmp_path / "w.pth"
    digest = srcnn.save_weights(net, path)
    assert digest == srcnn.file_sha256(path) and len(digest) == 64
    loaded = srcnn.load_weights(path, digest)
    for a, b in zip(net.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)


def test_load_weights_refuses_a_wrong_hash_and_wrong_shapes(tmp_path):
    path = tmp_path / "w.pth"
    digest = srcnn.save_weights(srcnn.model(n1=32), path)
    with pytest.raises(ValueError, match="refusing to load"):
        srcnn.load_weights(path, "0" * 64)
    with pytest.raises(ValueError, match=r"layer 0.weight has shape \(32, 1, 9, 9\)"):
        srcnn.load_weights(path, digest)
    torch.save({"0.weight": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="layers missing"):
        srcnn.load_weights(path, srcnn.file_sha256(path))
    with pytest.raises(ValueError, match="64 hex digits"):
        srcnn.load_weights(path, "abc")
    with pytest.raises(FileNotFoundError, match="no file"):
        srcnn.load_weights(tmp_path / "none.pth", "0" * 64)


def _tiny_pairs(n=24, seed=0):
    """Random (N, 1, 17, 17) inputs and their (N, 1, 5, 5) centres: a learnable toy task."""
    rng = np.random.default_rng(seed)
    data = rng.random((n, 1, 17, 17)).astype(np.float32)
    return data, data[:, :, 6:-6, 6:-6].copy()


def test_fit_steps_lowers_the_loss_and_repeats_with_the_seed():
    data, label = _tiny_pairs()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = srcnn.model(n1=8, n2=4)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
        runs.append(srcnn.fit_steps(net, optimizer, data, label, 60, batch_size=8, seed=3))
    assert runs[0].shape == (60,) and runs[0].dtype == np.float64
    np.testing.assert_array_equal(runs[0], runs[1])
    assert runs[0][-10:].mean() < runs[0][:3].mean() / 2


def test_fit_steps_visits_every_pair_once_per_pass():
    data, label = _tiny_pairs(n=12)
    seen = []
    net = srcnn.model(n1=4, n2=4)
    net.register_forward_pre_hook(lambda module, args: seen.append(args[0][:, 0, 0, 0].clone()))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.0)
    srcnn.fit_steps(net, optimizer, data, label, 3, batch_size=4)
    batches = torch.cat(seen[1:]).numpy()  # seen[0] is the shape check
    assert sorted(batches.tolist()) == sorted(data[:, 0, 0, 0].tolist())


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(steps=0), ValueError, "steps must be >= 1"),
        (dict(steps=2, batch_size=100), ValueError, "larger than the 24 pairs"),
        (dict(steps=2, label=np.zeros((24, 1, 7, 7), np.float32)), ValueError, "labels are"),
        (dict(steps=2, label=np.zeros((23, 1, 5, 5), np.float32)), ValueError, "same N"),
        (dict(steps=2, data=np.zeros((24, 17, 17), np.float32)), ValueError, r"\(N, C, H, W\)"),
        (dict(steps=2, optimizer="adam"), TypeError, "torch.optim.Optimizer"),
        (dict(steps=2, data=[[0.0]] * 24), TypeError, "numpy array or torch tensor"),
    ],
)
def test_fit_steps_bad_input(kwargs, error, message):
    data, label = _tiny_pairs()
    net = srcnn.model(n1=4, n2=4)
    args = dict(net=net, optimizer=torch.optim.SGD(net.parameters(), lr=0.1), data=data, label=label)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        srcnn.fit_steps(**args)


def test_fit_steps_stops_on_a_diverging_loss():
    data, label = _tiny_pairs()
    net = srcnn.model(n1=4, n2=4)
    optimizer = torch.optim.SGD(net.parameters(), lr=1e6)
    with pytest.raises(ValueError, match="diverged"):
        srcnn.fit_steps(net, optimizer, data * 1e3, label * 1e3, 50, batch_size=8)


def test_to_keras_gives_the_torch_output_channels_last():
    pytest.importorskip("tensorflow")
    torch.manual_seed(0)
    net = srcnn.model()
    keras_net = srcnn.to_keras(net)
    image = np.random.default_rng(0).random((1, 1, 40, 47)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(image)).numpy()
    got = keras_net(image.transpose(0, 2, 3, 1)).numpy()
    assert got.shape == (1, 28, 35, 1)
    np.testing.assert_allclose(got.transpose(0, 3, 1, 2), expected, atol=1e-5)
    kernel = keras_net.layers[0].get_weights()[0]
    assert kernel.shape == (9, 9, 1, 64)
    np.testing.assert_array_equal(kernel[2, 5, 0, 7], net[0].weight[7, 0, 2, 5].item())


def test_to_keras_refuses_other_networks():
    with pytest.raises(ValueError, match="unpadded"):
        srcnn.to_keras(srcnn.model(padding=2))
    with pytest.raises(ValueError, match="conv, ReLU, conv"):
        srcnn.to_keras(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3)))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        srcnn.to_keras("srcnn")

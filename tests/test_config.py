"""Tests for utils.config (the SRCNN settings, parsed from a command line or a notebook)."""
from __future__ import annotations

import dataclasses
import sys
import types

import pytest
import torch

from utils import config
from utils.config import SRCNNConfig, parse_config, srcnn_output_size

NOTE_DEFAULTS = dict(epoch=3, batch_size=128, image_size=33, label_size=21, learning_rate=1e-4,
                     c_dim=1, scale=3, stride=14, checkpoint_dir="checkpoint", sample_dir="sample",
                     is_train=False)


def _torch_stack_size(image_size, kernels, padding):
    layers = []
    for k in kernels:
        layers.append(torch.nn.Conv2d(1, 1, k, padding=0 if padding == "valid" else "same"))
    with torch.no_grad():
        out = torch.nn.Sequential(*layers)(torch.zeros(1, 1, image_size, image_size))
    return out.shape[-1]


# ---- srcnn_output_size ---------------------------------------------------------------

@pytest.mark.parametrize("image_size, kernels, padding", [
    (33, (9, 1, 5), "valid"), (13, (9, 1, 5), "valid"), (40, (9, 5, 5), "valid"),
    (33, (9, 1, 5), "same"), (20, (3, 3, 3, 3), "valid"), (8, (1,), "valid"),
])
def test_output_size_matches_torch(image_size, kernels, padding):
    assert srcnn_output_size(image_size, kernels, padding) == _torch_stack_size(image_size, kernels, padding)


def test_output_size_closed_form():
    # Dong et al.: the network output is (f_sub - f1 - f2 - f3 + 3)
    assert srcnn_output_size(33) == 33 - 9 - 1 - 5 + 3 == 21
    assert srcnn_output_size(33, padding="VALID") == 21


@pytest.mark.parametrize("args, error, match", [
    ((12,), ValueError, "too small.*at least 13"),
    ((0,), ValueError, "image_size must be >= 1"),
    ((33.0,), TypeError, "image_size must be an int"),
    ((33, "915"), TypeError, "kernels must be a sequence"),
    ((33, ()), ValueError, "at least one kernel"),
    ((33, (9, 0, 5)), ValueError, "each kernel size must be >= 1"),
    ((33, (9, 1, 5), "full"), ValueError, "padding must be 'valid' or 'same'"),
    ((33, (9, 1, 5), None), TypeError, "padding must be"),
])
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


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
    (dict(stride=-14), ValueError, "stride must be >= 1"),
    (dict(scale=3.0), TypeError, "scale must be an int"),
    (dict(epoch=True), TypeError, "epoch must be an int"),
    (dict(c_dim=2), ValueError, "c_dim must be 1 .* or 3"),
    (dict(learning_rate=0.0), ValueError, "learning_rate must be a positive"),
    (dict(learning_rate=float("nan")), ValueError, "learning_rate must be a positive finite"),
    (dict(learning_rate="1e-4"), TypeError, "learning_rate must be a real number"),
    (dict(checkpoint_dir=""), ValueError, "checkpoint_dir must not be empty"),
    (dict(sample_dir=None), TypeError, "sample_dir must be a str"),
    (dict(is_train="False"), TypeError, "is_train must be a bool"),
])
def test_config_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        SRCNNConfig(**kwargs)


def test_to_argv_round_trips():
    for cfg in (SRCNNConfig(), SRCNNConfig(epoch=7, learning_rate=3e-5, is_train=True, image_size=45,
                                           label_size=33, checkpoint_dir="ck pt")):
        assert parse_config(cfg.to_argv()) == cfg


# ---- parse_config from explicit argv -------------------------------------------------

def test_parse_empty_gives_defaults():
    assert parse_config([]) == SRCNNConfig()


def test_parse_values_both_spellings():
    cfg = parse_config(["--epoch", "10", "--learning_rate=0.001", "--sample_dir", "out"])
    assert (cfg.epoch, cfg.learning_rate, cfg.sample_dir) == (10, 1e-3, "out")


@pytest.mark.parametrize("argv, expected", [
    (["--is_train"], True), (["--nois_train"], False), (["--is_train=true"], True),
    (["--is_train=False"], False), (["--is_train=1"], True), (["--is_train", "--nois_train"], False),
    (["--nois_train", "--is_train"], True),
])
def test_parse_absl_style_booleans(argv, expected):
    assert parse_config(argv).is_train is expected


@pytest.mark.parametrize("argv, match", [
    (["--epochs", "3"], "unrecognized arguments: --epochs"),
    (["--epoch", "3.5"], "invalid int value"),
    (["--is_train=maybe"], "expected true/false"),
    (["-f", "kernel.json"], "unrecognized arguments"),
    (["--epo", "3"], "unrecognized arguments: --epo"),  # no abbreviations, as in absl
])
def test_parse_bad_command_line_raises_value_error(argv, match):
    with pytest.raises(ValueError, match=match):
        parse_config(argv)


def test_parse_bad_values_reach_validation():
    with pytest.raises(ValueError, match="epoch must be >= 1"):
        parse_config(["--epoch", "-1"])
    with pytest.raises(ValueError, match="label_size must be"):
        parse_config(["--image_size", "45"])


@pytest.mark.parametrize("argv, error", [("--epoch 5", TypeError), (["--epoch", 5], TypeError), (5, TypeError)])
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
    assert config.in_jupyter_kernel() is False
    cfg = parse_config()
    assert (cfg.epoch, cfg.is_train) == (7, True)


def test_argv_none_without_ipython_reads_sys_argv(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.setattr(sys, "argv", ["train.py", "--stride", "21"])
    assert parse_config().stride == 21


def test_argv_none_in_a_kernel_ignores_the_kernel_arguments(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython(_FakeShell()))
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "kernel-1234.json"])
    assert config.in_jupyter_kernel() is True
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
    assert config.in_jupyter_kernel() is False


def test_broken_ipython_is_not_a_kernel(monkeypatch):
    module = types.ModuleType("IPython")

    def boom():
        raise RuntimeError("half imported")

    module.get_ipython = boom
    monkeypatch.setitem(sys.modules, "IPython", module)
    assert config.in_jupyter_kernel() is False


def test_help_lists_every_flag():
    text = config.build_parser().format_help()
    for name in NOTE_DEFAULTS:
        assert f"--{name}" in text
    assert "--nois_train" in text
    with pytest.raises(TypeError, match="prog must be a str"):
        config.build_parser(prog=1)

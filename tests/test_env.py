"""Tests of utils.env and of utils' promise that TensorFlow imports quietly after it."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from utils import env

ROOT = Path(__file__).resolve().parents[1]
TF_VARS = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")
TF_SNIPPET = "tensorflow as tf; tf.constant(1.0) + 1"


def test_torch_device_default(monkeypatch):
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert env.torch_device() == torch.device(expected)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert env.torch_device() == torch.device("cpu")


def test_torch_device_uses_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert env.torch_device() == torch.device("cuda")
    assert env.torch_device("cuda") == torch.device("cuda")
    assert env.torch_device(prefer="cpu") == torch.device("cpu")


@pytest.mark.parametrize("prefer", ["gpu", "CUDA", "", None, "mps"])
def test_torch_device_bad_prefer(prefer):
    with pytest.raises(ValueError, match="prefer must be 'cuda' or 'cpu'"):
        env.torch_device(prefer)


def test_library_versions():
    found = env.library_versions(["numpy", "torch", "orange-no-such-package"])
    assert found == {
        "numpy": np.__version__,
        "torch": torch.__version__,
        "orange-no-such-package": "missing",
    }
    assert list(env.library_versions()) == list(env.REPORTED)
    assert env.library_versions(()) == {}


def test_library_versions_refuses_a_single_str():
    with pytest.raises(TypeError, match="not a single str"):
        env.library_versions("numpy")


def test_report(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    text = env.report()
    lines = text.splitlines()
    assert lines[0].startswith(f"Python {platform.python_version()}")
    assert f"torch {torch.__version__}" in lines
    assert f"numpy {np.__version__}" in lines
    assert lines[-1] == "device: cpu (no CUDA GPU found)"
    assert len(lines) == 2 + len(env.REPORTED)


# --- TensorFlow stays quiet when utils is imported first -----------------------


def _clean_env(**extra):
    base = {k: v for k, v in os.environ.items() if k not in TF_VARS}  # this process imported utils
    return {**base, "PYTHONPATH": str(ROOT), **extra}


@pytest.fixture(scope="module")
def tf_runs():
    """Two fresh interpreters importing TensorFlow, started together (TF imports are slow).

    They differ only in ``import utils`` first; test_utils_changes_only_the_two_variables
    shows that this import's only effect on the environment is the two variables.
    """
    pytest.importorskip("tensorflow")
    runs = {"utils first": f"import utils, {TF_SNIPPET}", "without utils": f"import {TF_SNIPPET}"}
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=_clean_env(),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name, code in runs.items()
    }
    results = {}
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        results[name] = err
    return results


def test_tensorflow_import_after_utils_writes_nothing_to_stderr(tf_runs):
    assert tf_runs["utils first"] == ""


def test_control_without_utils_tensorflow_writes_to_stderr(tf_runs):
    # the same import without utils is noisy, so the check above can fail
    assert tf_runs["without utils"].strip() != ""


def test_utils_changes_only_the_two_variables():
    code = (
        "import json, os; before = dict(os.environ); import utils; after = dict(os.environ); "
        "print(json.dumps({k: after[k] for k in after if before.get(k) != after[k]}, sort_keys=True)); "
        "print(sorted(set(before) - set(after)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    changed, removed = done.stdout.splitlines()
    assert json.loads(changed) == {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}
    assert removed == "[]"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_clean_env(TF_CPP_MIN_LOG_LEVEL="3"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[0]) == {
        "TF_ENABLE_ONEDNN_OPTS": "0"
    }  # a user's own setting wins


def test_native_stderr_silenced_swallows_descriptor_writes_only(capfd):
    os.write(2, b"before\n")
    with env.native_stderr_silenced():
        os.write(2, b"hidden\n")
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "before" in err and "after" in err and "hidden" not in err


def test_native_stderr_silenced_restores_after_an_error(capfd):
    with pytest.raises(RuntimeError, match="boom"):
        with env.native_stderr_silenced():
            raise RuntimeError("boom")
    os.write(2, b"visible\n")
    assert "visible" in capfd.readouterr().err


def test_quiet_tensorflow_leaves_no_line_for_the_first_session():
    """In a fresh process: the page's first Session.run writes nothing to stderr."""
    code = (
        "import utils\nfrom utils import env\ntf = env.quiet_tensorflow()\n"
        "assert env.quiet_tensorflow() is tf\n"
        "g = tf.Graph()\nwith g.as_default():\n    c = tf.constant(2.0) * 3\n"
        "with tf.compat.v1.Session(graph=g) as s:\n    print(s.run(c))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "6.0"
    assert done.stderr == ""


def test_device_name_cpu_is_the_model_name():
    name = env.device_name("cpu")
    assert isinstance(name, str) and name
    assert env.device_name(torch.device("cpu")) == name
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        if models:
            assert name == models[0]


def test_device_name_cuda_asks_torch(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: f"Fake GPU {i}")
    assert env.device_name("cuda") == "Fake GPU 0"
    assert env.device_name(torch.device("cuda", 1)) == "Fake GPU 1"
    with pytest.raises(ValueError, match=r"no CUDA device 2 on this machine \(2 CUDA devices\)"):
        env.device_name("cuda:2")


def test_report_names_the_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: "Fake GPU")
    assert env.report().splitlines()[-1] == "device: cuda (Fake GPU)"


@pytest.mark.parametrize(
    "device, error, match",
    [
        (0.5, TypeError, "device must be a torch.device or a str"),
        (None, TypeError, "device must be a torch.device or a str"),
        ("gpu", ValueError, "device must name a torch device"),
        ("meta", ValueError, "must be a CPU or CUDA device, got 'meta'"),
    ],
)
def test_device_name_bad_input(device, error, match):
    with pytest.raises(error, match=match):
        env.device_name(device)


def test_device_name_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"no CUDA device 0 on this machine \(0 CUDA devices\)"):
        env.device_name("cuda")

"""What the page runs on: the compute device and the library versions.

Taught on: every page's setup cell (first shown on "Activation functions (激活函数)")
and "GPU settings (GPU设置-torch)".
"""

from __future__ import annotations

import os
import platform
import sys
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

#: Libraries whose versions a page's setup cell reports (distribution names).
REPORTED = ("numpy", "torch", "tensorflow-cpu", "matplotlib", "h5py", "scikit-image")


def torch_device(prefer: str = "cuda"):
    """Return ``torch.device("cuda")`` when a CUDA GPU is usable, else the CPU.

    ``prefer`` may be ``"cuda"`` (use a GPU when there is one) or ``"cpu"`` (always
    the CPU, e.g. to compare the two).
    """
    if prefer not in ("cuda", "cpu"):
        raise ValueError(f"prefer must be 'cuda' or 'cpu', got {prefer!r}")
    import torch

    if prefer == "cuda" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def device_name(device="cpu") -> str:
    """A readable name of a torch device: the CUDA GPU's name (e.g. ``"NVIDIA H200"``),
    or the CPU's model name (from ``/proc/cpuinfo``; elsewhere what ``platform`` knows).

    ``device`` is a ``torch.device`` or a string such as ``"cpu"``, ``"cuda"``,
    ``"cuda:1"``. A CUDA device that this machine does not have raises ``ValueError``;
    so does any other device type. The one place ``utils`` names a device.
    """
    import torch

    if isinstance(device, str):
        try:
            device = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(
                f"device must name a torch device such as 'cpu' or 'cuda:0', got {device!r}"
            ) from exc
    elif not isinstance(device, torch.device):
        raise TypeError(f"device must be a torch.device or a str such as 'cpu', got {type(device).__name__}")
    if device.type == "cuda":
        index = device.index if device.index is not None else 0
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if index >= count:
            raise ValueError(f"no CUDA device {index} on this machine ({count} CUDA devices)")
        return torch.cuda.get_device_name(index)
    if device.type != "cpu":
        raise ValueError(f"device must be a CPU or CUDA device, got {device.type!r}")
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def library_versions(names=REPORTED) -> dict[str, str]:
    """Return ``{distribution: version}``; a library that is not installed maps to ``"missing"``."""
    if isinstance(names, str):
        raise TypeError("names must be a sequence of distribution names, not a single str")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def report() -> str:
    """A short text of Python, the library versions and the torch device, for a setup cell.

    Its content depends on the machine, so the cell that prints it is tagged
    ``nbval-ignore-output``.
    """
    lines = [f"Python {sys.version.split()[0]} on {platform.system()} {platform.machine()}"]
    lines += [f"{name} {version}" for name, version in library_versions().items()]
    device = torch_device()
    if device.type == "cuda":
        lines.append(f"device: cuda ({device_name('cuda:0')})")
    else:
        lines.append("device: cpu (no CUDA GPU found)")
    return "\n".join(lines)


@contextmanager
def native_stderr_silenced():
    """Point the process's file descriptor 2 at /dev/null for the duration of the block.

    C++ libraries write log lines to the descriptor directly, past Python's
    ``sys.stderr``; in Jupyter they surface as a red stderr output. Python code inside
    the block still raises and prints as usual.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


_GRAPH_LOG_ABSORBED = False


def quiet_tensorflow():
    """Import TensorFlow with no log line on stderr, now or at its first graph run.

    ``import utils`` already sets ``TF_CPP_MIN_LOG_LEVEL`` and ``TF_ENABLE_ONEDNN_OPTS``.
    TensorFlow 2.20 (Colab's version) still writes one absl line ("MLIR V1 optimization
    pass is not enabled") the first time a graph runs in a ``tf.compat.v1.Session``,
    ignoring those variables. This runs a one-constant graph once, with the descriptor
    silenced, so the line is spent before the page's own sessions. Returns the module.

    Taught on: "TF sessions (tf.Session)".
    """
    global _GRAPH_LOG_ABSORBED
    import tensorflow as tf

    if not _GRAPH_LOG_ABSORBED:
        graph = tf.Graph()
        with graph.as_default():
            one = tf.constant(1.0)
        with native_stderr_silenced(), tf.compat.v1.Session(graph=graph) as session:
            session.run(one)
        _GRAPH_LOG_ABSORBED = True
    return tf

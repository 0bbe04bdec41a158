"""What the page runs on: the compute device and the library versions.

Taught on: every page's setup cell (first shown on "Activation functions (激活函数)")
and "GPU settings (GPU设置-torch)".
"""
from __future__ import annotations

import platform
import sys
from importlib import metadata

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
        import torch

        lines.append(f"device: cuda ({torch.cuda.get_device_name(0)})")
    else:
        lines.append("device: cpu (no CUDA GPU found)")
    return "\n".join(lines)

"""The SRCNN script's settings as one validated object, parseable from a command line
and from inside a notebook.

Taught on: "Configuration flags (初始化所有参数)". The note sets these values with
``tf.app.flags`` (TF1). Here they are a frozen dataclass, :class:`SRCNNConfig`, with the
note's defaults, checked on creation, and :func:`parse_config`, an ``argparse`` front end
that accepts absl-style booleans (``--is_train``, ``--nois_train``, ``--is_train=true``).

In a Jupyter kernel ``sys.argv`` holds the kernel's own arguments (``-f <connection
file>``), not the user's, so ``parse_config()`` with no ``argv`` ignores ``sys.argv``
there and returns the defaults; pass an explicit list to set values from a notebook.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import numbers
import sys
from dataclasses import dataclass
from typing import Sequence

from ._checks import check_int

#: Help text for each setting (the note's text, with the bracketed default made true).
FLAG_HELP = {
    "epoch": "Number of epochs [3]",
    "batch_size": "The size of a batch [128]",
    "image_size": "The size of an input patch [33]",
    "label_size": "The size of the label the network produces [21]",
    "learning_rate": "The learning rate of gradient descent [1e-4]",
    "c_dim": "Number of colour channels: 1 (luminance) or 3 (RGB) [1]",
    "scale": "Upscaling factor used to prepare the input images [3]",
    "stride": "Stride between training patches cut from an image [14]",
    "checkpoint_dir": "Name of the checkpoint directory [checkpoint]",
    "sample_dir": "Name of the sample directory [sample]",
    "is_train": "True for training, False for testing [False]",
}

#: Kernel sizes f1, f2, f3 of SRCNN's basic 9-1-5 network (Dong et al.).
SRCNN_KERNELS = (9, 1, 5)

_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


def srcnn_output_size(image_size: int, kernels: Sequence[int] = SRCNN_KERNELS, padding: str = "valid") -> int:
    """Side length of the output of a stack of stride-1 convolutions.

    With ``padding="valid"`` (no padding, SRCNN's training setting) each k x k layer
    removes ``k - 1`` pixels: 33 -> 33 - 8 - 0 - 4 = 21 for the 9-1-5 network. With
    ``padding="same"`` the size is unchanged. Raises ``ValueError`` when the input is
    too small to leave at least one output pixel.
    """
    image_size = check_int(image_size, "image_size", minimum=1)
    if isinstance(kernels, (str, bytes)) or not isinstance(kernels, Sequence):
        raise TypeError(f"kernels must be a sequence of ints such as (9, 1, 5), got {type(kernels).__name__}")
    if len(kernels) == 0:
        raise ValueError("kernels must name at least one kernel size, got an empty sequence")
    kernels = [check_int(k, "each kernel size", minimum=1) for k in kernels]
    if not isinstance(padding, str):
        raise TypeError(f"padding must be 'valid' or 'same', got {type(padding).__name__}")
    padding = padding.lower()
    if padding == "same":
        return image_size
    if padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    shrink = sum(k - 1 for k in kernels)
    out = image_size - shrink
    if out < 1:
        raise ValueError(
            f"image_size {image_size} is too small for kernels {tuple(kernels)} with valid padding: "
            f"it needs at least {shrink + 1}"
        )
    return out


@dataclass(frozen=True)
class SRCNNConfig:
    """The note's SRCNN flags with the note's defaults, validated on creation.

    All sizes and counts are positive ints; ``c_dim`` is 1 or 3; ``learning_rate`` is a
    positive finite number; ``label_size`` must equal
    ``srcnn_output_size(image_size)`` (the 9-1-5 network without padding), so the
    default 33 needs 21. Bad values raise ``TypeError`` or ``ValueError``. Being
    frozen, a config is changed with ``dataclasses.replace(cfg, epoch=10)``, which
    validates again.
    """

    epoch: int = 3
    batch_size: int = 128
    image_size: int = 33
    label_size: int = 21
    learning_rate: float = 1e-4
    c_dim: int = 1
    scale: int = 3
    stride: int = 14
    checkpoint_dir: str = "checkpoint"
    sample_dir: str = "sample"
    is_train: bool = False

    def __post_init__(self):
        for name in ("epoch", "batch_size", "image_size", "label_size", "scale", "stride"):
            object.__setattr__(self, name, check_int(getattr(self, name), name, minimum=1))
        c_dim = check_int(self.c_dim, "c_dim")
        if c_dim not in (1, 3):
            raise ValueError(f"c_dim must be 1 (luminance) or 3 (RGB), got {c_dim}")
        object.__setattr__(self, "c_dim", c_dim)
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise TypeError(f"learning_rate must be a real number, got {type(lr).__name__}")
        lr = float(lr)
        if not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"learning_rate must be a positive finite number, got {lr}")
        object.__setattr__(self, "learning_rate", lr)
        for name in ("checkpoint_dir", "sample_dir"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {type(value).__name__}")
            if not value.strip():
                raise ValueError(f"{name} must not be empty")
        if not isinstance(self.is_train, bool):
            raise TypeError(f"is_train must be a bool, got {type(self.is_train).__name__}")
        expected = srcnn_output_size(self.image_size)
        if self.label_size != expected:
            raise ValueError(
                f"label_size must be image_size - 12 = {expected} for the 9-1-5 network without "
                f"padding (image_size {self.image_size}), got {self.label_size}"
            )

    def to_argv(self) -> list[str]:
        """The command line that :func:`parse_config` turns back into this config."""
        argv = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "is_train":
                argv.append("--is_train" if value else "--nois_train")
            else:
                argv.append(f"--{field.name}={value!r}" if isinstance(value, float) else f"--{field.name}={value}")
        return argv


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true/false (or 1/0, yes/no), got {text!r}")


class _RaisingParser(argparse.ArgumentParser):
    """An ArgumentParser that raises ValueError instead of printing and exiting."""

    def error(self, message):
        raise ValueError(f"bad command line for the SRCNN config: {message}")


def build_parser(prog: str = "srcnn") -> argparse.ArgumentParser:
    """The ``argparse`` parser behind :func:`parse_config` (its ``--help`` lists the flags).

    Every field of :class:`SRCNNConfig` is a ``--name value`` or ``--name=value`` option;
    ``is_train`` also accepts absl's forms ``--is_train``, ``--nois_train`` and
    ``--is_train=false``. As in absl, abbreviations (``--epo``) are refused. A bad
    command line raises ``ValueError``.
    """
    if not isinstance(prog, str):
        raise TypeError(f"prog must be a str, got {type(prog).__name__}")
    parser = _RaisingParser(prog=prog, description="SRCNN settings (defaults from the note).",
                            allow_abbrev=False)
    defaults = SRCNNConfig()
    for field in dataclasses.fields(SRCNNConfig):
        name, default = field.name, getattr(defaults, field.name)
        if name == "is_train":
            parser.add_argument("--is_train", nargs="?", const=True, default=default, type=_parse_bool,
                                help=FLAG_HELP[name])
            parser.add_argument("--nois_train", dest="is_train", action="store_false",
                                help="same as --is_train=false")
        else:
            parser.add_argument(f"--{name}", type=type(default), default=default, help=FLAG_HELP[name])
    return parser


def in_jupyter_kernel() -> bool:
    """True when running inside an IPython/Jupyter kernel (not a plain script or terminal IPython)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # a half-imported or stub IPython: not a kernel
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def parse_config(argv: Sequence[str] | None = None) -> SRCNNConfig:
    """Build an :class:`SRCNNConfig` from command-line arguments.

    ``argv`` is the list of arguments without the program name, e.g.
    ``["--epoch", "10", "--is_train"]``. With ``argv=None`` a script reads
    ``sys.argv[1:]``, but inside a Jupyter kernel ``sys.argv`` belongs to the kernel
    (``-f <connection file>``), so it is ignored and the defaults are returned.
    Unknown flags or bad values raise ``ValueError``.
    """
    if argv is None:
        argv = [] if in_jupyter_kernel() else sys.argv[1:]
    elif isinstance(argv, (str, bytes)) or not isinstance(argv, Sequence):
        raise TypeError(
            f"argv must be a list of strings such as ['--epoch', '5'], got {type(argv).__name__}"
        )
    argv = list(argv)
    for item in argv:
        if not isinstance(item, str):
            raise TypeError(f"every argument in argv must be a str, got {type(item).__name__}")
    namespace = build_parser().parse_args(argv)
    return SRCNNConfig(**vars(namespace))

"""SRCNN, the network the note was written for: its flags, the 9-1-5 model and its
training patches, in one place.

Taught on: "Configuration flags (初始化所有参数)" (the flags, :class:`SRCNNConfig` and
:func:`parse_config`) and "Super-resolution with SRCNN (超分辨率)" (the pipeline: training
pairs, :func:`fit_steps`, :func:`evaluate`, checkpoints, :func:`to_keras`); also used on
"HDF5 files (H5文件)" and "Datasets (数据集)" (the patches), "GPU settings (GPU设置-torch)"
and "Code parameters and common errors" (the model).

The note sets the flags with ``tf.app.flags`` (TF1). Here they are a frozen dataclass,
:class:`SRCNNConfig`, with the note's defaults, checked on creation, and
:func:`parse_config`, an ``argparse`` front end that accepts absl-style booleans
(``--is_train``, ``--nois_train``, ``--is_train=true``). In a Jupyter kernel ``sys.argv``
holds the kernel's own arguments (``-f <connection file>``), not the user's, so
``parse_config()`` with no ``argv`` ignores ``sys.argv`` there and returns the defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

from ._checks import as_float_array, check_int, check_positive_real

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


def output_size(image_size: int, kernels: Sequence[int] = SRCNN_KERNELS, padding: str = "valid") -> int:
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
    ``output_size(image_size)`` (the 9-1-5 network without padding), so the
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
        lr = check_positive_real(self.learning_rate, "learning_rate")
        object.__setattr__(self, "learning_rate", lr)
        for name in ("checkpoint_dir", "sample_dir"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {type(value).__name__}")
            if not value.strip():
                raise ValueError(f"{name} must not be empty")
        if not isinstance(self.is_train, bool):
            raise TypeError(f"is_train must be a bool, got {type(self.is_train).__name__}")
        expected = output_size(self.image_size)
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
                argv.append(
                    f"--{field.name}={value!r}" if isinstance(value, float) else f"--{field.name}={value}"
                )
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
    parser = _RaisingParser(
        prog=prog, description="SRCNN settings (defaults from the note).", allow_abbrev=False
    )
    defaults = SRCNNConfig()
    for field in dataclasses.fields(SRCNNConfig):
        name, default = field.name, getattr(defaults, field.name)
        if name == "is_train":
            parser.add_argument(
                "--is_train", nargs="?", const=True, default=default, type=_parse_bool, help=FLAG_HELP[name]
            )
            parser.add_argument(
                "--nois_train", dest="is_train", action="store_false", help="same as --is_train=false"
            )
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
        raise TypeError(f"argv must be a list of strings such as ['--epoch', '5'], got {type(argv).__name__}")
    argv = list(argv)
    for item in argv:
        if not isinstance(item, str):
            raise TypeError(f"every argument in argv must be a str, got {type(item).__name__}")
    namespace = build_parser().parse_args(argv)
    return SRCNNConfig(**vars(namespace))


def model(c_dim: int = 1, n1: int = 64, n2: int = 32, kernels=(9, 1, 5), padding=0):
    """SRCNN (Dong et al. 2014): conv f1 → ReLU → conv f2 → ReLU → conv f3, with the
    paper's 9-1-5 kernels and 64/32 filters by default.

    With ``padding=0`` (the paper's valid convolutions) a 33×33 patch comes out 21×21;
    ``padding="same"`` keeps the size.
    """
    import torch.nn as nn

    c_dim, n1, n2 = (check_int(v, name, minimum=1) for v, name in ((c_dim, "c_dim"), (n1, "n1"), (n2, "n2")))
    if isinstance(kernels, (str, bytes)) or len(tuple(kernels)) != 3:
        raise ValueError(f"kernels must be three kernel sizes (f1, f2, f3), got {kernels!r}")
    f1, f2, f3 = (check_int(k, "kernel size", minimum=1) for k in kernels)
    if not (
        padding == "same" or (isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0)
    ):
        raise ValueError(f"padding must be 'same' or a non-negative int, got {padding!r}")
    return nn.Sequential(
        nn.Conv2d(c_dim, n1, f1, padding=padding),
        nn.ReLU(),
        nn.Conv2d(n1, n2, f2, padding=padding),
        nn.ReLU(),
        nn.Conv2d(n2, c_dim, f3, padding=padding),
    )


def patches(
    image, *, image_size: int = 33, label_size: int = 21, stride: int = 14, scale: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a grey image into SRCNN training pairs, shaped ``(N, size, size, 1)`` float32.

    The image (2-D, values in [0, 1]) is cropped to a multiple of ``scale`` (the label
    image); the input image is that shrunk by ``scale`` and enlarged back with cubic
    spline zooms (``scipy.ndimage.zoom``, no prefilter). Windows of ``image_size`` step
    by ``stride`` over the input; each label is the centre ``label_size`` square of its
    window in the label image (the part a stack of valid convolutions still sees).
    """
    from scipy import ndimage

    image = as_float_array(image, "image")
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (one channel), got shape {image.shape}")
    image_size = check_int(image_size, "image_size", minimum=1)
    label_size = check_int(label_size, "label_size", minimum=1, maximum=image_size)
    stride = check_int(stride, "stride", minimum=1)
    scale = check_int(scale, "scale", minimum=1)
    if (image_size - label_size) % 2:
        raise ValueError(f"image_size - label_size must be even, got {image_size} - {label_size}")
    h, w = (s - s % scale for s in image.shape)
    if min(h, w) < image_size:
        raise ValueError(f"image of shape {image.shape} is smaller than one {image_size}x{image_size} window")
    label_image = image[:h, :w]
    small = ndimage.zoom(label_image, 1.0 / scale, order=3, prefilter=False)
    input_image = ndimage.zoom(small, scale, order=3, prefilter=False)[:h, :w]
    return extract_patches(input_image, label_image, image_size, label_size, stride)


def extract_patches(
    lr_up, hr, image_size: int = 33, label_size: int = 21, stride: int = 14
) -> tuple[np.ndarray, np.ndarray]:
    """SRCNN training pairs: ``image_size`` windows of ``lr_up`` every ``stride`` pixels
    (rows outer, columns inner), each with the centre ``label_size`` square of ``hr`` at
    the same place, offset ``(image_size - label_size) // 2`` (6 for the note's 33 -> 21):
    the part a stack of unpadded 9-1-5 convolutions still sees.

    ``lr_up`` (the bicubic input, at HR size) and ``hr`` have the same ``(H, W)`` or
    ``(H, W, C)`` shape. Returns ``(data, label)`` as float32 arrays shaped
    ``(N, image_size, image_size, C)`` and ``(N, label_size, label_size, C)`` (C = 1 for
    2-D images), the ``data``/``label`` layout of :func:`patches`.
    """
    x = as_float_array(lr_up, "lr_up")
    y = as_float_array(hr, "hr")
    if x.shape != y.shape:
        raise ValueError(f"lr_up and hr must have the same shape, got {x.shape} and {y.shape}")
    if x.ndim not in (2, 3):
        raise ValueError(f"images must be (H, W) or (H, W, C), got shape {x.shape}")
    image_size = check_int(image_size, "image_size", minimum=1)
    label_size = check_int(label_size, "label_size", minimum=1, maximum=image_size)
    stride = check_int(stride, "stride", minimum=1)
    if (image_size - label_size) % 2:
        raise ValueError(f"image_size - label_size must be even, got {image_size} - {label_size}")
    h, w = x.shape[:2]
    if min(h, w) < image_size:
        raise ValueError(f"images of shape {x.shape} are smaller than one {image_size}x{image_size} window")
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    pad = (image_size - label_size) // 2
    win = np.lib.stride_tricks.sliding_window_view
    data = win(x, (image_size, image_size), axis=(0, 1))[::stride, ::stride]
    label = win(y[pad : h - pad, pad : w - pad], (label_size, label_size), axis=(0, 1))[::stride, ::stride]
    # (rows, cols, C, s, s) -> (N, s, s, C)
    data = data.transpose(0, 1, 3, 4, 2).reshape(-1, image_size, image_size, x.shape[2])
    label = label.transpose(0, 1, 3, 4, 2).reshape(-1, label_size, label_size, x.shape[2])
    return data.astype(np.float32), label.astype(np.float32)


# --------------------------------------------------------------------------- the pipeline
# Taught on "Super-resolution with SRCNN (超分辨率)": training pairs from photos that ship
# with scikit-image, prediction on whole images, evaluation against bicubic, checkpoints.

#: scikit-image's bundled images SRCNN trains on (photos, micrographs, textures, text).
TRAIN_IMAGES = (
    "camera",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "moon",
    "coins",
    "clock",
    "brick",
    "grass",
    "gravel",
    "page",
    "text",
    "cell",
)
#: Held-out photos: never cut into training patches, used only to evaluate.
HELD_OUT_IMAGES = ("astronaut", "chelsea", "coffee")


def bundled_y(name: str) -> np.ndarray:
    """The luma (Y) channel, uint8 ``(H, W)``, of one of scikit-image's bundled images."""
    import skimage.data

    from .datasets import y_channel

    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in TRAIN_IMAGES + HELD_OUT_IMAGES:
        raise KeyError(f"unknown image {name!r}; expected one of {TRAIN_IMAGES + HELD_OUT_IMAGES}")
    image = getattr(skimage.data, name)()
    if image.ndim == 3:
        image = image[..., :3]
    return y_channel(image)


def degrade(y, scale: int = 3):
    """SRCNN's degradation of a Y image: ``(hr, bicubic)`` as float in [0, 1], both cropped
    to a multiple of ``scale``; ``bicubic`` is shrunk and enlarged back with MATLAB's
    bicubic ``imresize`` (:func:`utils.datasets.make_lr_hr_pair`)."""
    from .datasets import make_lr_hr_pair

    arr = as_float_array(y, "y")
    if arr.ndim != 2:
        raise ValueError(f"y must be one channel (H, W), got shape {arr.shape}")
    pair = make_lr_hr_pair(arr / 255.0, scale, method="matlab")
    return pair.hr, pair.bicubic


def training_pairs(names=TRAIN_IMAGES, config: SRCNNConfig | None = None):
    """The note's training set: 33×33 bicubic inputs and 21×21 HR labels every 14 pixels
    (the config's sizes) from the Y channel of each named image, float32
    ``(N, 1, size, size)`` in [0, 1] (PyTorch's channels-first layout)."""
    config = config or SRCNNConfig()
    if isinstance(names, str) or not len(names):
        raise TypeError("names must be a non-empty sequence of image names")
    data, label = [], []
    for name in names:
        hr, bicubic = degrade(bundled_y(name), config.scale)
        d, lab = extract_patches(bicubic, hr, config.image_size, config.label_size, config.stride)
        data.append(d)
        label.append(lab)
    return (np.concatenate(data).transpose(0, 3, 1, 2), np.concatenate(label).transpose(0, 3, 1, 2))


def predict(net, bicubic, device=None) -> np.ndarray:
    """Run SRCNN on a whole bicubic image ``(H, W)`` in [0, 1]: the image is padded by
    reflection so that the valid convolutions return ``(H, W)``; output clipped to [0, 1]."""
    import torch

    from .training import as_tensor, eval_mode

    x = as_float_array(bicubic, "bicubic")
    if x.ndim != 2:
        raise ValueError(f"bicubic must be (H, W), got shape {x.shape}")
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    if not convs:
        raise TypeError("net has no Conv2d layer: expected an SRCNN model")
    pad = sum(c.kernel_size[0] - 1 for c in convs if c.padding == (0, 0)) // 2
    param = next(net.parameters())
    device = device or param.device
    t = as_tensor(x, param.dtype)[None, None]
    if pad:
        t = torch.nn.functional.pad(t, (pad, pad, pad, pad), mode="reflect")
    with eval_mode(net), torch.no_grad():
        out = net(t.to(device))[0, 0].double().cpu().numpy()
    return np.clip(out, 0.0, 1.0)


class Score(NamedTuple):
    """Y-channel PSNR (dB) and SSIM of bicubic and SRCNN against the HR image."""

    name: str
    psnr_bicubic: float
    psnr_srcnn: float
    ssim_bicubic: float
    ssim_srcnn: float

    @property
    def gain(self) -> float:
        return self.psnr_srcnn - self.psnr_bicubic


def evaluate(net, names=HELD_OUT_IMAGES, scale: int = 3, border: int | None = None) -> list[Score]:
    """PSNR and SSIM on the Y channel at ``scale``, ``border`` pixels shaved on every side
    (default ``scale``, as in SRCNN's evaluation), for bicubic and for ``net``."""
    from skimage.metrics import structural_similarity

    from .datasets import psnr_shaved

    border = scale if border is None else check_int(border, "border", minimum=0)
    scores = []
    for name in names:
        hr, bicubic = degrade(bundled_y(name), scale)
        sr = predict(net, bicubic)
        b = slice(border, -border or None)

        def ssim(a, ref=hr[b, b]):
            return float(structural_similarity(a[b, b], ref, data_range=1.0))

        scores.append(
            Score(
                name,
                psnr_shaved(bicubic, hr, border, 1.0),
                psnr_shaved(sr, hr, border, 1.0),
                ssim(bicubic),
                ssim(sr),
            )
        )
    return scores


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits."""
    import hashlib
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_weights(net, path) -> str:
    """Save ``net.state_dict()`` (tensors moved to the CPU) to ``path`` atomically; return
    the file's SHA-256."""
    import torch

    from .paths import atomic_write

    state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    with atomic_write(path) as tmp:
        torch.save(state, tmp)
    return file_sha256(path)


def load_weights(path, sha256: str, net=None):
    """Load a ``.pth`` state dict into ``net`` (default: a fresh :func:`model`) after
    checking the file's SHA-256; ``torch.load(..., weights_only=True)`` so a file can
    hold tensors only, never code. A wrong hash raises ``ValueError``; a missing or extra
    layer, or a tensor whose shape does not match, raises ``ValueError`` naming it."""
    import torch

    if not isinstance(sha256, str) or len(sha256) != 64:
        raise ValueError(f"sha256 must be 64 hex digits, got {sha256!r}")
    found = file_sha256(path)
    if found != sha256.lower():
        raise ValueError(f"{path}: SHA-256 is {found}, expected {sha256}; refusing to load it")
    net = model() if net is None else net
    state = torch.load(path, map_location="cpu", weights_only=True)
    expected = net.state_dict()
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        raise ValueError(f"{path}: layers missing {missing}, unexpected {extra}")
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise ValueError(
                f"{path}: layer {key} has shape {tuple(state[key].shape)}, "
                f"the network expects {tuple(tensor.shape)}"
            )
    net.load_state_dict(state)
    return net


def fit_steps(
    net, optimizer, data, label, steps: int, *, batch_size: int = 16, seed: int = 0, device=None
) -> np.ndarray:
    """Train ``net`` for ``steps`` mini-batches of SRCNN pairs with the MSE loss.

    ``data`` and ``label`` are ``(N, C, size, size)`` arrays or tensors (the layout of
    :func:`training_pairs`); they are moved once to ``device`` (default: the net's). Each
    pass over the data visits every pair once in an order drawn from ``seed``, so two runs
    from the same weights see the same batches. Returns every step's loss (float64).
    Raises ``ValueError`` when the net's output does not have the labels' shape, or when
    the loss stops being finite.
    """
    import torch
    import torch.nn.functional as F

    from ._checks import check_module
    from .training import as_tensor, train_step

    check_module(net, "net")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    steps = check_int(steps, "steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    param = next(net.parameters())
    device = torch.device(device) if device is not None else param.device
    x, y = as_tensor(data, param.dtype, device), as_tensor(label, param.dtype, device)
    if x.ndim != 4 or y.ndim != 4 or len(x) != len(y):
        raise ValueError(
            f"data and label must be (N, C, H, W) with the same N, got shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}"
        )
    if batch_size > len(x):
        raise ValueError(f"batch_size {batch_size} is larger than the {len(x)} pairs")
    net.to(device)
    with torch.no_grad():
        out_shape = tuple(net(x[:1]).shape[1:])
    if out_shape != tuple(y.shape[1:]):
        raise ValueError(
            f"the net turns {tuple(x.shape[1:])} inputs into {out_shape}, "
            f"but the labels are {tuple(y.shape[1:])}"
        )
    generator = torch.Generator().manual_seed(seed)
    losses = np.empty(steps)
    order, pos = None, len(x)
    for step in range(steps):
        if pos + batch_size > len(x):  # a new pass over the data
            order, pos = torch.randperm(len(x), generator=generator).to(device), 0
        idx = order[pos : pos + batch_size]
        pos += batch_size
        losses[step], _ = train_step(net, optimizer, F.mse_loss, x[idx], y[idx])
        if not math.isfinite(losses[step]):
            raise ValueError(f"the loss is {losses[step]} at step {step + 1}: training diverged")
    return losses


def to_keras(net):
    """A Keras copy of an SRCNN from :func:`model` with valid padding, weights included.

    Keras works channels-last and stores a kernel as ``(kh, kw, in, out)``; PyTorch as
    ``(out, in, kh, kw)``, so each kernel is permuted ``(2, 3, 1, 0)``. The copy takes
    ``(N, H, W, C)`` images of any size and returns ``(N, H - 12, W - 12, C)`` for the
    9-1-5 network.
    """
    import torch.nn as nn

    from ._checks import check_module

    check_module(net, "net")
    kinds = [type(m) for m in net.children()]
    if kinds != [nn.Conv2d, nn.ReLU, nn.Conv2d, nn.ReLU, nn.Conv2d]:
        raise ValueError(
            "net must be conv, ReLU, conv, ReLU, conv (srcnn.model()), got "
            + ", ".join(k.__name__ for k in kinds)
        )
    convs = [m for m in net.children() if isinstance(m, nn.Conv2d)]
    for conv in convs:
        if conv.padding != (0, 0) or conv.stride != (1, 1) or conv.dilation != (1, 1) or conv.groups != 1:
            raise ValueError(
                "to_keras copies unpadded, stride-1 convolutions only (srcnn.model() with padding=0)"
            )
    import tensorflow as tf

    keras_net = tf.keras.Sequential(
        [tf.keras.Input((None, None, convs[0].in_channels))]
        + [
            tf.keras.layers.Conv2D(
                c.out_channels, c.kernel_size, padding="valid", activation="relu" if i < 2 else None
            )
            for i, c in enumerate(convs)
        ]
    )
    for layer, conv in zip(keras_net.layers, convs):
        kernel = conv.weight.detach().cpu().permute(2, 3, 1, 0).numpy()
        layer.set_weights([kernel, conv.bias.detach().cpu().numpy()])
    return keras_net

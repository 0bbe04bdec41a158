"""Attention in image processing: features reweighted by learned, input-dependent weights.

Taught on: "Attention in image processing (图像处理中的注意力集中机制)".

- :class:`SqueezeExcitation`: channel attention (Hu et al. 2018), one sigmoid gate per
  channel computed from the channel averages;
- :class:`SpatialAttention`: the spatial branch of CBAM (Woo et al. 2018), one sigmoid
  gate per position computed from the channel mean and maximum;
- :func:`scaled_dot_product_attention`, :func:`attention_weights`: softmax attention
  (Vaswani et al. 2017) written out, matching ``torch.nn.functional.scaled_dot_product_attention``;
- :func:`attention_map`: the self-attention weights of one pixel over all pixels of a
  feature map (a non-local block without learned projections, Wang et al. 2018);
- :func:`small_cnn`, :func:`se_parameter_count`, :func:`edge_color_features`: the small
  networks and feature maps the page experiments with.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn

from ._checks import check_int, check_real
from .training import as_tensor


def _check_images(x, channels: int | None = None, name: str = "x") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels, got {x.shape[1]}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    return x


class SqueezeExcitation(nn.Module):
    """Channel attention: ``x * s`` with one gate ``s_c`` in (0, 1) per channel and image.

    Squeeze: average each channel over the image (global average pooling). Excite: a
    two-layer bottleneck ``C -> C // reduction -> C`` with ReLU between and a sigmoid
    at the end gives the gates (Hu, Shen & Sun 2018).
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        self.channels = check_int(channels, "channels", minimum=1)
        reduction = check_int(reduction, "reduction", minimum=1)
        hidden = channels // reduction
        if hidden < 1:
            raise ValueError(
                f"reduction must be <= channels ({channels}) so that the bottleneck "
                f"keeps at least one unit, got {reduction}"
            )
        self.reduction = reduction
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def gates(self, x: torch.Tensor) -> torch.Tensor:
        """The (N, C) channel weights for a batch ``x`` of shape (N, C, H, W)."""
        x = _check_images(x, self.channels)
        squeezed = x.mean(dim=(2, 3))
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(squeezed))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gates(x)[:, :, None, None]


class SpatialAttention(nn.Module):
    """Spatial attention (CBAM's spatial branch): ``x * m`` with one gate per position.

    The channel-wise mean and maximum, stacked as two maps, go through a
    ``kernel_size`` × ``kernel_size`` convolution (no bias) and a sigmoid
    (Woo et al. 2018). ``kernel_size`` must be odd, so the map keeps the image size.
    """

    def __init__(self, kernel_size: int = 7):
        super().__init__()
        kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (the map keeps the image size), got {kernel_size}")
        self.kernel_size = kernel_size
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def attention_map(self, x: torch.Tensor) -> torch.Tensor:
        """The (N, 1, H, W) spatial weights for a batch ``x`` of shape (N, C, H, W)."""
        x = _check_images(x)
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return torch.sigmoid(self.conv(pooled))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.attention_map(x)


def _check_qkv(q, k, v=None):
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t is None:
            continue
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise ValueError(
                f"{name} must have at least 2 dimensions (..., length, features), got shape {tuple(t.shape)}"
            )
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got {t.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same feature size, got {q.shape[-1]} and {k.shape[-1]}")
    if v is not None and v.shape[-2] != k.shape[-2]:
        raise ValueError(
            f"k and v must have the same length (one value per key), got {k.shape[-2]} and {v.shape[-2]}"
        )


def attention_weights(
    q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None, scale: float | None = None
) -> torch.Tensor:
    """The softmax attention weights ``softmax(q kᵀ · scale + mask)`` of shape (..., L, S).

    ``scale`` defaults to ``1 / sqrt(E)`` (E: the feature size). ``mask`` follows
    PyTorch: a bool mask marks with True the keys a query *may* attend to; a float mask is
    added to the scores. A query whose keys are all masked gets weights 0 (PyTorch's
    fused function returns 0 for such rows too).
    """
    _check_qkv(q, k)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    else:
        scale = check_real(scale, "scale")
    scores = (q @ k.transpose(-2, -1)) * scale
    if mask is not None:
        if not isinstance(mask, torch.Tensor):
            raise TypeError(f"mask must be a torch.Tensor or None, got {type(mask).__name__}")
        try:
            torch.broadcast_shapes(mask.shape, scores.shape)
        except RuntimeError:
            raise ValueError(
                f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' "
                f"shape {tuple(scores.shape)} (..., queries, keys)"
            ) from None
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        elif mask.is_floating_point():
            scores = scores + mask
        else:
            raise TypeError(f"mask must be bool or floating point, got {mask.dtype}")
    blocked = torch.isneginf(scores).all(dim=-1, keepdim=True)
    weights = torch.softmax(scores.masked_fill(blocked, 0.0), dim=-1)
    return weights.masked_fill(blocked, 0.0)


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    scale: float | None = None,
    return_weights: bool = False,
):
    """Softmax attention written out: ``attention_weights(q, k, mask, scale) @ v``.

    Shapes: q (..., L, E), k (..., S, E), v (..., S, Ev) → (..., L, Ev), the same
    result as ``torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
    scale=scale)`` (no dropout, not causal). With ``return_weights`` also the (..., L, S) weights.
    """
    _check_qkv(q, k, v)
    weights = attention_weights(q, k, mask, scale)
    out = weights @ v
    return (out, weights) if return_weights else out


def attention_map(features: torch.Tensor, query: tuple[int, int], scale: float | None = None) -> torch.Tensor:
    """Self-attention of one pixel over a feature map: an (H, W) map of weights summing to 1.

    ``features`` (C, H, W) become H·W tokens of C features; queries and keys are the tokens
    themselves (no learned projections), so a pixel attends to the pixels whose feature
    vectors are most similar to its own. ``query`` is the (row, column) of the pixel.
    """
    if not isinstance(features, torch.Tensor) or features.ndim != 3:
        got = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        raise ValueError(f"features must be a (C, H, W) tensor, got {got}")
    _, h, w = features.shape
    if not (isinstance(query, tuple) and len(query) == 2):
        raise TypeError(f"query must be a (row, column) tuple, got {query!r}")
    row = check_int(query[0], "query row", minimum=0, maximum=h - 1)
    col = check_int(query[1], "query column", minimum=0, maximum=w - 1)
    tokens = features.reshape(features.shape[0], h * w).T  # (H·W, C)
    weights = attention_weights(tokens[row * w + col][None], tokens, scale=scale)
    return weights.reshape(h, w)


def se_parameter_count(channels: int, reduction: int) -> int:
    """Parameters of :class:`SqueezeExcitation`: two linear layers with biases,
    ``C·h + h + h·C + C`` with ``h = C // reduction``."""
    channels = check_int(channels, "channels", minimum=1)
    reduction = check_int(reduction, "reduction", minimum=1)
    hidden = channels // reduction
    if hidden < 1:
        raise ValueError(f"reduction must be <= channels ({channels}), got {reduction}")
    return 2 * channels * hidden + hidden + channels


def small_cnn(
    channels: tuple[int, int] = (16, 32),
    se_reduction: int | None = None,
    n_classes: int = 10,
    image_size: int = 8,
) -> nn.Sequential:
    """A two-convolution classifier for (N, 1, S, S) images (the 8×8 digits by default):
    conv 3×3 → ReLU → [SE] → max-pool 2 → conv 3×3 → ReLU → [SE] → flatten → linear.
    An SE block follows each convolution when ``se_reduction`` is given."""
    if not (isinstance(channels, tuple) and len(channels) == 2):
        raise TypeError(f"channels must be a tuple of two ints, got {channels!r}")
    c1 = check_int(channels[0], "channels[0]", minimum=1)
    c2 = check_int(channels[1], "channels[1]", minimum=1)
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    image_size = check_int(image_size, "image_size", minimum=2)
    if image_size % 2:
        raise ValueError(f"image_size must be even (one 2×2 max-pool), got {image_size}")
    layers: list[nn.Module] = [nn.Conv2d(1, c1, 3, padding=1), nn.ReLU()]
    if se_reduction is not None:
        layers.append(SqueezeExcitation(c1, se_reduction))
    layers += [nn.MaxPool2d(2), nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU()]
    if se_reduction is not None:
        layers.append(SqueezeExcitation(c2, se_reduction))
    layers += [nn.Flatten(), nn.Linear(c2 * (image_size // 2) ** 2, n_classes)]
    return nn.Sequential(*layers)


#: The filters of :func:`edge_color_features`, in channel order.
FEATURE_NAMES = ("red", "green", "blue", "edge →", "edge ←", "edge ↓", "edge ↑")


def edge_color_features(image) -> torch.Tensor:
    """A tiny conv layer with hand-set 3×3 filters applied to an (H, W, 3) image in [0, 1]:
    the three colours and four rectified Sobel edge maps of the grey image (left-to-right
    and right-to-left brightness steps, top-to-bottom and bottom-to-top). Returns
    (1, 7, H, W) float32 feature maps, named by :data:`FEATURE_NAMES`."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3), got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"image must be numeric, got dtype {arr.dtype}")
    x = as_tensor(arr, torch.float32).permute(2, 0, 1)[None]
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 4
    grey = torch.tensor([0.299, 0.587, 0.114])
    weight = torch.zeros(7, 3, 3, 3)
    for c in range(3):
        weight[c, c, 1, 1] = 1.0
    for i, kernel in enumerate((sobel, -sobel, sobel.T, -sobel.T)):
        weight[3 + i] = grey[:, None, None] * kernel
    conv = nn.Conv2d(3, 7, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(weight)
        return torch.relu(conv(x))

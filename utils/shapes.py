"""Output sizes of convolutions, TensorFlow's 'SAME' padding, and a shape tracer.

Taught on: "Code parameters and common errors (代码参数与常见报错)".

* :func:`conv_output_size`: the size PyTorch's ``Conv2d`` / ``MaxPool2d`` give along one
  spatial axis (floor mode).
* :func:`same_padding`: the (before, after) zero padding TensorFlow adds for
  ``padding='SAME'``; the output size is then ``ceil(size / stride)``.
* :func:`pad_same`: pads an NCHW torch tensor that way, so a PyTorch port of a
  TensorFlow model computes the same numbers.
* :func:`trace_shapes`: runs a torch model once and lists the output shape of every
  layer, to find the layer where a size drifts from the expected one.
"""

from __future__ import annotations

from ._checks import check_int, check_module
from .diagnostics import hooks
from .training import eval_mode


def _check_padding(padding) -> tuple[int, int]:
    """An int (the same on both sides) or a pair (before, after) of non-negative ints."""
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"padding must be an int or a pair (before, after), got {len(padding)} values")
        before = check_int(padding[0], "padding before", minimum=0)
        after = check_int(padding[1], "padding after", minimum=0)
        return before, after
    if isinstance(padding, str):
        raise TypeError(
            f"padding must be an int or a pair (before, after), got the string {padding!r}; "
            "use same_padding() to compute the numbers that 'same' stands for"
        )
    p = check_int(padding, "padding", minimum=0)
    return p, p


def conv_output_size(size: int, kernel: int, stride: int = 1, padding=0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis, as PyTorch computes it.

    ``floor((size + pad_before + pad_after - dilation * (kernel - 1) - 1) / stride) + 1``,
    where an int ``padding`` pads both sides and a pair gives (before, after). Raises
    ``ValueError`` when the (dilated) kernel does not fit in the padded input, i.e. when
    PyTorch would refuse the layer for this input size.
    """
    size = check_int(size, "size", minimum=1)
    kernel = check_int(kernel, "kernel", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    dilation = check_int(dilation, "dilation", minimum=1)
    before, after = _check_padding(padding)
    span = dilation * (kernel - 1) + 1
    padded = size + before + after
    if span > padded:
        raise ValueError(
            f"the kernel spans {span} samples (kernel={kernel}, dilation={dilation}) but the padded "
            f"input has only {padded} (size={size}, padding=({before}, {after})): output would be empty"
        )
    return (padded - span) // stride + 1


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's 'SAME' padding along one axis: ``(pad_before, pad_after)``.

    The output length is ``ceil(size / stride)``; the total padding needed for it is
    ``max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)``, split with the
    extra sample (when the total is odd) on the *after* side (bottom / right).
    """
    size = check_int(size, "size", minimum=1)
    kernel = check_int(kernel, "kernel", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    dilation = check_int(dilation, "dilation", minimum=1)
    out = -(-size // stride)  # ceil for positive ints, no float rounding
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    before = total // 2
    return before, total - before


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (height, width), got {len(value)} values")
        return check_int(value[0], name, minimum=1), check_int(value[1], name, minimum=1)
    v = check_int(value, name, minimum=1)
    return v, v


def pad_same(x, kernel, stride=1, dilation=1):
    """Zero-pad an NCHW torch tensor as TensorFlow's ``padding='SAME'`` would.

    ``kernel``, ``stride`` and ``dilation`` are ints or (height, width) pairs. A
    convolution with ``padding=0`` on the result then gives the numbers of
    ``tf.nn.conv2d(..., padding='SAME')`` (with the kernel transposed to HWIO).
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape (N, C, H, W), got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"x must have 4 dimensions (N, C, H, W), got shape {tuple(x.shape)}")
    kh, kw = _pair(kernel, "kernel")
    sh, sw = _pair(stride, "stride")
    dh, dw = _pair(dilation, "dilation")
    top, bottom = same_padding(x.shape[2], kh, sh, dh)
    left, right = same_padding(x.shape[3], kw, sw, dw)
    return F.pad(x, (left, right, top, bottom))


def _shape_of(output):
    import torch

    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return tuple(_shape_of(o) for o in output)
    return type(output).__name__


def trace_shapes(model, input_shape, dtype=None) -> list[tuple[str, tuple]]:
    """Run ``model`` once on zeros of ``input_shape`` and return ``[(layer name, output shape)]``.

    One entry per call of a leaf module (a module with no children), in call order, via
    forward hooks; a layer called twice appears twice. The model runs in eval mode under
    ``torch.no_grad()`` (BatchNorm running statistics are not touched) and its training
    flag is restored. If the forward pass fails, a ``RuntimeError`` names the layer it
    failed in (or the last layer that ran) and lists the shapes seen so far.
    """
    import torch

    check_module(model)
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, (tuple, list, torch.Size)):
        raise TypeError(
            f"input_shape must be a tuple of ints such as (1, 3, 32, 32), got {type(input_shape).__name__}"
        )
    if len(input_shape) == 0:
        raise ValueError("input_shape must have at least one dimension, got ()")
    shape = tuple(check_int(n, "each input_shape entry", minimum=1) for n in input_shape)
    if dtype is None:
        dtype = torch.get_default_dtype()
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float32, got {type(dtype).__name__}")
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    x = torch.zeros(shape, dtype=dtype, device=device)

    trace: list[tuple[str, tuple]] = []
    running: list[str] = []
    leaves = [(name, m) for name, m in model.named_modules() if name and not any(True for _ in m.children())]
    names = [name for name, _ in leaves]

    # Unlike capture(), the hooks here keep a stack: the pre hook notes the layer that
    # is running (to name it if it fails), the forward hook records its output's shape.
    def pre(i, module, args):
        running.append(names[i])

    def post(i, module, args, output):
        running.pop()
        trace.append((names[i], _shape_of(output)))

    try:
        with hooks([m for _, m in leaves], pre=pre, forward=post), eval_mode(model), torch.no_grad():
            model(x)
    except Exception as exc:
        where = (
            f"in layer {running[-1]!r}"
            if running
            else (f"after layer {trace[-1][0]!r}" if trace else "before any layer ran")
        )
        seen = "; ".join(f"{n!r}: {s}" for n, s in trace) or "none"
        raise RuntimeError(
            f"forward pass failed {where} for input shape {shape}. "
            f"Shapes so far: {seen}. Original error: {type(exc).__name__}: {exc}"
        ) from exc
    return trace

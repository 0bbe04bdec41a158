"""Face data that ships with scikit-image: the LFW subset, HOG features, small
face/non-face classifiers, and OpenCV's LBP face cascade (run by scikit-image).

Taught on: "Face datasets (人脸数据集)".

``skimage.data.lfw_subset()`` holds 200 grey crops of 25×25 pixels: 100 faces
picked at random from Labeled Faces in the Wild and 100 non-faces cut from the
backgrounds of the same photos. :func:`load_lfw_subset` returns them with labels
(:data:`FACE` = 1, :data:`NON_FACE` = 0).

The cascade is OpenCV's ``lbpcascade_frontalface`` file, shipped with scikit-image.
OpenCV 5 no longer has ``cv2.CascadeClassifier`` (the cascades left its main
package), so :func:`detect_faces` runs the file with ``skimage.feature.Cascade``,
which reads OpenCV's LBP cascades (not its Haar ones). Boxes are returned as
``(x1, y1, x2, y2)`` rows in pixels, the convention of :mod:`utils.mean_ap`.

Everything here gives the same result on every CPU: the detector sees 8-bit grey
images made with integer arithmetic (:func:`to_uint8_grey`), and its window scales
are computed with plain multiplications (:func:`scale_ladder`) instead of numpy's
vectorised ``power``, whose last bit differs between CPUs with and without AVX-512
and which moved a detected box by a few pixels.
"""

from __future__ import annotations

import numbers
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ._checks import as_float_array, check_int, check_positive_real, check_real

#: Label of a face and of a non-face crop.
FACE, NON_FACE = 1, 0

#: Shape of ``skimage.data.lfw_subset()``: 100 faces, then 100 non-faces.
LFW_SUBSET_SHAPE = (200, 25, 25)

#: ITU-R BT.601 luma weights in thousandths (the integers PIL's ``convert("L")`` uses).
LUMA_WEIGHTS = (299, 587, 114)


# ------------------------------------------------------------------------- data
def load_lfw_subset() -> tuple[np.ndarray, np.ndarray]:
    """The 200 crops of ``skimage.data.lfw_subset()`` and their labels.

    Returns ``(images, labels)``: float64 images of shape (200, 25, 25) with values
    in [0, 1], and int64 labels, :data:`FACE` for the first 100 and :data:`NON_FACE`
    for the last 100 (the order scikit-image documents). No download is needed.
    """
    from skimage import data

    images = np.asarray(data.lfw_subset(), dtype=np.float64)
    if images.shape != LFW_SUBSET_SHAPE:
        raise ValueError(f"expected the LFW subset to have shape {LFW_SUBSET_SHAPE}, got {images.shape}")
    half = LFW_SUBSET_SHAPE[0] // 2
    labels = np.concatenate([np.full(half, FACE), np.full(half, NON_FACE)]).astype(np.int64)
    return images, labels


def _check_stack(images, name: str = "images") -> np.ndarray:
    arr = as_float_array(images, name)
    if arr.ndim != 3 or min(arr.shape) == 0:
        raise ValueError(f"{name} must be a non-empty stack of grey images, shape (N, H, W), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite values (no NaN or inf)")
    return arr


def _check_labels(labels, n: int | None = None) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.size == 0:
        raise ValueError("labels must not be empty")
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise TypeError(
            f"labels must be a 1-D array of integers, got dtype {arr.dtype} and shape {arr.shape}"
        )
    if not np.isin(arr, (FACE, NON_FACE)).all():
        raise ValueError(
            f"labels must be {FACE} (face) or {NON_FACE} (non-face), got {sorted(set(arr.tolist()))}"
        )
    if n is not None and len(arr) != n:
        raise ValueError(f"got {n} images but {len(arr)} labels")
    return arr.astype(np.int64)


def to_uint8_grey(image) -> np.ndarray:
    """A grey uint8 image, computed without floating point, so it is the same on every CPU.

    RGB or RGBA uint8 → luma ``(299 R + 587 G + 114 B + 500) // 1000`` (alpha ignored);
    grey uint8 → unchanged; grey float in [0, 1] → ``round(255 · x)``.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        if arr.dtype != np.uint8:
            raise TypeError(f"a colour image must be uint8, got dtype {arr.dtype}")
        rgb = arr[..., :3].astype(np.int64)
        luma = (rgb @ np.array(LUMA_WEIGHTS, dtype=np.int64) + 500) // 1000
        return luma.astype(np.uint8)
    if arr.ndim != 2:
        raise ValueError(f"expected a grey (H, W) or colour (H, W, 3|4) image, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.copy()
    if arr.dtype.kind != "f":
        raise TypeError(f"a grey image must be uint8 or float in [0, 1], got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise ValueError("a float grey image must hold finite values in [0, 1]")
    return np.round(arr * 255).astype(np.uint8)


# --------------------------------------------------------------------- features
def hog_features(images, *, orientations: int = 9, cell: int = 5, block: int = 2) -> np.ndarray:
    """Histogram-of-oriented-gradients features (Dalal and Triggs) of a stack of grey images.

    ``cell`` is the cell size in pixels and ``block`` the number of cells per block side
    (L2-Hys block normalisation, scikit-image's default). Returns shape (N, features).
    """
    from skimage.feature import hog

    arr = _check_stack(images)
    orientations = check_int(orientations, "orientations", minimum=1)
    cell = check_int(cell, "cell", minimum=1)
    block = check_int(block, "block", minimum=1)
    if min(arr.shape[1:]) < cell * block:
        raise ValueError(
            f"images of {arr.shape[1]}x{arr.shape[2]} pixels are smaller than one block "
            f"({block} cells of {cell} pixels)"
        )
    return np.stack(
        [
            hog(im, orientations=orientations, pixels_per_cell=(cell, cell), cells_per_block=(block, block))
            for im in arr
        ]
    )


# ------------------------------------------------------------------ evaluation
def stratified_splits(
    labels, *, n_splits: int = 10, test_fraction: float = 0.3, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n_splits`` random train/test index splits that keep the class proportions.

    Wraps scikit-learn's ``StratifiedShuffleSplit`` with a fixed ``seed``: the same
    labels and seed give the same splits on every machine.
    """
    from sklearn.model_selection import StratifiedShuffleSplit

    y = _check_labels(labels)
    n_splits = check_int(n_splits, "n_splits", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    test_fraction = check_real(test_fraction, "test_fraction", above=0, below=1)
    counts = np.bincount(y, minlength=2)
    if counts.min() < 2:
        raise ValueError(f"each class needs at least 2 examples to split, got counts {counts.tolist()}")
    splitter = StratifiedShuffleSplit(n_splits=n_splits, test_size=test_fraction, random_state=seed)
    return [(train, test) for train, test in splitter.split(np.zeros(len(y)), y)]


def _check_splits(splits, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    splits = list(splits)
    if not splits:
        raise ValueError("splits must hold at least one (train, test) pair")
    for train, test in splits:
        for part in (train, test):
            part = np.asarray(part)
            if part.dtype.kind not in "iu" or part.size == 0 or part.min() < 0 or part.max() >= n:
                raise ValueError(f"split indices must be non-empty integer arrays in [0, {n})")
    return splits


def majority_accuracy(train_labels, test_labels) -> float:
    """Test accuracy of always answering the most frequent training label (ties: FACE)."""
    train, test = _check_labels(train_labels), _check_labels(test_labels)
    guess = FACE if np.sum(train == FACE) >= np.sum(train == NON_FACE) else NON_FACE
    return float(np.mean(test == guess))


def linear_classifier(C: float = 1.0):
    """An unfitted scikit-learn pipeline: standardise each feature, then logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    C = check_positive_real(C, "C")
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))


def split_accuracies(features, labels, splits, *, C: float = 1.0) -> np.ndarray:
    """Test accuracy of :func:`linear_classifier` on each ``(train, test)`` split.

    ``features`` has one row per image (e.g. :func:`hog_features`, or the pixels
    flattened); a fresh classifier is fitted on the training rows of every split.
    """
    X = as_float_array(features, "features")
    if X.ndim != 2:
        raise ValueError(f"features must have shape (N, features), got {X.shape}")
    y = _check_labels(labels, len(X))
    accuracies = []
    for train, test in _check_splits(splits, len(X)):
        model = linear_classifier(C).fit(X[train], y[train])
        accuracies.append(model.score(X[test], y[test]))
    return np.array(accuracies)


def tiny_cnn(seed: int = 0):
    """A two-convolution network for 1×25×25 crops → 2 logits (non-face, face); 802 weights.

    Conv 5×5 stride 2 (4 channels) → ReLU → conv 3×3 stride 2 (8 channels) → ReLU →
    linear. The weights are drawn after ``torch.manual_seed(seed)``.
    """
    import torch
    from torch import nn

    seed = check_int(seed, "seed", minimum=0)
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 5, stride=2),
        nn.ReLU(),
        nn.Conv2d(4, 8, 3, stride=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 5 * 5, 2),
    )


def cnn_accuracies(images, labels, splits, *, steps: int = 30, lr: float = 1e-2, seed: int = 0) -> np.ndarray:
    """Test accuracy of :func:`tiny_cnn` on each ``(train, test)`` split.

    Each split gets a fresh network (seed ``seed + k`` for split k), trained for
    ``steps`` full-batch Adam steps on cross-entropy; pixels are standardised with the
    training crops' mean and standard deviation. Runs on the CPU in float32.
    """
    import torch
    import torch.nn.functional as F

    from .training import as_tensor, evaluate, train_step

    x = _check_stack(images)
    if x.shape[1:] != LFW_SUBSET_SHAPE[1:]:
        raise ValueError(f"tiny_cnn takes 25x25 crops, got {x.shape[1]}x{x.shape[2]}")
    y = _check_labels(labels, len(x))
    steps = check_int(steps, "steps", minimum=1)
    lr = check_positive_real(lr, "lr")
    seed = check_int(seed, "seed", minimum=0)
    xt = as_tensor(x[:, None], torch.float32)
    yt = as_tensor(y)
    accuracies = []
    for k, (train, test) in enumerate(_check_splits(splits, len(x))):
        mean, std = xt[train].mean(), xt[train].std()
        x_train, x_test = (xt[train] - mean) / std, (xt[test] - mean) / std
        model = tiny_cnn(seed + k)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        for _ in range(steps):
            train_step(model, optimizer, F.cross_entropy, x_train, yt[train])
        accuracies.append(evaluate(model, x_test, yt[test]))
    return np.array(accuracies)


# -------------------------------------------------------------------- cascade
def cascade_path() -> Path:
    """Path of OpenCV's LBP frontal-face cascade file that ships with scikit-image."""
    from skimage import data

    return Path(data.lbp_frontal_face_cascade_filename())


def _deterministic_cascade_class():
    """The class behind :func:`load_cascade` (built on first use: it imports scikit-image)."""
    global _CASCADE_CLASS
    if _CASCADE_CLASS is None:
        from skimage.feature import Cascade

        class DeterministicCascade(Cascade):
            """``skimage.feature.Cascade`` whose window scales are the same on every CPU.

            scikit-image computes the scales as ``np.power(step, powers)`` in float32,
            and numpy's vectorised ``power`` rounds the last bit differently on CPUs with
            and without AVX-512; a window one pixel larger then changes the boxes. Here
            each scale is ``start * step**k`` by repeated float64 multiplication (IEEE
            operations only), rounded once to float32.
            """

            def _get_valid_scale_factors(self, min_size, max_size, scale_step):
                return scale_ladder(
                    (self.window_height, self.window_width), min_size, max_size, float(scale_step)
                )

        _CASCADE_CLASS = DeterministicCascade
    return _CASCADE_CLASS


_CASCADE_CLASS = None


def scale_ladder(window, min_size, max_size, step: float) -> np.ndarray:
    """The window scales a cascade searches: ``start · step**k`` below ``max_size / window``.

    ``start`` is the largest of ``min_size / window`` (per axis) and 1, as in
    scikit-image; the scales are computed by repeated multiplication in float64 and
    returned as float32, so they are the same on every CPU.
    """
    step = check_positive_real(step, "step")
    if step <= 1:
        raise ValueError(f"step must be > 1, got {step}")
    window, min_size, max_size = (np.asarray(v, dtype=np.float64) for v in (window, min_size, max_size))
    if any(v.shape != (2,) for v in (window, min_size, max_size)) or (window <= 0).any():
        raise ValueError("window, min_size and max_size must be (height, width) pairs of positive sizes")
    scale = max(float(min_size[0] / window[0]), float(min_size[1] / window[1]), 1.0)
    top = min(float(max_size[0] / window[0]), float(max_size[1] / window[1]))
    scales = []
    while scale < top:
        scales.append(scale)
        scale *= step
    return np.array(scales, dtype=np.float32)


def load_cascade(path=None):
    """Load an OpenCV LBP cascade XML file for :func:`detect_faces`.

    ``None`` loads :func:`cascade_path`. Returns a ``skimage.feature.Cascade`` whose
    window scales are computed the same way on every CPU (see :func:`scale_ladder`).
    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that
    is not an OpenCV LBP cascade (a Haar cascade included: scikit-image cannot run
    those). Unlike OpenCV 4's loader, which returned an empty classifier, nothing fails
    silently.
    """
    if path is None:
        path = cascade_path()
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no cascade file at {path}")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{path.name} is not an XML file: {exc}") from exc
    kind = root.findtext("cascade/featureType")
    if root.find("cascade/stageNum") is None or root.find("cascade/stages") is None:
        raise ValueError(f"{path.name} is not an OpenCV cascade file (no <cascade> with stages)")
    if (kind or "").strip().upper() != "LBP":
        raise ValueError(f"{path.name} is a {kind or 'unknown'} cascade; scikit-image runs LBP cascades only")
    return _deterministic_cascade_class()(str(path))


def _check_size(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (size, size)
    if not isinstance(size, tuple) or len(size) != 2:
        raise TypeError(f"{name} must be an int or a (height, width) tuple of ints, got {size!r}")
    return tuple(check_int(s, name, minimum=1) for s in size)


def detect_faces(
    image,
    cascade=None,
    *,
    scale_factor: float = 1.2,
    step_ratio: float = 1.0,
    min_size=24,
    max_size=None,
    min_neighbors: int = 4,
) -> np.ndarray:
    """Boxes ``(x1, y1, x2, y2)`` (int64, shape (N, 4)) of the faces a cascade finds.

    ``image`` is colour or grey (converted by :func:`to_uint8_grey`, so the integral
    image holds exact integers); ``cascade`` one from :func:`load_cascade`, a path, or
    ``None`` for :func:`cascade_path`. The search window grows by
    ``scale_factor`` from ``min_size`` to ``max_size`` (default: the image);
    ``min_neighbors`` overlapping hits are needed for a box. Boxes are sorted by
    (y1, x1). scikit-image may search scales on several OpenMP threads and merges
    hits in the order they arrive, so the search runs on one thread.
    """
    from threadpoolctl import threadpool_limits

    grey = to_uint8_grey(image)
    if cascade is None or isinstance(cascade, (str, Path)):
        cascade = load_cascade(cascade)
    elif not isinstance(cascade, _deterministic_cascade_class()):
        raise TypeError(
            "cascade must be a path, None (the shipped file) or a cascade from "
            f"load_cascade, got {type(cascade).__name__}"
        )
    scale_factor = check_positive_real(scale_factor, "scale_factor")
    if scale_factor <= 1:
        raise ValueError(f"scale_factor must be > 1, got {scale_factor}")
    step_ratio = check_positive_real(step_ratio, "step_ratio")
    min_size = _check_size(min_size, "min_size")
    max_size = _check_size(grey.shape if max_size is None else max_size, "max_size")
    min_neighbors = check_int(min_neighbors, "min_neighbors", minimum=1)
    window = (cascade.window_height, cascade.window_width)
    if any(hi < max(lo, w) for lo, hi, w in zip(min_size, max_size, window)):
        raise ValueError(
            f"max_size {max_size} must be at least min_size {min_size} and the cascade's window {window}"
        )
    with threadpool_limits(limits=1, user_api="openmp"):
        found = cascade.detect_multi_scale(
            grey,
            scale_factor=scale_factor,
            step_ratio=step_ratio,
            min_size=min_size,
            max_size=max_size,
            min_neighbor_number=min_neighbors,
        )
    boxes = np.array(
        [(d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"]) for d in found], dtype=np.int64
    ).reshape(-1, 4)
    return boxes[np.lexsort((boxes[:, 0], boxes[:, 1]))]


# ------------------------------------------------------------- sliding windows
def block_mean(image, factor: int) -> np.ndarray:
    """Shrink a grey image by an integer ``factor``: the mean of each factor×factor block.

    Rows and columns beyond a multiple of ``factor`` are dropped. For integer images
    the block sums are exact, so the result is the same on every CPU.
    """
    arr = np.asarray(image)
    if arr.ndim != 2 or arr.dtype.kind not in "uif":
        raise ValueError(
            f"image must be a 2-D grey array of numbers, got shape {arr.shape}, dtype {arr.dtype}"
        )
    factor = check_int(factor, "factor", minimum=1)
    h, w = arr.shape[0] // factor, arr.shape[1] // factor
    if h == 0 or w == 0:
        raise ValueError(f"factor {factor} is larger than the image ({arr.shape[0]}x{arr.shape[1]})")
    blocks = arr[: h * factor, : w * factor].reshape(h, factor, w, factor)
    if arr.dtype.kind in "ui":
        return blocks.sum(axis=(1, 3), dtype=np.int64) / factor**2
    return blocks.mean(axis=(1, 3))


def sliding_windows(image, size: int = 25, stride: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Every ``size``×``size`` window of a grey image, ``stride`` pixels apart.

    Returns ``(windows, boxes)``: windows of shape (N, size, size), in row-major order
    of their top-left corners, and their boxes ``(x1, y1, x2, y2)`` in the image.
    """
    arr = np.asarray(image)
    if arr.ndim != 2:
        raise ValueError(f"image must be a 2-D grey array, got shape {arr.shape}")
    size = check_int(size, "size", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    if size > min(arr.shape):
        raise ValueError(f"window size {size} is larger than the image ({arr.shape[0]}x{arr.shape[1]})")
    view = np.lib.stride_tricks.sliding_window_view(arr, (size, size))[::stride, ::stride]
    rows, cols = view.shape[:2]
    ys, xs = np.meshgrid(np.arange(rows) * stride, np.arange(cols) * stride, indexing="ij")
    boxes = np.stack([xs.ravel(), ys.ravel(), xs.ravel() + size, ys.ravel() + size], axis=1)
    return view.reshape(-1, size, size).copy(), boxes.astype(np.int64)


def draw_boxes(ax, boxes, *, color: str, label: str | None = None, linewidth: float = 2.0) -> None:
    """Draw ``(x1, y1, x2, y2)`` boxes on a matplotlib axes showing the image (one legend entry)."""
    from matplotlib.patches import Rectangle

    from .mean_ap import box_area

    b = np.asarray(boxes).reshape(-1, 4) if np.size(boxes) == 0 else np.asarray(boxes)
    box_area(b)  # checks the shape and x2 >= x1, y2 >= y1
    if not hasattr(ax, "add_patch"):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    for i, (x1, y1, x2, y2) in enumerate(b.tolist()):
        ax.add_patch(
            Rectangle(
                (x1, y1),
                x2 - x1,
                y2 - y1,
                fill=False,
                edgecolor=color,
                linewidth=linewidth,
                label=label if i == 0 else None,
            )
        )

"""Detection metrics: IoU, precision–recall curves, average precision (AP) and mAP.

Taught on: "Mean average precision (mAP)".

Boxes are ``(x1, y1, x2, y2)`` in continuous coordinates (x2 >= x1, y2 >= y1; the
area is ``(x2 - x1) * (y2 - y1)``, without the "+1 pixel" of the original VOC code).
Detections of one class are given per image as ``{image_id: (boxes, scores)}`` with
boxes of shape (N, 4) and scores of shape (N,); ground truth as
``{image_id: boxes}``. The ground-truth mapping lists every evaluated image (an image
without objects of the class maps to an empty (0, 4) array).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_int, check_real

#: The AP definitions :func:`average_precision` knows.
METHODS = ("voc07_11point", "all_points", "coco_101point", "sklearn_step")

#: COCO's IoU thresholds 0.50, 0.55, ..., 0.95 (each the double nearest to k/100).
COCO_IOU_THRESHOLDS = (50 + 5 * np.arange(10)) / 100

#: The rules :func:`match_detections` knows for picking a detection's ground-truth box.
MATCH_RULES = ("voc", "coco")


# ---------------------------------------------------------------------------- boxes
def _check_boxes(boxes, name: str) -> np.ndarray:
    arr = as_float_array(boxes, name)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) as (x1, y1, x2, y2) rows, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers (no NaN or inf)")
    for lo, hi, axis in ((0, 2, "x"), (1, 3, "y")):
        bad = np.flatnonzero(arr[:, hi] < arr[:, lo])
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{name} row {i} has {axis}2 < {axis}1 ({arr[i, hi]:g} < {arr[i, lo]:g}); "
                "boxes are (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1"
            )
    return arr


def _check_box(box, name: str) -> np.ndarray:
    arr = as_float_array(box, name)
    if arr.shape != (4,):
        raise ValueError(f"{name} must have shape (4,) as (x1, y1, x2, y2), got shape {arr.shape}")
    return _check_boxes(arr[None, :], name)[0]


def box_area(boxes) -> np.ndarray:
    """Areas ``(x2 - x1) * (y2 - y1)`` of an (N, 4) array of boxes."""
    b = _check_boxes(boxes, "boxes")
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _iou_checked(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    union = area_a[:, None] + area_b[None, :] - inter
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def iou(box_a, box_b) -> float:
    """Intersection over union of two boxes ``(x1, y1, x2, y2)``.

    Two boxes whose union has zero area (both degenerate) have IoU 0.
    """
    a = _check_box(box_a, "box_a")
    b = _check_box(box_b, "box_b")
    return float(_iou_checked(a[None], b[None])[0, 0])


def iou_matrix(boxes_a, boxes_b) -> np.ndarray:
    """IoU of every box of ``boxes_a`` (N, 4) with every box of ``boxes_b`` (M, 4): an (N, M) array."""
    return _iou_checked(_check_boxes(boxes_a, "boxes_a"), _check_boxes(boxes_b, "boxes_b"))


# ------------------------------------------------------------------ ranked lists
class PRCurve(NamedTuple):
    """Precision and recall after each distinct score threshold, highest threshold first."""

    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray


def _check_binary(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold booleans or 0/1 numbers, got dtype {arr.dtype}")
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must hold only 0/1 (or booleans), got values {np.unique(arr)[:5].tolist()}")
    return arr.astype(bool)


def precision_recall_curve(scores, is_positive, n_positives: int | None = None) -> PRCurve:
    """Precision and recall of the list ranked by decreasing score.

    ``is_positive[i]`` says whether item ``i`` is relevant (a true-positive detection).
    ``n_positives`` is the number of relevant items that exist, which can exceed the
    number in the list (objects never detected); ``None`` means those in the list.
    Items with tied scores pass a threshold together, so they give one point: the
    result does not depend on how ties are ordered. Recall rises along the returned arrays.
    """
    s = as_float_array(scores, "scores")
    pos = _check_binary(is_positive, "is_positive")
    if s.ndim != 1 or pos.ndim != 1:
        raise ValueError(f"scores and is_positive must be 1-D, got shapes {s.shape} and {pos.shape}")
    if s.shape != pos.shape:
        raise ValueError(f"scores and is_positive must have the same length, got {s.size} and {pos.size}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite (no NaN or inf)")
    found = int(pos.sum())
    n = found if n_positives is None else check_int(n_positives, "n_positives")
    if n < 1:
        raise ValueError(f"n_positives must be >= 1 (AP is undefined without positives), got {n}")
    if n < found:
        raise ValueError(f"n_positives ({n}) is smaller than the number of positives in the list ({found})")
    order = np.argsort(-s, kind="stable")
    s, pos = s[order], pos[order]
    tp = np.cumsum(pos)
    last_of_tie = np.r_[s[1:] != s[:-1], True] if s.size else np.zeros(0, bool)
    tp = tp[last_of_tie].astype(np.float64)
    ranks = np.flatnonzero(last_of_tie) + 1.0
    return PRCurve(precision=tp / ranks, recall=tp / n, thresholds=s[last_of_tie])


def _check_pr(precision, recall) -> tuple[np.ndarray, np.ndarray]:
    p = as_float_array(precision, "precision")
    r = as_float_array(recall, "recall")
    if p.ndim != 1 or p.shape != r.shape:
        raise ValueError(
            f"precision and recall must be 1-D of the same length, got shapes {p.shape} and {r.shape}"
        )
    for arr, name in ((p, "precision"), (r, "recall")):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
            raise ValueError(f"{name} must lie in [0, 1]")
    if np.any(np.diff(r) < 0):
        raise ValueError("recall must be non-decreasing (points ordered by decreasing score threshold)")
    return p, r


def interpolated_precision(precision, recall) -> np.ndarray:
    """The PR curve's envelope: at each point, the best precision at this recall or higher."""
    p, _ = _check_pr(precision, recall)
    return np.maximum.accumulate(p[::-1])[::-1]


def average_precision(precision, recall, method: str = "all_points") -> float:
    """Average precision of a PR curve from :func:`precision_recall_curve`.

    ``method``:

    - ``"voc07_11point"``: mean of the interpolated precision at recall 0, 0.1, ..., 1
      (PASCAL VOC 2007);
    - ``"all_points"``: area under the interpolated (envelope) curve, VOC 2010 on;
    - ``"coco_101point"``: mean of the interpolated precision at recall 0, 0.01, ..., 1,
      taken at the first point reaching each recall (COCO);
    - ``"sklearn_step"``: sum of (recall step) x (precision), no interpolation, as
      ``sklearn.metrics.average_precision_score`` (the IR definition).

    An empty curve (nothing detected) has AP 0.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    p, r = _check_pr(precision, recall)
    if p.size == 0:
        return 0.0
    if method == "sklearn_step":
        return float(np.sum(np.diff(r, prepend=0.0) * p))
    envelope = np.maximum.accumulate(p[::-1])[::-1]
    if method == "all_points":
        mrec = np.r_[0.0, r]
        steps = np.diff(mrec)
        return float(np.sum(steps * envelope))
    n_thresholds = 11 if method == "voc07_11point" else 101
    thresholds = np.arange(n_thresholds) / (n_thresholds - 1)
    first = np.searchsorted(r, thresholds, side="left")
    padded = np.r_[envelope, 0.0]  # a recall never reached scores 0
    return float(np.mean(padded[first]))


def average_precision_ranking(y_true, scores, method: str = "sklearn_step"):
    """AP of rankings for retrieval or multi-label classification.

    1-D ``y_true`` (0/1 relevance) and ``scores``: the AP of that one ranking, a float.
    2-D (n_items, n_columns): one AP per column (a label over samples, or a query over
    documents), an array; its mean is the macro mAP. Every column needs a positive.
    """
    y = _check_binary(y_true, "y_true")
    s = as_float_array(scores, "scores")
    if y.shape != s.shape:
        raise ValueError(f"y_true and scores must have the same shape, got {y.shape} and {s.shape}")
    if y.ndim not in (1, 2):
        raise ValueError(f"y_true must be 1-D (one ranking) or 2-D (one ranking per column), got {y.ndim}-D")
    columns = y[:, None] if y.ndim == 1 else y
    score_cols = s[:, None] if s.ndim == 1 else s
    aps = []
    for c in range(columns.shape[1]):
        if not columns[:, c].any():
            raise ValueError(f"column {c} of y_true has no positive item: its AP is undefined")
        curve = precision_recall_curve(score_cols[:, c], columns[:, c])
        aps.append(average_precision(curve.precision, curve.recall, method))
    return aps[0] if y.ndim == 1 else np.array(aps)


# ------------------------------------------------------------------- detections
@dataclass(frozen=True)
class Matches:
    """Detections of one class ranked by score, each marked true or false positive."""

    scores: np.ndarray
    is_true_positive: np.ndarray
    image_ids: list
    matched_gt: np.ndarray  # index of the ground-truth box in its image, -1 for a false positive
    n_ground_truth: int


def _check_threshold(t) -> float:
    return check_real(t, "iou_threshold", above=0, maximum=1)


def _check_thresholds(iou_threshold) -> np.ndarray:
    if isinstance(iou_threshold, (Sequence, np.ndarray)) and not isinstance(iou_threshold, str):
        values = [_check_threshold(t) for t in np.asarray(iou_threshold, dtype=object).ravel()]
        if not values:
            raise ValueError("iou_threshold must name at least one threshold")
        return np.array(values)
    return np.array([_check_threshold(iou_threshold)])


def _check_class_inputs(detections, ground_truth, where: str):
    if not isinstance(ground_truth, Mapping):
        raise TypeError(
            f"ground_truth{where} must be a mapping image_id -> boxes, got {type(ground_truth).__name__}"
        )
    if not isinstance(detections, Mapping):
        raise TypeError(
            f"detections{where} must be a mapping image_id -> (boxes, scores), "
            f"got {type(detections).__name__}"
        )
    gt = {img: _check_boxes(b, f"ground_truth{where}[{img!r}]") for img, b in ground_truth.items()}
    det = {}
    for img, value in detections.items():
        if img not in gt:
            raise KeyError(f"detections{where} name image {img!r}, which ground_truth does not list")
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError(f"detections{where}[{img!r}] must be a pair (boxes, scores)")
        boxes = _check_boxes(value[0], f"detections{where}[{img!r}] boxes")
        scores = as_float_array(value[1], f"detections{where}[{img!r}] scores")
        if scores.shape != (boxes.shape[0],):
            raise ValueError(
                f"detections{where}[{img!r}] has {boxes.shape[0]} boxes but scores of shape {scores.shape}"
            )
        if not np.all(np.isfinite(scores)):
            raise ValueError(f"detections{where}[{img!r}] scores must be finite")
        det[img] = (boxes, scores)
    return det, gt


def _greedy(ious: np.ndarray, threshold: float, rule: str) -> np.ndarray:
    """Ground-truth index matched by each detection (rows in score order), -1 if none."""
    matched = np.full(ious.shape[0], -1)
    if ious.shape[1] == 0:
        return matched
    taken = np.zeros(ious.shape[1], bool)
    for d in range(ious.shape[0]):
        row = ious[d]
        if rule == "coco":
            row = np.where(taken, -1.0, row)
        j = int(np.argmax(row))
        if row[j] >= threshold and not taken[j]:
            taken[j] = True
            matched[d] = j
    return matched


def _match_all(det, gt, thresholds: np.ndarray, rule: str) -> list[Matches]:
    n_gt = int(sum(b.shape[0] for b in gt.values()))
    per_threshold = [([], [], [], []) for _ in thresholds]
    for img, (boxes, scores) in det.items():
        order = np.argsort(-scores, kind="stable")
        ious = _iou_checked(boxes[order], gt[img])
        for k, t in enumerate(thresholds):
            m = _greedy(ious, t, rule)
            s_list, tp_list, img_list, m_list = per_threshold[k]
            s_list.append(scores[order])
            tp_list.append(m >= 0)
            img_list.extend([img] * len(order))
            m_list.append(m)
    out = []
    for s_list, tp_list, img_list, m_list in per_threshold:
        s = np.concatenate(s_list) if s_list else np.zeros(0)
        order = np.argsort(-s, kind="stable")
        tp = np.concatenate(tp_list)[order] if tp_list else np.zeros(0, bool)
        m = np.concatenate(m_list)[order] if m_list else np.zeros(0, int)
        out.append(Matches(s[order], tp, [img_list[i] for i in order], m, n_gt))
    return out


def match_detections(detections, ground_truth, iou_threshold: float = 0.5, *, rule: str = "voc") -> Matches:
    """Mark each detection of one class as a true or false positive.

    Detections are taken in order of decreasing score. With ``rule="voc"`` a detection
    looks at the ground-truth box of its image it overlaps most; it is a true positive
    if that IoU is >= ``iou_threshold`` and the box is not taken yet, otherwise a false
    positive (so a duplicate of a found object is a false positive). ``rule="coco"``
    picks the best-overlapping box among those not taken yet. Every ground-truth box is
    matched at most once.
    """
    if rule not in MATCH_RULES:
        raise ValueError(f"rule must be one of {MATCH_RULES}, got {rule!r}")
    t = _check_threshold(iou_threshold)
    det, gt = _check_class_inputs(detections, ground_truth, "")
    return _match_all(det, gt, np.array([t]), rule)[0]


def average_precision_of(matches: Matches, method: str = "all_points") -> float:
    """AP of the ranked, matched detections of one class (see :func:`average_precision`)."""
    if not isinstance(matches, Matches):
        raise TypeError(f"matches must be a Matches from match_detections, got {type(matches).__name__}")
    if matches.n_ground_truth == 0:
        raise ValueError("AP is undefined for a class without ground-truth boxes")
    curve = precision_recall_curve(matches.scores, matches.is_true_positive, matches.n_ground_truth)
    return average_precision(curve.precision, curve.recall, method)


@dataclass(frozen=True)
class MeanAP:
    """mAP and its parts: ``ap[c, t]`` is the AP of class ``classes[c]`` at ``thresholds[t]``."""

    mean: float
    classes: list
    thresholds: np.ndarray
    ap: np.ndarray

    @property
    def per_class(self) -> dict:
        """AP of each class averaged over the IoU thresholds (NaN: no ground truth)."""
        return {c: float(v) for c, v in zip(self.classes, self.ap.mean(axis=1))}


def mean_average_precision(
    detections_by_class,
    ground_truth_by_class,
    iou_threshold=0.5,
    method: str = "all_points",
    *,
    rule: str = "voc",
) -> MeanAP:
    """mAP: AP averaged over classes, and over IoU thresholds when several are given.

    ``ground_truth_by_class`` maps class -> {image_id: boxes} and names the classes;
    ``detections_by_class`` maps class -> {image_id: (boxes, scores)} (a class without
    detections has AP 0). ``iou_threshold`` is one threshold (0.5 for VOC) or a sequence
    (:data:`COCO_IOU_THRESHOLDS` for COCO's mAP@[.5:.95]). A class without any
    ground-truth box gets NaN and is left out of the mean, as COCO does.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if rule not in MATCH_RULES:
        raise ValueError(f"rule must be one of {MATCH_RULES}, got {rule!r}")
    thresholds = _check_thresholds(iou_threshold)
    for name, value in (
        ("detections_by_class", detections_by_class),
        ("ground_truth_by_class", ground_truth_by_class),
    ):
        if not isinstance(value, Mapping):
            raise TypeError(
                f"{name} must be a mapping class -> per-image mapping, got {type(value).__name__}"
            )
    if not ground_truth_by_class:
        raise ValueError("ground_truth_by_class must name at least one class")
    unknown = [c for c in detections_by_class if c not in ground_truth_by_class]
    if unknown:
        raise KeyError(
            f"detections_by_class has classes {unknown!r} that ground_truth_by_class does not name"
        )
    classes = list(ground_truth_by_class)
    ap = np.full((len(classes), thresholds.size), np.nan)
    for c, cls in enumerate(classes):
        det, gt = _check_class_inputs(
            detections_by_class.get(cls, {}), ground_truth_by_class[cls], f"[{cls!r}]"
        )
        if sum(b.shape[0] for b in gt.values()) == 0:
            continue
        for k, matches in enumerate(_match_all(det, gt, thresholds, rule)):
            ap[c, k] = average_precision_of(matches, method)
    if np.all(np.isnan(ap)):
        raise ValueError("no class has a ground-truth box: mAP is undefined")
    return MeanAP(float(np.nanmean(ap)), classes, thresholds, ap)


# ------------------------------------------------------------- synthetic scenes
def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int(seed, "seed", minimum=0))


def _random_boxes(rng: np.random.Generator, n: int, image_size, size_range) -> np.ndarray:
    width, height = image_size
    lo, hi = size_range
    w = rng.uniform(lo, hi, n) * width
    h = rng.uniform(lo, hi, n) * height
    x1 = rng.uniform(0, 1, n) * (width - w)
    y1 = rng.uniform(0, 1, n) * (height - h)
    return np.stack([x1, y1, x1 + w, y1 + h], axis=1)


def _check_size(image_size) -> tuple[float, float]:
    if not isinstance(image_size, (tuple, list)) or len(image_size) != 2:
        raise TypeError(f"image_size must be a pair (width, height), got {image_size!r}")
    w, h = (float(v) for v in as_float_array(list(image_size), "image_size"))
    if not (w > 0 and h > 0):
        raise ValueError(f"image_size must be positive, got {image_size!r}")
    return w, h


def synthetic_ground_truth(
    seed, n_images: int, classes, *, image_size=(320, 240), max_objects: int = 3, size_range=(0.15, 0.45)
) -> dict:
    """Random ground-truth boxes: class -> {image index: (k, 4) boxes}, 0..max_objects per class and image.

    Box sides are a uniform fraction ``size_range`` of the image's width and height.
    """
    rng = _rng(seed)
    n_images = check_int(n_images, "n_images", minimum=1)
    max_objects = check_int(max_objects, "max_objects", minimum=1)
    size = _check_size(image_size)
    lo, hi = (float(v) for v in as_float_array(list(size_range), "size_range"))
    if not 0 < lo <= hi <= 1:
        raise ValueError(f"size_range must satisfy 0 < low <= high <= 1, got {size_range!r}")
    if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
        raise TypeError("classes must be a non-empty sequence of class names")
    return {
        cls: {
            i: _random_boxes(rng, int(rng.integers(0, max_objects + 1)), size, (lo, hi))
            for i in range(n_images)
        }
        for cls in classes
    }


def synthetic_detections(
    ground_truth_by_class,
    seed,
    *,
    noise: float = 0.1,
    miss_rate: float = 0.1,
    false_positives: float = 1.0,
    duplicate_rate: float = 0.0,
    image_size=(320, 240),
    size_range=(0.15, 0.45),
) -> dict:
    """Fake detector output made from the ground truth: class -> {image: (boxes, scores)}.

    Each object is missed with probability ``miss_rate``; otherwise it is detected with
    each coordinate moved by Gaussian noise of standard deviation ``noise`` times the
    box's width (x) or height (y), with a score drawn from Beta(5, 2). With probability
    ``duplicate_rate`` a second, re-jittered detection of the same object follows with a
    lower score. Each image also gets Poisson(``false_positives``) random boxes per class
    with scores from Beta(2, 5). The random draws do not depend on ``noise``, so a sweep
    over ``noise`` with one seed changes only the localisation.
    """
    rng = _rng(seed)
    size = _check_size(image_size)
    noise = check_real(noise, "noise", minimum=0)
    false_positives = check_real(false_positives, "false_positives", minimum=0)
    miss_rate = check_real(miss_rate, "miss_rate (a probability)", minimum=0, maximum=1)
    duplicate_rate = check_real(duplicate_rate, "duplicate_rate (a probability)", minimum=0, maximum=1)
    if not isinstance(ground_truth_by_class, Mapping):
        raise TypeError("ground_truth_by_class must be a mapping class -> {image: boxes}")
    width, height = size
    out = {}
    for cls, per_image in ground_truth_by_class.items():
        out[cls] = {}
        for img, boxes in per_image.items():
            gt = _check_boxes(boxes, f"ground_truth_by_class[{cls!r}][{img!r}]")
            k = gt.shape[0]
            kept = rng.uniform(size=k) >= miss_rate
            scores = rng.beta(5, 2, size=k)
            z = rng.standard_normal((k, 4))
            dup = rng.uniform(size=k) < duplicate_rate
            dup_factor = rng.uniform(0.5, 1.0, size=k)
            z_dup = rng.standard_normal((k, 4))
            scale = np.stack([gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]] * 2, axis=1)  # (w, h, w, h)

            def jitter(noise_z):
                moved = gt + noise * scale * noise_z
                x = np.sort(moved[:, [0, 2]], axis=1).clip(0, width)
                y = np.sort(moved[:, [1, 3]], axis=1).clip(0, height)
                return np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1)

            det_boxes = [jitter(z)[kept], jitter(z_dup)[kept & dup]]
            det_scores = [scores[kept], (scores * dup_factor)[kept & dup]]
            n_fp = int(rng.poisson(false_positives))
            det_boxes.append(_random_boxes(rng, n_fp, size, size_range))
            det_scores.append(rng.beta(2, 5, size=n_fp))
            out[cls][img] = (np.concatenate(det_boxes), np.concatenate(det_scores))
    return out

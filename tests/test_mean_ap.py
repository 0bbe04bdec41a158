"""Tests of utils.mean_ap against closed forms, scikit-learn and hand-computed VOC/COCO cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score
from sklearn.metrics import precision_recall_curve as sk_pr_curve

from utils import mean_ap as det


# ---------------------------------------------------------------- IoU
def _raster_iou(a, b, size=24):
    """IoU by counting unit cells of a grid (integer boxes): an independent reference."""
    grid_a = np.zeros((size, size), bool)
    grid_b = np.zeros((size, size), bool)
    grid_a[a[1] : a[3], a[0] : a[2]] = True
    grid_b[b[1] : b[3], b[0] : b[2]] = True
    union = (grid_a | grid_b).sum()
    return (grid_a & grid_b).sum() / union if union else 0.0


def test_iou_closed_forms():
    assert det.iou([0, 0, 2, 2], [0, 0, 2, 2]) == 1.0
    assert det.iou([0, 0, 1, 1], [2, 2, 3, 3]) == 0.0
    assert det.iou([0, 0, 1, 1], [1, 0, 2, 1]) == 0.0  # touching edges do not overlap
    for d in (0.0, 0.1, 1 / 3, 0.5, 0.9):  # unit squares shifted by d: (1 - d) / (1 + d)
        assert det.iou([0, 0, 1, 1], [d, 0, 1 + d, 1]) == pytest.approx((1 - d) / (1 + d))
    assert det.iou([0, 0, 4, 4], [1, 1, 3, 3]) == pytest.approx(4 / 16)  # nested: area ratio
    assert det.iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0  # zero union


def test_iou_matrix_matches_raster_counts_and_scalar_iou():
    rng = np.random.default_rng(0)

    def boxes(n):
        xy = rng.integers(0, 24, (n, 4))
        return np.stack(
            [
                np.minimum(xy[:, 0], xy[:, 2]),
                np.minimum(xy[:, 1], xy[:, 3]),
                np.maximum(xy[:, 0], xy[:, 2]),
                np.maximum(xy[:, 1], xy[:, 3]),
            ],
            axis=1,
        )

    a, b = boxes(7), boxes(5)
    m = det.iou_matrix(a, b)
    assert m.shape == (7, 5)
    expected = np.array([[_raster_iou(x, y) for y in b] for x in a])
    np.testing.assert_allclose(m, expected, atol=1e-12)
    np.testing.assert_allclose(m, det.iou_matrix(b, a).T, atol=0)
    assert m[2, 3] == det.iou(a[2], b[3])
    assert det.iou_matrix(np.zeros((0, 4)), b).shape == (0, 5)


def test_iou_bad_input():
    with pytest.raises(ValueError, match=r"x2 < x1"):
        det.iou([2, 0, 1, 1], [0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"y2 < y1"):
        det.iou_matrix([[0, 0, 1, 1]], [[0, 3, 1, 1]])
    with pytest.raises(ValueError, match=r"box_a must have shape \(4,\)"):
        det.iou([0, 0, 1], [0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"boxes_b must have shape \(N, 4\).*\(2, 3\)"):
        det.iou_matrix(np.zeros((1, 4)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        det.iou([0, 0, np.nan, 1], [0, 0, 1, 1])
    with pytest.raises(TypeError, match="box_a must be a real number"):
        det.iou("0 0 1 1", [0, 0, 1, 1])
    with pytest.raises(ValueError, match="x2 < x1"):
        det.box_area([[3, 0, 1, 1]])


# ---------------------------------------------------------------- PR curve and AP
HAND_RANKING = ([0.9, 0.8, 0.7, 0.6, 0.5], [1, 0, 1, 1, 0])


def test_pr_curve_matches_sklearn_with_ties():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 60)
    y[0] = 1
    s = np.round(rng.random(60), 1)  # many ties
    ours = det.precision_recall_curve(s, y)
    p, r, t = sk_pr_curve(y, s)
    # sklearn: increasing threshold, a final (precision 1, recall 0) point, and it stops at full recall.
    k = ours.precision.size
    n_sk = t.size
    np.testing.assert_allclose(ours.precision[:n_sk], p[:-1][::-1])
    np.testing.assert_allclose(ours.recall[:n_sk], r[:-1][::-1])
    np.testing.assert_allclose(ours.thresholds[:n_sk], t[::-1])
    assert np.all(ours.recall[n_sk:] == 1.0) and k >= n_sk


def test_pr_curve_hand_and_missing_positives():
    c = det.precision_recall_curve(*HAND_RANKING, n_positives=4)
    np.testing.assert_allclose(c.precision, [1, 1 / 2, 2 / 3, 3 / 4, 3 / 5])
    np.testing.assert_allclose(c.recall, [1 / 4, 1 / 4, 2 / 4, 3 / 4, 3 / 4])
    # order of tied items does not matter
    a = det.precision_recall_curve([1, 1, 0.5], [1, 0, 1])
    b = det.precision_recall_curve([1, 1, 0.5], [0, 1, 1])
    np.testing.assert_array_equal(a.precision, b.precision)
    np.testing.assert_allclose(a.precision, [1 / 2, 2 / 3])


def test_pr_curve_bad_input():
    with pytest.raises(ValueError, match="same length"):
        det.precision_recall_curve([0.1, 0.2], [1])
    with pytest.raises(ValueError, match="smaller than the number of positives"):
        det.precision_recall_curve([0.1, 0.2], [1, 1], 1)
    with pytest.raises(ValueError, match="n_positives must be >= 1"):
        det.precision_recall_curve([0.1, 0.2], [0, 0])
    with pytest.raises(ValueError, match="only 0/1"):
        det.precision_recall_curve([0.1, 0.2], [2, 0])
    with pytest.raises(ValueError, match="finite"):
        det.precision_recall_curve([np.inf, 0.2], [1, 0])
    with pytest.raises(TypeError, match="n_positives must be an int"):
        det.precision_recall_curve([0.1], [1], 1.0)


def test_average_precision_hand_computed_voc_and_coco():
    c = det.precision_recall_curve(*HAND_RANKING)  # 3 positives, all retrieved
    ap = {m: det.average_precision(c.precision, c.recall, m) for m in det.METHODS}
    assert ap["sklearn_step"] == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)
    assert ap["all_points"] == pytest.approx((1 + 3 / 4 + 3 / 4) / 3)
    assert ap["voc07_11point"] == pytest.approx((4 * 1 + 7 * 0.75) / 11)  # recall 0..0.3 -> 1
    assert ap["coco_101point"] == pytest.approx((34 * 1 + 67 * 0.75) / 101)  # recall 0..0.33 -> 1
    c4 = det.precision_recall_curve(*HAND_RANKING, n_positives=4)  # one object never found
    assert det.average_precision(c4.precision, c4.recall, "all_points") == pytest.approx(
        (1 + 0.75 + 0.75) / 4
    )
    assert det.average_precision(c4.precision, c4.recall, "voc07_11point") == pytest.approx(
        (3 + 5 * 0.75) / 11
    )
    assert det.average_precision([], [], "all_points") == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_sklearn_step_equals_sklearn_and_all_points_is_its_envelope(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 80)
    y[:2] = [0, 1]
    s = rng.random(80) if seed % 2 else np.round(rng.random(80), 1)
    c = det.precision_recall_curve(s, y)
    step = det.average_precision(c.precision, c.recall, "sklearn_step")
    assert step == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert det.average_precision_ranking(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12)
    # all_points integrates the envelope instead of the raw precision: never smaller,
    # larger by exactly sum(recall step * (envelope - precision)).
    allp = det.average_precision(c.precision, c.recall, "all_points")
    env = det.interpolated_precision(c.precision, c.recall)
    gap = np.sum(np.diff(c.recall, prepend=0) * (env - c.precision))
    assert allp >= step
    assert allp - step == pytest.approx(gap, abs=1e-12)
    assert gap > 0


def test_all_points_equals_step_when_precision_never_rises():
    c = det.precision_recall_curve([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 0], 3)
    assert det.average_precision(c.precision, c.recall, "all_points") == pytest.approx(
        det.average_precision(c.precision, c.recall, "sklearn_step")
    )


def test_ap_depends_only_on_order():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 50)
    y[0] = 1
    s = rng.random(50)
    for m in det.METHODS:
        a = det.precision_recall_curve(s, y)
        b = det.precision_recall_curve(np.exp(5 * s) - 3, y)
        assert det.average_precision(*a[:2], m) == det.average_precision(*b[:2], m)


def test_average_precision_bad_input():
    with pytest.raises(ValueError, match="method must be one of"):
        det.average_precision([1.0], [1.0], "voc")
    with pytest.raises(ValueError, match="non-decreasing"):
        det.average_precision([1.0, 1.0], [0.5, 0.2])
    with pytest.raises(ValueError, match=r"precision must lie in \[0, 1\]"):
        det.average_precision([1.5], [1.0])
    with pytest.raises(ValueError, match="same length"):
        det.average_precision([1.0, 0.5], [1.0])


# ---------------------------------------------------------------- ranking (multi-label, retrieval)
def test_average_precision_ranking_multilabel_matches_sklearn_and_ir_formula():
    rng = np.random.default_rng(4)
    y = (rng.random((100, 4)) < 0.3).astype(int)
    s = rng.random((100, 4)) + 0.5 * y
    ours = det.average_precision_ranking(y, s)
    np.testing.assert_allclose(ours, average_precision_score(y, s, average=None), atol=1e-12)
    assert ours.mean() == pytest.approx(average_precision_score(y, s, average="macro"))
    # IR definition: mean over relevant items of precision at their rank.
    col = np.argsort(-s[:, 0])
    rel = y[col, 0]
    prec_at = np.cumsum(rel) / np.arange(1, 101)
    assert ours[0] == pytest.approx(prec_at[rel == 1].mean())


def test_average_precision_ranking_bad_input():
    with pytest.raises(ValueError, match="column 1 of y_true has no positive"):
        det.average_precision_ranking([[1, 0], [0, 0]], [[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(ValueError, match="same shape"):
        det.average_precision_ranking([1, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="1-D .* or 2-D"):
        det.average_precision_ranking(np.ones((2, 2, 2)), np.ones((2, 2, 2)))


# ---------------------------------------------------------------- matching and mAP
def _hand_image():
    gt = {"a": np.array([[0, 0, 10, 10], [20, 0, 30, 10]], float)}
    boxes = np.array(
        [
            [0, 0, 10, 10],  # gt0, IoU 1     score .9 -> TP
            [1, 0, 11, 10],  # gt0 again      score .8 -> duplicate, FP
            [21, 0, 31, 10],  # gt1, IoU 9/11  score .7 -> TP
            [50, 50, 60, 60],  # nothing        score .6 -> FP
        ],
        float,
    )
    return {"a": (boxes, np.array([0.9, 0.8, 0.7, 0.6]))}, gt


def test_match_detections_hand_case_duplicates_are_false_positives():
    d, gt = _hand_image()
    m = det.match_detections(d, gt, 0.5)
    np.testing.assert_array_equal(m.is_true_positive, [True, False, True, False])
    np.testing.assert_array_equal(m.matched_gt, [0, -1, 1, -1])
    assert m.n_ground_truth == 2 and m.image_ids == ["a"] * 4
    # precision 1, 1/2, 2/3, 1/2 at recall 1/2, 1/2, 1, 1 -> all-points AP = (1 + 2/3) / 2
    assert det.average_precision_of(m) == pytest.approx((1 + 2 / 3) / 2)
    # a stricter threshold loses the shifted box: IoU 9/11 < 0.85
    assert det.match_detections(d, gt, 0.85).is_true_positive.tolist() == [True, False, False, False]


def test_match_rules_voc_and_coco_differ_on_a_taken_best_box():
    gt = {"x": np.array([[0, 0, 10, 10], [2, 0, 12, 10]], float)}
    # detection 2 overlaps gt0 best (IoU 9.5/10.5), which detection 1 took; its IoU with gt1 is 8.5/11.5.
    boxes = np.array([[0, 0, 10, 10], [0.5, 0, 10.5, 10]], float)
    d = {"x": (boxes, np.array([0.9, 0.8]))}
    assert det.match_detections(d, gt, 0.5, rule="voc").is_true_positive.tolist() == [True, False]
    coco = det.match_detections(d, gt, 0.5, rule="coco")
    assert coco.is_true_positive.tolist() == [True, True] and coco.matched_gt.tolist() == [0, 1]


def test_match_detections_ranks_across_images():
    gt = {1: np.array([[0, 0, 1, 1]], float), 2: np.array([[0, 0, 1, 1]], float), 3: np.zeros((0, 4))}
    d = {
        1: (np.array([[0, 0, 1, 1]], float), [0.2]),
        2: (np.array([[5, 5, 6, 6]], float), [0.9]),
        3: (np.array([[0, 0, 1, 1]], float), [0.5]),
    }
    m = det.match_detections(d, gt)
    assert m.image_ids == [2, 3, 1] and m.is_true_positive.tolist() == [False, False, True]
    assert m.scores.tolist() == [0.9, 0.5, 0.2]


def test_match_detections_bad_input():
    d, gt = _hand_image()
    with pytest.raises(KeyError, match="image 'b'"):
        det.match_detections({"b": d["a"]}, gt)
    with pytest.raises(ValueError, match=r"iou_threshold must be a finite number in \(0, 1\], got 1.5"):
        det.match_detections(d, gt, 1.5)
    with pytest.raises(ValueError, match=r"iou_threshold must be a finite number in \(0, 1\], got 0.0"):
        det.match_detections(d, gt, 0)
    with pytest.raises(ValueError, match="rule must be one of"):
        det.match_detections(d, gt, rule="yolo")
    with pytest.raises(ValueError, match="has 4 boxes but scores of shape"):
        det.match_detections({"a": (d["a"][0], [0.1])}, gt)
    with pytest.raises(TypeError, match="pair"):
        det.match_detections({"a": d["a"][0]}, gt)
    with pytest.raises(TypeError, match="mapping"):
        det.match_detections(d, [gt["a"]])


def test_mean_average_precision_hand_cases():
    gt = {
        "cat": {0: np.array([[0, 0, 10, 10]], float)},
        "dog": {0: np.array([[20, 20, 30, 30]], float)},
        "cow": {0: np.zeros((0, 4))},
    }
    d = {
        "cat": {0: (np.array([[0, 0, 10, 10]], float), [0.9])},
        "dog": {0: (np.array([[40, 40, 50, 50], [20, 20, 30, 30]], float), [0.9, 0.5])},
    }
    r = det.mean_average_precision(d, gt, 0.5)
    # cat AP 1; dog: FP then TP -> precision 1/2 at recall 1 -> AP 1/2; cow has no GT -> NaN, left out.
    assert r.per_class["cat"] == 1.0 and r.per_class["dog"] == pytest.approx(0.5)
    assert np.isnan(r.per_class["cow"]) and r.mean == pytest.approx(0.75)
    # a box of IoU 0.7 counts at thresholds 0.50..0.70 (5 of COCO's 10)
    shifted = {"cat": {0: (np.array([[0, 0, 10, 10 * 0.7]], float), [0.9])}}
    one = {"cat": gt["cat"]}
    rc = det.mean_average_precision(shifted, one, det.COCO_IOU_THRESHOLDS, "coco_101point")
    assert rc.ap[0].tolist() == [1.0] * 5 + [0.0] * 5 and rc.mean == pytest.approx(0.5)
    # a class without detections has AP 0
    assert det.mean_average_precision({}, one).mean == 0.0


def test_mean_average_precision_bad_input():
    gt = {"cat": {0: np.array([[0, 0, 10, 10]], float)}}
    with pytest.raises(KeyError, match="'dog'"):
        det.mean_average_precision({"dog": {}}, gt)
    with pytest.raises(ValueError, match="at least one threshold"):
        det.mean_average_precision({}, gt, [])
    with pytest.raises(ValueError, match="method must be one of"):
        det.mean_average_precision({}, gt, method="area")
    with pytest.raises(ValueError, match="no class has a ground-truth box"):
        det.mean_average_precision({}, {"cat": {0: np.zeros((0, 4))}})
    with pytest.raises(TypeError, match="iou_threshold must be a real number"):
        det.mean_average_precision({}, gt, "0.5")


# ---------------------------------------------------------------- synthetic scenes
def test_synthetic_scene_is_seeded_and_perfect_without_noise():
    gt = det.synthetic_ground_truth(0, 10, ["a", "b"])
    gt2 = det.synthetic_ground_truth(0, 10, ["a", "b"])
    for c in gt:
        for i in gt[c]:
            np.testing.assert_array_equal(gt[c][i], gt2[c][i])
            assert np.all(gt[c][i][:, 2] <= 320) and np.all(gt[c][i][:, 3] <= 240)
    perfect = det.synthetic_detections(gt, 1, noise=0, miss_rate=0, false_positives=0)
    for c in gt:
        for i in gt[c]:
            np.testing.assert_allclose(perfect[c][i][0], gt[c][i])
    for m in det.METHODS:
        assert det.mean_average_precision(perfect, gt, det.COCO_IOU_THRESHOLDS, m).mean == pytest.approx(1.0)


def test_synthetic_detections_noise_changes_only_boxes_and_duplicates_are_fps():
    gt = det.synthetic_ground_truth(2, 15, ["a"])
    n_gt = sum(b.shape[0] for b in gt["a"].values())
    a = det.synthetic_detections(gt, 3, noise=0.0)
    b = det.synthetic_detections(gt, 3, noise=0.2)
    for i in gt["a"]:
        np.testing.assert_array_equal(a["a"][i][1], b["a"][i][1])
    dup = det.synthetic_detections(gt, 3, noise=0.0, miss_rate=0, false_positives=0, duplicate_rate=1.0)
    m = det.match_detections(dup["a"], gt["a"])
    assert m.is_true_positive.sum() == n_gt and (~m.is_true_positive).sum() == n_gt


def test_synthetic_bad_input():
    in_01 = r"must be a finite number in \[0, 1\]"
    with pytest.raises(ValueError, match=rf"miss_rate \(a probability\) {in_01}, got 2.0"):
        det.synthetic_detections({}, 0, miss_rate=2)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0, got -1.0"):
        det.synthetic_detections({}, 0, noise=-1)
    with pytest.raises(ValueError, match="false_positives must be a finite number >= 0, got inf"):
        det.synthetic_detections({}, 0, false_positives=float("inf"))
    with pytest.raises(TypeError, match=r"duplicate_rate \(a probability\) must be a real number, got str"):
        det.synthetic_detections({}, 0, duplicate_rate="0.1")
    with pytest.raises(ValueError, match="n_images must be >= 1"):
        det.synthetic_ground_truth(0, 0, ["a"])
    with pytest.raises(TypeError, match="classes must be a non-empty sequence"):
        det.synthetic_ground_truth(0, 3, "abc")
    with pytest.raises(ValueError, match="size_range"):
        det.synthetic_ground_truth(0, 3, ["a"], size_range=(0.5, 0.2))

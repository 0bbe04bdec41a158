"""Tests of utils.faces: the LFW subset, HOG features, the classifiers, the cascade."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from skimage import data as skdata

from utils import faces


@pytest.fixture(scope="module")
def subset():
    return faces.load_lfw_subset()


@pytest.fixture
def one_thread():
    """One torch thread, as on the pages (several threads crawl on a busy 2-core machine)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def cascade():
    return faces.load_cascade()


# ------------------------------------------------------------------------- data
def test_lfw_subset_shapes_labels_and_range(subset):
    images, labels = subset
    assert images.shape == (200, 25, 25) and images.dtype == np.float64
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert labels.dtype == np.int64
    assert (labels[:100] == faces.FACE).all() and (labels[100:] == faces.NON_FACE).all()


def test_to_uint8_grey_matches_pil_and_is_integer_exact():
    from PIL import Image

    rgb = skdata.astronaut()
    grey = faces.to_uint8_grey(rgb)
    assert grey.dtype == np.uint8 and grey.shape == rgb.shape[:2]
    pil = np.asarray(Image.fromarray(rgb).convert("L"))
    assert np.abs(grey.astype(int) - pil).max() <= 1  # PIL rounds its fixed point slightly differently
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    assert np.array_equal(faces.to_uint8_grey(rgba), grey)  # alpha ignored
    assert np.array_equal(faces.to_uint8_grey(grey), grey)
    assert faces.to_uint8_grey(np.array([[0.0, 0.5, 1.0]])).tolist() == [[0, 128, 255]]
    white = faces.to_uint8_grey(np.full((2, 2, 3), 255, np.uint8))
    assert (white == 255).all()


@pytest.mark.parametrize(
    "bad, error",
    [
        (np.zeros((4, 4, 3), np.float64), TypeError),  # colour must be uint8
        (np.zeros((4,), np.uint8), ValueError),
        (np.zeros((4, 4), np.int32), TypeError),
        (np.array([[0.0, 1.5]]), ValueError),
        (np.array([[np.nan, 0.5]]), ValueError),
    ],
)
def test_to_uint8_grey_rejects_bad_input(bad, error):
    with pytest.raises(error):
        faces.to_uint8_grey(bad)


# --------------------------------------------------------------------- features
def test_hog_features_shape_and_invariance(subset):
    images, _ = subset
    f = faces.hog_features(images[:3])
    # 25x25 with cells of 5: 5x5 cells, 4x4 blocks of 2x2 cells, 9 orientations each
    assert f.shape == (3, 4 * 4 * 2 * 2 * 9)
    assert np.all(np.isfinite(f)) and f.min() >= 0
    # block normalisation: a brighter copy (contrast x 2) has the same features
    assert np.allclose(faces.hog_features(images[:3] * 0.5), faces.hog_features(images[:3]), atol=1e-6)
    assert faces.hog_features(images[:2], cell=8).shape == (2, 2 * 2 * 2 * 2 * 9)


@pytest.mark.parametrize(
    "bad, kwargs, error",
    [
        (np.zeros((25, 25)), {}, ValueError),  # one image, not a stack
        (np.zeros((0, 25, 25)), {}, ValueError),
        (np.zeros((2, 8, 8)), {}, ValueError),  # smaller than a block
        (np.zeros((2, 25, 25)), {"cell": 0}, ValueError),
        (np.zeros((2, 25, 25)), {"orientations": 2.5}, TypeError),
        ("images", {}, TypeError),
        (np.full((2, 25, 25), np.nan), {}, ValueError),
    ],
)
def test_hog_features_rejects_bad_input(bad, kwargs, error):
    with pytest.raises(error):
        faces.hog_features(bad, **kwargs)


# ------------------------------------------------------------------ evaluation
def test_stratified_splits_are_stratified_disjoint_and_seeded(subset):
    _, labels = subset
    splits = faces.stratified_splits(labels, n_splits=4, test_fraction=0.3, seed=0)
    assert len(splits) == 4
    for train, test in splits:
        assert len(test) == 60 and len(train) == 140
        assert not set(train) & set(test)
        assert labels[test].sum() == 30 and labels[train].sum() == 70
    again = faces.stratified_splits(labels, n_splits=4, test_fraction=0.3, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again))
    other = faces.stratified_splits(labels, n_splits=4, test_fraction=0.3, seed=1)
    assert not np.array_equal(splits[0][1], other[0][1])


@pytest.mark.parametrize(
    "labels, kwargs, error",
    [
        (np.array([0, 1, 2, 1]), {}, ValueError),
        (np.array([0.0, 1.0]), {}, TypeError),
        (np.array([True, False]), {}, TypeError),
        (np.array([0, 0, 0, 1]), {}, ValueError),  # one face cannot be split
        (np.array([0, 0, 1, 1] * 5), {"test_fraction": 1.0}, ValueError),
        (np.array([0, 0, 1, 1] * 5), {"n_splits": 0}, ValueError),
    ],
)
def test_stratified_splits_rejects_bad_input(labels, kwargs, error):
    with pytest.raises(error):
        faces.stratified_splits(labels, **kwargs)


def test_majority_accuracy():
    assert faces.majority_accuracy([1, 1, 0], [1, 0, 0, 0]) == 0.25
    assert faces.majority_accuracy([0, 0, 1], [1, 0, 0, 0]) == 0.75
    assert faces.majority_accuracy([0, 1], [1, 1, 0]) == pytest.approx(2 / 3)  # tie: FACE
    with pytest.raises(ValueError):
        faces.majority_accuracy([], [1])
    with pytest.raises(ValueError):
        faces.majority_accuracy([3], [1])


def test_split_accuracies_separable_and_random():
    rng = np.random.default_rng(0)
    labels = np.repeat([1, 0], 40)
    separable = rng.normal(size=(80, 5)) + 3.0 * labels[:, None]
    splits = faces.stratified_splits(labels, n_splits=3, seed=0)
    assert (faces.split_accuracies(separable, labels, splits) == 1.0).all()
    noise = rng.normal(size=(80, 5))
    assert faces.split_accuracies(noise, labels, splits).mean() < 0.8


@pytest.mark.parametrize(
    "features, labels, splits, error",
    [
        (np.zeros(10), np.zeros(10, int), [(np.arange(5), np.arange(5, 10))], ValueError),
        (np.zeros((10, 2)), np.zeros(9, int), [(np.arange(5), np.arange(5, 10))], ValueError),
        (np.zeros((10, 2)), np.zeros(10, int), [], ValueError),
        (np.zeros((10, 2)), np.zeros(10, int), [(np.arange(5), np.arange(5, 11))], ValueError),
        (np.zeros((10, 2)), np.zeros(10, int), [(np.arange(5), np.array([], int))], ValueError),
    ],
)
def test_split_accuracies_rejects_bad_input(features, labels, splits, error):
    with pytest.raises(error):
        faces.split_accuracies(features, labels, splits)


def test_linear_classifier_rejects_bad_c():
    with pytest.raises(ValueError):
        faces.linear_classifier(0.0)
    with pytest.raises(TypeError):
        faces.linear_classifier("1")


def test_tiny_cnn_shape_weights_and_seed():
    import torch

    net = faces.tiny_cnn(0)
    assert net(torch.zeros(3, 1, 25, 25)).shape == (3, 2)
    assert sum(p.numel() for p in net.parameters()) == 802
    same = faces.tiny_cnn(0)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), same.parameters()))
    with pytest.raises(ValueError):
        faces.tiny_cnn(-1)


def test_cnn_accuracies_learns_the_subset_and_is_deterministic(subset, one_thread):
    images, labels = subset
    splits = faces.stratified_splits(labels, n_splits=2, seed=0)
    acc = faces.cnn_accuracies(images, labels, splits, steps=30)
    assert acc.shape == (2,) and (acc >= 0.85).all()
    assert np.array_equal(acc, faces.cnn_accuracies(images, labels, splits, steps=30))
    with pytest.raises(ValueError):
        faces.cnn_accuracies(images[:, :24, :24], labels, splits)
    with pytest.raises(ValueError):
        faces.cnn_accuracies(images, labels, splits, steps=0)


# -------------------------------------------------------------------- cascade
def test_cascade_file_is_opencvs_lbp_cascade(cascade):
    text = faces.cascade_path().read_text()
    assert "<featureType>LBP</featureType>" in text
    assert (cascade.window_height, cascade.window_width) == (24, 24)
    assert cascade.stages_number == 20


def test_load_cascade_refuses_missing_and_wrong_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        faces.load_cascade(tmp_path / "missing.xml")
    with pytest.raises(TypeError):
        faces.load_cascade(42)
    garbage = tmp_path / "garbage.xml"
    garbage.write_text("this is not XML <")
    with pytest.raises(ValueError, match="not an XML"):
        faces.load_cascade(garbage)
    other = tmp_path / "other.xml"
    other.write_text("<opencv_storage><thing/></opencv_storage>")
    with pytest.raises(ValueError, match="not an OpenCV cascade"):
        faces.load_cascade(other)
    haar = tmp_path / "haar.xml"
    haar.write_text(
        faces.cascade_path()
        .read_text()
        .replace("<featureType>LBP</featureType>", "<featureType>HAAR</featureType>")
    )
    with pytest.raises(ValueError, match="LBP cascades only"):
        faces.load_cascade(haar)


def test_load_cascade_returns_a_skimage_cascade_with_exact_scales(cascade):
    from skimage.feature import Cascade

    assert isinstance(cascade, Cascade)
    ours = cascade._get_valid_scale_factors((60, 60), (123, 123), np.float32(1.2))
    assert ours.dtype == np.float32 and ours[0] == 2.5  # 60 / 24, exactly
    plain = Cascade(str(faces.cascade_path()))
    theirs = plain._get_valid_scale_factors((60, 60), (123, 123), np.float32(1.2))
    assert ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=1e-6)


def test_scale_ladder():
    ladder = faces.scale_ladder((24, 24), (24, 24), (100, 100), 2.0)
    assert ladder.tolist() == [1.0, 2.0, 4.0]  # 8 * 24 > 100
    assert faces.scale_ladder((24, 24), (10, 10), (30, 30), 1.5).tolist() == [1.0]  # starts at 1
    assert faces.scale_ladder((24, 24), (48, 30), (200, 200), 1.5)[0] == 2.0  # the larger ratio
    assert faces.scale_ladder((24, 24), (24, 24), (24, 24), 1.5).size == 0
    with pytest.raises(ValueError):
        faces.scale_ladder((24, 24), (24, 24), (100, 100), 1.0)
    with pytest.raises(ValueError):
        faces.scale_ladder((24,), (24, 24), (100, 100), 1.2)
    with pytest.raises(TypeError):
        faces.scale_ladder((24, 24), (24, 24), (100, 100), "1.2")


def test_detect_faces_finds_the_astronauts_face_only(cascade):
    image = skdata.astronaut()
    boxes = faces.detect_faces(image, cascade, min_size=60, max_size=123)
    assert boxes.dtype == np.int64 and boxes.shape == (1, 4)
    x1, y1, x2, y2 = boxes[0]
    assert 170 < x1 < x2 < 280 and 60 < y1 < y2 < 180  # her face, between hairline and chin
    # a path works as well as a loaded cascade, and the result does not change
    assert np.array_equal(faces.detect_faces(image, faces.cascade_path(), min_size=60, max_size=123), boxes)


def test_detect_faces_on_a_blank_image_finds_nothing(cascade):
    assert faces.detect_faces(np.full((64, 64), 128, np.uint8), cascade).shape == (0, 4)


def test_detect_faces_boxes_are_sorted(cascade):
    boxes = faces.detect_faces(skdata.astronaut(), cascade, scale_factor=1.2)
    assert len(boxes) >= 2
    order = np.lexsort((boxes[:, 0], boxes[:, 1]))
    assert np.array_equal(order, np.arange(len(boxes)))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"scale_factor": 1.0}, ValueError),
        ({"scale_factor": "1.2"}, TypeError),
        ({"min_size": (60, 60, 3)}, TypeError),
        ({"min_size": 0}, ValueError),
        ({"min_size": 100, "max_size": 60}, ValueError),
        ({"max_size": 10}, ValueError),  # below the 24x24 window
        ({"min_neighbors": 0}, ValueError),
    ],
)
def test_detect_faces_rejects_bad_parameters(cascade, kwargs, error):
    with pytest.raises(error):
        faces.detect_faces(np.zeros((64, 64), np.uint8), cascade, **kwargs)


def test_detect_faces_rejects_bad_image_or_cascade(tmp_path, cascade):
    from skimage.feature import Cascade

    with pytest.raises(ValueError):
        faces.detect_faces(np.zeros((2, 3, 4, 5), np.uint8), cascade)
    with pytest.raises(FileNotFoundError):
        faces.detect_faces(np.zeros((64, 64), np.uint8), tmp_path / "missing.xml")
    with pytest.raises(TypeError, match="load_cascade"):  # its scales depend on the CPU
        faces.detect_faces(np.zeros((64, 64), np.uint8), Cascade(str(faces.cascade_path())))
    with pytest.raises(TypeError):
        faces.detect_faces(np.zeros((64, 64), np.uint8), 3)


# ------------------------------------------------------------- sliding windows
def test_block_mean_exact_and_cropping():
    image = np.arange(30, dtype=np.uint8).reshape(5, 6)
    small = faces.block_mean(image, 2)
    assert small.shape == (2, 3)
    assert small[0, 0] == (0 + 1 + 6 + 7) / 4
    assert np.array_equal(faces.block_mean(image, 1), image.astype(float))
    assert np.allclose(faces.block_mean(image.astype(float), 2), small)
    for bad, factor, error in (
        (image, 0, ValueError),
        (image, 6, ValueError),
        (np.zeros((2, 2, 2)), 1, ValueError),
        (image, 1.5, TypeError),
    ):
        with pytest.raises(error):
            faces.block_mean(bad, factor)


def test_sliding_windows_match_slices():
    image = np.arange(12 * 10).reshape(12, 10)
    windows, boxes = faces.sliding_windows(image, size=4, stride=3)
    assert windows.shape == (3 * 3, 4, 4) and boxes.shape == (9, 4)  # 0, 3, 6 both ways
    for w, (x1, y1, x2, y2) in zip(windows, boxes):
        assert np.array_equal(w, image[y1:y2, x1:x2])
    assert boxes[1].tolist() == [3, 0, 7, 4]  # row-major: the second window is to the right
    with pytest.raises(ValueError):
        faces.sliding_windows(image, size=11)
    with pytest.raises(ValueError):
        faces.sliding_windows(np.zeros((3, 3, 3)), size=2)
    with pytest.raises(ValueError):
        faces.sliding_windows(image, stride=0)


def test_draw_boxes_adds_one_rectangle_per_box_and_one_legend_entry():
    fig, ax = plt.subplots()
    faces.draw_boxes(ax, np.array([[0, 0, 2, 3], [1, 1, 4, 4]]), color="red", label="faces")
    assert len(ax.patches) == 2
    assert ax.patches[0].get_width() == 2 and ax.patches[0].get_height() == 3
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["faces"]
    faces.draw_boxes(ax, np.zeros((0, 4)), color="red")  # nothing to draw
    assert len(ax.patches) == 2
    with pytest.raises(ValueError):
        faces.draw_boxes(ax, np.array([[2, 0, 1, 1]]), color="red")
    with pytest.raises(TypeError):
        faces.draw_boxes("not an axes", np.array([[0, 0, 1, 1]]), color="red")
    plt.close(fig)

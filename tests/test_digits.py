"""Tests of utils.digits.digits_split against scikit-learn's raw digits."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from utils.digits import Split, digits_split


@pytest.fixture(scope="module")
def raw():
    return load_digits(return_X_y=True)


@pytest.fixture(scope="module")
def split():
    return digits_split()


def test_sizes_and_dtypes(split):
    assert isinstance(split, Split)
    assert split.x_train.shape == (1347, 64) and split.x_test.shape == (450, 64)
    assert split.y_train.shape == (1347,) and split.y_test.shape == (450,)
    assert split.x_train.dtype == np.float32 and split.x_test.dtype == np.float32
    assert split.y_train.dtype == np.int64 and split.y_test.dtype == np.int64
    assert split.n_classes == 10


def test_stratified(split, raw):
    _, y = raw
    total = np.bincount(y, minlength=10)
    test = np.bincount(split.y_test, minlength=10)
    train = np.bincount(split.y_train, minlength=10)
    assert np.all(np.abs(test - 0.25 * total) <= 1)
    np.testing.assert_array_equal(train + test, total)


def test_raw_split_is_a_partition_of_the_data(raw):
    x, y = raw
    s = digits_split(standardize=False)
    rows = np.concatenate([np.column_stack([s.x_train, s.y_train]), np.column_stack([s.x_test, s.y_test])])
    ref = np.column_stack([x, y]).astype(np.float32)
    np.testing.assert_array_equal(rows[np.lexsort(rows.T)], ref[np.lexsort(ref.T)])


def test_standardised_with_training_statistics_only(split):
    raw_split = digits_split(standardize=False)
    mean = raw_split.x_train.astype(np.float64).mean(axis=0)
    std = raw_split.x_train.astype(np.float64).std(axis=0)
    varying = std > 0
    assert 0 < (~varying).sum() < 64  # digits has a few pixels that are constant in training
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(split.x_train[:, varying].std(axis=0), 1, rtol=1e-4)
    np.testing.assert_array_equal(split.x_train[:, ~varying], 0)
    scale = np.where(varying, std, 1.0)
    np.testing.assert_allclose(split.x_test, (raw_split.x_test - mean) / scale, rtol=1e-5, atol=1e-5)
    # the test set is not centred on its own: its statistics were not used
    assert np.abs(split.x_test.mean(axis=0)).max() > 0.01


def test_reproducible_and_seed_dependent(split):
    again = digits_split()
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(again, name), getattr(split, name))
    other = digits_split(seed=1)
    assert not np.array_equal(other.y_test, split.y_test)


def test_test_fraction():
    s = digits_split(test_fraction=0.5, standardize=False)
    assert len(s.y_test) + len(s.y_train) == 1797
    assert abs(len(s.y_test) - 1797 / 2) <= 1


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"test_fraction": 0.0}, ValueError),
        ({"test_fraction": 1.0}, ValueError),
        ({"test_fraction": -0.1}, ValueError),
        ({"test_fraction": True}, TypeError),
        ({"test_fraction": "0.2"}, TypeError),
        ({"test_fraction": None}, TypeError),
        ({"seed": -1}, ValueError),
        ({"seed": 0.5}, TypeError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        digits_split(**kwargs)


def test_test_fraction_messages_say_the_range():
    with pytest.raises(ValueError, match=r"test_fraction must be a finite number in \(0, 1\), got 1.0"):
        digits_split(test_fraction=1.0)
    with pytest.raises(ValueError, match=r"test_fraction must be a finite number in \(0, 1\), got nan"):
        digits_split(test_fraction=float("nan"))
    with pytest.raises(TypeError, match="test_fraction must be a real number, got str"):
        digits_split(test_fraction="0.2")

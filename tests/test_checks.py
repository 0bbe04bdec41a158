"""Tests of utils._checks: the shared input checks."""

from __future__ import annotations

import numpy as np
import pytest

from utils._checks import as_float_array, check_int


@pytest.mark.parametrize(
    "x,dtype",
    [
        (3, np.float64),
        ([1, 2, 3], np.float64),
        (np.arange(4, dtype=np.int8), np.float64),
        (np.arange(4, dtype=np.uint8), np.float64),
        (np.arange(4, dtype=np.int64), np.float64),
        (2.5, np.float64),
        (np.ones(3, dtype=np.float32), np.float32),  # floats keep their precision
        (np.ones(3, dtype=np.float64), np.float64),
    ],
)
def test_as_float_array_accepts_real_numbers(x, dtype):
    out = as_float_array(x)
    assert isinstance(out, np.ndarray)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.asarray(x, dtype=np.float64))


def test_as_float_array_keeps_large_unsigned_values():
    x = np.array([0, 255], dtype=np.uint8)
    np.testing.assert_array_equal(as_float_array(x), [0.0, 255.0])  # no wrap-around
    big = np.array([2**63], dtype=np.uint64)
    assert as_float_array(big)[0] == float(2**63)


@pytest.mark.parametrize(
    "x",
    [
        "1",
        b"1",
        None,
        True,
        np.bool_(False),
        np.array([True]),
        1 + 0j,
        np.array([1j]),
        ["a"],
        [1, "a"],
        object(),
        np.array(["1.0"]),
        np.array([1], dtype=object),
    ],
    ids=lambda v: type(v).__name__,
)
def test_as_float_array_refuses_non_real(x):
    with pytest.raises(TypeError, match="weights must be a real number"):
        as_float_array(x, name="weights")


def test_check_int_accepts_ints_and_numpy_ints():
    assert check_int(5, "n") == 5
    out = check_int(np.int64(7), "n")
    assert out == 7 and type(out) is int
    assert check_int(3, "n", minimum=3, maximum=3) == 3  # bounds are inclusive
    assert check_int(-10, "n") == -10  # no bounds, no limit


@pytest.mark.parametrize("value", [True, False, 3.0, "3", None, np.float64(3), [3]])
def test_check_int_type_errors(value):
    with pytest.raises(TypeError, match="count must be an int"):
        check_int(value, "count", minimum=0)


def test_check_int_range_errors_say_the_bound():
    with pytest.raises(ValueError, match="count must be >= 1, got 0"):
        check_int(0, "count", minimum=1)
    with pytest.raises(ValueError, match="count must be <= 9, got 10"):
        check_int(10, "count", minimum=1, maximum=9)


def test_check_positive_real_accepts_numbers_and_refuses_the_rest():
    import numpy as np

    from utils._checks import check_positive_real

    assert check_positive_real(1e-5, "eps") == 1e-5
    assert check_positive_real(np.float32(0.5), "eps") == 0.5 and check_positive_real(2, "eps") == 2.0
    for bad in (0, -1e-3, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="eps must be a finite number > 0"):
            check_positive_real(bad, "eps")
    for bad in (True, "1e-5", None, [1e-5]):
        with pytest.raises(TypeError, match="eps must be a real number"):
            check_positive_real(bad, "eps")


def test_check_module_accepts_modules_only():
    import torch

    from utils._checks import check_module

    layer = torch.nn.Linear(2, 2)
    assert check_module(layer) is layer
    with pytest.raises(TypeError, match="net must be a torch.nn.Module, got str"):
        check_module("layer", "net")


def test_check_real_bounds_inclusive_and_exclusive():
    from utils._checks import check_real

    assert check_real(3, "x") == 3.0 and type(check_real(3, "x")) is float
    assert check_real(-1e300, "x") == -1e300  # no bounds: any finite number
    assert check_real(1, "margin", minimum=1) == 1.0  # minimum is inclusive
    assert check_real(1, "target", above=0, maximum=1) == 1.0  # maximum is inclusive
    assert check_real(0, "dropout", minimum=0, below=1) == 0.0
    assert check_real(np.float32(0.25), "p", above=0, below=1) == 0.25
    assert check_real(np.int64(2), "k", minimum=0) == 2.0


@pytest.mark.parametrize(
    "value, bounds, message",
    [
        (0, dict(above=0), "x must be a finite number > 0, got 0.0"),
        (0.5, dict(minimum=1), "x must be a finite number >= 1, got 0.5"),
        (1, dict(below=1), "x must be a finite number < 1, got 1.0"),
        (2, dict(maximum=1.5), r"x must be a finite number <= 1.5, got 2.0"),
        (1.5, dict(above=0, maximum=1), r"x must be a finite number in \(0, 1\], got 1.5"),
        (0, dict(above=0, maximum=1), r"x must be a finite number in \(0, 1\], got 0.0"),
        (1, dict(minimum=0, below=1), r"x must be a finite number in \[0, 1\), got 1.0"),
        (float("nan"), {}, "x must be a finite number, got nan"),
        (float("inf"), dict(above=0), "x must be a finite number > 0, got inf"),
        (-float("inf"), dict(maximum=0), "x must be a finite number <= 0, got -inf"),
    ],
)
def test_check_real_range_errors_say_the_range(value, bounds, message):
    from utils._checks import check_real

    with pytest.raises(ValueError, match=f"^{message}$"):
        check_real(value, "x", **bounds)


@pytest.mark.parametrize(
    "value", [True, np.bool_(True), "1", None, [1.0], 1 + 0j, np.array([1.0])], ids=lambda v: type(v).__name__
)
def test_check_real_type_errors(value):
    from utils._checks import check_real

    with pytest.raises(TypeError, match="lr must be a real number, got"):
        check_real(value, "lr", above=0)


def test_check_real_refuses_two_bounds_on_one_side():
    from utils._checks import check_real

    with pytest.raises(ValueError, match="at most one lower bound"):
        check_real(1, "x", minimum=0, above=0)
    with pytest.raises(ValueError, match="one upper bound"):
        check_real(1, "x", maximum=2, below=2)

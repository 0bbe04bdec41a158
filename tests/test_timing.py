"""Tests of utils.timing (measure, speed_ratio)."""

from __future__ import annotations

import math
import time

import pytest

from utils import timing


class FakeClock:
    """A clock that only moves when the timed function says it took some seconds."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_measure_returns_best_batch_per_call():
    clock = FakeClock()
    # batch b (of 4 calls) costs costs[b] per call: best batch is the 0.001 s one.
    costs = [0.003, 0.001, 0.002]
    calls = []

    def fn():
        clock.now += costs[len(calls) // 4]
        calls.append(1)

    best = timing.measure(fn, repeat=3, number=4, timer=clock)
    assert len(calls) == 12
    assert best == pytest.approx(0.001)


def test_measure_chooses_batch_size_by_doubling():
    clock = FakeClock()
    calls = []

    def fn():
        clock.now += 0.001
        calls.append(1)

    best = timing.measure(fn, repeat=2, timer=clock)
    assert best == pytest.approx(0.001)
    # 0.005 s reached first by a batch of 8: calibration 1 + 2 + 4 + 8, then 2 batches of 8.
    assert timing.MIN_BATCH_SECONDS == 0.005
    assert len(calls) == (1 + 2 + 4 + 8) + 2 * 8


def test_measure_real_clock_is_bounded_below_by_sleep():
    best = timing.measure(lambda: time.sleep(0.002), repeat=2, number=2)
    assert 0.002 <= best < 0.05


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(fn=42), TypeError, "fn must be a callable"),
        (dict(fn=lambda: None, repeat=0), ValueError, "repeat must be >= 1"),
        (dict(fn=lambda: None, repeat=2.0), TypeError, "repeat must be an int"),
        (dict(fn=lambda: None, number=0), ValueError, "number must be >= 1"),
        (dict(fn=lambda: None, number=True), TypeError, "number must be an int"),
        (dict(fn=lambda: None, timer="clock"), TypeError, "timer must be a callable"),
    ],
)
def test_measure_bad_input(kwargs, error, match):
    fn = kwargs.pop("fn")
    with pytest.raises(error, match=match):
        timing.measure(fn, **kwargs)


def test_speed_ratio():
    assert timing.speed_ratio(2.0, 0.5) == 4.0
    assert timing.speed_ratio(3, 3) == 1.0
    assert timing.speed_ratio(1e-6, 1e-3) == pytest.approx(1e-3)


@pytest.mark.parametrize(
    "slow, fast, error, match",
    [
        (1.0, 0.0, ValueError, r"fast \(seconds\) must be a finite number > 0, got 0.0"),
        (-1.0, 1.0, ValueError, r"slow \(seconds\) must be a finite number > 0, got -1.0"),
        (math.nan, 1.0, ValueError, r"slow \(seconds\) must be a finite number > 0, got nan"),
        (1.0, math.inf, ValueError, r"fast \(seconds\) must be a finite number > 0, got inf"),
        (True, 1.0, TypeError, r"slow \(seconds\) must be a real number, got bool"),
        (1.0, "0.5", TypeError, r"fast \(seconds\) must be a real number, got str"),
    ],
)
def test_speed_ratio_bad_input(slow, fast, error, match):
    with pytest.raises(error, match=match):
        timing.speed_ratio(slow, fast)

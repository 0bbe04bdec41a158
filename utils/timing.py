"""Measure how long a small piece of code takes, and compare two timings.

Taught on: "Python data structures (Python数据结构)" and "TensorFlow sessions
(tf.session函数)"; used by every page with a speed comparison. Timings change from run
to run and machine to machine, so a page prints them only in cells tagged
``nbval-ignore-output``.
"""

from __future__ import annotations

import time
from typing import Callable

from ._checks import check_int, check_positive_real

#: With ``number=None``, :func:`measure` doubles the calls per batch until one batch
#: takes at least this many seconds (so that the clock's resolution does not matter).
MIN_BATCH_SECONDS = 0.005


def measure(
    fn: Callable[[], object],
    *,
    repeat: int = 5,
    number: int | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> float:
    """Return the best-of-``repeat`` time of one call of ``fn()``, in seconds.

    Each of the ``repeat`` batches calls ``fn`` ``number`` times; the fastest batch,
    divided by ``number``, is returned (the minimum is the least disturbed by other
    work on the machine). With ``number=None`` the batch size is chosen first by
    doubling it until a batch takes at least :data:`MIN_BATCH_SECONDS`. ``timer`` is
    the clock (``time.perf_counter`` unless a test passes a fake one).
    """
    if not callable(fn):
        raise TypeError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")
    repeat = check_int(repeat, "repeat", minimum=1)
    if number is not None:
        number = check_int(number, "number", minimum=1)
    if not callable(timer):
        raise TypeError(f"timer must be a callable returning seconds, got {type(timer).__name__}")

    def batch(n: int) -> float:
        start = timer()
        for _ in range(n):
            fn()
        return timer() - start

    if number is None:
        number = 1
        while batch(number) < MIN_BATCH_SECONDS and number < 2**30:
            number *= 2
    best = min(batch(number) for _ in range(repeat))
    return best / number


def speed_ratio(slow: float, fast: float) -> float:
    """Return ``slow / fast``: how many times faster the ``fast`` timing is.

    Both must be positive, finite numbers of seconds (e.g. from :func:`measure`).
    """
    return check_positive_real(slow, "slow (seconds)") / check_positive_real(fast, "fast (seconds)")

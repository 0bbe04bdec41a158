"""A page's setup in one call: seeds, threads, figure style and device.

Taught on: every page's setup cell (first shown on "Activation functions (激活函数)").
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import check_int


class PageSetup(NamedTuple):
    """What :func:`setup` hands back: a seeded numpy Generator and the torch device."""

    rng: np.random.Generator
    device: object  # torch.device


def setup(seed: int = 0, *, threads: int = 1, style: bool = True) -> PageSetup:
    """Prepare a page: seed Python, numpy, torch and TensorFlow (:func:`utils.seed.
    seed_everything`), fix PyTorch's CPU thread count, flush denormal floats to zero,
    apply the course's figure style, and pick the device (a CUDA GPU when there is one).

    One thread is the default: the course's networks are small, so a second thread
    costs more than it saves, and a fixed count keeps the order of float sums (hence
    the printed digits) the same on a laptop and on a 64-core server.
    """
    import torch

    from . import env, plotting
    from . import seed as seeding

    threads = check_int(threads, "threads", minimum=1)
    if not isinstance(style, bool):
        raise TypeError(f"style must be True or False, got {type(style).__name__}")
    rng = seeding.seed_everything(seed)
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # tiny numbers after a bad step slow the CPU down
    if style:
        plotting.use_course_style()
    return PageSetup(rng, env.torch_device())

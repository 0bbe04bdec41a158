"""Tests of utils.page.setup."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest
import torch

from utils import page, plotting


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_setup_seeds_threads_style_device(restore_threads):
    mpl.rcParams["axes.facecolor"] = "black"
    rng, device = page.setup(3, threads=1)
    assert torch.get_num_threads() == 1
    assert mpl.rcParams["axes.facecolor"] == plotting.COURSE_RC["axes.facecolor"]
    assert device.type in ("cpu", "cuda")
    first = (rng.random(), torch.rand(1).item(), np.random.rand())
    rng, _ = page.setup(3, threads=1)
    assert (rng.random(), torch.rand(1).item(), np.random.rand()) == first


def test_setup_without_style(restore_threads):
    mpl.rcParams["axes.facecolor"] = "black"
    page.setup(0, style=False)
    assert mpl.rcParams["axes.facecolor"] == "black"
    plotting.use_course_style()


def test_setup_bad_input(restore_threads):
    with pytest.raises(ValueError, match="threads must be >= 1"):
        page.setup(0, threads=0)
    with pytest.raises(TypeError, match="threads must be an int"):
        page.setup(0, threads=1.5)
    with pytest.raises(TypeError, match="style must be True or False"):
        page.setup(0, style="yes")
    with pytest.raises(ValueError, match="seed must be"):
        page.setup(-1)

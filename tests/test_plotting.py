"""Tests of utils.plotting: the course style is applied, restored, and readable."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import plotting  # noqa: E402

TEXT_KEYS = ("text.color", "axes.labelcolor", "xtick.color", "ytick.color", "axes.edgecolor")


def relative_luminance(color) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    r, g, b = mpl.colors.to_rgb(color)

    def lin(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_ratio(a, b) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _snapshot():
    return {k: v for k, v in mpl.rcParams.items()}


@pytest.fixture
def restore_rc():
    with mpl.rc_context():  # whatever a test applies globally is undone afterwards
        yield


def test_contrast_formula_reference_values():
    assert contrast_ratio("black", "white") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # WCAG's own example threshold: #767676 on white is just above 4.5
    assert contrast_ratio("#767676", "white") == pytest.approx(4.54, abs=0.01)


def test_course_style_applies_then_restores(restore_rc):
    mpl.rcParams["figure.facecolor"] = "#123456"  # a non-default value to come back to
    mpl.rcParams["lines.linewidth"] = 0.5
    before = _snapshot()
    with plotting.course_style():
        for key, value in plotting.COURSE_RC.items():
            if key == "axes.prop_cycle":
                assert mpl.rcParams[key] == value
            else:
                assert mpl.rcParams[key] == mpl.rcParams.validate[key](value), key
        fig, ax = plt.subplots()
        assert mpl.colors.to_rgba(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
        plt.close(fig)
    assert _snapshot() == before


def test_course_style_restores_after_an_error(restore_rc):
    before = _snapshot()
    with pytest.raises(RuntimeError):
        with plotting.course_style():
            raise RuntimeError("boom")
    assert _snapshot() == before


def test_use_course_style_white_card_dark_ink(restore_rc):
    mpl.rcParams["figure.facecolor"] = "none"
    plotting.use_course_style()
    for key in ("figure.facecolor", "savefig.facecolor", "axes.facecolor"):
        rgba = mpl.colors.to_rgba(mpl.rcParams[key])
        assert rgba == (1.0, 1.0, 1.0, 1.0), key  # opaque white
    face = mpl.rcParams["figure.facecolor"]
    for key in TEXT_KEYS:
        assert mpl.colors.to_rgba(mpl.rcParams[key])[3] == 1.0
        assert contrast_ratio(mpl.rcParams[key], face) >= 7.0, key  # WCAG AAA
    fig, ax = plt.subplots()
    ax.set_title("t")
    assert contrast_ratio(ax.title.get_color(), fig.get_facecolor()) >= 7.0
    assert mpl.colors.to_rgba(fig.get_facecolor())[3] == 1.0
    plt.close(fig)


def test_palette_is_distinct_and_is_the_colour_cycle():
    rgb = [np.array(mpl.colors.to_rgb(c)) for c in plotting.PALETTE]
    assert len({tuple(c) for c in rgb}) == len(rgb)
    min_distance = min(np.abs(a - b).max() for a, b in itertools.combinations(rgb, 2))
    assert min_distance > 0.1  # not just different hex codes: visibly different
    for c in rgb:  # no near-white colour (invisible on the white card) and no ink black
        assert 1.2 < contrast_ratio(c, "white") < 19
    cycle = [d["color"] for d in plotting.COURSE_RC["axes.prop_cycle"]]
    assert cycle == list(plotting.PALETTE)

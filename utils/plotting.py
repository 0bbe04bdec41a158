"""One figure style for the whole course.

Figures are drawn on an opaque white card with dark ink and a colour-blind-safe
palette (Okabe & Ito), so they stay readable on the site's light *and* dark themes
(a transparent figure would put black ink on a dark page). Taught on: every page
with a figure; first shown on "Activation functions (激活函数)".
"""

from __future__ import annotations

import contextlib

import matplotlib as mpl

#: Okabe–Ito colour-blind-safe palette (black dropped: it is the ink colour).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")

#: rcParams applied by :func:`use_course_style` and :func:`course_style`.
COURSE_RC = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#222222",
    "text.color": "#222222",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "image.cmap": "viridis",
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "orange",
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
}


def use_course_style() -> None:
    """Apply the course style to every later figure of this kernel (a page's setup cell)."""
    mpl.rcParams.update(COURSE_RC)


@contextlib.contextmanager
def course_style():
    """Context manager: the course style for the figures drawn inside the ``with`` block."""
    with mpl.rc_context(COURSE_RC):
        yield

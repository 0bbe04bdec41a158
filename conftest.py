"""pytest configuration shared by the unit tests and the strict nbval run.

nbval compares text outputs but skips image/png. Here its comparison is extended: after
the text matches, every figure a cell draws is compared with the stored one, pixel by
pixel within a small tolerance (tests/figures.py), so a changed plot fails the test.
"""

from __future__ import annotations

import pages  # noqa: F401 - sets ORANGE_QUIET, which the kernels nbval starts inherit

collect_ignore_glob = [".venv/*", "_build/*", "**/.ipynb_checkpoints/*"]


def pytest_configure(config):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: unit tests only
        return
    if getattr(IPyNbCell, "_orange_figures", False):
        return
    from figures import compare_figures

    text_compare = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        if not text_compare(self, test, ref, skip_compare):
            return False
        problems = compare_figures(test, ref)
        if problems:
            self.comparison_traceback = list(problems)
            return False
        return True

    IPyNbCell.compare_outputs = compare_outputs
    IPyNbCell._orange_figures = True

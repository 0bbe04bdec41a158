"""The figure comparison that conftest.py adds to nbval must catch a changed plot."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from figures import compare_figures, png_difference  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from pages import ROOT  # noqa: E402


def _png(values) -> str:
    fig, ax = plt.subplots(figsize=(4, 3), dpi=80)
    ax.plot(values)
    ax.set(title="t", xlabel="x", ylabel="y")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def test_identical_figures_match():
    a = _png([0, 1, 2, 3])
    assert png_difference(a, a) is None
    assert png_difference(a, _png([0, 1, 2, 3])) is None


def test_a_changed_line_is_caught():
    why = png_difference(_png([0, 1, 2, 3]), _png([0, 1, 2.2, 3]))
    assert why is not None and "pixels differ" in why


def test_a_resized_figure_is_caught():
    fig, ax = plt.subplots(figsize=(5, 3), dpi=80)
    ax.plot([0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    why = png_difference(_png([0, 1]), base64.b64encode(buf.getvalue()).decode())
    assert "size changed" in why


def test_missing_or_extra_figure_is_caught():
    out = {"output_type": "display_data", "data": {"image/png": _png([1, 2])}}
    assert compare_figures([out], []) and compare_figures([], [out])
    assert compare_figures([out], [out]) == []


NOTEBOOK_CODE = [
    "import matplotlib.pyplot as plt\nprint('same text')",
    "plt.plot([0, 1, MIDDLE, 3]); plt.title('t'); plt.show()",
]


def _notebook(tmp_path, middle: float):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(NOTEBOOK_CODE[0]),
        nbformat.v4.new_code_cell(NOTEBOOK_CODE[1].replace("MIDDLE", str(middle))),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


@pytest.mark.parametrize("stored_middle, expect_pass", [(2, True), (1, False)])
def test_strict_nbval_with_the_figure_check_fails_on_a_changed_plot(tmp_path, stored_middle, expect_pass):
    """Store a page whose figure differs from what the code now draws: nbval alone passes
    (it skips image/png), with this project's conftest it must fail."""
    stored = _notebook(tmp_path, stored_middle)
    stored.cells[1].source = NOTEBOOK_CODE[1].replace("MIDDLE", "2")  # what the code draws now
    path = tmp_path / "page.ipynb"
    nbformat.write(stored, path)
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    # pytest.ini's pythonpath does not reach a folder outside the repository: say it here.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT / "scripts")])}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval",
            "--nbval-current-env",
            str(path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert (done.returncode == 0) == expect_pass, done.stdout[-2000:]
    if not expect_pass:
        assert "figure 1: figure changed" in done.stdout and "pixels differ" in done.stdout

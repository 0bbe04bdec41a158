"""Store fresh outputs in the course's notebooks.

    python scripts/execute_pages.py                 # every page in _toc.yml
    python scripts/execute_pages.py chapters/02_math/activations.ipynb

For each notebook it (1) puts the canonical bootstrap cell (scripts/bootstrap_cell.py)
first, (2) resets the kernelspec and drops editor metadata, (3) executes it top to bottom
in its own folder with no timing metadata, and (4) writes it back only if the run
succeeded, so a failing page never loses its stored outputs.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
# Pages run here are stored: no progress bars in them (utils.training reads this).
os.environ["ORANGE_QUIET"] = "1"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from pages import toc_notebooks  # noqa: E402

BOOTSTRAP = (ROOT / "scripts" / "bootstrap_cell.py").read_text().rstrip("\n")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
CELL_KEYS_KEPT = {"tags"}


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Bootstrap cell first, plain kernelspec, no editor metadata."""
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "code" and "COURSE_REPOSITORY" in first.source:
        first.source = BOOTSTRAP
    else:
        nb.cells.insert(0, nbformat.v4.new_code_cell(BOOTSTRAP))
    nb.cells[0].metadata = {"tags": ["hide-input"]}
    nb.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in CELL_KEYS_KEPT}
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


def execute(path: Path, timeout: int = 600) -> None:
    nb = normalise(nbformat.read(path, as_version=4))
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    # Write next to the target, then replace it: a crash never leaves half a notebook.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".ipynb", delete=False) as tmp:
        nbformat.write(nb, tmp)
    os.replace(tmp.name, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="*", type=Path, help="notebooks (default: all in _toc.yml)")
    args = parser.parse_args(argv)
    pages = [p.resolve() for p in args.pages] or toc_notebooks()
    for page in pages:
        print(f"executing {page.relative_to(ROOT)}", flush=True)
        execute(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())

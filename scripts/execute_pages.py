"""Store fresh outputs in the course's notebooks.

    python scripts/execute_pages.py                 # every page in _toc.yml
    python scripts/execute_pages.py chapters/02_math/activations.ipynb

For each notebook it (1) puts the canonical bootstrap cell (scripts/bootstrap_cell.py)
right after the title, (2) resets the kernelspec and drops editor metadata, (3) executes it top to bottom
in its own folder with no timing metadata, and (4) writes it back only if the run
succeeded, so a failing page never loses its stored outputs.
"""
from __future__ import annotations

import argparse
import os
import re
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
    """Title first, then the bootstrap cell; plain kernelspec; no editor metadata.

    Idempotent, and it never reorders code cells, so a stored page can be normalised
    without being executed again (``--no-execute``).
    """
    found = [c for c in nb.cells if c.cell_type == "code" and "COURSE_REPOSITORY" in c.source]
    nb.cells = [c for c in nb.cells if c not in found]
    bootstrap = found[0] if found else nbformat.v4.new_code_cell()  # keeps its execution count
    bootstrap.source = BOOTSTRAP
    bootstrap.metadata = {"tags": ["hide-input"]}
    position = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells.insert(position, bootstrap)
    nb.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": nb.metadata.get("language_info", {"name": "python"}),
    }
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in CELL_KEYS_KEPT}
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


#: Absolute locations of installed code, shortened in stored tracebacks (nbval does not
#: compare tracebacks; they are for the reader, who has no use for this machine's paths).
_INSTALL_PREFIX = re.compile(r"/[^\s:'\"\x1b]*?/(?:lib/python3\.\d+/site-packages|site-packages|lib/python3\.\d+)/")


def shorten_tracebacks(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip this machine's install and repository prefixes from error tracebacks."""
    root = str(ROOT) + os.sep
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [_INSTALL_PREFIX.sub("", line).replace(root, "") for line in out["traceback"]]
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write next to the target, then replace it: a crash never leaves half a notebook."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".ipynb", delete=False) as tmp:
        nbformat.write(nb, tmp)
    os.chmod(tmp.name, 0o644)  # a temporary file is created private; a page is not
    os.replace(tmp.name, path)


def execute(path: Path, timeout: int = 600) -> None:
    nb = normalise(nbformat.read(path, as_version=4))
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        # Short tracebacks in stored outputs: the site shows the error a cell raises on
        # purpose, not the library's (or this machine's) file paths.
        extra_arguments=["--InteractiveShell.xmode=Minimal"],
    )
    client.execute()
    write(shorten_tracebacks(nb), path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="*", type=Path, help="notebooks (default: all in _toc.yml)")
    parser.add_argument("--no-execute", action="store_true", help="only normalise the stored notebooks")
    args = parser.parse_args(argv)
    pages = [p.resolve() for p in args.pages] or toc_notebooks()
    for page in pages:
        if args.no_execute:
            write(shorten_tracebacks(normalise(nbformat.read(page, as_version=4))), page)
            continue
        print(f"executing {page.relative_to(ROOT)}", flush=True)
        execute(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())

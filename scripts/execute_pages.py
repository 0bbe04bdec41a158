"""Store fresh outputs in the course's notebooks.

    python scripts/execute_pages.py                 # every page in _toc.yml
    python scripts/execute_pages.py chapters/02_math/activations.ipynb
    python scripts/execute_pages.py --check --jobs 2     # run every page, store nothing

For each notebook it (1) puts the canonical bootstrap cell (scripts/bootstrap_cell.py)
right after the title, (2) resets the kernelspec and drops editor metadata, (3) executes it top to bottom
in its own folder with no timing metadata, and (4) writes it back only if the run
succeeded, so a failing page never loses its stored outputs.

With ``--check`` nothing is written: each page is executed and must run top to bottom
with errors only in cells tagged ``raises-exception``, print nothing to stderr, and reach
the same verdicts, in the same order, as the outputs stored in it. CI runs this on
Colab's library versions (scripts/colab_stack.sh), where digits may differ but
conclusions may not.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from pages import toc_notebooks  # also sets ORANGE_QUIET: no progress bars in outputs

from utils.paths import atomic_write

ROOT = Path(__file__).resolve().parents[1]

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
_INSTALL_PREFIX = re.compile(
    r"/[^\s:'\"\x1b]*?/(?:lib/python3\.\d+/site-packages|site-packages|lib/python3\.\d+)/"
)


def shorten_tracebacks(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip this machine's install and repository prefixes from error tracebacks."""
    root = str(ROOT) + os.sep
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [
                    _INSTALL_PREFIX.sub("", line).replace(root, "") for line in out["traceback"]
                ]
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write next to the target, then replace it: a crash never leaves half a notebook."""
    with atomic_write(path) as tmp:
        nbformat.write(nb, tmp)


def _run(nb: nbformat.NotebookNode, path: Path, timeout: int, allow_errors: bool = False) -> None:
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        # Short tracebacks in stored outputs: the site shows the error a cell raises on
        # purpose, not the library's (or this machine's) file paths.
        extra_arguments=["--InteractiveShell.xmode=Minimal"],
        allow_errors=allow_errors,
    )
    client.execute()


def execute(path: Path, timeout: int = 600) -> None:
    nb = normalise(nbformat.read(path, as_version=4))
    _run(nb, path, timeout)
    write(shorten_tracebacks(nb), path)


#: A verdict line of ``utils.verdicts.format_verdicts``: the keyword is upper-cased.
_VERDICT = re.compile(r"^\s*verdict: (HOLDS ONLY WHEN|HOLDS|WRONG|NOT TESTABLE HERE)", re.MULTILINE)


def verdict_keywords(nb: nbformat.NotebookNode) -> list[str]:
    """The verdicts a page prints, in order (from the tables of ``format_verdicts``)."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                found += _VERDICT.findall("".join(out["text"]))
    return found


def check(path: Path, timeout: int = 600) -> list[str]:
    """Execute a copy of the page; return what is wrong with the run (empty: all good)."""
    stored = nbformat.read(path, as_version=4)
    nb = normalise(copy.deepcopy(stored))
    _run(nb, path, timeout, allow_errors=True)
    problems = []
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        expected = "raises-exception" in cell.metadata.get("tags", [])
        errors = [o["ename"] for o in outputs if o.get("output_type") == "error"]
        if errors and not expected:
            problems.append(f"cell {number} raised {errors[0]}")
        if expected and not errors:
            problems.append(f"cell {number} is tagged raises-exception but raised nothing")
        stderr = "".join("".join(o["text"]) for o in outputs if o.get("name") == "stderr")
        if stderr:
            problems.append(f"cell {number} wrote to stderr: {stderr.strip().splitlines()[0][:120]}")
    want, got = verdict_keywords(stored), verdict_keywords(nb)
    if not want:
        problems.append("the stored page prints no verdict table")
    elif got != want:
        changed = [f"{i}: {a} -> {b}" for i, (a, b) in enumerate(zip(want, got), start=1) if a != b]
        problems.append(
            f"verdicts differ from the stored page ({len(want)} stored, {len(got)} now; "
            + ("; ".join(changed) or "different count")
            + ")"
        )
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("pages", nargs="*", type=Path, help="notebooks (default: all in _toc.yml)")
    parser.add_argument("--no-execute", action="store_true", help="only normalise the stored notebooks")
    parser.add_argument(
        "--check",
        action="store_true",
        help="execute without storing; fail on errors, stderr or changed verdicts",
    )
    parser.add_argument("--jobs", type=int, default=1, help="pages run at once with --check")
    args = parser.parse_args(argv)
    pages = [p.resolve() for p in args.pages] or toc_notebooks()
    if args.check:
        return check_pages(pages, args.jobs)
    for page in pages:
        if args.no_execute:
            write(shorten_tracebacks(normalise(nbformat.read(page, as_version=4))), page)
            continue
        print(f"executing {page.relative_to(ROOT)}", flush=True)
        execute(page)
    return 0


def check_pages(pages: list[Path], jobs: int = 1) -> int:
    """Check every page (see :func:`check`); print one line per page; 1 if any failed."""
    from concurrent.futures import ThreadPoolExecutor

    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    failed = 0
    with ThreadPoolExecutor(jobs) as pool:
        for page, problems in zip(pages, pool.map(check, pages)):
            name = page.relative_to(ROOT)
            failed += bool(problems)
            print(f"{'FAILED' if problems else 'ok':<6} {name}", flush=True)
            for problem in problems:
                print(f"       {problem}", flush=True)
    print(f"{len(pages) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

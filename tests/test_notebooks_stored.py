"""Checks of the stored notebooks that strict nbval cannot make (or makes too late).

Each page must have been executed top to bottom in one run, store no stderr and no
error (except in cells tagged raises-exception), show no machine path or memory address,
use the plain python3 kernel, carry no editor metadata, and be listed in _toc.yml.
"""

from __future__ import annotations

import json
import re

import pytest
from pages import ROOT, toc_entries, toc_notebooks

NOTEBOOKS = toc_notebooks()
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]

#: Text that changes from machine to machine or run to run (the checkout's own location,
#: temporary and home folders, installed packages, memory addresses, kernel files).
MACHINE_SPECIFIC = re.compile(
    "(" + re.escape(str(ROOT)) + r"|/tmp/|/root/|/home/|/usr/lib/|/usr/local/|site-packages|"
    r"0x[0-9a-fA-F]{6,}|ipykernel_\d+)"
)
ALLOWED_CELL_METADATA = {"tags"}
KNOWN_TAGS = {
    "raises-exception",
    "nbval-ignore-output",
    "hide-input",
    "hide-output",
    "remove-input",
    "remove-output",
    "remove-cell",
    "nbval-skip",
}


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    if output.get("output_type") == "error":
        return "\n".join(
            [output.get("ename", "") + ": " + output.get("evalue", ""), *output.get("traceback", [])]
        )
    data = output.get("data", {})
    return "".join(data.get("text/plain", "")) + "".join(data.get("text/html", ""))


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_there_are_pages():
    assert len(NOTEBOOKS) >= 1


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists():
    listed = set(toc_entries())
    on_disk = {
        p.relative_to(ROOT).with_suffix("").as_posix()
        for p in (ROOT / "chapters").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    }
    assert on_disk <= listed, f"notebooks missing from _toc.yml: {sorted(on_disk - listed)}"
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").is_file() for ext in (".ipynb", ".md")), (
            f"_toc.yml names missing {entry}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executed_top_to_bottom_in_one_run(path):
    nb = json.loads(path.read_text())
    counts = [c.get("execution_count") for c in _code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts}: re-run scripts/execute_pages.py"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_stderr_no_unexpected_errors(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            assert not (out["output_type"] == "stream" and out.get("name") == "stderr"), (
                f"cell {i} stores stderr: {_text(out)[:200]!r}"
            )
            if out["output_type"] == "error":
                assert "raises-exception" in tags, (
                    f"cell {i} stores an error but is not tagged raises-exception"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_cells_tagged_raises_exception_really_raise(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            kinds = [o["output_type"] for o in cell.get("outputs", [])]
            assert "error" in kinds, f"cell {i} is tagged raises-exception but stores no error"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_machine_paths_or_addresses(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            hit = MACHINE_SPECIFIC.search(_text(out))
            assert hit is None, f"cell {i} output contains {hit.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_clean_metadata(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    for i, cell in enumerate(nb["cells"]):
        extra = set(cell.get("metadata", {})) - ALLOWED_CELL_METADATA
        assert not extra, f"cell {i} carries editor metadata {sorted(extra)}"
        unknown = set(cell.get("metadata", {}).get("tags", [])) - KNOWN_TAGS
        assert not unknown, f"cell {i} has unknown tags {sorted(unknown)}"
        if cell["cell_type"] == "code":
            for out in cell.get("outputs", []):
                text = _text(out)
                assert (
                    "<matplotlib." not in text
                    and "<Figure size" not in text
                    or "image/png" in out.get("data", {})
                ), f"cell {i} prints a matplotlib repr: end the cell with plt.show()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_page_anatomy(path):
    """A title with the note's Chinese heading, and the sections every page has."""
    nb = json.loads(path.read_text())
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    title = markdown.splitlines()[0]
    assert title.startswith("# ") and re.search(r"[\u4e00-\u9fff]|\bBN\b", title), (
        f"the title should keep the note's Chinese heading: {title!r}"
    )
    for section in ("## From the note", "## Verdicts", "## Exercises", "## Takeaways"):
        assert section in markdown, f"missing section {section!r}"
    assert "{exercise}" in markdown and "{solution}" in markdown

"""scripts/execute_pages.py writes a page all at once (its runs are checked by test_book.py)."""

from __future__ import annotations

import execute_pages
import nbformat
import pytest


def _page(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(text))
    return nb


def test_write_replaces_the_page_and_keeps_unicode(tmp_path):
    path = tmp_path / "page.ipynb"
    execute_pages.write(_page("# 批量大小"), path)
    assert nbformat.read(path, as_version=4).cells[0].source == "# 批量大小"
    assert path.read_text(encoding="utf-8").endswith("\n")
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    execute_pages.write(_page("second"), path)
    assert nbformat.read(path, as_version=4).cells[0].source == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["page.ipynb"]


def test_write_failure_keeps_the_old_page(tmp_path, monkeypatch):
    path = tmp_path / "page.ipynb"
    execute_pages.write(_page("old"), path)
    before = path.read_bytes()

    def failing(nb, fp, *args, **kwargs):
        with open(fp, "w") as fh:
            fh.write('{"half": ')
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(execute_pages.nbformat, "write", failing)
    with pytest.raises(OSError, match="simulated"):
        execute_pages.write(_page("new"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["page.ipynb"]

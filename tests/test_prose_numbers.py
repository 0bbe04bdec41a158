"""Every number a page's prose reports is backed by a check (rules in prose_numbers.py)."""

from __future__ import annotations

import json

import pytest
from pages import ROOT, toc_notebooks
from prose_numbers import unbacked_numbers

PAGES = toc_notebooks()


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_numbers_in_prose_are_backed(path):
    rows = unbacked_numbers(path)
    assert not rows, f"{len(rows)} numbers in {path.relative_to(ROOT)} that nothing checks:\n" + "\n".join(
        f"  cell {i}: {token!r} in: {sentence}" for i, token, sentence in rows
    )


def _page(tmp_path, cells):
    path = tmp_path / "page.ipynb"
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    return path


def _md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": [text]}


def _code(source, outputs=(), tags=()):
    return {
        "cell_type": "code",
        "metadata": {"tags": list(tags)},
        "source": [source],
        "outputs": [{"output_type": "stream", "name": "stdout", "text": [o]} for o in outputs],
    }


def test_a_typed_measurement_is_caught_and_a_check_backs_it(tmp_path):
    typed = _page(tmp_path, [_md("The file shrinks by about 4x and takes 25 MiB."), _code("x = 1")])
    assert [t for _, t, _ in unbacked_numbers(typed)] == ["4x", "25 MiB"]
    checked = _page(tmp_path, [_md("The file takes 25 MiB."), _code("print(size)", ["size: 25 MiB"])])
    assert unbacked_numbers(checked) == []
    ignored = _page(
        tmp_path,
        [_md("The file takes 25 MiB."), _code("print(size)", ["size: 25 MiB"], ["nbval-ignore-output"])],
    )
    assert [t for _, t, _ in unbacked_numbers(ignored)] == ["25 MiB"]
    asserted = _page(
        tmp_path,
        [_md("It shrinks by about 4x."), _code('assert 3 < ratio < 5, "about 4x"', tags=["remove-cell"])],
    )
    assert unbacked_numbers(asserted) == []


def test_what_is_not_a_measurement(tmp_path):
    page = _page(
        tmp_path,
        [
            _md(
                "# Title 42\n\nIn 2015 {cite:p}`he2015` reported 3.57 % error. Use `lr=0.37` and "
                "$e^{0.5}$; train 3 layers on 33×33 patches with batch 64.\n\n"
                ":::{admonition} From the note\n> 数学 0.99 and 1e-4\n:::\n"
            ),
            _code("batch = 64"),
        ],
    )
    assert unbacked_numbers(page) == []

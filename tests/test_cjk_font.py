"""The site's CJK web font (scripts/cjk_font.py) covers every Chinese character it shows."""

from __future__ import annotations

import json
from pathlib import Path

import cjk_font
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_font_draws_every_cjk_character_of_the_site():
    missing = cjk_font.missing_characters()
    assert not missing, (
        f"{len(missing)} characters used on the site are not in "
        f"{cjk_font.FONT.name}: {''.join(missing)}; run scripts/cjk_font.py"
    )


def test_the_site_uses_chinese_and_the_font_is_small():
    assert len(cjk_font.site_characters()) > 100  # the note's headings and quotations
    assert cjk_font.FONT.stat().st_size < 600 * 1024


def test_a_new_character_is_reported(tmp_path):
    page = tmp_path / "page.ipynb"
    page.write_text(
        json.dumps({"cells": [{"cell_type": "markdown", "source": ["龘 and 激活"]}]}), encoding="utf-8"
    )
    assert "龘" in cjk_font.missing_characters(files=[page])


def test_outputs_count_too(tmp_path):
    page = tmp_path / "page.ipynb"
    cell = {
        "cell_type": "code",
        "source": ["print(x)"],
        "outputs": [
            {"output_type": "stream", "text": ["函数"]},
            {"output_type": "execute_result", "data": {"text/plain": ["数据"]}},
        ],
    }
    page.write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    assert cjk_font.site_characters([page]) == set("函数据")


def test_is_cjk():
    assert cjk_font.is_cjk("激") and cjk_font.is_cjk("，") and not cjk_font.is_cjk("a")
    with pytest.raises(TypeError, match="one character"):
        cjk_font.is_cjk("ab")
    with pytest.raises(TypeError, match="one character"):
        cjk_font.is_cjk(3)


def test_missing_font_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="cjk_font.py"):
        cjk_font.font_characters(tmp_path / "none.woff2")


def test_build_needs_the_source_font(tmp_path):
    with pytest.raises(FileNotFoundError, match="fonts-noto-cjk"):
        cjk_font.build(tmp_path / "out.woff2", source=tmp_path / "none.ttc")
    assert not (tmp_path / "out.woff2").exists()


@pytest.mark.skipif(not cjk_font.SOURCE.is_file(), reason="needs apt-get install fonts-noto-cjk")
def test_build_writes_the_whole_font_at_once(tmp_path):
    out = tmp_path / "out.woff2"
    count = cjk_font.build(out)
    assert count == len(cjk_font.site_characters())
    assert cjk_font.site_characters() <= cjk_font.font_characters(out)
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == ["out.woff2"]  # no temporary file left

"""The site's Chinese web font: Noto Sans CJK SC cut to the characters the site uses.

    python scripts/cjk_font.py            # rebuild _static/fonts/orange-cjk.woff2
    python scripts/cjk_font.py --check    # list characters the shipped font lacks

Many machines have no CJK font (headless Chromium here, a fresh Linux laptop): without
one, every Chinese heading of the note renders as empty boxes. The site carries its own
font instead: Debian's ``fonts-noto-cjk`` (SIL Open Font License 1.1), subset with
fontTools to the CJK characters that appear in the book's sources, as WOFF2 (tens of KB,
not the 16 MB collection). ``_static/orange-cjk.css`` adds it after the theme's fonts,
so Latin text is unchanged and only characters those fonts lack come from it.
``tests/test_cjk_font.py`` fails when a page uses a character the subset lacks; then
run this script (it needs ``apt-get install fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from utils.paths import atomic_write

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "_static" / "fonts" / "orange-cjk.woff2"
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_NAME = "Noto Sans CJK SC"

#: Unicode blocks drawn from the CJK font: CJK radicals and symbols, kana, CJK unified
#: ideographs (and extension A), compatibility ideographs, full-width forms.
CJK_RANGES = (
    (0x2E80, 0x303F),
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
)


def is_cjk(char: str) -> bool:
    """True for one character in :data:`CJK_RANGES`."""
    if not isinstance(char, str) or len(char) != 1:
        raise TypeError(f"expected one character, got {char!r}")
    return any(lo <= ord(char) <= hi for lo, hi in CJK_RANGES)


def site_sources(root: Path = ROOT) -> list[Path]:
    """The files whose text reaches the site: book settings, front pages and chapters."""
    files = [root / "_toc.yml", root / "_config.yml", root / "references.bib"]
    files += sorted(root.glob("*.md")) + sorted((root / "chapters").rglob("*.md"))
    files += sorted((root / "chapters").rglob("*.ipynb"))
    return [f for f in files if f.is_file() and ".ipynb_checkpoints" not in f.parts]


def _notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        parts.append("".join(cell.get("source", "")))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for key, value in out.get("data", {}).items():
                if key.startswith("text/"):
                    parts.append("".join(value))
    return "\n".join(parts)


def site_characters(files=None) -> set[str]:
    """Every CJK character in the site's sources (notebook sources and text outputs)."""
    chars: set[str] = set()
    for path in site_sources() if files is None else files:
        path = Path(path)
        text = _notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
        chars.update(c for c in text if is_cjk(c))
    return chars


def font_characters(font: Path = FONT) -> set[str]:
    """The characters a font file maps to glyphs."""
    from fontTools.ttLib import TTFont

    if not Path(font).is_file():
        raise FileNotFoundError(f"no font at {font}; build it with scripts/cjk_font.py")
    with TTFont(font) as f:
        return {chr(code) for code in f.getBestCmap()}


def missing_characters(font: Path = FONT, files=None) -> list[str]:
    """The site's CJK characters that ``font`` cannot draw, sorted."""
    return sorted(site_characters(files) - font_characters(font))


def build(out: Path = FONT, source: Path = SOURCE) -> int:
    """Subset the source collection's SC face to the site's characters; return their count."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    if not source.is_file():
        raise FileNotFoundError(f"{source} not found: apt-get install fonts-noto-cjk")
    faces = TTCollection(source).fonts
    names = [f["name"].getDebugName(1) for f in faces]
    if SOURCE_NAME not in names:
        raise KeyError(f"{source} has no face {SOURCE_NAME!r}; it has {names}")
    font = faces[names.index(SOURCE_NAME)]
    chars = sorted(site_characters())
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence records
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    font.flavor = "woff2"
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out) as tmp:  # never a half-written font
        font.save(tmp)
    return len(chars)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only list characters the font lacks")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_characters()
        print(f"{len(missing)} characters missing" + (f": {''.join(missing)}" if missing else ""))
        return 1 if missing else 0
    count = build()
    print(f"{FONT.relative_to(ROOT)}: {count} characters, {FONT.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

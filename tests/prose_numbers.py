"""Numbers in a page's prose must be backed: the rule of tests/test_prose_numbers.py.

    python tests/prose_numbers.py chapters/02_math/hdf5.ipynb   # list the unbacked numbers

A number in a Markdown cell is *backed* when one of these holds:

1. it is not prose: inside code (```…``` or `…`), math ($…$), a role ({cite:p}`…`,
   {doc}`…`), a link target, a heading, a list marker, or the page's "From the note"
   admonitions (the note's own values, quoted);
2. it is a kind that no experiment measures: a year (1900-2099), or a small count
   (0-10) with no unit after it; dimensions such as 33×33 are not read as numbers;
3. the sentence cites its source ({cite:p}`…` / {cite:t}`…`): a number from the literature;
4. it is a setting or a result the page computes: the same number appears in the
   page's code or in a *checked* output (a code cell not tagged ``nbval-ignore-output``),
   so nbval re-checks it on every run;
5. a hidden cell right after the Markdown cell (tagged ``remove-cell``) names it in an
   assertion, e.g. ``assert 3 < ratio < 5, "about 4x"``.

A number after "about", "roughly", "~" and the like is read as a measurement: only rule 5
or a checked output with the same unit backs it. Anything else is a measured number
typed into prose that nothing re-checks.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
NUMBER = re.compile(
    r"(?<![\w.\-/×])[-−]?\d(?:[\d,]*\d)?(?:\.\d+)?(?:[eE][-+−]?\d+)?"
    rf"(?:[{_SUPERSCRIPT}]+)?(?:\s?(?:%|x\b|×(?!\d)|dB|MB|KB|GB|KiB|MiB|ms|s\b))?(?![×\d])"
)
#: Words that mark a number as an approximation of something measured.
APPROXIMATE = re.compile(r"(?:about|roughly|around|nearly|almost|approximately|~|≈)\s*$", re.I)
_UNIT = re.compile(r"(%|x|×|dB|MB|KB|GB|KiB|MiB|ms|s)$")

_NOT_PROSE = [
    re.compile(r"```.*?```", re.S),  # fenced code
    re.compile(r":::\{admonition\}\s*From the note.*?\n:::", re.S),  # the note's own values
    re.compile(r"\$\$.*?\$\$", re.S),
    re.compile(r"\$[^$\n]+\$"),
    re.compile(r"\{[\w:-]+\}`[^`]*`"),  # roles: {cite:p}`…`, {doc}`…`
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<[^>\n]+>"),  # HTML tags and autolinks
    re.compile(r"^\s*#.*$", re.M),  # headings
    re.compile(r"^\s*(?:\d+[.)]|[-*])\s", re.M),  # list markers
    re.compile(r"^\s*:::.*$", re.M),  # directive lines (exercise labels, classes)
    re.compile(r"^\s*:\w+:.*$", re.M),  # directive options
]


def _normal(token: str) -> str:
    return token.replace(",", "").replace("−", "-").strip()


def _bare(token: str) -> str:
    return _UNIT.sub("", _normal(token)).strip()


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text)


def unbacked_numbers(path) -> list[tuple[int, str, str]]:
    """``(cell index, number, sentence)`` for every unbacked number of a notebook."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    code_text, checked_text = [], []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        code_text.append("".join(cell["source"]))
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            checked_text.append("".join(out.get("text", "")))
            checked_text.append("".join(out.get("data", {}).get("text/plain", "")))
    everywhere = NUMBER.findall("\n".join(code_text + checked_text))
    known = {_bare(t) for t in everywhere}  # settings in code, values in checked outputs
    with_units = {_normal(t).replace(" ", "") for t in NUMBER.findall("\n".join(checked_text))}
    found = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        text = re.sub(r"\{cite(?::\w+)?\}`[^`]*`", " CITATION ", "".join(cell["source"]))
        for pattern in _NOT_PROSE:
            text = pattern.sub(" ", text)
        after = cells[index + 1] if index + 1 < len(cells) else None
        asserted = ""
        if (
            after
            and after["cell_type"] == "code"
            and "remove-cell" in after.get("metadata", {}).get("tags", [])
        ):
            asserted = "".join(after["source"])
        for sentence in _sentences(text):
            if "CITATION" in sentence:
                continue
            for match in NUMBER.finditer(sentence):
                token = match.group()
                approximate = bool(APPROXIMATE.search(sentence[: match.start()]))
                bare = _bare(token)
                has_unit = bare != _normal(token)
                try:
                    value = float(bare.replace("−", "-").rstrip(_SUPERSCRIPT))
                except ValueError:
                    value = None
                if value is not None and not has_unit and not approximate and float(value).is_integer():
                    if 1900 <= value <= 2099 or 0 <= value <= 10:
                        continue
                if asserted and token.strip() in asserted:
                    continue
                if has_unit and _normal(token).replace(" ", "") in with_units:
                    continue  # "25 MiB" printed by a checked output
                if not has_unit and not approximate and bare in known:
                    continue
                found.append((index, token.strip(), " ".join(sentence.split())[:160]))
    return found


def main(argv) -> int:
    total = 0
    for name in argv:
        rows = unbacked_numbers(name)
        total += len(rows)
        for index, token, sentence in rows:
            print(f"{name} [{index}] {token!r}: {sentence}")
    print(f"{total} unbacked numbers")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

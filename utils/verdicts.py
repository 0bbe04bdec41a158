"""Verdicts on the note's claims, computed from a page's experiment.

Taught on: every page's "Verdicts" section (first shown on "Activation functions (激活函数)").
A verdict is one of :data:`VERDICTS`; the evidence is a short sentence with the measured
numbers, so nbval re-checks the verdict whenever the numbers change.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

#: The verdicts a claim can get; a verdict text starts with one of them and may go on
#: ("holds only when the initialisation matches").
VERDICTS = ("holds", "holds only when", "wrong", "not testable here")


@dataclass(frozen=True)
class Verdict:
    """A claim of the note, the verdict the page reached, and the evidence for it."""

    claim: str
    verdict: str
    evidence: str

    def __post_init__(self):
        for field in ("claim", "verdict", "evidence"):
            value = getattr(self, field)
            if not isinstance(value, str):
                raise TypeError(f"{field} must be a str, got {type(value).__name__}")
            if not value.strip():
                raise ValueError(f"{field} must not be empty")
        if not self.verdict.startswith(VERDICTS):
            raise ValueError(f"verdict must start with one of {VERDICTS}, got {self.verdict!r}")


def judge(condition: bool, *, holds: str = "holds", otherwise: str = "wrong") -> str:
    """Pick the verdict text from a measured boolean (numpy booleans accepted)."""
    if condition is None or not hasattr(condition, "__bool__") or isinstance(condition, (str, bytes)):
        raise TypeError(f"condition must be a boolean, got {type(condition).__name__}")
    return holds if bool(condition) else otherwise


def _shout_keyword(verdict: str) -> str:
    """Upper-case the verdict's keyword ("holds only when" → "HOLDS ONLY WHEN"), not the rest."""
    keyword = max((k for k in VERDICTS if verdict.startswith(k)), key=len)
    return keyword.upper() + verdict[len(keyword):]


def format_verdicts(verdicts, width: int = 76) -> str:
    """A plain-text table of verdicts, wrapped to ``width`` columns (76 fits the site's
    code boxes), stable from run to run. The verdict keyword is upper-cased."""
    verdicts = list(verdicts)
    if not verdicts:
        raise ValueError("format_verdicts needs at least one Verdict")
    for v in verdicts:
        if not isinstance(v, Verdict):
            raise TypeError(f"expected Verdict objects, got {type(v).__name__}")
    if width < 40:
        raise ValueError(f"width must be at least 40, got {width}")
    blocks = []
    for i, v in enumerate(verdicts, start=1):
        head = textwrap.fill(f"{i}. {v.claim}", width, subsequent_indent="   ")
        verdict = textwrap.fill(f"verdict: {_shout_keyword(v.verdict)}", width, initial_indent="   ", subsequent_indent="   ")
        evidence = textwrap.fill(v.evidence, width, initial_indent="   ", subsequent_indent="   ")
        blocks.append("\n".join([head, verdict, evidence]))
    return "\n\n".join(blocks)

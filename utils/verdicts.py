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
    return keyword.upper() + verdict[len(keyword) :]


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
        verdict = textwrap.fill(
            f"verdict: {_shout_keyword(v.verdict)}", width, initial_indent="   ", subsequent_indent="   "
        )
        evidence = textwrap.fill(v.evidence, width, initial_indent="   ", subsequent_indent="   ")
        blocks.append("\n".join([head, verdict, evidence]))
    return "\n\n".join(blocks)


class Ledger:
    """A page's verdicts, each recorded in the cell whose experiment settles it.

    ``record`` takes the judgement as a function of the evidence, written with the
    measured values as default arguments::

        verdicts_ = verdicts.Ledger()
        verdicts_.record("tanh(x) = 2 sigmoid(2x) - 1",
                         lambda err=identity_error: err < 1e-14,
                         f"max difference {identity_error:.1e} on [-5, 5]",
                         flip={"err": 1e-3})

    ``flip`` is evidence that would falsify the claim: the ledger evaluates the rule on
    it too and refuses a verdict that comes out the same either way (a verdict that
    cannot come out otherwise is no verdict). Claims settled by the literature, not by
    an experiment on the page, use :meth:`cite`. The final Verdicts cell prints
    :meth:`table`.

    Taught on: every page's "Verdicts" (first shown on "Activation functions (激活函数)").
    """

    def __init__(self):
        self._verdicts: list[Verdict] = []
        self._kinds: list[str] = []

    def __len__(self) -> int:
        return len(self._verdicts)

    @property
    def verdicts(self) -> list[Verdict]:
        return list(self._verdicts)

    @property
    def kinds(self) -> list[str]:
        """``"experiment"`` or ``"literature"`` for each verdict, in order."""
        return list(self._kinds)

    def record(
        self, claim: str, rule, evidence: str, *, flip: dict, holds: str = "holds", otherwise: str = "wrong"
    ) -> str:
        """Judge ``claim`` by ``rule()`` and check that ``rule(**flip)`` judges otherwise.

        Returns one line, ``verdict 3: HOLDS``, for the cell to print next to its
        evidence. Raises ``ValueError`` when the flipped evidence gives the same verdict.
        """
        if not callable(rule):
            raise TypeError(f"rule must be a function of the evidence, got {type(rule).__name__}")
        if not isinstance(flip, dict) or not flip:
            raise TypeError("flip must be a non-empty dict of the rule's arguments")
        if holds == otherwise:
            raise ValueError(f"holds and otherwise must differ, both are {holds!r}")
        try:
            actual, flipped = judge(rule(), holds=holds, otherwise=otherwise), None
            flipped = judge(rule(**flip), holds=holds, otherwise=otherwise)
        except TypeError as exc:
            if flipped is None and "argument" in str(exc):
                raise TypeError(f"flip names an argument the rule does not take: {exc}") from exc
            raise
        if flipped == actual:
            raise ValueError(
                f"the verdict on {claim!r} is {actual!r} whatever the evidence: "
                f"flip={flip} gives the same; the rule cannot come out otherwise"
            )
        return self._add(Verdict(claim, actual, evidence), "experiment")

    def cite(self, claim: str, verdict: str, evidence: str) -> str:
        """Record a verdict settled by the literature (the evidence names the source)."""
        return self._add(Verdict(claim, verdict, evidence), "literature")

    def _add(self, verdict: Verdict, kind: str) -> str:
        self._verdicts.append(verdict)
        self._kinds.append(kind)
        return f"verdict {len(self._verdicts)}: {_shout_keyword(verdict.verdict)}"

    def table(self, width: int = 76) -> str:
        """All verdicts as :func:`format_verdicts` prints them."""
        if not self._verdicts:
            raise ValueError("no verdict recorded yet")
        return format_verdicts(self._verdicts, width)

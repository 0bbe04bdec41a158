"""Tests of utils.verdicts: Verdict validation, judge and format_verdicts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from utils.verdicts import VERDICTS, Verdict, format_verdicts, judge


@pytest.mark.parametrize(
    "verdict",
    [
        "holds",
        "wrong",
        "not testable here",
        "holds only when: on Windows",
        "holds only when the initialisation matches",
        "wrong: in TF2 it is gone",
    ],
)
def test_verdict_accepts_known_prefixes(verdict):
    v = Verdict("a claim", verdict, "the evidence")
    assert (v.claim, v.verdict, v.evidence) == ("a claim", verdict, "the evidence")


@pytest.mark.parametrize("verdict", ["maybe", "Holds", "", " holds", "partly holds", "not testable"])
def test_verdict_refuses_unknown_prefix(verdict):
    with pytest.raises(ValueError, match="verdict"):
        Verdict("a claim", verdict, "the evidence")


@pytest.mark.parametrize("field", ["claim", "verdict", "evidence"])
@pytest.mark.parametrize(
    "bad,error",
    [(None, TypeError), (1, TypeError), (b"holds", TypeError), ("", ValueError), ("  \n", ValueError)],
)
def test_verdict_fields_validated(field, bad, error):
    kwargs = {"claim": "c", "verdict": "holds", "evidence": "e", field: bad}
    with pytest.raises(error, match=field):
        Verdict(**kwargs)


def test_verdict_is_frozen():
    v = Verdict("c", "holds", "e")
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.verdict = "wrong"


def test_judge():
    assert judge(True) == "holds"
    assert judge(False) == "wrong"
    assert judge(np.bool_(True)) == "holds"
    assert judge(np.float64(0.5) < 1.0) == "holds"
    assert judge(np.array([1.0]) > 2.0) == "wrong"  # one-element comparison
    assert (
        judge(np.bool_(False), holds="holds only when: x", otherwise="not testable here")
        == "not testable here"
    )
    assert judge(True, holds="holds only when: x") == "holds only when: x"
    for verdict in VERDICTS:
        Verdict("c", judge(True, holds=verdict), "e")


@pytest.mark.parametrize("bad", ["yes", "", b"1", [True], None])
def test_judge_refuses_non_booleans(bad):
    with pytest.raises(TypeError, match="condition must be a boolean"):
        judge(bad)


def test_judge_ambiguous_array_is_not_silent():
    with pytest.raises(ValueError):
        judge(np.array([True, False]))


def _claims():
    return [
        Verdict("short claim", "holds", "measured 1.0"),
        Verdict(
            " ".join(f"word{i}" for i in range(40)), "holds only when: tested", " ".join(["evidence"] * 30)
        ),
        Verdict("third", "not testable here", "no data"),
    ]


@pytest.mark.parametrize("width", [40, 60, 88])
def test_format_verdicts_wraps_and_numbers(width):
    verdicts = _claims()
    text = format_verdicts(verdicts, width=width)
    assert all(len(line) <= width for line in text.splitlines())
    blocks = text.split("\n\n")
    assert len(blocks) == 3
    for i, (block, v) in enumerate(zip(blocks, verdicts), start=1):
        lines = block.splitlines()
        assert lines[0].startswith(f"{i}. ")
        assert all(line.startswith("   ") for line in lines[1:])
        # no word lost or split: the claim, verdict and evidence come back word for word
        words = block.split()
        assert words[0] == f"{i}."
        keyword = max((k for k in VERDICTS if v.verdict.startswith(k)), key=len)
        expected = (
            v.claim.split()
            + ["verdict:"]
            + (keyword.upper() + v.verdict[len(keyword) :]).split()
            + v.evidence.split()
        )
        assert words[1:] == expected
    assert "VERDICT" not in text and "verdict: HOLDS ONLY WHEN: tested" in format_verdicts(verdicts, 200)
    assert len(blocks[1].splitlines()) > 3  # the long claim and evidence really are wrapped
    assert format_verdicts(verdicts, width=width) == text  # stable


def test_only_the_verdict_keyword_is_upper_cased():
    text = format_verdicts([Verdict("c", "holds only when x > 0 for ReLU", "e"), Verdict("c", "wrong", "e")])
    assert "verdict: HOLDS ONLY WHEN x > 0 for ReLU" in text and "verdict: WRONG" in text
    assert format_verdicts([Verdict("c", "holds: as sufficient conditions", "e")]).count("HOLDS: as") == 1


def test_default_width_fits_the_site():
    long = Verdict("claim " * 30, "holds", "evidence " * 30)
    assert max(len(line) for line in format_verdicts([long]).splitlines()) <= 76


def test_format_verdicts_accepts_any_iterable():
    verdicts = _claims()
    assert format_verdicts(iter(verdicts)) == format_verdicts(verdicts) == format_verdicts(tuple(verdicts))


def test_format_verdicts_errors():
    with pytest.raises(ValueError, match="at least one"):
        format_verdicts([])
    with pytest.raises(TypeError, match="Verdict"):
        format_verdicts([_claims()[0], ("c", "holds", "e")])
    with pytest.raises(TypeError):
        format_verdicts(_claims()[0])  # one Verdict, not a list of them
    with pytest.raises(ValueError, match="at least 40"):
        format_verdicts(_claims(), width=39)


def test_ledger_records_and_prints():
    from utils.verdicts import Ledger

    ledger = Ledger()
    err = 3e-16
    line = ledger.record("identity", lambda e=err: e < 1e-14, "max difference tiny", flip={"e": 1e-3})
    assert line == "verdict 1: HOLDS"
    line = ledger.record(
        "slow",
        lambda acc=0.2: acc > 0.9,
        "acc 0.2",
        flip={"acc": 0.95},
        holds="holds",
        otherwise="holds only when shallow",
    )
    assert line == "verdict 2: HOLDS ONLY WHEN shallow"
    assert ledger.cite("Hinton first", "wrong", "Fukushima 1969") == "verdict 3: WRONG"
    assert len(ledger) == 3 and ledger.kinds == ["experiment", "experiment", "literature"]
    assert ledger.table() == format_verdicts(ledger.verdicts)
    assert "verdict: HOLDS ONLY WHEN shallow" in ledger.table()


def test_ledger_refuses_a_verdict_that_cannot_flip():
    from utils.verdicts import Ledger

    ledger = Ledger()
    with pytest.raises(ValueError, match="cannot come out otherwise"):
        ledger.record("always", lambda x=1.0: x > 0 or True, "x", flip={"x": -1.0})
    assert len(ledger) == 0


def test_ledger_bad_input():
    from utils.verdicts import Ledger

    ledger = Ledger()
    with pytest.raises(TypeError, match="rule must be a function"):
        ledger.record("c", True, "e", flip={"x": 1})
    with pytest.raises(TypeError, match="flip must be a non-empty dict"):
        ledger.record("c", lambda x=1: x > 0, "e", flip={})
    with pytest.raises(TypeError, match="does not take"):
        ledger.record("c", lambda x=1: x > 0, "e", flip={"y": -1})
    with pytest.raises(ValueError, match="must differ"):
        ledger.record("c", lambda x=1: x > 0, "e", flip={"x": -1}, holds="wrong")
    with pytest.raises(ValueError, match="must start with"):
        ledger.cite("c", "maybe", "e")
    with pytest.raises(ValueError, match="no verdict recorded"):
        ledger.table()

"""Tests of utils.formatting (format_table, percent_format_arity, explain_percent)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from utils import formatting


# ---------------------------------------------------------------- format_table
def test_format_table_hand_computed():
    table = formatting.format_table(
        [["relu", 1234.5, 0.000123], ["tanh", 7.0, 12.0]],
        ["name", "value", "small"],
        ["s", ",.1f", ".2e"],
    )
    expected = "\n".join(
        [
            "name    value     small",
            "----  -------  --------",
            "relu  1,234.5  1.23e-04",
            "tanh      7.0  1.20e+01",
        ]
    )
    assert table == expected


def test_format_table_round_trips_numbers_and_is_fixed_width():
    rng = np.random.default_rng(0)
    values = rng.normal(scale=1000, size=(6, 3))
    table = formatting.format_table(values.tolist(), ["a", "b", "c"], ".3f")
    lines = table.splitlines()
    assert len({len(line) for line in lines}) == 1  # every line equally wide
    parsed = np.array([[float(x) for x in line.split()] for line in lines[2:]])
    np.testing.assert_allclose(parsed, np.round(values, 3), atol=1e-9)


def test_format_table_writes_str_cells_as_they_are():
    table = formatting.format_table([[1.0, 2.0], ["n/a", 3.0]], ["a", "b"], ".2f")
    assert table.splitlines()[2:] == ["1.00  2.00", " n/a  3.00"]


def test_format_table_accepts_numpy_scalars_and_header_sets_width():
    table = formatting.format_table([[np.float32(0.5), np.int64(3)]], ["a long header", "n"], ".2g")
    assert table.splitlines()[2] == "          0.5  3"


@pytest.mark.parametrize(
    "rows, headers, spec, error, match",
    [
        ([[1, 2]], ["a"], ".2f", ValueError, "row 0 has 2 cells, expected 1"),
        ([[True]], ["a"], ".2f", TypeError, "must be a real number or a str, got bool"),
        ([[None]], ["a"], ".2f", TypeError, "got NoneType"),
        ([[5]], ["a"], "s", ValueError, "format spec 's' of column 'a' does not fit 5"),
        ([[1.0]], ["a"], ".2q", ValueError, "does not fit 1.0"),
        ([[1, 2]], ["a", "b"], [".1f"], ValueError, "one format spec per column"),
        ([[1]], ["a"], 3, TypeError, "spec must be a format spec str"),
        ([[1]], [], ".1f", ValueError, "at least one column"),
        ([[1]], "a", ".1f", TypeError, "headers must be a sequence of str"),
        ("rows", ["a"], ".1f", TypeError, "rows must be a sequence of rows"),
        ([1.0], ["a"], ".1f", TypeError, "row 0 must be a sequence of cells"),
    ],
)
def test_format_table_bad_input(rows, headers, spec, error, match):
    with pytest.raises(error, match=match):
        formatting.format_table(rows, headers, spec)


# ---------------------------------------------------------------- percent_format_arity
def python_arity(template: str):
    """Ask Python itself: the number of int arguments with which ``template % args`` works."""
    for k in range(10):
        try:
            template % ((1,) * k)
            return k
        except TypeError:
            continue
    raise AssertionError(f"no argument count works for {template!r}")


def test_arity_agrees_with_python_on_random_templates():
    rng = random.Random(0)
    alphabet = "%%%sdfxc*.5-0 #lqé\x07"
    checked = 0
    for _ in range(3000):
        template = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        try:
            expected = ("ok", python_arity(template))
        except ValueError as exc:
            expected = ("error", str(exc))
        try:
            got = ("ok", formatting.percent_format_arity(template))
        except ValueError as exc:
            got = ("error", str(exc))
        assert got == expected, template
        checked += expected[0] == "ok"
    assert checked > 300  # the sample holds plenty of valid templates too


@pytest.mark.parametrize(
    "template, arity",
    [("%s and %s.", 2), ("{0} and {1}.", 0), ("100%% sure", 0), ("%*.*f", 3), ("%-8.3e|%+05d", 2), ("", 0)],
)
def test_arity_hand_cases(template, arity):
    assert formatting.percent_format_arity(template) == arity


@pytest.mark.parametrize(
    "template, error, match",
    [
        ("%(name)s", ValueError, "takes one mapping"),
        ("50%", ValueError, "incomplete format"),
        ("%y", ValueError, r"unsupported format character 'y' \(0x79\) at index 1"),
        (b"%s", TypeError, "template must be a str, got bytes"),
    ],
)
def test_arity_bad_input(template, error, match):
    with pytest.raises(error, match=match):
        formatting.percent_format_arity(template)


# ---------------------------------------------------------------- explain_percent
CASES = [
    ("%s and %s.", ("line", "l")),
    ("%s and %s.", ("line", "l", "extra")),
    ("%s and %s.", ("line",)),
    ("{} and {}.", ("line", "l")),
    ("5", 2),
    ("%s", (1, 2)),
    ("%s", ((1, 2),)),
    ("%s", [1, 2]),
    ("%s %s", [1, 2]),
    ("no specifier", [1, 2]),
    ("no specifier", {"a": 1}),
    ("no specifier", "text"),
    ("no specifier", ()),
    ("%d%%", (3,)),
    ("%*d", (5, 3)),
]


@pytest.mark.parametrize("template, args", CASES)
def test_explain_percent_predicts_python(template, args):
    outcome = formatting.explain_percent(template, args).split(" -> ", 1)[1]
    try:
        template % args
    except TypeError as exc:
        assert outcome == f"TypeError: {exc}"
    else:
        assert outcome in (
            "counts match",
            "no error: an object with __getitem__ is taken as a mapping and ignored",
        )


def test_explain_percent_reports_the_counts():
    text = formatting.explain_percent("%s", (1, 2))
    assert text.startswith("'%s' has 1 specifier; a tuple of 2 supplies 2 arguments")


def test_explain_percent_bad_input():
    with pytest.raises(TypeError, match="template must be a str"):
        formatting.explain_percent(None, ())
    with pytest.raises(ValueError, match="incomplete format"):
        formatting.explain_percent("%", ())


@pytest.mark.parametrize(
    "value, limit, text",
    [
        (3.6e-7, 1e-6, "< 1e-6"),
        (0.0, 1e-12, "< 1e-12"),
        (-4e-15, 1e-13, "< 1e-13"),
        (2e-5, 1e-6, "2.0e-05 (not < 1e-6)"),
        (1e-6, 1e-6, "1.0e-06 (not < 1e-6)"),
    ],
)
def test_below_prints_the_bound_or_the_digits(value, limit, text):
    assert formatting.below(value, limit) == text


def test_below_accepts_numpy_and_torch_scalars():
    import numpy as np
    import torch

    assert formatting.below(np.float32(3e-7), 1e-6) == "< 1e-6"
    assert formatting.below(np.array([2e-15]), 1e-13) == "< 1e-13"
    assert formatting.below(torch.tensor(5e-8), 1e-6) == "< 1e-6"


def test_below_bad_input():
    import numpy as np

    with pytest.raises(TypeError, match="real number"):
        formatting.below("1e-7", 1e-6)
    with pytest.raises(TypeError, match="one real number"):
        formatting.below(np.zeros(3), 1e-6)
    with pytest.raises(TypeError, match="real number"):
        formatting.below(True, 1e-6)
    with pytest.raises(ValueError, match="limit must be a finite number > 0, got 0.0"):
        formatting.below(1e-7, 0)
    with pytest.raises(TypeError, match="limit must be a real number, got str"):
        formatting.below(1e-7, "1e-6")
    with pytest.raises(ValueError, match="NaN"):
        formatting.below(float("nan"), 1e-6)

"""Printing numbers: fixed-width tables, and why a ``%`` format call fails.

Taught on: "String formatting (print函数)"; :func:`format_table` is used by every page
that prints a table of measured numbers.
"""

from __future__ import annotations

import numbers
from typing import Sequence

from ._checks import check_positive_real

#: Conversion types of printf-style formatting that consume one argument.
PERCENT_CONVERSIONS = "diouxXeEfFgGcrsa"
_FLAGS = "-+ #0"
_LENGTH_MODIFIERS = "hlL"


def _as_specs(spec, ncols: int) -> list[str]:
    if isinstance(spec, str):
        return [spec] * ncols
    if not isinstance(spec, Sequence):
        raise TypeError(f"spec must be a format spec str or a sequence of them, got {type(spec).__name__}")
    specs = list(spec)
    if len(specs) != ncols:
        raise ValueError(f"spec must give one format spec per column ({ncols}), got {len(specs)}")
    for s in specs:
        if not isinstance(s, str):
            raise TypeError(f"each format spec must be a str, got {type(s).__name__}")
    return specs


def format_table(rows, headers, spec: str | Sequence[str] = ".4g", *, sep: str = "  ") -> str:
    """Render ``rows`` of numbers as a fixed-width text table under ``headers``.

    ``spec`` is a format spec (the part after ``:`` in ``f"{x:,.2f}"``) applied to every
    number, or one spec per column. Cells are real numbers (numpy scalars included),
    formatted with their column's spec, or str, written as they are (labels, ``"n/a"``).
    Each column is as wide as its widest entry; columns holding only str are
    left-aligned, the others right-aligned. Returns the lines joined by newlines,
    with a dashed rule under the header.
    """
    if isinstance(headers, str) or not isinstance(headers, Sequence):
        raise TypeError(f"headers must be a sequence of str, got {type(headers).__name__}")
    headers = list(headers)
    if not headers:
        raise ValueError("headers must name at least one column")
    for h in headers:
        if not isinstance(h, str):
            raise TypeError(f"each header must be a str, got {type(h).__name__}")
    ncols = len(headers)
    specs = _as_specs(spec, ncols)
    if not isinstance(sep, str):
        raise TypeError(f"sep must be a str, got {type(sep).__name__}")
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be a sequence of rows, got {type(rows).__name__}")

    cells: list[list[str]] = []
    text_only = [True] * ncols
    for r, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
            raise TypeError(f"row {r} must be a sequence of cells, got {type(row).__name__}")
        if len(row) != ncols:
            raise ValueError(f"row {r} has {len(row)} cells, expected {ncols} (one per header)")
        line = []
        for c, value in enumerate(row):
            if isinstance(value, str):
                line.append(value)
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(
                    f"cell ({r}, {headers[c]!r}) must be a real number or a str, got {type(value).__name__}"
                )
            text_only[c] = False
            try:
                line.append(format(value, specs[c]))
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    f"format spec {specs[c]!r} of column {headers[c]!r} does not fit {value!r}: {exc}"
                ) from None
        cells.append(line)

    widths = [max([len(h)] + [len(line[c]) for line in cells]) for c, h in enumerate(headers)]

    def render(entries: list[str]) -> str:
        parts = [e.ljust(w) if text_only[c] else e.rjust(w) for c, (e, w) in enumerate(zip(entries, widths))]
        return sep.join(parts).rstrip()

    out = [render(headers), sep.join("-" * w for w in widths)]
    out += [render(line) for line in cells]
    return "\n".join(out)


def _skip_count(template: str, k: int) -> tuple[int, int]:
    """Skip a width or precision at ``k``: ``*`` (takes an argument) or digits."""
    if k < len(template) and template[k] == "*":
        return k + 1, 1
    while k < len(template) and template[k] in "0123456789":
        k += 1
    return k, 0


def _parse_percent(template: str) -> tuple[int, bool]:
    """(positional arguments consumed, whether a %(key) appears), raising like CPython."""
    n = len(template)
    count = 0
    keyed = False
    i = template.find("%")
    while i >= 0:
        k = i + 1
        if k >= n:
            raise ValueError("incomplete format")
        if template[k] == "%":  # "%%" writes one percent sign
            i = template.find("%", k + 1)
            continue
        if template[k] == "(":
            depth, k = 1, k + 1
            while k < n and depth:
                depth += {"(": 1, ")": -1}.get(template[k], 0)
                k += 1
            if depth:
                raise ValueError("incomplete format key")
            keyed = True
        while k < n and template[k] in _FLAGS:
            k += 1
        k, stars = _skip_count(template, k)  # width
        count += stars
        if k < n and template[k] == ".":
            k, stars = _skip_count(template, k + 1)  # precision
            count += stars
        if k < n and template[k] in _LENGTH_MODIFIERS:
            k += 1
        if k >= n:
            raise ValueError("incomplete format")
        ch = template[k]
        if ch not in PERCENT_CONVERSIONS:  # CPython shows non-printable characters as '?'
            shown = ch if 32 <= ord(ch) <= 126 else "?"
            raise ValueError(f"unsupported format character '{shown}' (0x{ord(ch):x}) at index {k}")
        count += 1
        i = template.find("%", k + 1)
    return count, keyed


def percent_format_arity(template: str) -> int:
    """Return how many positional arguments ``template % args`` consumes.

    Counts the conversion specifiers (``%s``, ``%5.2f``, ...) plus one per ``*`` width
    or precision; ``%%`` (written exactly so) consumes none. A malformed template raises ``ValueError`` with
    Python's own message (``incomplete format``, ``unsupported format character ...``).
    A template with ``%(name)s`` keys takes one mapping instead of positional
    arguments, so it raises ``ValueError`` too.
    """
    if not isinstance(template, str):
        raise TypeError(f"template must be a str, got {type(template).__name__}")
    count, keyed = _parse_percent(template)
    if keyed:
        raise ValueError(
            "template uses %(name) keys: it takes one mapping, not a number of positional arguments"
        )
    return count


def explain_percent(template: str, args) -> str:
    """Explain what ``template % args`` will do with its arguments, without running it.

    Returns one line: the number of specifiers, the number of arguments the right
    operand supplies (a tuple supplies its items; any other object is one argument),
    and after ``->`` either ``counts match`` or the ``TypeError`` Python raises.
    Only the counts are checked, not whether each argument suits its conversion
    (``'%d' % 'x'`` has matching counts and still fails).
    """
    need = percent_format_arity(template)
    if isinstance(args, tuple):
        got = len(args)
        given = f"a tuple of {got} supplies {got} argument{'s' if got != 1 else ''}"
    else:
        got = 1
        given = f"one {type(args).__name__} (not a tuple) supplies 1 argument"
    head = f"{template!r} has {need} specifier{'s' if need != 1 else ''}; {given}"
    if got < need:
        return f"{head} -> TypeError: not enough arguments for format string"
    if got > need:
        mapping_like = not isinstance(args, (tuple, str)) and hasattr(type(args), "__getitem__")
        if mapping_like:
            return f"{head} -> no error: an object with __getitem__ is taken as a mapping and ignored"
        return f"{head} -> TypeError: not all arguments converted during string formatting"
    return f"{head} -> counts match"


def _short_exponent(limit: float) -> str:
    """``1e-06`` → ``1e-6``: a power of ten the way people write it."""
    mantissa, exponent = f"{limit:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def below(value, limit: float) -> str:
    """Print a round-off-sized ``value`` as the bound it meets: ``"< 1e-12"``.

    Round-off (an error of 3.6e-07 in float32, 4e-15 in float64) changes its digits
    from one CPU to another; the claim that it is tiny does not. When ``value`` is
    *not* below ``limit`` its digits are printed instead (``"3.2e-05 (not < 1e-6)"``),
    so a real change still shows, and fails a stored-output check.

    Taught on: "Fourier transform" and "Attention"; the reason is in README ("Testing").
    """
    if not isinstance(value, numbers.Real) and hasattr(value, "item"):
        try:
            value = value.item()  # a one-element numpy array or torch tensor
        except (ValueError, RuntimeError) as exc:
            raise TypeError(f"value must be one real number, got {type(value).__name__}") from exc
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a real number, got {type(value).__name__}")
    limit = check_positive_real(limit, "limit")
    value = float(value)
    if value != value:
        raise ValueError("value is NaN")
    text = _short_exponent(limit)
    return f"< {text}" if abs(value) < limit else f"{value:.1e} (not < {text})"

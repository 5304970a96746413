"""Expected rows against the rows a test's target computed, and the diff a person reads.

The columns compared are those the expected rows name. Each expected value is first converted
to the type of the output's column (so `'2026-01-01 10:00:00'` is compared as a timestamp and
`'12.50'` as a decimal); a value that cannot be is a problem of the test file, located. Rows
are matched on the expectation's `key` when it has one (then a row whose key matches but whose
values differ is *changed*, shown column by column), else on every compared column (as a
multiset: a difference shows as a missing and an extra row); with `row_order: check`, row by
row in order. Floats match within `tolerance`. Pure Python: no pyspark.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from framework.errors import Problem, did_you_mean
from framework.testing.model import Expectation
from framework.testing.values import convert, same, shown

MAX_SHOWN = 10  # rows of each kind a diff shows


@dataclass(frozen=True)
class Output:
    """What the target computed, collected: columns, their Spark types, the rows."""

    columns: tuple[str, ...]
    types: dict[str, str]
    rows: tuple[dict[str, Any], ...]


@dataclass
class Diff:
    expected: int = 0
    actual: int = 0
    key: tuple[str, ...] = ()
    ordered: bool = False
    columns: list[str] = field(default_factory=list)  # problems with columns, one line each
    changed: list[tuple[str, int, list[tuple[str, Any, Any]]]] = field(default_factory=list)
    missing: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    extra: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # expected values of a wrong type

    @property
    def passed(self) -> bool:
        return not (self.columns or self.changed or self.missing or self.extra
                    or self.problems)


def compare(expect: Expectation, output: Output) -> Diff:
    rows = expect.rows
    diff = Diff(len(rows), len(output.rows), expect.key, expect.row_order == "check")
    compared = [c for c in rows.columns if c in output.columns]
    for column in rows.columns:
        if column not in output.columns:
            diff.columns.append(f"column {column!r} is not in the output; " + did_you_mean(
                column, output.columns, otherwise=f"its columns: {', '.join(output.columns)}"))
    _column_options(expect, output, diff)
    expected = _converted(expect, output, compared, diff)
    if diff.problems:
        return diff
    shown_columns = compared or list(output.columns)
    actual = [{c: row[c] for c in shown_columns} for row in output.rows]
    key = tuple(k for k in expect.key if k in compared)
    if diff.ordered:
        _by_position(expected, actual, compared, expect.tolerance, diff)
    elif key and len(key) == len(expect.key):
        _by_key(expected, actual, key, compared, expect.tolerance, diff)
    elif not expect.key:
        _as_multiset(expected, actual, compared, expect.tolerance, diff)
    return diff


def _column_options(expect: Expectation, output: Output, diff: Diff) -> None:
    named = list(expect.rows.columns)
    if expect.extra_columns == "fail":
        extra = [c for c in output.columns if c not in named]
        if extra:
            diff.columns.append(f"the output has columns the expected rows do not name: "
                                f"{', '.join(extra)} (extra_columns: fail)")
    if expect.column_order == "check":
        present = [c for c in output.columns if c in named]
        wanted = [c for c in named if c in output.columns]
        if present != wanted:
            diff.columns.append(f"columns in another order: expected {', '.join(wanted)}; "
                                f"the output has {', '.join(present)} (column_order: check)")


def _converted(expect: Expectation, output: Output, compared: list[str],
               diff: Diff) -> list[dict[str, Any]]:
    out = []
    for i, row in enumerate(expect.rows.rows):
        values = {}
        for column in compared:
            try:
                values[column] = convert(row.get(column), output.types[column], strict=False)
            except ValueError as exc:
                diff.problems.append(Problem(
                    f"expected {column} ({output.types[column]} in the output): {exc}",
                    expect.rows.cell(i, column), hint="write a value of the output column's "
                    "type (timestamps as YYYY-MM-DD HH:MM:SS, UTC), or null"))
        out.append(values)
    return out


def _differences(exp: dict[str, Any], act: dict[str, Any], columns: list[str],
                 tolerance: float) -> list[tuple[str, Any, Any]]:
    return [(c, exp[c], act[c]) for c in columns if not same(exp[c], act[c], tolerance)]


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _by_position(expected, actual, columns, tolerance, diff: Diff) -> None:
    for i in range(max(len(expected), len(actual))):
        if i >= len(actual):
            diff.missing.append((i, expected[i]))
        elif i >= len(expected):
            diff.extra.append((actual[i], f"row {i + 1}"))
        else:
            changes = _differences(expected[i], actual[i], columns, tolerance)
            if changes:
                diff.changed.append((f"row {i + 1}", i, changes))


def _by_key(expected, actual, key, columns, tolerance, diff: Diff) -> None:
    found: dict[tuple, deque[int]] = defaultdict(deque)
    for j, row in enumerate(actual):
        found[_hashable(tuple(row[k] for k in key))].append(j)
    used: set[int] = set()
    for i, row in enumerate(expected):
        matches = found.get(_hashable(tuple(row[k] for k in key)))
        if not matches:
            diff.missing.append((i, row))
            continue
        j = matches.popleft()
        used.add(j)
        changes = _differences(row, actual[j], columns, tolerance)
        if changes:
            label = ", ".join(f"{k}={shown(row[k])}" for k in key)
            diff.changed.append((label, i, changes))
    keys_seen = {_hashable(tuple(row[k] for k in key)) for row in expected}
    for j, row in enumerate(actual):
        if j not in used:
            repeated = _hashable(tuple(row[k] for k in key)) in keys_seen
            diff.extra.append((row, "key repeated in the output" if repeated else ""))


def _as_multiset(expected, actual, columns, tolerance, diff: Diff) -> None:
    """Each expected row takes an equal output row: exact values first, then within the float
    tolerance; what is left is missing or extra."""
    buckets: dict[tuple, deque[int]] = defaultdict(deque)
    for j, row in enumerate(actual):
        buckets[_hashable(tuple(row[c] for c in columns))].append(j)
    left: list[int] = []
    used: set[int] = set()
    for i, row in enumerate(expected):
        bucket = buckets.get(_hashable(tuple(row[c] for c in columns)))
        if bucket:
            used.add(bucket.popleft())
        else:
            left.append(i)
    for i in left:
        j = next((j for j in range(len(actual)) if j not in used
                  and not _differences(expected[i], actual[j], columns, tolerance)), None)
        if j is None:
            diff.missing.append((i, expected[i]))
        else:
            used.add(j)
    diff.extra += [(actual[j], "") for j in range(len(actual)) if j not in used]


def _row_text(row: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{c}: {shown(v)}" for c, v in row.items()) + "}"


def diff_lines(diff: Diff, expect: Expectation) -> list[str]:
    """The diff as lines a person reads: counts, column problems, then changed, missing and
    extra rows (at most MAX_SHOWN of each), expected rows with where they are written."""
    how = "in order" if diff.ordered else (f"matched on {', '.join(diff.key)}" if diff.key
                                           else "matched on every column")
    counts = [f"{n} {what}" for n, what in ((len(diff.changed), "changed"),
                                             (len(diff.missing), "missing"),
                                             (len(diff.extra), "extra")) if n]
    lines = [f"expected {diff.expected} row(s), got {diff.actual}"
             + (f": {', '.join(counts)} (rows {how})" if counts else "")]
    lines += diff.columns
    where = expect.rows.where
    for label, i, changes in diff.changed[:MAX_SHOWN]:
        lines.append(f"changed  {label}  (expected at {where[i]})")
        lines += [f"    {c}: expected {shown(e)}, got {shown(a)}" for c, e, a in changes]
    lines += _more(diff.changed)
    for i, row in diff.missing[:MAX_SHOWN]:
        lines.append(f"missing  {_row_text(row)}  (expected at {where[i]})")
    lines += _more(diff.missing)
    for row, note in diff.extra[:MAX_SHOWN]:
        lines.append(f"extra    {_row_text(row)}" + (f"  ({note})" if note else ""))
    lines += _more(diff.extra)
    if diff.missing and diff.extra and not diff.key and not diff.ordered:
        lines.append("hint: give the expectation a key: (the columns that identify a row) to "
                     "see changed rows column by column")
    return lines


def _more(items: list) -> list[str]:
    return [f"... and {len(items) - MAX_SHOWN} more"] if len(items) > MAX_SHOWN else []

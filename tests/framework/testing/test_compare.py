"""The diff of `etl test` and the values it compares, without Spark: expected rows against an
output given as plain Python values, as the runner collects them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from framework.errors import Location
from framework.testing.compare import Output, compare, diff_lines
from framework.testing.model import Expectation, Rows
from framework.testing.values import convert, normalize, same


def expectation(rows: list[dict], **options) -> Expectation:
    columns = tuple(dict.fromkeys(c for r in rows for c in r))
    where = tuple(Location("t.tests.yaml", 10 + i, 7) for i in range(len(rows)))
    return Expectation(Rows(columns, tuple(rows), where), **options)


def output(types: dict[str, str], rows: list[dict]) -> Output:
    return Output(tuple(types), types, tuple(rows))


SESSIONS = output({"session_id": "string", "duration": "double", "revenue": "decimal(18,2)",
                   "start": "timestamp", "day": "date", "converted": "boolean"}, [
    {"session_id": "s1", "duration": 150.0, "revenue": Decimal("25.00"),
     "start": datetime(2026, 1, 1, 23, 59, tzinfo=UTC), "day": date(2026, 1, 1),
     "converted": True},
    {"session_id": "s2", "duration": 20.0, "revenue": Decimal("0.00"),
     "start": datetime(2026, 1, 2, 9, 0, tzinfo=UTC), "day": date(2026, 1, 2),
     "converted": False},
])


def test_expected_text_is_compared_as_the_output_columns_type():
    diff = compare(expectation([
        {"session_id": "s1", "duration": 150, "revenue": "25", "start": "2026-01-02T00:59:00+01:00",
         "day": "2026-01-01", "converted": "true"},
        {"session_id": "s2", "duration": "20.0", "revenue": 0, "start": "2026-01-02 09:00:00",
         "day": "2026-01-02", "converted": False},
    ], key=("session_id",)), SESSIONS)
    assert diff.passed, diff_lines(diff, expectation([]))


def test_changed_rows_are_shown_column_by_column_when_matched_on_a_key():
    expect = expectation([
        {"session_id": "s1", "duration": 90.0, "converted": True},
        {"session_id": "s2", "duration": 20.0, "converted": True},
        {"session_id": "s3", "duration": 1.0, "converted": False},
    ], key=("session_id",))
    diff = compare(expect, SESSIONS)
    assert not diff.passed
    assert diff_lines(diff, expect) == [
        "expected 3 row(s), got 2: 2 changed, 1 missing (rows matched on session_id)",
        "changed  session_id='s1'  (expected at t.tests.yaml:10:7)",
        "    duration: expected 90.0, got 150.0",
        "changed  session_id='s2'  (expected at t.tests.yaml:11:7)",
        "    converted: expected true, got false",
        "missing  {session_id: 's3', duration: 1.0, converted: false}  (expected at "
        "t.tests.yaml:12:7)",
    ]


def test_without_a_key_a_difference_is_a_missing_and_an_extra_row():
    expect = expectation([{"session_id": "s1", "duration": 150.0},
                          {"session_id": "s2", "duration": 21.0}])
    lines = diff_lines(compare(expect, SESSIONS), expect)
    assert lines[0] == ("expected 2 row(s), got 2: 1 missing, 1 extra "
                        "(rows matched on every column)")
    assert lines[1].startswith("missing  {session_id: 's2', duration: 21.0}")
    assert lines[2] == "extra    {session_id: 's2', duration: 20.0}"
    assert lines[3].startswith("hint: give the expectation a key:")


def test_rows_are_a_multiset_duplicates_count():
    out = output({"x": "bigint"}, [{"x": 1}, {"x": 1}, {"x": 2}])
    assert compare(expectation([{"x": 2}, {"x": 1}, {"x": 1}]), out).passed
    diff = compare(expectation([{"x": 1}, {"x": 2}]), out)
    assert [row for row, _ in diff.extra] == [{"x": 1}]


def test_floats_match_within_the_tolerance_relative_above_one():
    out = output({"k": "string", "v": "double"},
                 [{"k": "a", "v": 1 / 3}, {"k": "b", "v": 1e12 + 1e-3}, {"k": "c", "v": 1e-12}])
    rows = [{"k": "a", "v": 0.333333333333}, {"k": "b", "v": 1e12}, {"k": "c", "v": 0.0}]
    assert compare(expectation(rows), out).passed  # 1e-9 by default
    assert compare(expectation(rows, key=("k",)), out).passed
    strict = compare(expectation(rows, key=("k",), tolerance=0.0), out)
    assert [label for label, _, _ in strict.changed] == ["k='a'", "k='b'", "k='c'"]
    loose = compare(expectation([{"k": "a", "v": 0.33}], key=("k",), tolerance=0.01),
                    output({"k": "string", "v": "double"}, [{"k": "a", "v": 1 / 3}]))
    assert loose.passed


def test_nan_matches_nan_and_decimals_match_exactly():
    out = output({"v": "double", "d": "decimal(10,2)"}, [{"v": float("nan"),
                                                          "d": Decimal("1.50")}])
    assert compare(expectation([{"v": "NaN", "d": "1.5"}]), out).passed
    assert not compare(expectation([{"v": "NaN", "d": "1.51"}], tolerance=1.0), out).passed


def test_row_order_check_compares_row_by_row():
    expect = expectation([{"session_id": "s2"}, {"session_id": "s1"}], row_order="check")
    lines = diff_lines(compare(expect, SESSIONS), expect)
    assert lines == [
        "expected 2 row(s), got 2: 2 changed (rows in order)",
        "changed  row 1  (expected at t.tests.yaml:10:7)",
        "    session_id: expected 's2', got 's1'",
        "changed  row 2  (expected at t.tests.yaml:11:7)",
        "    session_id: expected 's1', got 's2'",
    ]
    assert compare(expectation([{"session_id": "s1"}, {"session_id": "s2"}],
                               row_order="check"), SESSIONS).passed


def test_column_options_and_a_misspelt_column():
    rows = [{"session_id": "s1", "duration": 150.0, "converted": True},
            {"session_id": "s2", "duration": 20.0, "converted": False}]
    assert compare(expectation(rows), SESSIONS).passed  # extra columns ignored by default
    strict = compare(expectation(rows, extra_columns="fail", column_order="check"), SESSIONS)
    assert strict.columns == [
        "the output has columns the expected rows do not name: revenue, start, day "
        "(extra_columns: fail)"]
    swapped = [{"duration": r["duration"], "session_id": r["session_id"]} for r in rows]
    assert compare(expectation(swapped), SESSIONS).passed
    order = compare(expectation(swapped, column_order="check"), SESSIONS)
    assert order.columns == ["columns in another order: expected duration, session_id; the "
                             "output has session_id, duration (column_order: check)"]
    typo = compare(expectation([{"sesion_id": "s1"}, {"sesion_id": "s2"}]), SESSIONS)
    assert typo.columns[0].startswith("column 'sesion_id' is not in the output; did you mean "
                                      "'session_id'?")


def test_an_expected_value_of_the_wrong_type_is_a_located_problem():
    expect = expectation([{"session_id": "s1", "day": "yesterday", "converted": "maybe"}])
    diff = compare(expect, SESSIONS)
    assert [(str(p.location), p.message) for p in diff.problems] == [
        ("t.tests.yaml:10:7", "expected day (date in the output): 'yesterday' is not a date "
                              "(write it as YYYY-MM-DD)"),
        ("t.tests.yaml:10:7", "expected converted (boolean in the output): 'maybe' is not "
                              "true or false")]


def test_a_key_repeated_in_the_output_is_extra():
    out = output({"k": "string", "v": "bigint"}, [{"k": "a", "v": 1}, {"k": "a", "v": 1}])
    diff = compare(expectation([{"k": "a", "v": 1}], key=("k",)), out)
    assert diff.extra == [({"k": "a", "v": 1}, "key repeated in the output")]


def test_an_empty_expectation_shows_the_rows_that_came_out():
    expect = expectation([])
    lines = diff_lines(compare(expect, SESSIONS), expect)
    assert lines[0] == "expected 0 row(s), got 2: 2 extra (rows matched on every column)"
    assert lines[1].startswith("extra    {session_id: 's1', duration: 150.0, revenue: 25.00, "
                               "start: 2026-01-01 23:59:00, day: 2026-01-01, converted: true}")


def test_at_most_ten_rows_of_a_kind_are_shown():
    out = output({"x": "bigint"}, [{"x": i} for i in range(25)])
    lines = diff_lines(compare(expectation([{"x": -1}]), out), expectation([{"x": -1}]))
    assert sum(line.startswith("extra") for line in lines) == 10
    assert "... and 15 more" in lines


@pytest.mark.parametrize("value, kind, expected", [
    ("7", "int", 7), (7.0, "bigint", 7), (" 12 ", "long", 12),
    ("1.5", "double", 1.5), (2, "float", 2.0),
    ("12.50", "decimal(10,2)", Decimal("12.50")), (3, "decimal(5,0)", Decimal(3)),
    ("TRUE", "boolean", True), (False, "bool", False),
    ("2026-01-05", "date", date(2026, 1, 5)),
    ("2026-01-01 10:00:00", "timestamp", datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01T12:00:00+02:00", "timestamp", datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01T10:00:00Z", "timestamp", datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01 10:00:00.123456", "timestamp_ntz", datetime(2026, 1, 1, 10, 0, 0, 123456)),
    (12, "string", "12"), (True, "varchar(5)", "true"),
    ([1, "2"], "array<int>", [1, 2]), (None, "int", None),
])
def test_values_convert_to_the_column_type(value, kind, expected):
    assert convert(value, kind) == expected
    assert type(convert(value, kind)) is type(expected)


@pytest.mark.parametrize("value, kind, said", [
    ("x", "int", "'x' is not a whole number (int)"),
    (2**31, "int", "does not fit in int (32 bits)"),
    (True, "bigint", "expected a whole number (bigint), got true"),
    (1.5, "int", "1.5 is not a whole number (int)"),
    ("1.234", "decimal(10,2)", "has more than 2 decimal places"),
    ("123456", "decimal(6,2)", "has more than 6 digits"),
    ("yes please", "boolean", "is not true or false"),
    ("2026-13-01", "date", "is not a date"),
    ("noon", "timestamp", "is not a timestamp"),
    ({"a": 1}, "string", "expected text, got a mapping"),
])
def test_values_that_do_not_fit_say_why(value, kind, said):
    with pytest.raises(ValueError, match=None) as caught:
        convert(value, kind)
    assert said in str(caught.value)


def test_expected_decimals_are_compared_not_rounded():
    assert convert("1.234", "decimal(10,2)", strict=False) == Decimal("1.234")
    assert not same(Decimal("1.234"), Decimal("1.23"), 1.0)


def test_type_names_normalize_like_spark_writes_them():
    assert [normalize(t) for t in ("LONG", "integer", "decimal", "Decimal(18, 2)",
                                   "varchar(10)", "bool")] == [
        "bigint", "int", "decimal(10,0)", "decimal(18,2)", "string", "boolean"]

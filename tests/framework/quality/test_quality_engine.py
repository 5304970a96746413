"""The check engine on a five-row table: each rule passing and failing, with the failing rows
counted by hand from the rows below, thresholds, samples, and checks that cannot run."""

from __future__ import annotations

import csv
import os
from datetime import datetime

import pytest

from framework.checks import CheckSpec, Threshold
from framework.errors import EtlError
from framework.runtime.quality import Target, describe, percent, run_checks, summary_line

pytestmark = pytest.mark.spark

STARTED = datetime(2026, 3, 10, 12, 0).timestamp()  # the run's start (UTC host in tests)
ROWS = [  # id, kind, amount, code, ts
    (1, "a", 5.0, "x1", datetime(2026, 3, 8, 12, 0)),
    (2, None, -1.0, "x2", datetime(2026, 3, 9, 6, 0)),
    (2, "zz", 20.0, "bad", datetime(2026, 3, 9, 12, 0)),  # newest: 24h before the start
    (None, "b", 3.0, "x3", datetime(2026, 3, 1, 0, 0)),
    (5, "a", None, "x4", None),
]


@pytest.fixture(scope="module")
def table(spark):
    return spark.createDataFrame(ROWS, "id int, kind string, amount double, code string, "
                                       "ts timestamp")


@pytest.fixture(scope="module")
def dim(spark):
    return spark.createDataFrame([(1,), (2,)], "id int")


def _target(tmp_path, dim, **kw) -> Target:
    frames = {"dim_ids": dim}
    return Target(task="step:orders", at="step", table="orders", data_dir=str(tmp_path),
                  run_id="run-1", started=STARTED, frames=lambda name: frames[name], **kw)


def _one(table, tmp_path, dim, check: CheckSpec) -> dict:
    (result,) = run_checks(table, [check], _target(tmp_path, dim))
    return result


CASES = [  # check, failing rows (by hand), engine
    (CheckSpec("not_null", "kind"), 1, "pandera"),  # row 2
    (CheckSpec("not_null", "code"), 0, "pandera"),
    (CheckSpec("unique", "id"), 1, "pandera"),  # ids 1,2,2,5 (null skipped): one extra 2
    (CheckSpec("unique", "code"), 0, "pandera"),
    (CheckSpec("accepted_values", "kind", {"values": ["a", "b"]}), 1, "pandera"),  # zz
    (CheckSpec("accepted_values", "kind", {"values": ["a", "b", "zz"]}), 0, "pandera"),
    (CheckSpec("range", "amount", {"min": 0, "max": 10}), 2, "pandera"),  # -1, 20
    (CheckSpec("range", "amount", {"min": 0}), 1, "pandera"),  # -1
    (CheckSpec("range", "amount", {"max": 20}), 0, "pandera"),
    (CheckSpec("range", "amount", {"min": 3, "max": 5, "inclusive": False}), 4, "pandera"),
    (CheckSpec("regex", "code", {"pattern": r"x\d$"}), 1, "pandera"),  # bad
    (CheckSpec("regex", "code", {"pattern": r"\d"}), 5, "pandera"),  # matched from the start
    (CheckSpec("regex", "code", {"pattern": r"[a-z]"}), 0, "pandera"),
    (CheckSpec("type", "amount", {"type": "double"}), 0, "pandera"),
    (CheckSpec("type", "amount", {"type": "bigint"}), 5, "pandera"),  # the whole column
    (CheckSpec("row_count", None, {"min": 1}), 0, "aggregate"),
    (CheckSpec("row_count", None, {"min": 6}), 1, "aggregate"),
    (CheckSpec("row_count", None, {"max": 4}), 1, "aggregate"),
    (CheckSpec("unique_combination", None, {"columns": ["id", "kind"]}), 0, "aggregate"),
    (CheckSpec("unique_combination", None, {"columns": ["kind"]}), 1, "aggregate"),  # a, a
    (CheckSpec("unique_combination", None, {"columns": ["id"]}), 1, "aggregate"),  # 2, 2
    (CheckSpec("expression", None, {"expr": "amount >= 0"}), 1, "aggregate"),  # -1; null not false
    (CheckSpec("expression", None, {"expr": "amount > -10 and id < 10"}), 0, "aggregate"),
    (CheckSpec("freshness", None, {"column": "ts", "max_age": "2d"}), 0, "aggregate"),
    (CheckSpec("freshness", None, {"column": "ts", "max_age": "12h"}), 1, "aggregate"),
    (CheckSpec("relationship", None, {"column": "id", "to": "dim_ids.id"}), 1, "aggregate"),  # 5
    (CheckSpec("query", None, {"sql": "select t.* from {this} t left anti join {dim_ids} d "
                                      "on t.id = d.id"}), 2, "query"),  # ids null and 5
    (CheckSpec("query", None, {"sql": "select * from {this} where amount > 100"}), 0, "query"),
]


def test_each_rule_counts_the_rows_it_fails_on_all_in_one_run(table, dim, tmp_path):
    checks = [c for c, _, _ in CASES]
    results = run_checks(table, checks, _target(tmp_path, dim))
    got = [(r["check"], r["failing"], r["rows"], r["engine"], r["status"]) for r in results]
    want = [(c.name, f, 5, _engine(c, f, engine), "failed" if f else "passed")
            for c, f, engine in CASES]
    assert [g for g, w in zip(got, want, strict=True) if g != w] == []
    for r, (check, failing, _) in zip(results, CASES, strict=True):
        assert r["share"] == pytest.approx(failing / 5)
        rule_wide = check.rule in ("row_count", "freshness", "type")
        assert (r["samples"] is None) == (not failing or rule_wide), r
        if r["engine"] == "pandera" and failing:  # pandera's verdict agrees, in its words
            assert r["detail"] and "counted" not in r["detail"], r
    failed = sum(1 for _, f, _ in CASES if f)
    assert summary_line(results) == (f"{len(CASES)} checks: {len(CASES) - failed} passed, "
                                     f"0 warned, {failed} failed")
    assert not table.is_cached  # cached while checked only


def _engine(check: CheckSpec, failing: int, engine: str) -> str:
    """By default pandera validates the column rules the aggregate pass found failing (and the
    type rule); the others are decided by the pass alone."""
    return engine if failing or check.rule == "type" or engine != "pandera" else "aggregate"


def test_pandera_can_validate_every_column_rule(table, dim, tmp_path, monkeypatch):
    monkeypatch.setenv("ETL_QUALITY_PANDERA", "all")
    checks = [CheckSpec("not_null", "code"), CheckSpec("unique", "code"),
              CheckSpec("range", "amount", {"min": -5}), CheckSpec("regex", "code",
                                                                   {"pattern": r"x\d$"})]
    results = run_checks(table, checks, _target(tmp_path, dim))
    assert [(r["engine"], r["failing"], r["detail"] is None) for r in results] == [
        ("pandera", 0, True), ("pandera", 0, True), ("pandera", 0, True), ("pandera", 1, False)]
    assert "failed validation regex(code)" in results[3]["detail"]  # pandera's words


def _share(text: str) -> Threshold:
    op, value = text.split()
    return Threshold(op, float(value.rstrip("%")), value.endswith("%"), text)


@pytest.mark.parametrize(("severity", "warn_if", "error_if", "status", "threshold"), [
    ("error", "> 0", "> 0", "failed", "> 0"),
    ("error", "> 0", "> 10%", "failed", "> 10%"),  # 1 of 5 = 20%
    ("error", "> 0", "> 20%", "warned", "> 0"),  # 20% is not above 20%
    ("error", "> 25%", "> 20%", "passed", "> 20%"),
    ("error", "> 0", ">= 2", "warned", "> 0"),  # a count: 1 row
    ("error", "> 1", ">= 2", "passed", ">= 2"),
    ("warn", "> 0", "> 0", "warned", "> 0"),  # a warning never fails
    ("warn", ">= 50%", "> 0", "passed", ">= 50%"),
])
def test_thresholds_on_counts_and_shares_decide_the_status(table, dim, tmp_path, severity,
                                                           warn_if, error_if, status, threshold):
    check = CheckSpec("accepted_values", "kind", {"values": ["a", "b"]}, severity,
                      _share(warn_if), _share(error_if))
    r = _one(table, tmp_path, dim, check)
    assert (r["status"], r["threshold"], r["failing"], r["severity"]) == (status, threshold, 1,
                                                                          severity)
    assert (r["samples"] is None) == (status == "passed")


def _csv(path: str) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_failing_rows_are_written_per_check_under_the_table_and_run(table, dim, tmp_path):
    checks = [CheckSpec("accepted_values", "kind", {"values": ["a", "b"]}),
              CheckSpec("unique", "id"),
              CheckSpec("relationship", None, {"column": "id", "to": "dim_ids.id"}),
              CheckSpec("expression", None, {"expr": "amount >= 0"}, label="no refunds")]
    results = run_checks(table, checks, _target(tmp_path, dim))
    folder = os.path.join(str(tmp_path), "quality", "orders", "run-1")
    paths = [r["samples"] for r in results]
    assert paths == [os.path.join(folder, f) for f in (
        "accepted_values_kind.csv", "unique_id.csv", "relationship_id_dim_ids_id.csv",
        "no_refunds.csv")]
    header = ["id", "kind", "amount", "code", "ts"]
    assert _csv(paths[0]) == [header, ["2", "zz", "20.0", "bad", "2026-03-09T12:00:00"]]
    assert sorted(_csv(paths[1])[1:]) == [["2", "", "-1.0", "x2", "2026-03-09T06:00:00"],
                                          ["2", "zz", "20.0", "bad", "2026-03-09T12:00:00"]]
    assert _csv(paths[2]) == [header, ["5", "a", "", "x4", ""]]
    assert _csv(paths[3])[1][:4] == ["2", "", "-1.0", "x2"]
    assert sorted(os.listdir(folder)) == sorted(os.path.basename(p) for p in paths)


def test_at_most_n_failing_rows_are_written(table, dim, tmp_path):
    check = CheckSpec("regex", "code", {"pattern": r"\d"})  # all 5 rows fail
    (r,) = run_checks(table, [check], _target(tmp_path, dim, sample_rows=2))
    assert r["failing"] == 5 and len(_csv(r["samples"])) == 1 + 2


def test_checks_on_missing_columns_are_refused_all_at_once(table, dim, tmp_path):
    checks = [CheckSpec("not_null", "kindd"), CheckSpec("unique_combination", None,
                                                        {"columns": ["id", "amout"]})]
    with pytest.raises(EtlError) as info:
        run_checks(table, checks, _target(tmp_path, dim))
    assert "'kindd'" in info.value.message and "'amout'" in info.value.message
    assert "did you mean 'kind'" in info.value.message


def test_an_expression_spark_refuses_names_its_check(table, dim, tmp_path):
    checks = [CheckSpec("not_null", "id"),
              CheckSpec("expression", None, {"expr": "no_such_column > 0"}, label="broken")]
    with pytest.raises(EtlError) as info:
        run_checks(table, checks, _target(tmp_path, dim))
    assert "check broken cannot run" in info.value.message


def test_a_secret_in_a_check_never_reaches_a_sample_file_its_name_or_its_rows(spark, tmp_path):
    """A check quoting a secret variable's value (`code <> '${api_token}'`): the sample's file
    name is made from the check's name and would spell the value (with `-` turned to `_`, which
    the run record's masking does not know); a failing row or a query may hold it too."""
    secret = "tok-ABCDEF123"
    df = spark.createDataFrame([("o1", "abc", 1.0), ("o2", secret, -2.0)],
                               "order_id string, code string, amount double")
    checks = [CheckSpec("expression", None, {"expr": f"code <> '{secret}'"}),
              CheckSpec("query", None, {"sql": f"SELECT order_id, '{secret}' AS leaked "
                                               "FROM {this} WHERE amount < 0"})]
    target = Target(task="sink:orders", at="sink", table="orders", data_dir=str(tmp_path),
                    run_id="run-1", started=STARTED, frames=lambda name: df, secrets=(secret,))
    results = run_checks(df, checks, target)
    assert [r["failing"] for r in results] == [1, 1]
    folder = os.path.join(str(tmp_path), "quality", "orders", "run-1")
    assert sorted(os.listdir(folder)) == ["expression_code.csv", "query.csv"]
    assert _csv(os.path.join(folder, "expression_code.csv")) == [
        ["order_id", "code", "amount"], ["o2", "***", "-2.0"]]
    assert _csv(os.path.join(folder, "query.csv")) == [["order_id", "leaked"], ["o2", "***"]]
    assert "ABCDEF" not in " ".join(str(r["samples"]) for r in results)


def test_a_check_every_row_fails_says_100_percent_not_1e02(table, dim, tmp_path):
    check = CheckSpec("regex", "code", {"pattern": r"\d"})  # all 5 rows fail
    (r,) = run_checks(table, [check], _target(tmp_path, dim))
    assert "5 of 5 rows (100%) fail" in describe(r)
    # 999 of 1,000 is not all of them; small shares keep two digits
    assert [percent(999, 1000), percent(1, 3448), percent(1, 3), percent(0, 0)] == [
        ">99%", "0.029%", "33%", "0%"]


def _observed_engine(check: CheckSpec, failing: int, engine: str) -> str:
    """With the tallies observed: the rules Spark can observe are `observed` (pandera still
    validates the failing column rules, and the type rule); the others as in one pass."""
    base = _engine(check, failing, engine)
    if base == "pandera" or check.rule not in _OBSERVABLE:
        return base
    return "observed"


_OBSERVABLE = ("not_null", "accepted_values", "range", "regex", "expression", "freshness",
               "row_count")


def _observe(df, checks, target, where=None) -> dict:
    """What a query reading `df` anyway (a write, a read's counting pass) observes for them."""
    from pyspark.sql import Observation

    from framework.runtime.quality import observed_tallies

    seen = Observation("test")
    tallies = observed_tallies(df if where is None else df.drop("bad"), checks, target, where)
    df.observe(seen, *tallies).collect()
    return seen.get


def test_tallies_observed_while_the_rows_are_read_equal_the_counts_of_a_pass(table, dim,
                                                                            tmp_path):
    checks = [c for c, _, _ in CASES]
    target = _target(tmp_path, dim)
    results = run_checks(table, checks, target, observed=_observe(table, checks, target))
    got = [(r["check"], r["failing"], r["rows"], r["engine"], r["status"]) for r in results]
    want = [(c.name, f, 5, _observed_engine(c, f, engine), "failed" if f else "passed")
            for c, f, engine in CASES]
    assert [g for g, w in zip(got, want, strict=True) if g != w] == []
    for r, (check, failing, _) in zip(results, CASES, strict=True):  # samples as from a pass
        rule_wide = check.rule in ("row_count", "freshness", "type")
        assert (r["samples"] is None) == (not failing or rule_wide), r


def test_observed_tallies_count_only_the_rows_where_holds(table, dim, tmp_path):
    """A read's counting pass sees the malformed records too: `where` keeps the good ones."""
    from pyspark.sql import functions as F

    checks = [CheckSpec("not_null", "kind"), CheckSpec("range", "amount", {"min": 0}),
              CheckSpec("freshness", None, {"column": "ts", "max_age": "2d"}),
              CheckSpec("row_count", None, {"max": 3}), CheckSpec("unique", "id")]
    flagged = table.withColumn("bad", F.coalesce(F.col("id") == 2, F.lit(False)))  # rows 2, 3
    target = _target(tmp_path, dim)
    observed = _observe(flagged, checks, target, where=~F.col("bad"))
    good = table.filter(F.coalesce(F.col("id") != 2, F.lit(True)))  # ids 1, null, 5
    results = run_checks(good, checks, target, observed=observed)
    # by hand over rows 1, 4, 5: no null kind, no negative amount; newest ts 2026-03-08 12:00
    # is 48h old (not above 2d); 3 rows (not above 3); ids 1, 5 unique (null skipped)
    assert [(r["failing"], r["rows"], r["engine"]) for r in results] == [
        (0, 3, "observed"), (0, 3, "observed"), (0, 3, "observed"), (0, 3, "observed"),
        (0, 3, "aggregate")]
    assert results[2]["detail"] == "newest value 2.0d old"

"""Data-quality checks in a run: a failed sink check keeps the previous table published and
fails the run with the command that reruns it; a warning never blocks; max_malformed stops the
run before anything is published; source and step checks; the run record and console."""

from __future__ import annotations

import csv
import dataclasses
import json
import os

import pandas as pd
import pytest

from framework.checks import CheckSpec, Threshold
from framework.console import CapturingConsole
from framework.errors import EtlError
from framework.plan import build_plan
from framework.registry import REGISTRY
from framework.runtime.executor import RunOptions, run_pipeline
from framework.validate import load_pipeline

pytestmark = pytest.mark.spark

PIPELINE = """\
pipeline: orders
sources:
  orders:
    path: input/orders.csv
    format: csv
    schema: {columns: {order_id: string, country: string, amount: double}}
    on_malformed: quarantine
steps:
  - id: valid_orders
    transform: filter
    input: orders
    params: {condition: "amount > 0"}
  - id: by_country
    sql: |
      select country, sum(amount) as revenue, count(*) as orders
      from {{ ref('valid_orders') }} group by country
sinks:
  valid_orders: {from: valid_orders}
  revenue: {from: by_country}
"""
GOOD = "order_id,country,amount\no1,DE,10\no2,FR,5\no3,US,0\no4,DE,2\n"
COUNTRIES = CheckSpec("accepted_values", "country", {"values": ["DE", "FR", "US"]})


def _pipeline(tmp_path, orders: str) -> str:
    (tmp_path / "data" / "input").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "input" / "orders.csv").write_text(orders)
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE)
    return str(path)


def _with_checks(spec, sources=None, steps=None, sinks=None, max_malformed=None):
    """The spec with checks attached (as the YAML's `checks:` will give them)."""
    def put(items, key, checks):
        return tuple(dataclasses.replace(i, checks=tuple(checks[getattr(i, key)]))
                     if getattr(i, key) in checks else i for i in items)
    srcs = put(spec.sources, "id", sources or {})
    if max_malformed:
        srcs = tuple(dataclasses.replace(s, max_malformed=max_malformed) for s in srcs)
    return dataclasses.replace(spec, sources=srcs, steps=put(spec.steps, "id", steps or {}),
                               sinks=put(spec.sinks, "table", sinks or {}))


def _run(path, data_dir, console=None, select=(), **checks):
    REGISTRY.load_plugins()
    spec = _with_checks(load_pipeline(path, registry=REGISTRY), **checks)
    plan = build_plan(spec, data_dir, list(select))
    options = RunOptions(data_dir=data_dir, stop_session=False, select=tuple(select))
    return run_pipeline(spec, plan, options, console or CapturingConsole(), REGISTRY)


def _fails(path, data_dir, console=None, **checks) -> EtlError:
    with pytest.raises(EtlError) as info:
        _run(path, data_dir, console, **checks)
    return info.value


def _table(data_dir: str, name: str) -> list[dict]:
    df = pd.read_parquet(os.path.join(data_dir, "warehouse", name))
    return df.sort_values(list(df.columns)).to_dict("records")


def _last_record(data_dir: str) -> dict:
    """The newest run's record: by its start time (two runs within one second have run ids
    that sort by their random suffix, not by time)."""
    records = []
    for run in os.listdir(os.path.join(data_dir, "runs")):
        with open(os.path.join(data_dir, "runs", run, "run.json")) as fh:
            records.append(json.load(fh))
    return max(records, key=lambda r: r["started_at"])


def test_a_failed_sink_check_keeps_the_previous_table_and_a_fixed_rerun_publishes(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD)
    _run(path, data_dir, sinks={"valid_orders": [COUNTRIES]})
    before = _table(data_dir, "valid_orders")
    assert [r["order_id"] for r in before] == ["o1", "o2", "o4"]

    _pipeline(tmp_path, GOOD + "o5,XX,7\no6,FR,1\n")
    error = _fails(path, data_dir, sinks={"valid_orders": [COUNTRIES]})
    samples = os.path.join(data_dir, "quality", "valid_orders")
    assert "table 'valid_orders' failed 1 data-quality check(s)" in error.message
    assert "accepted_values(country): 1 of 5 rows (20%) fail [> 0]" in error.message
    assert samples in error.message
    assert error.hint.startswith("the previous version is still published; fix the cause above")
    assert "etl run" in error.hint  # the command that reruns
    assert _table(data_dir, "valid_orders") == before  # still published and readable

    saved = _last_record(data_dir)
    assert saved["status"] == "failed"
    (q,) = [q for q in saved["quality"] if q["table"] == "valid_orders"]
    assert (q["task"], q["at"], q["status"], q["failing"], q["rows"]) == (
        "sink:valid_orders", "sink", "failed", 1, 5)
    with open(q["samples"], newline="") as fh:
        assert list(csv.reader(fh)) == [["order_id", "country", "amount"], ["o5", "XX", "7.0"]]
    assert os.path.dirname(q["samples"]) == os.path.join(samples, saved["run_id"])
    assert not os.listdir(os.path.join(data_dir, "warehouse", ".staging"))

    _pipeline(tmp_path, GOOD + "o5,US,7\no6,FR,1\n")  # the data fixed: the rerun publishes
    record = _run(path, data_dir, sinks={"valid_orders": [COUNTRIES]})
    assert record.status == "succeeded"
    assert [r["order_id"] for r in _table(data_dir, "valid_orders")] == ["o1", "o2", "o4", "o5",
                                                                          "o6"]


def test_a_warning_is_recorded_and_said_but_never_blocks(tmp_path):
    data_dir, console = str(tmp_path / "data"), CapturingConsole()
    path = _pipeline(tmp_path, GOOD + "o5,XX,7\n")
    warn = dataclasses.replace(COUNTRIES, severity="warn")
    rows = CheckSpec("row_count", None, {"min": 1})
    record = _run(path, data_dir, console, sinks={"valid_orders": [warn, rows]})
    assert record.status == "succeeded"
    assert [r["order_id"] for r in _table(data_dir, "valid_orders")] == ["o1", "o2", "o4", "o5"]
    assert [(q["check"], q["status"], q["failing"]) for q in record.quality] == [
        ("accepted_values(country)", "warned", 1), ("row_count(min=1)", "passed", 0)]
    (line,) = [m for m in console.messages("warn") if "check" in m]
    assert "sink 'valid_orders'" in line and "1 of 4 rows (25%)" in line and ".csv" in line
    (title,) = [args[0] for name, args in console.events if name == "summary"]
    assert title.endswith("; 2 checks: 1 passed, 1 warned, 0 failed")
    assert _last_record(data_dir)["quality"] == record.quality


MALFORMED = GOOD + "o5,FR,not-a-number\n"  # 5 records read: 4 valid, 1 malformed (20%)


def test_more_malformed_rows_than_allowed_stop_the_run_before_publishing(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, MALFORMED)
    error = _fails(path, data_dir, max_malformed=Threshold(">", 10, True, "> 10%"))
    assert "source 'orders': 1 of 5 records read are malformed (20%)" in error.message
    assert "max_malformed allows (> 10%)" in error.message
    assert "nothing built from it was published" in error.hint
    assert not os.path.exists(os.path.join(data_dir, "warehouse", "valid_orders"))
    (source,) = [t for t in _last_record(data_dir)["tasks"] if t["kind"] == "source"]
    assert (source["status"], source["input_rows"], source["malformed"]) == ("failed", 5, 1)


def test_malformed_rows_within_the_limit_are_counted_as_input(tmp_path):
    data_dir = str(tmp_path / "data")
    record = _run(_pipeline(tmp_path, MALFORMED), data_dir,
                  max_malformed=Threshold(">", 1, False, "> 1"))  # a count: 1 is allowed
    source = record.task("source:orders")
    assert (source.input_rows, source.rows, source.malformed) == (5, 4, 1)


def test_a_failed_source_check_stops_the_run_before_anything_is_published(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD + "o5,XX,7\n")
    error = _fails(path, data_dir, sources={"orders": [COUNTRIES]})
    assert "source 'orders' failed 1 data-quality check(s)" in error.message
    assert "nothing built from it was published" in error.hint
    assert not os.path.exists(os.path.join(data_dir, "warehouse", "valid_orders"))
    (q,) = _last_record(data_dir)["quality"]
    assert (q["at"], q["table"], q["failing"], q["rows"]) == ("source", "orders", 1, 5)


def test_step_checks_run_on_the_step_output_and_relationships_find_this_runs_tables(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD)
    positive = CheckSpec("expression", None, {"expr": "revenue > 0"})
    known = CheckSpec("relationship", None, {"column": "country", "to": "valid_orders.country"})
    record = _run(path, data_dir, steps={"by_country": [positive, known]})
    got = [(q["task"], q["check"], q["status"], q["rows"]) for q in record.quality]
    assert got == [("step:by_country", "expression(revenue > 0)", "passed", 2),  # DE, FR
                   ("step:by_country", "relationship(country -> valid_orders.country)",
                    "passed", 2)]

    big = CheckSpec("expression", None, {"expr": "revenue > 6"})  # FR: 5
    error = _fails(path, data_dir, steps={"by_country": [big]})
    assert "step 'by_country' failed 1 data-quality check(s)" in error.message
    assert "1 of 2 rows (50%)" in error.message


def test_a_relationship_reads_this_runs_table_even_when_the_selection_leaves_it_out(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD)
    _run(path, data_dir)  # publishes revenue: DE, FR
    _pipeline(tmp_path, GOOD + "o5,US,7\n")
    known = CheckSpec("relationship", None, {"column": "country", "to": "revenue.country"})
    record = _run(path, data_dir, select=("valid_orders",), sinks={"valid_orders": [known]})
    assert [(q["status"], q["rows"]) for q in record.quality] == [("passed", 4)]  # US known
    assert "step:by_country" in [t.key for t in record.tasks]  # computed for the check


def test_a_table_this_run_did_not_compute_is_read_from_the_warehouse(tmp_path, spark):
    import threading
    from types import SimpleNamespace

    from framework.runtime.quality.guard import other_table

    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD)
    _run(path, data_dir)
    spec = load_pipeline(path, registry=REGISTRY)
    state = SimpleNamespace(spec=spec, outputs={}, lock=threading.RLock(), spark=spark,
                            warehouse_dir=os.path.join(data_dir, "warehouse"))
    for name in ("revenue", "by_country"):  # the sink's name, or the step that feeds it
        got = other_table(state, name).toPandas().sort_values("country")
        assert got["country"].tolist() == ["DE", "FR"]
    with pytest.raises(EtlError) as info:
        other_table(state, "orders")  # a source no sink publishes
    assert "--select orders" in info.value.hint


def test_every_table_that_failed_its_checks_is_named_in_the_final_error(tmp_path):
    """The scheduler raises the first failure; the others were said as their tasks failed, and
    the final error still names them all (the rerun command selects them all)."""
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD + "o5,XX,7\n")
    few = CheckSpec("row_count", None, {"max": 1})
    error = _fails(path, data_dir, sinks={"valid_orders": [COUNTRIES], "revenue": [few]})
    first, other = ("valid_orders", "revenue") if "'valid_orders' failed" in error.message \
        else ("revenue", "valid_orders")
    assert f"also failed (said above): sink {other!r}" in error.message
    assert f"--select {first}" in error.hint or f"--select {other}" in error.hint


def _warn(check: CheckSpec) -> CheckSpec:
    return dataclasses.replace(check, severity="warn")


SMALL = _warn(CheckSpec("expression", None, {"expr": "amount < 6"}, label="small"))
ONCE = _warn(CheckSpec("unique", "order_id"))


def test_an_overwrite_sink_counts_row_wise_rules_while_writing(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD + "o5,XX,7\n")  # valid_orders: o1 10, o2 5, o4 2, o5 7
    record = _run(path, data_dir, sinks={"valid_orders": [SMALL, _warn(COUNTRIES), ONCE]})
    got = [(q["check"], q["status"], q["failing"], q["rows"], q["engine"])
           for q in record.quality]
    assert got == [("small", "warned", 2, 4, "observed"),  # o1, o5
                   ("accepted_values(country)", "warned", 1, 4, "pandera"),  # XX
                   ("unique(order_id)", "passed", 0, 4, "aggregate")]
    with open(record.quality[0]["samples"], newline="") as fh:  # samples from the staged rows
        assert sorted(list(csv.reader(fh))[1:]) == [["o1", "DE", "10.0"], ["o5", "XX", "7.0"]]


def test_an_append_sink_is_checked_on_the_staged_version_with_the_rows_it_keeps(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD)  # valid_orders: o1 10, o2 5, o4 2

    def run():
        REGISTRY.load_plugins()
        spec = _with_checks(load_pipeline(path, registry=REGISTRY),
                            sinks={"valid_orders": [SMALL, ONCE]})
        spec = dataclasses.replace(spec, sinks=tuple(
            dataclasses.replace(s, mode="append") if s.table == "valid_orders" else s
            for s in spec.sinks))
        plan = build_plan(spec, data_dir)
        return run_pipeline(spec, plan, RunOptions(data_dir=data_dir, stop_session=False),
                            CapturingConsole(), REGISTRY)

    first = [(q["failing"], q["rows"]) for q in run().quality]
    assert first == [(1, 3), (0, 3)]  # o1
    second = run().quality  # the same 3 rows again, beside the 3 kept
    assert [(q["failing"], q["rows"], q["engine"]) for q in second] == [
        (2, 6, "aggregate"), (3, 6, "pandera")]  # o1 twice; o1, o2, o4 repeated
    assert len(_table(data_dir, "valid_orders")) == 6


def test_source_checks_count_only_the_records_that_parsed(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, MALFORMED + "o6,US,9\n")  # o5 malformed; o1 10, o6 9 not small
    record = _run(path, data_dir, sources={"orders": [SMALL, ONCE]})
    assert [(q["at"], q["failing"], q["rows"], q["engine"]) for q in record.quality] == [
        ("source", 2, 5, "observed"), ("source", 0, 5, "aggregate")]
    assert record.task("source:orders").malformed == 1


def test_a_source_check_on_a_missing_column_stops_the_read_before_it_counts(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _pipeline(tmp_path, GOOD)
    error = _fails(path, data_dir, sources={"orders": [CheckSpec("not_null", "contry")]})
    assert "no column 'contry' in 'orders'" in error.message
    assert "did you mean 'country'" in error.message

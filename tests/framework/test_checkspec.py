"""Declared checks: every YAML shape becomes the CheckSpec written by hand here; a check that
reads another table orders the run; the plan shows what will be checked. No Spark.

Mistakes (each located, did-you-mean) are in the error corpus: tests/fixtures/bad/checks_*.yaml.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fixtures.testplugin import make_registry
from framework.checks import DEFAULT_THRESHOLD, CheckSpec, Threshold
from framework.checkspec import check_inputs, check_reads, parse_threshold, placeholders
from framework.errors import SpecError
from framework.explain import plan_json, plan_tree
from framework.plan import build_plan
from framework.spec import PipelineSpec
from framework.validate import default_registry, load_checked, load_pipeline

ROOT = Path(__file__).parent.parent.parent
CLICKSTREAM = ROOT / "pipelines" / "clickstream.yaml"

PIPELINE = """\
pipeline: checked
sources:
  events:
    path: raw/events
    format: csv
    on_malformed: quarantine
    max_malformed: 2.5%
    schema: {columns: {event_id: string, user_id: string, price: double, kind: string}}
    checks:
      - not_null: event_id
      - unique: {column: event_id}
        severity: warn
        warn_if: "> 1%"
      - accepted_values: {column: kind, values: [a, b]}
        name: kinds known
      - range: {column: price, min: 0, max: 100, inclusive: false}
        error_if: ">= 10"
      - regex: {column: event_id, pattern: "^E[0-9]+$"}
      - type: {column: price, type: "decimal(10,2)"}
      - row_count: {min: 1, max: 1000}
      - unique_combination: [event_id, user_id]
      - unique_combination: {columns: [user_id, kind]}
      - relationship: {column: user_id, to: users.user_id}
      - expression: "price >= 0"
      - expression: {expr: "price < 1000"}
      - freshness: {column: event_id, max_age: 36h}
      - query: "SELECT * FROM {this} e LEFT JOIN {users} u USING (user_id) WHERE u.user_id IS NULL"
        name: users known
      - query: {sql: "SELECT * FROM {this} WHERE price < 0"}
  users:
    path: raw/users
    format: csv
    max_malformed: 3
    on_malformed: drop
    schema: {columns: {user_id: string}}
steps:
  - id: users_clean
    sql: select * from {{ ref('users') }}
    checks:
      - not_null: user_id
sinks:
  dim_users:
    from: users_clean
    columns:
      user_id: {description: the id, not_null: true, unique: true}
      segment: {accepted_values: [x, y], not_null: false}
      score: {range: {min: 0}, regex: "^[0-9]+$", type: double}
    checks:
      - row_count: {min: 1}
  fact_events:
    from: events
    checks:
      - relationship: {column: user_id, to: dim_users.user_id}
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> PipelineSpec:
    path = tmp_path_factory.mktemp("checks") / "checked.yaml"
    path.write_text(PIPELINE, encoding="utf-8")
    return load_pipeline(path, registry=make_registry(), env={})


def _line(text: str) -> int:
    """The 1-based line of PIPELINE that contains `text` (first occurrence)."""
    return next(n for n, line in enumerate(PIPELINE.splitlines(), 1) if text in line)


def _strip(check: CheckSpec) -> tuple:
    return (check.rule, check.column, check.params, check.severity, check.warn_if.text,
            check.error_if.text, check.label)


def test_every_shape_of_a_source_check(spec: PipelineSpec) -> None:
    events = spec.source("events")
    assert events is not None
    got = [_strip(c) for c in events.checks]
    assert got == [
        ("not_null", "event_id", {}, "error", "> 0", "> 0", None),
        ("unique", "event_id", {}, "warn", "> 1%", "> 0", None),
        ("accepted_values", "kind", {"values": ["a", "b"]}, "error", "> 0", "> 0", "kinds known"),
        ("range", "price", {"min": 0, "max": 100, "inclusive": False}, "error", "> 0", ">= 10",
         None),
        ("regex", "event_id", {"pattern": "^E[0-9]+$"}, "error", "> 0", "> 0", None),
        ("type", "price", {"type": "decimal(10,2)"}, "error", "> 0", "> 0", None),
        ("row_count", None, {"min": 1, "max": 1000}, "error", "> 0", "> 0", None),
        ("unique_combination", None, {"columns": ["event_id", "user_id"]}, "error", "> 0", "> 0",
         None),
        ("unique_combination", None, {"columns": ["user_id", "kind"]}, "error", "> 0", "> 0",
         None),
        ("relationship", None, {"column": "user_id", "to": "users.user_id"}, "error", "> 0",
         "> 0", None),
        ("expression", None, {"expr": "price >= 0"}, "error", "> 0", "> 0", None),
        ("expression", None, {"expr": "price < 1000"}, "error", "> 0", "> 0", None),
        ("freshness", None, {"column": "event_id", "max_age": "36h"}, "error", "> 0", "> 0",
         None),
        ("query", None, {"sql": "SELECT * FROM {this} e LEFT JOIN {users} u USING (user_id) "
                                "WHERE u.user_id IS NULL"}, "error", "> 0", "> 0", "users known"),
        ("query", None, {"sql": "SELECT * FROM {this} WHERE price < 0"}, "error", "> 0", "> 0",
         None),
    ]


def test_each_check_is_located_at_its_item(spec: PipelineSpec) -> None:
    events = spec.source("events")
    assert events is not None
    lines = [c.loc.line for c in events.checks if c.loc]
    assert lines[:3] == [_line("- not_null: event_id"), _line("- unique: {column: event_id}"),
                         _line("- accepted_values:")]
    assert len(lines) == len(events.checks)


def test_thresholds_parsed_and_holding(spec: PipelineSpec) -> None:
    events = spec.source("events")
    assert events is not None
    unique, rng = events.checks[1], events.checks[3]
    assert unique.warn_if == Threshold(">", 1.0, True, "> 1%")
    assert unique.error_if == DEFAULT_THRESHOLD
    assert rng.error_if == Threshold(">=", 10.0, False, ">= 10")
    # 2 of 100 rows fail: above 1% -> a warn check warns; 9 failing rows stay under `>= 10`
    assert unique.status(2, 100) == "warned" and unique.status(1, 100) == "passed"
    assert rng.status(9, 100) == "warned" and rng.status(10, 100) == "failed"


@pytest.mark.parametrize("text, expected", [
    ("> 0", Threshold(">", 0.0, False, "> 0")),
    (">=10", Threshold(">=", 10.0, False, ">=10")),
    (" > 1.5 % ", Threshold(">", 1.5, True, "> 1.5 %")),
    ("!= 3", Threshold("!=", 3.0, False, "!= 3")),
    ("more than 3", None), ("> x", None), ("1%", None), (5, None), ("=> 1", None),
])
def test_threshold_grammar(text, expected) -> None:
    assert parse_threshold(text) == expected


def test_max_malformed_a_share_or_a_count(spec: PipelineSpec) -> None:
    events, users = spec.source("events"), spec.source("users")
    assert events is not None and users is not None
    assert events.max_malformed == Threshold(">", 2.5, True, "> 2.5%")
    assert users.max_malformed == Threshold(">", 3.0, False, "> 3")
    assert users.max_malformed.holds(4, 100) and not users.max_malformed.holds(3, 100)
    assert events.max_malformed.holds(3, 100) and not events.max_malformed.holds(2, 100)


def test_sink_shorthand_comes_first_then_the_checks_list(spec: PipelineSpec) -> None:
    sink = next(s for s in spec.sinks if s.table == "dim_users")
    assert [_strip(c)[:3] for c in sink.checks] == [
        ("not_null", "user_id", {}), ("unique", "user_id", {}),
        ("accepted_values", "segment", {"values": ["x", "y"]}),  # not_null: false is no check
        ("range", "score", {"min": 0}), ("regex", "score", {"pattern": "^[0-9]+$"}),
        ("type", "score", {"type": "double"}), ("row_count", None, {"min": 1})]
    assert all(c.severity == "error" for c in sink.checks)
    assert sink.checks[0].loc is not None and sink.checks[0].loc.line == _line("user_id: {desc")
    assert sink.column_description("user_id") == "the id"


def test_step_checks(spec: PipelineSpec) -> None:
    step = spec.step("users_clean")
    assert step is not None and [c.name for c in step.checks] == ["not_null(user_id)"]


def test_placeholders_in_order_once_each() -> None:
    assert placeholders("select {this} {a} {{x}} {a} {b}") == ["this", "a", "b"]
    with pytest.raises(ValueError):
        placeholders("select '{' from {this}")


def test_what_a_check_reads(spec: PipelineSpec) -> None:
    events = spec.source("events")
    assert events is not None
    relationship, query = events.checks[9], events.checks[13]
    assert check_reads(spec, relationship) == {"users": "users"}
    assert check_reads(spec, query) == {"users": "users"}
    # a sink's table means the output feeding that sink; an id means that output
    fact = next(s for s in spec.sinks if s.table == "fact_events")
    assert check_reads(spec, fact.checks[0]) == {"dim_users": "users_clean"}
    assert check_inputs(spec, query) == ("users",)
    assert check_inputs(spec, events.checks[0]) == ()
    assert check_inputs(spec, events.checks[14]) == ()  # only {this}


def test_a_check_reading_another_table_runs_after_it(spec: PipelineSpec, tmp_path) -> None:
    plan = build_plan(spec, str(tmp_path))
    fact = plan.task("sink:fact_events")
    assert set(fact.deps) == {"source:events", "step:users_clean"}
    assert "sink:fact_events" in plan.task("step:users_clean").consumers
    assert plan.task("source:events").deps == ("source:users",)
    order = [t.key for t in plan.tasks()]
    assert order.index("source:users") < order.index("source:events")
    assert order.index("step:users_clean") < order.index("sink:fact_events")


def test_the_plan_shows_the_checks(spec: PipelineSpec, tmp_path) -> None:
    plan = build_plan(spec, str(tmp_path))
    notes = plan.task("source:events").notes()
    assert "check not_null(event_id) [error]" in notes
    assert "check unique(event_id) [warn] (warns if > 1%)" in notes
    assert "check range(price) [error] (fails if >= 10)" in notes
    assert "check kinds known [error]" in notes
    assert any("the run fails above 2.5%" in n for n in notes)
    assert "checks read users (computed first)" in notes
    assert "checks read users_clean (computed first)" in plan.task("sink:fact_events").notes()
    facts = plan_json(plan)
    read = next(t for s in facts["stages"] for t in s["tasks"] if t["key"] == "source:events")
    assert read["max_malformed"] == "> 2.5%"
    assert read["checks"][1] == {
        "name": "unique(event_id)", "rule": "unique", "column": "event_id", "params": {},
        "severity": "warn", "warn_if": "> 1%", "error_if": "> 0",
        "line": _line("- unique: {column: event_id}")}
    sink = next(t for s in facts["stages"] for t in s["tasks"] if t["key"] == "sink:dim_users")
    assert [c["name"] for c in sink["checks"]][:2] == ["not_null(user_id)", "unique(user_id)"]
    assert "checks" not in next(t for s in facts["stages"] for t in s["tasks"]
                                if t["key"] == "generator:shop" or t["kind"] == "prepare")


def test_the_tree_shows_the_checks(spec: PipelineSpec, tmp_path) -> None:
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(plan_tree(build_plan(spec, str(tmp_path))))
    text = console.export_text()
    assert "check relationship(user_id -> dim_users.user_id) [error]" in text
    assert "checked on the staged table" in text


def test_clickstream_declares_its_checks(tmp_path) -> None:
    checked = load_checked(CLICKSTREAM, registry=default_registry(), env={})
    spec = checked.spec
    fact = next(s for s in spec.sinks if s.table == "fact_events")
    names = [c.name for c in fact.checks]
    assert "accepted_values(event_type)" in names and "unique(event_id)" in names
    assert "relationship(user_id -> dim_users.user_id)" in names
    daily = next(s for s in spec.sinks if s.table == "fact_daily_metrics")
    assert "sessions per day add up to the sessions table" in [c.name for c in daily.checks]
    events = spec.source("events")
    assert events is not None and events.max_malformed is not None
    plan = build_plan(spec, str(tmp_path), graph=checked.graph)
    # fact_events is checked against dim_users: the step feeding it is computed first
    assert "step:users_dim" in plan.task("sink:fact_events").deps
    assert "step:sessions" in plan.task("sink:fact_daily_metrics").deps


def test_a_pipeline_without_checks_has_none(tmp_path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(textwrap.dedent("""\
        pipeline: plain
        sources: {raw: {path: raw.csv, format: csv}}
        sinks: {copy: {from: raw}}
        """), encoding="utf-8")
    spec = load_pipeline(path, registry=make_registry(), env={})
    assert spec.sources[0].checks == () and spec.sources[0].max_malformed is None
    assert spec.sinks[0].checks == ()
    facts = plan_json(build_plan(spec, str(tmp_path)))
    assert all("checks" not in t for s in facts["stages"] for t in s["tasks"])


def test_check_mistakes_never_quote_a_secret_variables_value(tmp_path) -> None:
    """A problem quoting a check's text (its name, its pattern) quotes the substituted value;
    a secret variable's value is masked there as in every other message."""
    path = tmp_path / "secret.yaml"
    path.write_text(textwrap.dedent("""\
        pipeline: secret
        vars: {api_token: "${QA_API_TOKEN}"}
        sources: {raw: {path: raw.csv, format: csv, schema: {columns: {code: string}}}}
        sinks:
          copy:
            from: raw
            checks:
              - expression: "code <> '${api_token}'"
              - expression: "code <> '${api_token}'"
              - regex: {column: code, pattern: "(${api_token}"}
        """), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_checked(path, registry=make_registry(), env={"QA_API_TOKEN": "tok-QA7f3e9b21"})
    shown = "\n".join(p.format() for p in info.value.problems)
    assert "a second check named \"expression(code <> '***')\"" in shown
    assert "regular expression '(***' does not compile" in shown
    assert "QA7f3e9b21" not in shown

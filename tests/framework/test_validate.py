"""load_pipeline: the built spec (normalisation, resolved files, locations) and semantic checks.

Also covers framework.templating (ref discovery, rendering, quoting), which the builder relies on.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from fixtures.testplugin import make_registry
from framework.dialects import spark_ident
from framework.errors import SpecError
from framework.spec import PipelineSpec
from framework.templating import find_refs, is_identifier, render_sql
from framework.validate import load_pipeline, spec_hash

GOOD = Path(__file__).parent.parent / "fixtures" / "good" / "shop.yaml"


@pytest.fixture(scope="module")
def spec() -> PipelineSpec:
    return load_pipeline(GOOD, registry=make_registry(), env={})


def test_header_and_settings(spec: PipelineSpec) -> None:
    assert spec.name == "shop" and spec.file == str(GOOD)
    assert spec.base_dir == str(GOOD.parent.resolve())
    assert spec.vars == {"sessions": 100, "seed": 7, "out": "warehouse"}
    assert spec.spark.master == "local[2]"
    assert spec.spark.conf == {"spark.sql.session.timeZone": "UTC"}
    assert spec.optimizations.shuffle_partitions == 4
    assert spec.optimizations.storage_level == "MEMORY_ONLY"
    assert spec.warehouse.path == "warehouse" and spec.warehouse.compression == "zstd"
    assert spec.warehouse.postgres_dsn == "postgresql://localhost/shop"


def test_generated_sources_take_path_and_format_from_the_landing(spec: PipelineSpec) -> None:
    events = spec.source("events")
    assert events is not None
    assert (events.path, events.format, events.generated_by, events.table) == (
        "raw/events", "csv", "shop", "events")
    assert events.on_malformed == "quarantine"
    assert spec.generator("shop") is not None
    assert spec.generator("shop").params == {"users": 10, "sessions": 100, "seed": 7}  # type: ignore[union-attr]


def test_schema_files_and_inline_schemas(spec: PipelineSpec) -> None:
    events, users = spec.source("events"), spec.source("users")
    assert events and events.schema and users and users.schema
    assert events.schema.names()[:3] == ("event_id", "user_id", "event_type")
    assert events.schema.ddl().startswith("`event_id` string, `user_id` string")
    assert events.schema.origin and events.schema.origin.file.endswith("schemas/events.yaml")
    assert users.schema.names() == ("user_id", "country")


def test_steps_are_normalised(spec: PipelineSpec) -> None:
    clean, union, joined, daily, top = spec.steps
    assert clean.inputs == ("events",) and clean.cache == "MEMORY_ONLY"
    assert clean.tags == ("clean",) and clean.params == {"keys": ["event_id"]}
    assert union.inputs == ("events_clean", "archive") and union.cache is None
    assert joined.broadcast == ("users",)
    assert joined.repartition and joined.repartition.num == 8
    assert joined.repartition.by == ("user_id",)
    assert (daily.transform, daily.inputs) == ("sql", ("events_users",))
    assert daily.sql and "group by event_date" in daily.sql
    assert (top.transform, top.inputs) == ("sql", ("events_users", "daily"))
    assert top.sql and top.sql.startswith("select user_id")


def test_every_object_knows_where_it_was_declared(spec: PipelineSpec) -> None:
    union, joined, daily = spec.steps[1], spec.steps[2], spec.steps[3]
    assert union.locs["inputs[1]"].line == 50 and union.locs["inputs[1]"].col == 28
    assert joined.locs["broadcast[0]"].line == 56
    assert joined.locs["params.on"].line == 55
    assert daily.locs["inputs[0]"].line == 63 and daily.locs["inputs[0]"].col == 15
    assert spec.steps[0].locs["inputs[0]"] == spec.steps[0].locs["input"]
    assert spec.steps[4].locs["inputs[1]"].file.endswith("sql/top_users.sql")
    sink = spec.sinks[1]
    assert sink.partition_by == ("event_type",) and sink.locs["partition_by[0]"].line == 76
    assert spec.sinks[0].loc and spec.sinks[0].loc.line == 72
    assert spec.sinks[0].locs["from"].line == 73


def test_sinks(spec: PipelineSpec) -> None:
    fact, _, daily, top = spec.sinks
    assert (fact.table, fact.source, fact.partition_by, fact.mode) == (
        "fact_events", "events_users", ("event_date",), "overwrite")
    assert fact.targets == ("parquet",)
    assert daily.repartition and daily.repartition.coalesce and daily.repartition.num == 1
    assert top.targets == ("parquet", "postgres")


def test_spec_hash_follows_the_substituted_document() -> None:
    a = load_pipeline(GOOD, registry=make_registry(), env={})
    b = load_pipeline(GOOD, registry=make_registry(), env={}, overrides={"sessions": "5"})
    assert a.spec_hash == load_pipeline(GOOD, registry=make_registry(), env={}).spec_hash
    assert a.spec_hash != b.spec_hash and len(a.spec_hash) == 64
    assert spec_hash({"b": 1, "a": 2}) == spec_hash({"a": 2, "b": 1})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_pipeline(path, registry=make_registry(), env={})
    return [p.format() for p in info.value.problems]


HEAD = """\
pipeline: x
sources:
  events: {path: raw/events, format: csv}
  users: {path: raw/users, format: csv}
"""


def test_semantic_problems_are_all_collected(tmp_path: Path) -> None:
    out = messages(write(tmp_path, HEAD + """\
steps:
  - {id: a, transform: union, inputs: [events]}
  - {id: a, transform: passthrough, input: nope}
  - {id: users, transform: passthrough, input: events}
sinks:
  t: {from: gone}
"""))
    assert len(out) == 5
    assert "takes 2 or more inputs, got 1" in out[0]
    assert "duplicate step id 'a' (first declared on line 6)" in out[1]
    assert "unknown input 'nope'" in out[2]
    assert "step id 'users' is also a source id" in out[3]
    assert "sink 't' reads 'gone'" in out[4]


def test_explicit_inputs_and_refs_are_merged(tmp_path: Path) -> None:
    spec = load_pipeline(write(tmp_path, HEAD + """\
steps:
  - id: s
    inputs: [users]
    sql: "select * from {{ ref('events') }} join {{ ref('users') }} using (user_id)"
"""), registry=make_registry(), env={})
    assert spec.steps[0].inputs == ("users", "events")


def test_jinja_error_is_reported_on_the_pipeline_line(tmp_path: Path) -> None:
    out = messages(write(tmp_path, HEAD + """\
steps:
  - id: s
    sql: |
      select *
      from x
      where {% if %}
"""))
    assert len(out) == 1 and ":10 steps[0].sql: SQL template error" in out[0]


def test_jinja_error_in_sql_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "q.sql").write_text("select\n{{ ref('events') \n", encoding="utf-8")
    out = messages(write(tmp_path, HEAD + "steps: [{id: s, sql_file: q.sql}]\n"))
    assert len(out) == 1 and "q.sql:2 steps[0].sql_file: SQL template error" in out[0]


def test_missing_templates_and_report_are_reported(tmp_path: Path) -> None:
    out = messages(write(tmp_path, HEAD + "sql: {templates: nowhere}\nreport: r.yaml\n"))
    assert len(out) == 2
    assert "sql.templates: folder not found" in out[0] and "report: file not found" in out[1]


def test_templates_and_report_resolve_against_the_pipeline_folder(tmp_path: Path) -> None:
    (tmp_path / "tpl" / "views").mkdir(parents=True)
    (tmp_path / "tpl" / "views" / "a.sql").write_text("-- question: q\n-- grain: g\nSELECT 1\n")
    (tmp_path / "r.yaml").write_text("x: 1\n")
    text = HEAD + "sql: {templates: tpl, views: [a]}\nreport: r.yaml\n"
    spec = load_pipeline(write(tmp_path, text), registry=make_registry(), env={})
    assert spec.sql and spec.sql.templates == str(tmp_path / "tpl")
    assert spec.sql.views == ("a",) and spec.sql.queries == "all"
    assert spec.report == str(tmp_path / "r.yaml")


def test_bad_schema_file_is_reported_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("columns:\n  a: string\n  b: strin\n")
    out = messages(write(tmp_path, "pipeline: x\nsources:\n  e: {path: p, format: csv, "
                                   "schema: s.yaml}\n"))
    assert len(out) == 1 and "s.yaml:3:6 columns.b: unknown column type" in out[0]


def test_two_cycles_are_both_reported(tmp_path: Path) -> None:
    out = messages(write(tmp_path, HEAD + """\
steps:
  - {id: a, transform: union, inputs: [events, b]}
  - {id: b, transform: passthrough, input: a}
  - {id: c, transform: union, inputs: [users, d]}
  - {id: d, transform: passthrough, input: c}
"""))
    assert len(out) == 2
    assert "cycle: a -> b -> a" in out[0] and "cycle: c -> d -> c" in out[1]


def test_default_registry_is_used_when_none_is_given(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import framework.validate as validate

    monkeypatch.setattr(validate, "default_registry", make_registry)
    spec = validate.load_pipeline(write(tmp_path, HEAD), env={})
    assert [s.id for s in spec.sources] == ["events", "users"]


def test_find_refs_in_order_without_duplicates() -> None:
    sql = ("select * from {{ ref('a') }} join {{ ref(\"b\") }}\n"
           "{% if x %}{{ ref('a') }}{% endif %} {{ other('c') }}")
    assert find_refs(sql) == ["a", "b"]


def test_find_refs_raises_on_syntax_errors() -> None:
    with pytest.raises(jinja2.TemplateSyntaxError):
        find_refs("select {{ ref('a') }")


def test_render_sql_uses_the_callers_ref_and_is_strict() -> None:
    sql = "select * from {{ ref('events') }} where d = '{{ day }}'"
    assert render_sql(sql, lambda n: f"`{n}_v`", day="2026-01-01") == (
        "select * from `events_v` where d = '2026-01-01'")
    with pytest.raises(jinja2.UndefinedError):
        render_sql(sql, lambda n: n)
    assert render_sql("{{ '<a>' }}", str) == "<a>"


def test_quoting_and_identifiers() -> None:
    assert spark_ident("events") == "`events`"
    assert spark_ident("we`ird") == "`we``ird`"
    assert render_sql("{{ 'x y' | quote }}", str) == "`x y`"
    assert is_identifier("fact_events") and is_identifier("_x1")
    assert not is_identifier("1x") and not is_identifier("a-b") and not is_identifier("")
    with pytest.raises(ValueError):
        render_sql("{{ '' | quote }}", str)


ROOT = Path(__file__).parent.parent.parent


def test_clickstream_with_a_duplicated_step_id_is_one_located_problem(tmp_path: Path) -> None:
    """The second `events_clean` reads the first: one duplicate-id problem, exit 2, no traceback."""
    import shutil
    import subprocess
    import sys

    from framework.validate import default_registry

    text = (ROOT / "pipelines" / "clickstream.yaml").read_text(encoding="utf-8")
    assert text.count("  - id: events_enriched\n") == 1
    assert text.count("input: events_enriched\n") == 1
    broken = text.replace("  - id: events_enriched\n", "  - id: events_clean\n").replace(
        "input: events_enriched\n", "input: events_clean\n")
    pipelines = tmp_path / "pipelines"  # a copy of the project: schemas and SQL templates
    shutil.copytree(ROOT / "pipelines" / "schemas", pipelines / "schemas")
    shutil.copytree(ROOT / "sql_templates", tmp_path / "sql_templates")
    shutil.copytree(ROOT / "reports", tmp_path / "reports")
    path = write(pipelines, broken)
    first, line = [n for n, text in enumerate(broken.splitlines(), 1)
                   if text == "  - id: events_clean"]
    with pytest.raises(SpecError) as info:
        load_pipeline(path, registry=default_registry(), env={})
    [problem] = info.value.problems
    assert problem.location is not None and problem.location.line == line
    assert problem.message == (f"duplicate step id 'events_clean' (first declared on line "
                               f"{first})")
    done = subprocess.run([sys.executable, "-m", "framework.cli", "validate", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert f"{path}:{line}:9 steps[1].id: duplicate step id" in done.stdout + done.stderr


def test_column_names_in_a_schema_file_are_checked_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("columns:\n  id: string\n  'we`ird': int\n  ID: string\n")
    out = messages(write(tmp_path, "pipeline: x\nsources:\n  e: {path: p, format: csv, "
                                   "schema: s.yaml}\n"))
    assert len(out) == 2, out
    assert "s.yaml:3:3 columns['we`ird']: column name 'we`ird' holds a backtick" in out[0]
    assert ("s.yaml:4:3 columns.ID: column 'ID' differs only in case from column 'id' "
            "(line 2)") in out[1]


@pytest.mark.parametrize("name", ["tab\there", "nul\x00", "bell\x07", "nbsp\u00a0x", "zw\u200bj"])
def test_invisible_characters_in_column_names_are_refused(tmp_path: Path, name: str) -> None:
    text = "pipeline: x\nsources:\n  e: {path: p, format: csv, schema: {columns: {%s: int}}}\n"
    [message] = messages(write(tmp_path, text % json.dumps(name)))
    assert ":3:" in message and "holds a control or invisible character" in message


def test_printable_column_names_beyond_identifiers_are_kept(tmp_path: Path) -> None:
    names = ["order id", "prix (€)", "a.b", "x-y", "Ünïcode", "a\"b"]
    columns = ", ".join(f"{json.dumps(n)}: string" for n in names)
    spec = load_pipeline(write(tmp_path, "pipeline: x\nsources:\n  e: {path: p, format: csv, "
                                         f"schema: {{columns: {{{columns}}}}}}}\n"),
                         registry=make_registry(), env={})
    assert spec.sources[0].schema and spec.sources[0].schema.names() == tuple(names)


def test_a_schema_file_two_sources_share_reports_its_problem_once(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("columns:\n  id: string\n  'a`b': int\n")
    out = messages(write(tmp_path, "pipeline: x\nsources:\n"
                                   "  e: {path: p, format: csv, schema: s.yaml}\n"
                                   "  f: {path: q, format: csv, schema: s.yaml}\n"))
    assert len(out) == 1 and "s.yaml:3:3" in out[0] and "holds a backtick" in out[0]

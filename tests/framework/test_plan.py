"""The plan: stages in order, cache and broadcast decisions, selection; explained without Spark."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fixtures.testplugin import make_registry
from framework.explain import plan_json, plan_tree
from framework.plan import build_plan
from framework.validate import load_pipeline

HERE = os.path.dirname(__file__)
SHOP = os.path.join(HERE, "..", "fixtures", "good", "shop.yaml")
ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture(scope="module")
def spec():
    return load_pipeline(SHOP, registry=make_registry())


def _keys(plan, stage=None):
    return [t.key for s in plan.stages if stage in (None, s.name) for t in s.tasks]


def test_stages_run_in_order_and_every_task_after_its_inputs(spec, tmp_path):
    plan = build_plan(spec, str(tmp_path))
    assert [s.name for s in plan.stages] == ["prepare", "generate", "read", "transform",
                                             "publish", "load", "views"]
    order = _keys(plan)
    for task in plan.tasks():
        for dep in task.deps:
            assert order.index(dep) < order.index(task.key), (dep, task.key)
    assert _keys(plan, "generate") == ["generator:shop"]
    assert set(_keys(plan, "publish")) == {f"sink:{s.table}" for s in spec.sinks}


def test_cache_is_declared_or_automatic_for_shared_outputs(spec, tmp_path):
    plan = build_plan(spec, str(tmp_path))
    clean = plan.task("step:events_clean")
    assert (clean.cache, clean.cache_reason) == ("MEMORY_ONLY", "declared")
    users = plan.task("step:events_users")  # feeds daily, top_users and fact_events
    assert users.cache == "MEMORY_ONLY" and users.cache_reason == "auto: 3 consumers"
    all_events = plan.task("step:events_all")  # one consumer: no cache
    assert all_events.cache is None


def test_auto_cache_can_be_switched_off(tmp_path):
    spec = load_pipeline(SHOP, registry=make_registry())
    from dataclasses import replace

    spec = replace(spec, optimizations=replace(spec.optimizations, auto_cache=False))
    plan = build_plan(spec, str(tmp_path))
    assert plan.task("step:events_users").cache is None
    assert plan.task("step:events_clean").cache == "MEMORY_ONLY"  # declared stays


def test_sink_details_name_path_partitioning_and_compression(spec, tmp_path):
    plan = build_plan(spec, str(tmp_path))
    fact = plan.task("sink:fact_events").facts()
    assert fact["path"] == os.path.join(str(tmp_path), "warehouse", "fact_events")
    assert fact["partition_by"] == ["event_date"] and fact["compression"] == "zstd"
    step = plan.task("step:events_users").facts()
    assert step["broadcast"] == ["users"] and step["repartition"]["num"] == 8
    assert plan.task("sink:top_users").facts()["postgres_table"] == "shop.top_users"
    assert "postgres_table" not in fact  # a Parquet-only sink


def test_selecting_a_step_keeps_what_it_needs_and_publishes_only_its_tables(spec, tmp_path):
    plan = build_plan(spec, str(tmp_path), ["daily"])
    keys = set(_keys(plan))
    assert "sink:daily_metrics" in keys and "step:daily" in keys
    assert {"step:events_users", "step:events_all", "source:archive",
            "generator:shop"} <= keys
    assert "sink:fact_events" not in keys and "step:top_users" not in keys


def test_downstream_selection(spec, tmp_path):
    plan = build_plan(spec, str(tmp_path), ["daily+"])
    assert {"step:top_users", "sink:top_users", "sink:daily_metrics"} <= set(_keys(plan))
    assert "sink:fact_events" not in _keys(plan)


def test_json_plan_carries_rendered_sql(spec, tmp_path):
    data = json.loads(json.dumps(plan_json(build_plan(spec, str(tmp_path)))))
    daily = next(t for s in data["stages"] for t in s["tasks"] if t["key"] == "step:daily")
    assert "{{" not in daily["rendered_sql"] and "`events_users`" in daily["rendered_sql"]
    assert daily["inputs"] == ["events_users"]


def test_tree_names_every_task(spec, tmp_path):
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(plan_tree(build_plan(spec, str(tmp_path))))
    text = console.export_text()
    for task in spec.steps:
        assert task.id in text
    assert "broadcast users" in text and "partitioned by event_date" in text


def test_plan_of_the_clickstream_pipeline_never_loads_spark(tmp_path):
    """`etl plan` must not start a JVM: pyspark is never even imported."""
    code = (
        "import sys\n"
        "from framework.cli import cli\n"
        "try:\n"
        "    cli(['plan', 'pipelines/clickstream.yaml', '--format', 'json', '--data-dir', "
        f"{str(tmp_path)!r}], standalone_mode=False)\n"
        "finally:\n"
        "    print('PYSPARK_LOADED' if 'pyspark' in sys.modules else 'NO_PYSPARK', "
        "file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "NO_PYSPARK" in out.stderr
    plan = json.loads(out.stdout)
    assert plan["pipeline"] == "clickstream"
    assert [t["key"] for t in plan["stages"][4]["tasks"]][0] == "sink:fact_events"


def test_the_plan_shows_a_sources_encoding_and_what_an_empty_read_does(tmp_path):
    from rich.console import Console

    path = tmp_path / "p.yaml"
    path.write_text("pipeline: p\nsources:\n"
                    "  a: {path: a.csv, format: csv, schema: {columns: {x: string}},"
                    " encoding: ISO-8859-1, allow_empty: true}\n"
                    "  b: {path: b.csv, format: csv, schema: {columns: {x: string}}}\n"
                    "sinks:\n  ta: {from: a}\n  tb: {from: b}\n")
    plan = build_plan(load_pipeline(str(path)), str(tmp_path))
    a, b = plan.task("source:a").facts(), plan.task("source:b").facts()
    assert (a["encoding"], a["allow_empty"], b["allow_empty"]) == ("ISO-8859-1", True, False)
    assert "encoding" not in b
    console = Console(record=True, width=200)
    console.print(plan_tree(plan))
    text = console.export_text()
    assert "encoding: ISO-8859-1" in text and "0 rows allowed" in text
    assert "0 rows refuse the run" in text

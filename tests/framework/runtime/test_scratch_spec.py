"""`etl warmup` runs a copy of the pipeline whose every output lies in its scratch folder."""

from __future__ import annotations

import os

from framework.plan import build_plan
from framework.registry import REGISTRY
from framework.runtime.warmup import scratch_spec
from framework.validate import load_pipeline

PIPELINE = """
pipeline: shop
generators:
  abs: {generator: clickstream, params: {}, landing: {path: REAL/raw, format: csv}}
  climbing: {generator: clickstream, params: {}, landing: {path: CLIMB, format: json}}
sources:
  events: {generated: abs.events}
  users: {generated: climbing.users}
  orders: {path: REAL/input/orders.csv, format: csv}
  customers: {path: input/customers.csv, format: csv}
spark:
  conf: {spark.sql.warehouse.dir: REAL/spark-warehouse, spark.eventLog.dir: REAL/events,
         spark.sql.shuffle.partitions: "3"}
sinks:
  both: {from: events, targets: [parquet, postgres]}
  pg_only: {from: users, targets: [postgres]}
  parquet_only: {from: orders, mode: append}
  relative: {from: customers}
warehouse:
  path: REAL/warehouse
  postgres: {dsn: "postgresql://127.0.0.1:5432/test", schema: real}
"""


def _load(file) -> object:
    """The pipeline with generator `climbing` landing in `../../raw`: validation refuses such a
    path now, and the scratch copy must not rely on that."""
    from dataclasses import replace

    REGISTRY.load_plugins()
    spec = load_pipeline(str(file), registry=REGISTRY)
    return replace(spec, generators=tuple(
        replace(g, landing_path="../../raw") if g.landing_path == "CLIMB" else g
        for g in spec.generators))


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([os.path.realpath(path), os.path.realpath(folder)]) == \
        os.path.realpath(folder)


def test_every_output_of_the_warmup_run_is_in_its_scratch_folder(tmp_path):
    real, scratch = tmp_path / "real", tmp_path / "scratch"
    (real / "input").mkdir(parents=True)
    (real / "input" / "orders.csv").write_text("id\n1\n")
    file = tmp_path / "p.yaml"
    file.write_text(PIPELINE.replace("REAL", str(real)))
    REGISTRY.load_plugins()
    data = tmp_path / "data"  # etl warmup --data-dir: where relative sources are read
    spec = scratch_spec(_load(file), str(scratch), str(data))

    plan = build_plan(spec, str(scratch))
    written = list(plan.prepare)  # the warehouse (its staging folder and lock) and runs/
    for task in plan.tasks():
        if task.kind == "generator":
            written.append(task.facts()["landing"])
        if task.kind == "sink":
            written.append(task.facts()["path"])
            assert task.facts()["targets"] == ["parquet"] and "postgres_table" not in task.facts()
    written += [spec.spark.conf["spark.sql.warehouse.dir"], spec.spark.conf["spark.eventLog.dir"]]
    assert len(written) == 2 + 2 + 4 + 2
    outside = [p for p in written if not _inside(p, str(scratch))]
    assert outside == []
    assert spec.warehouse.postgres_dsn is None
    assert spec.spark.conf["spark.sql.shuffle.partitions"] == "3"  # other settings are kept

    sources = {s.id: build_plan(spec, str(scratch)).task(f"source:{s.id}").facts()["path"]
               for s in spec.sources}
    landing = {t.id: t.facts()["landing"] for t in plan.tasks() if t.kind == "generator"}
    assert sources["events"] == os.path.join(landing["abs"], "events")  # the copy it landed
    assert sources["users"] == os.path.join(landing["climbing"], "users")
    assert sources["orders"] == str(real / "input" / "orders.csv")  # read where it is
    assert sources["customers"] == str(data / "input" / "customers.csv")  # as `etl run` would


def test_etl_warmup_refuses_an_empty_data_dir_before_any_work(tmp_path):
    from click.testing import CliRunner

    from framework.cli import cli

    file = tmp_path / "p.yaml"
    file.write_text("pipeline: p\nsources:\n  s: {path: in.csv, format: csv}\n"
                    "sinks:\n  t: {from: s}\n")
    out = CliRunner().invoke(cli, ["warmup", str(file), "--data-dir", " "])
    assert out.exit_code == 2 and "--data-dir is empty" in out.output


def test_a_generator_id_never_takes_its_scratch_landing_folder_outside(tmp_path):
    """Validation refuses such an id; the scratch copy does not rely on it."""
    from dataclasses import replace

    file = tmp_path / "p.yaml"
    file.write_text(PIPELINE.replace("REAL", str(tmp_path / "real")))
    REGISTRY.load_plugins()
    spec = _load(file)
    hostile = {"abs": "../../..", "climbing": "A/../../b"}
    spec = replace(spec, generators=tuple(replace(g, id=hostile[g.id]) for g in spec.generators),
                   sources=tuple(replace(s, generated_by=hostile.get(s.generated_by or ""))
                                 if s.generated_by else s for s in spec.sources))
    scratch = tmp_path / "scratch"
    copy = scratch_spec(spec, str(scratch), str(tmp_path / "data"))
    landings = [os.path.join(scratch, g.landing_path) for g in copy.generators]
    assert len(set(landings)) == 2 and all(_inside(p, str(scratch / "generated")) for p in landings)


def test_the_warmup_run_is_local_whatever_master_the_pipeline_names(tmp_path):
    """A cluster's executors cannot see the scratch folder on the driver's machine."""
    from dataclasses import replace

    file = tmp_path / "p.yaml"
    file.write_text(PIPELINE)
    spec = _load(file)
    cluster = replace(spec, spark=replace(spec.spark, master="spark://master:7077"))
    assert scratch_spec(cluster, str(tmp_path / "s"), str(tmp_path)).spark.master == "local[*]"
    two = replace(spec, spark=replace(spec.spark, master="local[2]"))
    assert scratch_spec(two, str(tmp_path / "s"), str(tmp_path)).spark.master == "local[2]"

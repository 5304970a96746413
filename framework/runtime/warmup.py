"""`etl warmup`: run a pipeline once in a scratch folder and keep the JVM's class-data archive.

The run is a real one (same engine, same transforms), so the archive holds exactly the classes such
runs load. It runs a copy of the spec whose every output lives in the scratch folder
(`scratch_spec`), which is removed after: the user's data directory, warehouse, landing folders and
databases are never written to. Sources are read where they are (read only): a relative source
path resolves against the data directory given (`etl warmup --data-dir`, as for `etl run`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace

from framework.console import Console
from framework.errors import EtlError
from framework.graph import Graph
from framework.paths import data_path
from framework.plan import build_plan
from framework.runtime import classarchive
from framework.runtime.executor import Executor
from framework.runtime.state import RunOptions
from framework.spec import PipelineSpec

# Spark settings naming folders Spark writes to: pointed into the scratch folder
SPARK_FOLDERS = ("spark.sql.warehouse.dir", "spark.eventLog.dir", "spark.local.dir",
                 "spark.checkpoint.dir", "spark.sql.streaming.checkpointLocation")


@dataclass(frozen=True)
class WarmupResult:
    archive: str
    size: int
    seconds: float


def warmup(spec: PipelineSpec, console: Console, data_dir: str,
           graph: Graph | None = None) -> WarmupResult:
    """Record the archive from a run of `spec` in a scratch folder; sources that no generator
    produces are read from `data_dir`, where `etl run` would read them."""
    target = classarchive.archive_path()
    if target is None:
        raise EtlError("cannot record a class-data archive: Java or Spark's jars were not found",
                       hint="check `java -version` (17+) and that pyspark is installed")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    t0 = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="etl-warmup-")
    recorded = os.path.join(os.path.dirname(target), f".recording-{os.getpid()}.jsa")
    try:
        options = RunOptions(data_dir=scratch, vars=dict(spec.vars), stop_session=False,
                             class_archive=False,
                             java_options=tuple(classarchive.recording_options(recorded)))
        spec = scratch_spec(spec, scratch, data_dir)
        # the scratch copy moves folders only: the graph validation built still holds
        executor = Executor(spec, build_plan(spec, scratch, [], graph), options, console)
        try:
            executor.run()
        finally:
            if executor.spark is not None:
                console.info("writing the class-data archive (the JVM exits to write it)")
                classarchive.exit_jvm(executor.spark)
        if not os.path.isfile(recorded) or os.path.getsize(recorded) == 0:
            raise EtlError("the JVM exited without writing a class-data archive",
                           hint="see the run's spark.log; Java 17+ with CDS support is needed")
        classarchive.install(recorded, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if os.path.exists(recorded):
            os.remove(recorded)
    return WarmupResult(target, os.path.getsize(target), time.monotonic() - t0)


def scratch_spec(spec: PipelineSpec, scratch: str, data_dir: str) -> PipelineSpec:
    """`spec` with every place a run writes to inside `scratch`: the warehouse (and with it its
    staging folder and lock), each generator's landing folder (and the sources reading it),
    Spark's own folders; no PostgreSQL at all (a sink publishes Parquet into the scratch
    warehouse instead). Relative data locations already resolve against `scratch`, the run's
    data directory (runs/, quarantine/), but may climb out of it with `..`: every output is
    moved, not only absolute ones. Other sources are only read, from where `etl run` with
    `data_dir` would read them: a relative path becomes `data_dir`'s. The master is local
    (a cluster's executors could not see the scratch folder)."""
    landing = {g.id: f"generated/{i}-{re.sub(r'[^A-Za-z0-9_]', '_', g.id)}"  # never climbs out
               for i, g in enumerate(spec.generators)}
    sources = tuple(
        replace(s, path=f"{landing[s.generated_by]}/{s.table}")
        if s.generated_by in landing and s.table else replace(s, path=data_path(data_dir, s.path))
        for s in spec.sources)
    conf = dict(spec.spark.conf)
    for key in SPARK_FOLDERS:
        if key in conf:
            conf[key] = os.path.join(scratch, "spark", key.rsplit(".", 1)[-1])
    return replace(
        spec,
        name=re.sub(r"[^A-Za-z0-9_.-]", "_", spec.name) or "warmup",  # the run's folder name
        generators=tuple(replace(g, landing_path=landing[g.id]) for g in spec.generators),
        sources=sources,
        sinks=tuple(replace(s, targets=("parquet",)) for s in spec.sinks),
        warehouse=replace(spec.warehouse, path="warehouse", postgres_dsn=None),
        # the archive is of the driver's classes, and the scratch folder is on this machine
        # only: a cluster master (ETL_SPARK_MASTER=spark://...) would run the tasks where the
        # scratch folder is not
        spark=replace(spec.spark, conf=conf,
                      master=spec.spark.master if spec.spark.master.startswith("local")
                      else "local[*]"),
    )

"""`etl warmup`: run a pipeline once in a scratch folder and keep the JVM's class-data archive.

The run is a real one (same engine, same transforms), so the archive holds exactly the classes such
runs load. Nothing of the user's data directory is touched: the scratch folder is removed after.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass

from framework.console import Console
from framework.errors import EtlError
from framework.plan import build_plan
from framework.runtime import classarchive
from framework.runtime.executor import Executor, RunOptions
from framework.spec import PipelineSpec


@dataclass(frozen=True)
class WarmupResult:
    archive: str
    size: int
    seconds: float


def warmup(spec: PipelineSpec, console: Console) -> WarmupResult:
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
        executor = Executor(spec, build_plan(spec, scratch, []), options, console)
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

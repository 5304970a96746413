"""A driver JVM that cannot start (exit 3) or dies mid-run (exit 1) is a clear error, never a
Python traceback, and the message says where the JVM's own output is."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from tests.e2e.helpers import ROOT, run_etl
from tests.framework.runtime.test_executor import _write

pytestmark = pytest.mark.spark


def _edit(path: str, change) -> None:
    with open(path, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    change(spec)
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(spec, fh, sort_keys=False)


def test_a_bad_driver_java_option_is_reported_without_traceback(tmp_path):
    path = _write(tmp_path)
    # a diagnostic flag without -XX:+UnlockDiagnosticVMOptions: the JVM refuses to start
    # (Spark adds -XX:+IgnoreUnrecognizedVMOptions, so a merely unknown flag would pass)
    _edit(path, lambda spec: spec.setdefault("spark", {}).setdefault("conf", {}).update(
        {"spark.driver.extraJavaOptions": "-XX:-BytecodeVerificationRemote"}))
    out = run_etl("run", path, "--data-dir", str(tmp_path / "data"), check=False)
    assert out.returncode == 3, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "the Spark JVM exited while starting" in text
    assert "spark.driver.extraJavaOptions" in text  # the next thing to look at
    assert "BytecodeVerificationRemote" in text  # the JVM's own words, in the error message
    assert "Traceback" not in text


# `etl run` with one more transform registered: it ends the JVM the way a crash would
CRASHING_ETL = """
import sys
from framework.registry import transform

@transform("halt_jvm", params={"type": "object", "properties": {}}, inputs=1)
def halt_jvm(ctx, inputs, params):
    ctx.spark.sparkContext._jvm.java.lang.Runtime.getRuntime().halt(1)
    return next(iter(inputs.values()))

from framework.cli import main
sys.argv = ["etl", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("threads", [1, 4])
def test_a_jvm_that_dies_mid_run_is_reported_without_traceback(tmp_path, threads):
    path = _write(tmp_path)

    def crash_after_filter(spec):
        spec["steps"].insert(1, {"id": "crash", "transform": "halt_jvm", "input": "valid_orders"})
        spec["steps"][2]["sql"] = spec["steps"][2]["sql"].replace("'valid_orders'", "'crash'")
        spec.setdefault("optimizations", {})["parallel_tasks"] = threads

    _edit(path, crash_after_filter)
    env = {**os.environ, "TERM": "dumb", "ETL_SPARK_MASTER": "local[2]"}
    out = subprocess.run([sys.executable, "-c", CRASHING_ETL, "run", path, "--data-dir",
                          str(tmp_path / "data")], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    if threads == 1:  # nothing runs beside the step that halted the JVM
        assert "step 'crash' failed: the Spark JVM stopped" in text
    else:  # a sink of valid_orders may run beside it, and notice first: both are named
        assert "the Spark JVM stopped" in text and "step 'crash'" in text
    assert "jvm.out" in text and "--select crash+" in text  # where to look, what to rerun
    assert "Traceback" not in text and "Exception while sending command" not in text


def test_running_out_of_memory_is_said_first_with_the_task_and_the_setting(tmp_path):
    """A task that needs more heap than the driver has stops the JVM; every task running then
    fails with a consequence ("SparkContext was shut down", a refused connection). The error
    leads with the cause, the task whose Spark job ran out when known, and what to raise."""
    path = _write(tmp_path)

    def huge_string(spec):  # repeat() of 600M x 2 characters: far more than a 700 MB heap
        spec["steps"].insert(1, {"id": "big", "sql": "select *, length(repeat(country, "
                                 "600000000)) as n from {{ ref('valid_orders') }}"})
        spec["sinks"]["big"] = {"from": "big"}
        spec.setdefault("spark", {})["driver_memory"] = "700m"

    _edit(path, huge_string)
    out = run_etl("run", path, "--data-dir", str(tmp_path / "data"), check=False)
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    error = text[text.index("error: "):]
    assert error.startswith("error: the Spark JVM ran out of memory"), error
    assert "(java.lang.OutOfMemoryError: Java heap space)" in error
    if " in sink " in error.splitlines()[0]:  # the task is named when its stage was seen
        assert "ran out of memory in sink 'big'" in error
    else:
        assert "sink 'big'" in error.splitlines()[0]
    assert "driver_memory: 4g" in error and "now 700m" in error and "spark.log" in error
    assert "--select sink:big" in error or "--select big" in error
    assert "Traceback" not in text
    assert not os.path.exists(tmp_path / "data" / "warehouse" / "big")  # nothing half-published

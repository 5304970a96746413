"""A Python UDF runs on the interpreter `etl` runs on, not on the first `python3` of the PATH."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.e2e.helpers import ROOT

pytestmark = pytest.mark.spark

SCRIPT = """
import sys
from framework.runtime.session import build_session, session_settings
from framework.spec import Optimizations, SparkSpec
settings = session_settings(SparkSpec(master="local[1]"), Optimizations(), "udf-check", None)
spark = build_session(settings)
from pyspark.sql import functions as F
worker = F.udf(lambda _: __import__("sys").executable, "string")
print("WORKER", spark.range(1).select(worker("id")).first()[0])
spark.stop()
"""


def test_python_udfs_run_on_the_same_interpreter(tmp_path):
    # a PATH whose first python3 is not ours: without the setting, workers would start that one
    shadow = tmp_path / "bin"
    shadow.mkdir()
    (shadow / "python3").symlink_to("/usr/bin/python3" if os.path.exists("/usr/bin/python3")
                                    else sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "VIRTUAL_ENV")}
    env["PATH"] = f"{shadow}{os.pathsep}{env.get('PATH', '')}"
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    worker = [ln for ln in out.stdout.splitlines() if ln.startswith("WORKER ")][-1].split(" ", 1)[1]
    assert os.path.realpath(worker) == os.path.realpath(sys.executable)

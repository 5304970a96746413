"""`etl warmup` records a class-data archive that a later run's JVM really starts from."""

from __future__ import annotations

import glob
import json
import os
import subprocess

import pytest

from tests.e2e.helpers import CLICKSTREAM, ROOT, SMALL, etl_command

pytestmark = pytest.mark.spark


def _etl(env: dict, *args: str) -> subprocess.CompletedProcess:
    out = subprocess.run(etl_command(*args), cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=900)
    assert out.returncode == 0, f"etl {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out


def test_warmup_records_an_archive_the_next_run_starts_from(tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "TERM": "dumb", "ETL_SPARK_MASTER": "local[2]",
           "ETL_CACHE_DIR": str(cache)}
    env.pop("ETL_CLASS_ARCHIVE", None)
    out = _etl(env, "warmup", CLICKSTREAM, *SMALL)
    archives = glob.glob(str(cache / "spark-classes-*.jsa"))
    assert len(archives) == 1 and os.path.getsize(archives[0]) > 10 * 2**20
    assert archives[0] in out.stdout.replace("\n", "")
    assert not glob.glob(str(cache / ".recording-*")), "the recording was moved into place"
    assert "Skipping" not in out.stdout + out.stderr  # the JVM's archive notes stay out of sight

    again = _etl(env, "warmup", "--if-missing", CLICKSTREAM)
    assert "already recorded" in again.stdout

    # require: the JVM refuses to start unless it can map the archive, so success proves use
    data = tmp_path / "data"
    run = _etl({**env, "ETL_CLASS_ARCHIVE": "require"}, "run", CLICKSTREAM, *SMALL,
               "--data-dir", str(data), "--select", "dim_products")
    (record,) = glob.glob(str(data / "runs" / "*" / "run.json"))
    # what the JVM prints itself (Spark 4's incubator-module warning) goes to the run's folder
    with open(os.path.join(os.path.dirname(record), "jvm.out")) as fh:
        assert "jdk.incubator" in fh.read()
    assert "jdk.incubator" not in run.stdout + run.stderr
    with open(record) as fh:
        options = json.load(fh)["spark"]["conf"]["spark.driver.extraJavaOptions"]
    assert f"-XX:SharedArchiveFile={archives[0]}" in options and "-Xshare:on" in options

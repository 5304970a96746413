"""`spark.master: spark://...` works: a real standalone master and worker on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time

import pytest
from e2e.helpers import CLICKSTREAM, SMALL, TABLES, read_table, run_etl

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spark_class() -> str:
    import pyspark

    return os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-class")


def _wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture
def cluster(tmp_path):
    port, ui = _free_port(), _free_port()
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(tmp_path)}
    master = subprocess.Popen(
        [_spark_class(), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
         "--port", str(port), "--webui-port", str(ui)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"spark://127.0.0.1:{port}"
    worker = None
    try:
        _wait_for_port(port)
        worker = subprocess.Popen(
            [_spark_class(), "org.apache.spark.deploy.worker.Worker", url, "--cores", "2",
             "--memory", "2g", "--host", "127.0.0.1", "--webui-port", str(_free_port()),
             "--work-dir", str(tmp_path / "work")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)  # the worker registers with the master
        yield url
    finally:
        for proc in (worker, master):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


def test_a_pipeline_runs_on_a_standalone_cluster(cluster, tmp_path):
    data_dir = str(tmp_path / "data")
    run_etl("run", CLICKSTREAM, "--data-dir", data_dir, *SMALL, "--no-report", master=cluster)
    runs = os.listdir(os.path.join(data_dir, "runs"))
    with open(os.path.join(data_dir, "runs", runs[0], "run.json")) as fh:
        record = json.load(fh)
    assert record["status"] == "succeeded"
    assert record["spark"]["master"] == cluster
    warehouse = os.path.join(data_dir, "warehouse")
    assert len(read_table(warehouse, "fact_sessions")) == 200  # SMALL: sessions=200
    for table in TABLES:
        assert len(read_table(warehouse, table)) > 0, table

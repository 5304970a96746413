"""Faults around a run, through the real `etl` command: a disk that fills up during a publish,
and library warnings that must go to the run's python.log, not the terminal."""

from __future__ import annotations

import glob
import json
import os
import random
import subprocess
import sys

import pytest
import yaml

from tests.disks import fill, small_disk
from tests.e2e.helpers import ROOT, read_table, run_etl
from tests.framework.runtime.test_executor import ORDERS, _write

pytestmark = pytest.mark.spark


def _records(data_dir: str) -> list[dict]:
    out = []
    for path in sorted(glob.glob(os.path.join(data_dir, "runs", "*", "run.json"))):
        with open(path) as fh:
            out.append(json.load(fh))
    return out


def _big_orders(path, rows: int) -> None:
    """Orders whose ids do not compress: their Parquet takes about 40 bytes a row."""
    rng = random.Random(7)
    with open(path, "w") as fh:
        fh.write("order_id,country,amount,ordered_at\n")
        for _ in range(rows):
            fh.write(f"{rng.getrandbits(128):032x},{rng.choice(['DE', 'FR', 'US'])},"
                     f"{rng.randint(1, 999) / 10},2026-01-0{rng.randint(1, 3)}T10:00:00Z\n")


def test_a_disk_that_fills_during_a_publish_is_one_message_and_a_finished_record(tmp_path):
    orders = tmp_path / "orders.csv"  # outside the small disk: only the run's writes fill it
    orders.write_text(ORDERS)
    path = _write(tmp_path, ("path: input/orders.csv", f"path: {orders}"),
                  extra="optimizations: {parallel_tasks: 1}\n")
    with small_disk(tmp_path / "disk", "3m") as disk:
        run_etl("run", path, "--data-dir", disk)  # room enough: publishes valid_orders
        wh = os.path.join(disk, "warehouse")
        before = read_table(wh, "valid_orders").sort_values("order_id").reset_index(drop=True)

        _big_orders(orders, 40_000)  # about 1.6 MB of Parquet
        filler = fill(disk, leave=600 * 1024)
        out = run_etl("run", path, "--data-dir", disk, check=False)
        text = out.stdout + out.stderr
        assert out.returncode == 1, text
        assert "Traceback" not in text and "Py4JJavaError" not in text, text
        assert "no space left on device in" in text and "free some space on the disk" in text
        assert f"df -h {disk}" in text  # where to look
        assert len(text.splitlines()) < 40, text
        failed = _records(disk)[-1]
        assert failed["status"] == "failed" and "no space left on device" in failed["error"]
        assert glob.glob(os.path.join(disk, "runs", "*", "*.tmp")) == []
        after = read_table(wh, "valid_orders").sort_values("order_id").reset_index(drop=True)
        assert after.equals(before)  # the published table is the one before

        os.remove(filler)  # space again: the same command now succeeds
        run_etl("run", path, "--data-dir", disk)
        assert len(read_table(wh, "valid_orders")) == 40_000
        assert _records(disk)[-1]["status"] == "succeeded"


# `etl run` with one more transform registered: it warns the way libraries do
WARNING_ETL = """
import sys
import warnings
from framework.registry import transform

@transform("warns", params={"type": "object", "properties": {}}, inputs=1)
def warns(ctx, inputs, params):
    warnings.warn("a library would like to say something", UserWarning)
    return next(iter(inputs.values()))

from framework.cli import main
sys.argv = ["etl", *sys.argv[1:]]
main()
"""


def test_library_warnings_go_to_the_run_log_not_the_terminal(tmp_path):
    path = _write(tmp_path)
    with open(path, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    spec["steps"].insert(1, {"id": "chatty", "transform": "warns", "input": "valid_orders"})
    spec["steps"][2]["sql"] = spec["steps"][2]["sql"].replace("'valid_orders'", "'chatty'")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(spec, fh, sort_keys=False)
    data_dir = str(tmp_path / "data")
    env = {**os.environ, "TERM": "dumb", "ETL_SPARK_MASTER": "local[2]"}
    out = subprocess.run([sys.executable, "-c", WARNING_ETL, "run", path, "--data-dir", data_dir],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "UserWarning" not in out.stderr + out.stdout
    assert "would like to say" not in out.stderr + out.stdout
    (log,) = glob.glob(os.path.join(data_dir, "runs", "*", "python.log"))
    with open(log) as fh:
        text = fh.read()
    assert "py.warnings" in text and "UserWarning: a library would like to say something" in text


def test_a_failed_querys_context_goes_to_the_run_log_not_the_terminal(tmp_path):
    """pyspark logs a failed query's context as JSON straight to stderr (its own handler, no
    propagation): during a run that belongs in python.log, the console says it once."""
    path = _write(tmp_path)
    with open(path, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    spec["steps"].append({"id": "broken", "transform": "filter", "input": "valid_orders",
                          "params": {"condition": "no_such_column = 1"}})
    spec["sinks"]["broken"] = {"from": "broken"}
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(spec, fh, sort_keys=False)
    data_dir = str(tmp_path / "data")
    out = run_etl("run", path, "--data-dir", data_dir, check=False)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert '"logger"' not in out.stdout + out.stderr  # pyspark's JSON log line
    (log,) = glob.glob(os.path.join(data_dir, "runs", "*", "python.log"))
    with open(log) as fh:
        assert "QueryContextLogger" in fh.read()

"""A run killed at any moment leaves every table wholly old or wholly new; the rerun completes.

Real processes, real Spark, SIGKILL of the whole process group (the JVM included).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time

import pytest
from e2e.helpers import CLICKSTREAM, ROOT, SMALL, TABLES, etl_command, fingerprint, run_etl

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _publish_started(data_dir: str) -> bool:
    runs = os.path.join(data_dir, "runs")
    for name in sorted(os.listdir(runs), reverse=True)[:1]:
        try:
            with open(os.path.join(runs, name, "run.json")) as fh:
                tasks = json.load(fh)["tasks"]
        except (OSError, ValueError):
            return False
        return any(t["kind"] == "sink" and t["status"] != "pending" for t in tasks)
    return False


def _kill_during_run(data_dir: str, seed: int, when) -> None:
    env = {**os.environ, "TERM": "dumb", "ETL_SPARK_MASTER": "local[2]"}
    proc = subprocess.Popen(
        etl_command("run", CLICKSTREAM, "--data-dir", data_dir, *SMALL, "--var", f"seed={seed}",
                    "--no-report"),
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        when(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


def _fingerprints(data_dir: str) -> dict[str, str]:
    warehouse = os.path.join(data_dir, "warehouse")
    return {t: fingerprint(warehouse, t) for t in TABLES}


def test_killed_runs_leave_old_or_new_tables_and_the_rerun_finishes(small_clickstream,
                                                                     tmp_path):
    old_dir, new_dir = str(tmp_path / "old"), str(tmp_path / "new")
    run_etl("run", CLICKSTREAM, "--data-dir", new_dir, *SMALL, "--var", "seed=2", "--no-report")
    new = _fingerprints(new_dir)
    # the old tables: a copy of the session's published run (tests/conftest.py), default seed
    shutil.copytree(small_clickstream, old_dir, symlinks=True)
    old = _fingerprints(old_dir)
    assert all(old[t] != new[t] for t in ("fact_events", "fact_sessions")), "seeds must differ"

    rng = random.Random()

    def during_publish(proc):
        deadline = time.monotonic() + 300
        while not _publish_started(old_dir) and time.monotonic() < deadline:
            if proc.poll() is not None:
                return
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 3.0))

    def at_random(proc):
        time.sleep(rng.uniform(1.0, 12.0))

    for when in (during_publish, at_random):
        _kill_during_run(old_dir, 2, when)
        now = _fingerprints(old_dir)
        for table in TABLES:
            assert now[table] in (old[table], new[table]), f"{table} is half-published"

    run_etl("run", CLICKSTREAM, "--data-dir", old_dir, *SMALL, "--var", "seed=2")
    assert _fingerprints(old_dir) == new, "the rerun must publish the same tables"
    staging = os.path.join(old_dir, "warehouse", ".staging")
    assert not os.path.exists(staging) or not os.listdir(staging)

"""Helpers for end-to-end tests: run `etl` in a subprocess, read published tables with pyarrow."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pyarrow.dataset as ds

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLICKSTREAM = os.path.join(ROOT, "pipelines", "clickstream.yaml")
TABLES = ("fact_events", "fact_sessions", "fact_daily_metrics", "dim_users", "dim_products",
          "dim_product_metrics", "dim_date")
SMALL = ("--var", "sessions=200", "--var", "users=60", "--var", "products=40", "--var", "days=5")
# every day of the week, a few malformed event rows (quarantined): the session's shared
# `week_clickstream` run (tests/conftest.py), read by tests/e2e and tests/bench
WEEK_MALFORMED = ("--var", "sessions=300", "--var", "users=100", "--var", "products=50",
                  "--var", "days=7", "--var", "malformed_rate=0.02")


def etl_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "framework.cli", *args]


def run_etl(*args: str, check: bool = True, master: str = "local[2]",
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TERM": "dumb", "ETL_SPARK_MASTER": master, **(env or {})}
    out = subprocess.run(etl_command(*args), cwd=ROOT, capture_output=True, text=True,
                         env=env, timeout=600)
    if check and out.returncode != 0:
        raise AssertionError(f"etl {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out


def read_table(warehouse: str, table: str):
    """The published table as a pandas frame (hive partitions become columns)."""
    return ds.dataset(os.path.join(warehouse, table), format="parquet",
                      partitioning="hive").to_table().to_pandas()


def fingerprint(warehouse: str, table: str) -> str:
    """Order-independent content hash of a published table."""
    frame = read_table(warehouse, table)
    frame = frame[sorted(frame.columns)].astype(str)
    rows = sorted("\x1f".join(r) for r in frame.itertuples(index=False, name=None))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def bench_script(name: str):
    """bench/<name>.py imported as a module (bench/ is scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "bench", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""`etl run --target postgres`: the clickstream example loaded into a real PostgreSQL with no edit
to its YAML, every table holding the rows of the Parquet warehouse it was published to."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from e2e.helpers import CLICKSTREAM, SMALL, TABLES, read_table, run_etl

from tests.conftest import pg_query

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _etl(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_etl(*args, check=False, env=env)


def test_every_table_lands_in_postgres_with_the_parquet_rows(tmp_path, pg_dsn, pg_schema):
    data_dir = str(tmp_path / "data")
    (user,), = pg_query(pg_dsn, "select current_user")
    dsn = pg_dsn.replace("postgresql://", f"postgresql://{user}:s3cret-pw@", 1) \
        if "@" not in pg_dsn else pg_dsn  # trust auth: a password the run must never show
    out = _etl("run", CLICKSTREAM, "--target", "postgres", "--data-dir", data_dir, *SMALL,
               env={"PG_DSN": dsn, "PG_SCHEMA": pg_schema})
    assert out.returncode == 0, out.stdout + out.stderr
    warehouse = os.path.join(data_dir, "warehouse")
    for table in TABLES:
        parquet = len(read_table(warehouse, table))
        (loaded,), = pg_query(pg_dsn, f'select count(*) from "{pg_schema}"."{table}"')
        assert (table, loaded) == (table, parquet)
    revenue_pg = pg_query(pg_dsn, f'select sum(revenue) from "{pg_schema}".fact_sessions')[0][0]
    revenue_pq = read_table(warehouse, "fact_sessions")["revenue"].sum()
    assert float(revenue_pg) == pytest.approx(float(revenue_pq), rel=1e-9)
    runs = os.path.join(data_dir, "runs")
    record = open(os.path.join(runs, os.listdir(runs)[0], "run.json")).read()
    assert "s3cret-pw" not in record and "s3cret-pw" not in out.stdout + out.stderr
    sinks = [t for t in json.loads(record)["tasks"] if t["kind"] == "sink"]
    assert {t["postgres"]["table"] for t in sinks} == {f"{pg_schema}.{t}" for t in TABLES}
    # the report bundle the run built (its page, its copy of the record, its SQL) neither
    reports = os.path.join(data_dir, "reports")
    (bundle,) = os.listdir(reports)
    shown = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(reports, bundle))
             for f in fs]
    assert any(p.endswith("index.html") for p in shown)
    assert not [p for p in shown if b"s3cret-pw" in open(p, "rb").read()]


def test_the_plan_shows_every_table_going_to_postgres_without_the_dsn(pg_schema):
    dsn = "postgresql://etl:s3cret-pw@127.0.0.1:5432/test"
    out = _etl("plan", CLICKSTREAM, "--target", "postgres", "--format", "json",
               env={"PG_DSN": dsn, "PG_SCHEMA": pg_schema})
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    sinks = [t for s in plan["stages"] for t in s["tasks"] if t["kind"] == "sink"]
    assert sorted(t["id"] for t in sinks) == sorted(TABLES)
    assert all(t["targets"] == ["parquet", "postgres"] for t in sinks)
    assert {t["postgres_table"] for t in sinks} == {f"{pg_schema}.{t}" for t in TABLES}
    assert "s3cret-pw" not in out.stdout


def test_without_a_dsn_the_run_says_which_variable_to_export():
    env = {k: "" for k in ("PG_DSN",)}
    out = _etl("plan", CLICKSTREAM, "--target", "postgres", env=env)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "--target postgres needs a DSN" in out.stdout + out.stderr
    assert "export PG_DSN=" in out.stdout + out.stderr

"""Shared test fixtures: one deterministic local SparkSession for the whole run."""

from __future__ import annotations

import os
import shutil
import sys

import pytest


def _java_ok() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """local[2], UTC, no UI, two shuffle partitions: small, fast and repeatable."""
    if not _java_ok():
        pytest.fail("Java 17+ is needed for Spark tests: apt-get install openjdk-17-jre-headless")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # UDF workers: this venv's Python
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("etl-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def generated_clickstream(spark, tmp_path_factory) -> str:
    """The data dir of pipelines/clickstream.yaml run once in this process at the SQL tests'
    scale (tests/sql/warehouses.py GENERATED_VARS): its warehouse, raw files and run record.
    Shared by tests/sql (the `generated` warehouse) and the report bundle's tests, which only
    read it."""
    from sql.warehouses import CLICKSTREAM, GENERATED_VARS, run_pipeline_file

    data = str(tmp_path_factory.mktemp("generated-clickstream"))
    run_pipeline_file(CLICKSTREAM, data, GENERATED_VARS)
    return data


# -- end-to-end runs shared by the session: `etl run` in a subprocess, once. A test that writes
# into one copies its data dir first (shutil.copytree(..., symlinks=True)); none writes to it.
@pytest.fixture(scope="session")
def small_clickstream(tmp_path_factory) -> str:
    """The data dir of `etl run pipelines/clickstream.yaml` at e2e.helpers.SMALL (default
    seed, no malformed rows) with --no-report: raw files landed, seven tables published."""
    from e2e.helpers import CLICKSTREAM, SMALL, run_etl

    data_dir = str(tmp_path_factory.mktemp("small-clickstream"))
    run_etl("run", CLICKSTREAM, "--data-dir", data_dir, *SMALL, "--no-report",
            env={"COLUMNS": "400"})
    return data_dir


@pytest.fixture(scope="session")
def week_clickstream(tmp_path_factory) -> tuple[str, str]:
    """(data dir, stdout) of `etl run pipelines/clickstream.yaml` at e2e.helpers.WEEK_MALFORMED
    (seven days, 2% malformed event rows), report included."""
    from e2e.helpers import CLICKSTREAM, WEEK_MALFORMED, run_etl

    data_dir = str(tmp_path_factory.mktemp("week-clickstream"))
    out = run_etl("run", CLICKSTREAM, "--data-dir", data_dir, *WEEK_MALFORMED)
    return data_dir, out.stdout


@pytest.fixture
def ctx(spark, tmp_path):
    from framework.runtime.context import TransformContext

    return TransformContext(spark=spark, step_id="test", data_dir=str(tmp_path))


PG_DSN = "postgresql://127.0.0.1:5432/test"  # the machines' server: trust auth, database test


@pytest.fixture(scope="session")
def pg_dsn():
    """A real PostgreSQL server (TEST_PG_DSN, default the local one); under CI=true a missing
    server fails the tests that need it instead of skipping them."""
    import psycopg2

    dsn = os.environ.get("TEST_PG_DSN", PG_DSN)
    try:
        psycopg2.connect(dsn, connect_timeout=5).close()
    except psycopg2.Error as exc:
        message = (f"PostgreSQL is not reachable at {dsn} ({str(exc).strip()}); start it with: "
                   "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return dsn


@pytest.fixture
def pg_schema(pg_dsn):
    """A fresh schema for one test, dropped afterwards with everything in it."""
    import secrets

    name = f"etl_test_{secrets.token_hex(4)}"
    yield name
    pg_query(pg_dsn, f'drop schema if exists "{name}" cascade')


def pg_query(dsn: str, query: str, args: tuple = ()) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()

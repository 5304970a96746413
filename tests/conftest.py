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


@pytest.fixture
def ctx(spark, tmp_path):
    from framework.runtime.context import TransformContext

    return TransformContext(spark=spark, step_id="test", data_dir=str(tmp_path))

"""`etl sql run`: a view or query of the sql: section on Spark over the published Parquet tables
and on the PostgreSQL schema a `--target postgres` run loaded; the same rows on both."""

from __future__ import annotations

import json
import subprocess

import pytest
from e2e.helpers import run_etl

from tests.framework.runtime.test_executor import _write
from tests.framework.runtime.test_views_task import BY_COUNTRY, TOP, _templates

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _etl(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_etl(*args, check=False, env=env)


def test_a_view_gives_the_same_rows_on_spark_and_postgres(tmp_path, pg_dsn, pg_schema):
    folder = _templates(tmp_path, v_country=BY_COUNTRY, v_top=TOP)
    path = _write(tmp_path, extra=f"sql: {{templates: {folder}}}\n")
    data_dir = str(tmp_path / "data")
    env = {"PG_DSN": pg_dsn, "PG_SCHEMA": pg_schema}
    out = _etl("run", path, "--target", "postgres", "--data-dir", data_dir, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    answers = {}
    for target in ("spark", "postgres"):
        out = _etl("sql", "run", path, "v_top", "--target", target, "--format", "json",
                   "--data-dir", data_dir, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        answers[target] = sorted((r["country"], float(r["revenue"]))
                                 for r in json.loads(out.stdout))
    # independent: the rows of ORDERS with amount > 0 (o4 malformed, o5 zero), summed by country
    assert answers["spark"] == answers["postgres"] == [("DE", 15.0), ("FR", 7.0)]


def test_an_unknown_name_is_a_usage_error_with_a_suggestion(tmp_path):
    folder = _templates(tmp_path, v_country=BY_COUNTRY)
    path = _write(tmp_path, extra=f"sql: {{templates: {folder}}}\n")
    out = _etl("sql", "run", path, "v_contry", env={})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "did you mean 'v_country'" in out.stdout + out.stderr


def test_before_any_run_spark_says_to_run_the_pipeline_first(tmp_path):
    folder = _templates(tmp_path, v_country=BY_COUNTRY)
    path = _write(tmp_path, extra=f"sql: {{templates: {folder}}}\n")
    out = _etl("sql", "run", path, "v_country", "--data-dir", str(tmp_path / "empty"), env={})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "run the pipeline first" in out.stdout + out.stderr

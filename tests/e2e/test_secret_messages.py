"""What `etl` prints for a pipeline hides its secret values: a failed step's error, the progress
lines, what pyspark prints itself, and both plan formats (a check quoting a secret too)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.e2e.helpers import ROOT, etl_command

SECRET = "Pw-é9Kd4x"  # flows into the DSN, so the loader marks `db_pwd` secret

PIPELINE = """\
pipeline: secret_messages
vars:
  db_pwd: "${PG_PASSWORD}"
warehouse:
  postgres: {dsn: "postgresql://etl:${db_pwd}@127.0.0.1:5432/test"}
sources:
  names:
    path: input/names.csv
    format: csv
    schema: {columns: {name: string}}
steps:
  - id: not_the_password
    transform: filter
    input: names
    params: {condition: "name != '${db_pwd}' and no_such_column = 1"}
sinks:
  out:
    from: not_the_password
    checks:
      - expression: "name != '${db_pwd}'"
"""


def _etl(tmp_path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "p.yaml").write_text(PIPELINE, encoding="utf-8")
    env = {**os.environ, "TERM": "dumb", "PG_PASSWORD": SECRET}
    return subprocess.run(etl_command(*args, str(tmp_path / "p.yaml"), "--data-dir",
                                      str(tmp_path / "data")),
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.parametrize("fmt", ["tree", "json"])
def test_plan_shows_a_secret_param_masked(tmp_path, fmt: str) -> None:
    out = _etl(tmp_path, "plan", "--format", fmt)
    assert out.returncode == 0, out.stderr
    assert SECRET not in out.stdout + out.stderr
    assert "name != '***' and no_such_column = 1" in out.stdout
    assert "expression(name != '***')" in out.stdout  # a check quoting it, by its name


@pytest.mark.spark
def test_a_failed_step_whose_error_quotes_a_secret_prints_it_masked(tmp_path) -> None:
    (tmp_path / "data" / "input").mkdir(parents=True)
    (tmp_path / "data" / "input" / "names.csv").write_text("name\nann\n", encoding="utf-8")
    out = _etl(tmp_path, "run")
    printed = out.stdout + out.stderr
    assert out.returncode == 1, printed
    assert "step 'not_the_password' failed" in printed and "no_such_column" in printed
    assert "***" in printed  # Spark's message quotes the condition, with the value hidden
    assert SECRET not in printed
    # nor in any file of the run: pyspark's failed-query context, now in python.log, quotes it
    runs = tmp_path / "data" / "runs"
    logged = [p for p in runs.rglob("*") if p.is_file()
              and SECRET.encode() in p.read_bytes()]
    assert logged == []
    assert any("QueryContextLogger" in p.read_text(errors="replace")
               for p in runs.rglob("python.log"))

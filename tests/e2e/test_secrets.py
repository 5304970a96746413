"""A password that reaches the DSN through variables, from the environment and from `--var`,
appears in no file of the run and in nothing `etl run` prints, whatever the variables are
called; the command that reruns the failed run still names the variable."""

from __future__ import annotations

import os
import subprocess
from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import ROOT, etl_command

pytestmark = pytest.mark.spark

ENV_SECRET = "EnvPw-7Qx2"  # PG_PASSWORD, read by vars.db_pwd
CLI_SECRET = "CliPw-9Kd4"  # --var pgpass=..., a name no pattern guesses

ORDERS = """order_id,country,amount
o1,DE,10.5
o2,DE,4.5
o3,FR,3.0
"""

PIPELINE = """\
pipeline: secret_check
vars:
  min_amount: 0
  db_pwd: "${PG_PASSWORD}"
  pgpass: none
sources:
  orders:
    path: input/orders.csv
    format: csv
    schema: {columns: {order_id: string, country: string, amount: double}}
steps:
  - id: valid_orders
    transform: filter
    input: orders
    params: {condition: "amount > ${min_amount}"}
  - id: revenue
    sql: |
      select country, sum(amount) as revenue,
             max(assert_true(amount < 5, 'amount too big')) as chk
      from {{ ref('valid_orders') }}
      group by country
sinks:
  revenue: {from: revenue, targets: [parquet, postgres]}
warehouse:
  postgres:
    dsn: "postgresql://USER:${db_pwd}${pgpass}@HOST/DB"
    schema: SCHEMA
"""


def test_a_password_in_variables_reaches_no_file_and_no_output(tmp_path, pg_dsn, pg_schema):
    dsn = urlsplit(pg_dsn)  # trust auth: any password is accepted, so the run gets going
    text = (PIPELINE.replace("USER", dsn.username or os.environ.get("USER", "root"))
            .replace("HOST", dsn.netloc.rpartition("@")[2]).replace("DB", dsn.path.lstrip("/"))
            .replace("SCHEMA", pg_schema))
    (tmp_path / "p.yaml").write_text(text)
    data = tmp_path / "data"
    (data / "input").mkdir(parents=True)
    (data / "input" / "orders.csv").write_text(ORDERS)

    env = {**os.environ, "TERM": "dumb", "PG_PASSWORD": ENV_SECRET}
    out = subprocess.run(
        etl_command("run", str(tmp_path / "p.yaml"), "--data-dir", str(data),
                    "--var", f"pgpass={CLI_SECRET}"),
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)

    printed = out.stdout + out.stderr
    assert out.returncode == 1, printed  # the step failed after the connection check
    assert "amount too big" in printed
    assert "--var 'pgpass=***'" in printed  # the rerun command, its value masked
    runs = data / "runs"
    files = [p for p in runs.rglob("*") if p.is_file()]
    assert any(p.name == "run.json" for p in files)
    for secret in (ENV_SECRET, CLI_SECRET):
        assert secret not in printed
        leaked = [str(p) for p in files if secret.encode() in p.read_bytes()]
        assert leaked == [], f"{secret} written to {leaked}"

"""`etl sql render` through click's CliRunner: both dialects, printed or written, and its
mistakes as located errors with exit 2 and no traceback. No JVM starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from framework.cli import cli
from framework.sqltemplates import BUILTIN_TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
CLICKSTREAM = str(ROOT / "pipelines" / "clickstream.yaml")

PIPELINE = """\
pipeline: x
sources:
  events: {path: raw/events, format: csv}
sinks:
  fact_events: {from: events}
warehouse:
  postgres: {dsn: "postgresql://h/db", schema: shop}
sql:
  templates: ../sql_templates
"""
VIEW = """\
-- kind: view
-- question: How many events a day?
-- grain: one row per day
SELECT {{ to_date('ts') }} AS day, {{ count_if("kind = 'buy'") }} AS buys
FROM {{ rel('fact_events') }}
GROUP BY {{ to_date('ts') }}
"""
QUERY = """\
-- question: Which days sell most?
-- grain: one row per day
SELECT day, buys FROM {{ rel('v_daily') }}
ORDER BY {{ order_nulls_last('buys', desc=True) }}, day
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    tpl = tmp_path / "sql_templates"
    shutil.copytree(BUILTIN_TEMPLATES / "macros", tpl / "macros")
    for name, text in (("views/v_daily.sql", VIEW), ("queries/top_days.sql", QUERY),
                       ("ddl/README.sql", "-- nothing to create: {{ dialect }}\n")):
        (tpl / name).parent.mkdir(parents=True, exist_ok=True)
        (tpl / name).write_text(text, encoding="utf-8")
    path = tmp_path / "pipelines" / "p.yaml"
    path.parent.mkdir()
    path.write_text(PIPELINE, encoding="utf-8")
    return path


def test_sql_is_a_command_group(runner: CliRunner) -> None:
    assert "sql" in runner.invoke(cli, ["--help"]).output
    result = runner.invoke(cli, ["sql", "render", "--help"])
    assert result.exit_code == 0 and "--dialect" in result.output and "--out" in result.output


@pytest.mark.parametrize(("dialect", "relation", "cast"), [
    ("spark", "`v_daily`", "CAST(ts AS DATE)"),
    ("postgres", '"shop"."v_daily"', "CAST(ts AS date)"),
])
def test_render_prints_every_object_for_the_dialect(runner, pipeline, dialect, relation, cast):
    result = runner.invoke(cli, ["sql", "render", str(pipeline), "--dialect", dialect])
    assert result.exit_code == 0, result.output
    out = result.output
    # every ddl/ template is rendered once per sink: ddl/<table>.sql
    assert out.index("-- ddl/fact_events.sql") < out.index("-- views/v_daily.sql") \
        < out.index("-- queries/top_days.sql")
    assert f"-- views/v_daily.sql ({dialect})" in out and f"FROM {relation}" in out
    assert cast in out and f"-- nothing to create: {dialect}" in out


def test_render_writes_the_folders_under_out(runner, pipeline, tmp_path) -> None:
    out = tmp_path / "rendered"
    result = runner.invoke(cli, ["sql", "render", str(pipeline), "-d", "postgres", "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 3 postgres SQL files" in result.output
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.sql"))
    assert written == ["ddl/fact_events.sql", "queries/top_days.sql", "views/v_daily.sql"]
    view = (out / "views" / "v_daily.sql").read_text(encoding="utf-8")
    assert view.startswith("-- kind: view\n") and 'FROM "shop"."fact_events"' in view
    assert "COUNT(CASE WHEN kind = 'buy' THEN 1 END) AS buys" in view


def test_the_default_dialect_is_spark(runner, pipeline) -> None:
    result = runner.invoke(cli, ["sql", "render", str(pipeline)])
    assert result.exit_code == 0 and "FROM `fact_events`" in result.output


def test_a_bad_dialect_is_a_usage_error(runner, pipeline) -> None:
    result = runner.invoke(cli, ["sql", "render", str(pipeline), "--dialect", "mysql"])
    assert result.exit_code == 2
    assert "'mysql' is not one of 'spark', 'postgres'" in result.output
    assert "Traceback" not in result.output


def test_a_missing_variable_is_located_in_its_template(runner, pipeline) -> None:
    query = pipeline.parent.parent / "sql_templates" / "queries" / "top_days.sql"
    query.write_text(QUERY.replace("ORDER BY", "WHERE day > {{ since }}\nORDER BY"))
    result = runner.invoke(cli, ["sql", "render", str(pipeline), "-d", "postgres"])
    assert result.exit_code == 2, result.output
    assert f"{query}:4 sql.queries: 'since' is undefined" in result.output
    assert "hint: pass it to the render call" in result.output
    assert "Traceback" not in result.output


def test_a_pipeline_without_a_sql_section_says_how_to_add_one(runner, pipeline) -> None:
    pipeline.write_text(PIPELINE.split("\nsql:")[0] + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["sql", "render", str(pipeline)])
    assert result.exit_code == 2 and "has no sql: section" in result.output
    assert "sql: {templates: ../sql_templates}" in result.output


def test_the_clickstream_pipeline_renders_both_dialects(runner, tmp_path) -> None:
    for dialect in ("spark", "postgres"):
        result = runner.invoke(cli, ["sql", "render", CLICKSTREAM, "-d", dialect, "--out",
                                     str(tmp_path / dialect)])
        assert result.exit_code == 0, result.output


def test_render_starts_no_jvm(pipeline) -> None:
    code = ("import sys\nfrom click.testing import CliRunner\nfrom framework.cli import cli\n"
            f"r = CliRunner().invoke(cli, ['sql', 'render', {str(pipeline)!r}, '-d', 'postgres'])"
            "\nassert r.exit_code == 0, r.output\n"
            "assert not [m for m in sys.modules if m.startswith('pyspark')]\nprint('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_retail_pipeline_renders_its_own_views_and_queries_with_the_project_ddl(
        runner: CliRunner, tmp_path: Path) -> None:
    """pipelines/retail/sql/ holds views/ and queries/ only: the macros and the DDL template
    are the built-in ones of framework/sql/."""
    retail = str(ROOT / "pipelines" / "retail.yaml")
    out = tmp_path / "sql"
    result = runner.invoke(cli, ["sql", "render", retail, "--dialect", "postgres", "--out",
                                 str(out), "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.sql"))
    assert [w for w in written if w.startswith("ddl/")] == [
        f"ddl/{t}.sql" for t in sorted(["fact_orders", "fact_order_lines", "fact_payments",
                                        "fact_inventory", "dim_customers", "dim_products",
                                        "dim_date"])]
    assert len([w for w in written if w.startswith("views/")]) == 4
    assert len([w for w in written if w.startswith("queries/")]) == 8
    ddl = (out / "ddl" / "fact_order_lines.sql").read_text(encoding="utf-8")
    assert 'PRIMARY KEY ("order_id", "line_no")' in ddl
    assert 'REFERENCES "public"."dim_products" ("sku") DEFERRABLE INITIALLY DEFERRED' in ddl
    view = (out / "views" / "v_daily_sales.sql").read_text(encoding="utf-8")
    assert "{{" not in view and "NULLIF(CAST(COUNT(CASE WHEN o.is_revenue THEN 1 END) AS " \
        "double precision), 0)" in view  # safe_div and count_if from the project's macros

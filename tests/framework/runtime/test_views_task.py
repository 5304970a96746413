"""The views task: a pipeline's SQL views ordered by what they read, checked on Spark over the
published tables, created in PostgreSQL in one transaction; a broken view names itself."""

from __future__ import annotations

import pytest

from framework.errors import EtlError
from framework.explain import plan_json
from framework.plan import build_plan, view_order
from framework.registry import REGISTRY
from framework.validate import load_pipeline
from tests.conftest import pg_query
from tests.framework.runtime.test_executor import _run, _write

BY_COUNTRY = """-- name: v_country
-- kind: view
-- question: How much revenue does each country bring?
-- grain: one row per country
-- tables: fact_country_revenue
SELECT country, SUM(revenue) AS revenue, SUM(orders) AS orders
FROM {{ rel('fact_country_revenue') }}
GROUP BY country
"""
TOP = """-- name: v_top
-- kind: view
-- question: Which countries bring more than 5 of revenue?
-- grain: one row per country
SELECT country, revenue FROM {{ rel('v_country') }} WHERE revenue > 5
"""


def _templates(tmp_path, **views: str) -> str:
    folder = tmp_path / "sql"
    (folder / "views").mkdir(parents=True)
    for name, text in views.items():
        (folder / "views" / f"{name}.sql").write_text(text)
    return str(folder)


def test_views_come_after_the_views_they_read_and_after_every_sink(tmp_path):
    folder = _templates(tmp_path, a_top=TOP.replace("v_top", "a_top"), v_country=BY_COUNTRY)
    assert view_order(folder) == ["v_country", "a_top"]  # not by name: a_top reads v_country
    assert view_order(folder, ["a_top"]) == ["a_top"]
    path = _write(tmp_path, extra=f"sql: {{templates: {folder}}}\n")
    REGISTRY.load_plugins()
    plan = build_plan(load_pipeline(path, registry=REGISTRY), str(tmp_path / "data"))
    (stage,) = [s for s in plan_json(plan)["stages"] if s["name"] == "views"]
    (task,) = stage["tasks"]
    assert task["views"] == ["v_country", "a_top"]
    assert sorted(task["deps"]) == ["sink:fact_country_revenue", "sink:valid_orders"]
    assert "postgres_schema" not in task  # no table goes to PostgreSQL


@pytest.mark.spark
def test_views_are_created_in_postgres_and_agree_with_spark(tmp_path, pg_dsn, pg_schema,
                                                            monkeypatch):
    folder = _templates(tmp_path, v_country=BY_COUNTRY, v_top=TOP)
    monkeypatch.setenv("PG_DSN", pg_dsn)
    path = _write(tmp_path, ("valid_orders: {from: valid_orders}",
                             "valid_orders: {from: valid_orders, targets: [parquet, postgres]}"),
                  ("fact_country_revenue: {from: revenue_by_country, partition_by: [order_date]}",
                   "fact_country_revenue: {from: revenue_by_country, "
                   "targets: [parquet, postgres]}"),
                  extra=f"sql: {{templates: {folder}}}\n"
                        f"warehouse: {{postgres: {{dsn: '${{PG_DSN}}', schema: {pg_schema}}}}}\n")
    record = _run(path, str(tmp_path / "data"))
    assert "created in PostgreSQL" in record.task("views:sql").note
    rows = pg_query(pg_dsn, f'select country, revenue from "{pg_schema}".v_top order by 1')
    # independent: amount > 0 rows of ORDERS (o4 is malformed, o5 is 0): DE 15.0, FR 7.0
    assert [(c, float(r)) for c, r in rows] == [("DE", 15.0), ("FR", 7.0)]


@pytest.mark.spark
def test_a_view_that_does_not_fit_the_tables_fails_the_run_naming_it(tmp_path):
    broken = BY_COUNTRY.replace("SUM(orders)", "SUM(no_such_column)")
    folder = _templates(tmp_path, v_country=broken)
    path = _write(tmp_path, extra=f"sql: {{templates: {folder}}}\n")
    with pytest.raises(EtlError) as info:
        _run(path, str(tmp_path / "data"))
    assert "view 'v_country' does not run on Spark" in info.value.message
    assert "no_such_column" in info.value.message
    assert "v_country.sql" in info.value.hint


@pytest.mark.spark
def test_a_partial_first_run_defines_only_the_views_its_tables_carry(tmp_path):
    only_orders = BY_COUNTRY.replace("fact_country_revenue", "valid_orders") \
        .replace("SUM(revenue)", "SUM(amount)").replace("SUM(orders)", "COUNT(*)") \
        .replace("v_country", "v_orders")
    folder = _templates(tmp_path, v_country=BY_COUNTRY, v_top=TOP, v_orders=only_orders)
    path = _write(tmp_path, extra=f"sql: {{templates: {folder}}}\n")
    record = _run(path, str(tmp_path / "data"), select=["valid_orders"])
    note = record.task("views:sql").note
    assert note.startswith("1 views checked on Spark")  # v_orders: its table was published
    assert "2 wait for tables not published yet: v_country, v_top" in note

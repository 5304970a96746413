"""Every view and query of sql_templates/ gives the same answer on Spark SQL and PostgreSQL.

Each template found in views/ and queries/ (new files are picked up by themselves) is rendered
for both dialects and run on two warehouses published by the real pipeline (see
warehouses.py): a generated one and a hand-made one full of edge cases. Views are created as
views on both engines and compared as sorted rows; queries are compared row for row, in the order
their ORDER BY gives (it must be total, so both engines agree on it). Values: NULL equals NULL,
floats to 1e-9 relative, timestamps in UTC.

The static checks below (headers, no SELECT *, no approximate functions, a final ORDER BY) need
neither engine.
"""

from __future__ import annotations

import re

import pytest
from sql.results import differences, sort_key
from sql.warehouses import ROOT, TABLES

from framework.sqltemplates import SqlRenderer, find_rels, list_templates, parse_header

SEED_VIEWS = ("v_journey_funnel", "v_touchpoint_performance", "v_cohort_retention",
              "v_daily_trends", "v_user_segments", "v_product_performance",
              "v_cart_abandonment", "v_hourly_patterns")
TEMPLATES = [t for kind in ("views", "queries") for t in list_templates(ROOT, kind)]
VIEWS = {t.name: t for t in TEMPLATES if t.kind == "views"}
WAREHOUSES = ("generated", "edge")
APPROXIMATE = re.compile(r"\bapprox\w*|\bpercentile_approx\b|\bapproximate\b", re.I)
SELECT_STAR = re.compile(r"\bselect\s+(distinct\s+)?(\w+\.)?\*", re.I)
SNAKE = re.compile(r"[a-z][a-z0-9_]*")


def _ids(templates) -> list[str]:
    return [t.template for t in templates]


def _sql_only(text: str) -> str:
    """The SQL without comments and string literals (kept as '')."""
    text = re.sub(r"--[^\n]*", "", text)
    return re.sub(r"'(?:[^']|'')*'", "''", text)


def _top_level_clauses(sql: str) -> list[str]:
    """The clause keywords of the outermost statement, in order (brackets skipped)."""
    depth, found = 0, []
    for match in re.finditer(r"\(|\)|\b(select|from|where|group\s+by|having|order\s+by|limit|"
                             r"union|window)\b", sql, re.I):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0:
            found.append(re.sub(r"\s+", " ", token.lower()))
    return found


# ---- static checks: no engine -----------------------------------------------------------------
def test_the_seed_views_and_at_least_22_queries_are_there():
    assert sorted(VIEWS) == sorted(SEED_VIEWS)
    assert len([t for t in TEMPLATES if t.kind == "queries"]) >= 22


@pytest.mark.parametrize("template", TEMPLATES, ids=_ids(TEMPLATES))
def test_header_names_the_question_grain_and_the_tables_read(template):
    text = template.path.read_text(encoding="utf-8")
    header = parse_header(text)
    assert header.name == template.name
    assert header.question.endswith("?") and header.grain
    assert header.kind == ("view" if template.kind == "views" else "")
    assert set(header.tables) <= set(TABLES), "views and queries read warehouse tables only"
    assert sorted(header.tables) == sorted(find_rels(text)), "the header lists what rel() reads"


@pytest.mark.parametrize("template", TEMPLATES, ids=_ids(TEMPLATES))
@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_rendered_sql_selects_columns_by_name_exactly_and_queries_end_ordered(template, dialect):
    sql = _sql_only(SqlRenderer(ROOT, dialect).render(template.template))
    assert not SELECT_STAR.search(sql), "name the columns: no SELECT *"
    assert not APPROXIMATE.search(sql), "no approximate functions (they differ by engine)"
    if template.kind == "queries":
        clauses = _top_level_clauses(sql)
        assert clauses[-1] == "order by" or clauses[-2:] == ["order by", "limit"], \
            f"a query ends with ORDER BY (then LIMIT at most): {clauses}"


# ---- parity: both engines, both warehouses ---------------------------------------------------
@pytest.mark.spark
@pytest.mark.parametrize("table", TABLES)
def test_the_edge_warehouse_has_the_warehouse_columns_and_types(spark, sql_warehouses, table):
    def fields(warehouse):
        schema = spark.table(sql_warehouses[warehouse].spark_view(table)).schema
        return [(f.name, f.dataType.simpleString()) for f in schema.fields]

    assert fields("edge") == fields("generated")


@pytest.mark.spark
@pytest.mark.postgres
@pytest.mark.parametrize("warehouse", WAREHOUSES)
@pytest.mark.parametrize("template", TEMPLATES, ids=_ids(TEMPLATES))
def test_spark_and_postgres_give_the_same_rows(engines, template, warehouse):
    (s_cols, s_rows), (p_cols, p_rows) = engines[warehouse].results(template)
    assert s_cols == p_cols
    assert all(SNAKE.fullmatch(c) for c in s_cols), f"lower_snake_case columns: {s_cols}"
    assert len(set(s_cols)) == len(s_cols), "no two columns of one name"
    assert s_rows, f"{template.name} gives no rows on the {warehouse} warehouse: nothing proved"
    if template.kind == "views":  # a view has no order of its own
        s_rows, p_rows = sorted(s_rows, key=sort_key), sorted(p_rows, key=sort_key)
    problems = differences(s_rows, p_rows)
    assert not problems, f"{template.template} on the {warehouse} warehouse:\n" + \
        "\n".join(problems)

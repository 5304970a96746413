"""The retail example's own SQL (pipelines/retail/sql/) follows the rules the clickstream's
does (tests/sql/test_parity.py): a header with the question, the grain and exactly the tables
it reads (warehouse tables of the retail pipeline only), columns named, nothing approximate, a
query ending in ORDER BY. Without an engine; tests/e2e/test_retail_e2e.py runs them on both."""

from __future__ import annotations

import pytest
from sql.test_parity import APPROXIMATE, SELECT_STAR, _sql_only, _top_level_clauses
from sql.warehouses import ROOT

from framework.sqltemplates import SqlRenderer, find_rels, list_templates, parse_header
from framework.validate import load_pipeline

RETAIL = f"{ROOT}/pipelines/retail.yaml"
FOLDER = f"{ROOT}/pipelines/retail/sql"
TEMPLATES = [t for kind in ("views", "queries") for t in list_templates(FOLDER, kind)]


def _ids(templates) -> list[str]:
    return [t.template for t in templates]


@pytest.fixture(scope="module")
def spec():
    return load_pipeline(RETAIL, env={})


def test_the_section_offers_four_views_and_eight_queries_of_its_own(spec):
    assert spec.sql is not None and spec.sql.templates == FOLDER
    assert sorted(t.name for t in TEMPLATES if t.kind == "views") == [
        "v_category_sales", "v_customer_segments", "v_daily_sales", "v_stock_health"]
    assert len([t for t in TEMPLATES if t.kind == "queries"]) == 8


@pytest.mark.parametrize("template", TEMPLATES, ids=_ids(TEMPLATES))
def test_header_names_the_question_grain_and_the_tables_read(spec, template):
    tables = {s.table for s in spec.sinks}
    text = template.path.read_text(encoding="utf-8")
    header = parse_header(text)
    assert header.name == template.name
    assert header.question.endswith("?") and header.grain
    assert header.kind == ("view" if template.kind == "views" else "")
    assert set(header.tables) <= tables, "views and queries read warehouse tables only"
    assert sorted(header.tables) == sorted(find_rels(text)), "the header lists what rel() reads"


@pytest.mark.parametrize("template", TEMPLATES, ids=_ids(TEMPLATES))
@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_rendered_sql_names_its_columns_and_queries_end_ordered(template, dialect):
    sql = _sql_only(SqlRenderer(FOLDER, dialect, schema="retail").render(template.template))
    assert "{{" not in sql and "{%" not in sql
    assert not SELECT_STAR.search(sql), "name the columns: no SELECT *"
    assert not APPROXIMATE.search(sql), "no approximate functions (they differ by engine)"
    if template.kind == "queries":
        clauses = _top_level_clauses(sql)
        assert clauses[-1] == "order by" or clauses[-2:] == ["order by", "limit"], clauses

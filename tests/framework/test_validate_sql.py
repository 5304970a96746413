"""The pipeline's `sql:` section, validated like every other one: each problem located (the
pipeline line, or the template's file:line), with a guess where one is close, all at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures.testplugin import make_registry
from framework.errors import SpecError
from framework.sqlsection import render_section, selected
from framework.sqltemplates import BUILTIN_TEMPLATES
from framework.validate import load_pipeline

ROOT = Path(__file__).resolve().parents[2]

PIPELINE = """\
pipeline: x
sources:
  events: {path: raw/events, format: csv}
  users: {path: raw/users, format: csv}
sinks:
  fact_events: {from: events}
  dim_users: {from: users}
sql:
  templates: ../sql_templates
"""
VIEW = """\
-- name: v_daily
-- kind: view
-- question: How many events a day?
-- grain: one row per day
-- tables: fact_events
SELECT {{ to_date('ts') }} AS day, COUNT(*) AS events
FROM {{ rel('fact_events') }}
GROUP BY {{ to_date('ts') }}
"""
QUERY = """\
-- name: busiest_days
-- question: Which days are busiest?
-- grain: one row per day
-- tables: v_daily
SELECT day, events FROM {{ rel('v_daily') }}
ORDER BY events DESC, day
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """pipelines/p.yaml beside sql_templates/ (the built-in macros, one view, one query)."""
    tpl = tmp_path / "sql_templates"
    shutil.copytree(BUILTIN_TEMPLATES / "macros", tpl / "macros")
    write(tpl / "views" / "v_daily.sql", VIEW)
    write(tpl / "queries" / "busiest_days.sql", QUERY)
    write(tmp_path / "pipelines" / "p.yaml", PIPELINE)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(project: Path, extra: str = ""):
    path = project / "pipelines" / "p.yaml"
    if extra:
        path.write_text(PIPELINE + extra, encoding="utf-8")
    return load_pipeline(path, registry=make_registry(), env={})


def problems(project: Path, extra: str = "") -> list[str]:
    with pytest.raises(SpecError) as info:
        load(project, extra)
    assert info.value.exit_code == 2
    return [p.format() for p in info.value.problems]


def test_a_good_section_loads_and_defaults_to_every_template(project: Path) -> None:
    spec = load(project)
    assert spec.sql is not None and spec.sql.templates == str(project / "sql_templates")
    assert spec.sql.views == "all" and spec.sql.queries == "all"
    assert [t.name for t in selected(spec.sql, "views")] == ["v_daily"]
    rendered = render_section(spec, "postgres")
    # no ddl/ of its own: the project's DDL template, as the PostgreSQL load uses
    assert list(rendered) == ["ddl/fact_events.sql", "ddl/dim_users.sql",
                              "views/v_daily.sql", "queries/busiest_days.sql"]
    assert rendered["ddl/fact_events.sql"].startswith("-- table: fact_events\n")
    assert 'FROM "public"."v_daily"' in rendered["queries/busiest_days.sql"]  # warehouse schema


def test_names_without_a_template_are_located_with_a_guess(project: Path) -> None:
    text = PIPELINE + "  views: [v_daly, v_daily, v_daily]\n  queries: [busiest_day, nothing]\n"
    write(project / "pipelines" / "p.yaml", text)
    out = problems(project)
    assert len(out) == 4, out
    p = str(project / "pipelines" / "p.yaml")
    assert out[0].startswith(f"{p}:10:11 sql.views[0]: no template for view 'v_daly' in ")
    assert "hint: did you mean 'v_daily'?" in out[0]
    assert out[1].startswith(f"{p}:10:28 sql.views[2]: view 'v_daily' is named twice")
    assert out[2].startswith(f"{p}:11:13 sql.queries[0]: no template for query 'busiest_day'")
    assert "did you mean 'busiest_days'?" in out[2]
    assert "sql.queries[1]: no template for query 'nothing'" in out[3]
    assert "hint: add " in out[3] and "queries/nothing.sql (there: busiest_days)" in out[3]


def test_a_missing_folder_is_located(project: Path) -> None:
    shutil.rmtree(project / "sql_templates")
    [out] = problems(project)
    assert out.startswith(f"{project / 'pipelines' / 'p.yaml'}:9:14 sql.templates: folder not "
                          "found")


def test_the_templates_folder_is_required(project: Path) -> None:
    write(project / "pipelines" / "p.yaml", PIPELINE.replace("  templates: ../sql_templates\n",
                                                             "  views: [v_daily]\n"))
    [out] = problems(project)
    assert "sql: missing required key 'templates'" in out or "templates" in out


def test_template_problems_are_located_in_the_template(project: Path) -> None:
    tpl = project / "sql_templates"
    write(tpl / "queries" / "busiest_days.sql", QUERY.replace(
        "FROM {{ rel('v_daily') }}",
        "FROM {{ rel('v_daly') }} JOIN {{ rel('dim_user') }} USING (x)"))
    write(tpl / "queries" / "broken.sql", "-- question: q\n-- grain: g\nSELECT\n{% if %}\n")
    write(tpl / "queries" / "undefined.sql", "-- question: q\n-- grain: g\nSELECT\n{{ nope }}\n")
    write(tpl / "views" / "v_bare.sql", "-- name: v_other\nSELECT 1 AS one\n")
    out = problems(project)
    assert len(out) == 6, out
    assert any("/queries/broken.sql:4 sql.queries: Jinja syntax error" in o for o in out)
    rel_v = [o for o in out if "rel('v_daly')" in o][0]
    assert "/queries/busiest_days.sql:5 sql.queries: rel('v_daly') is neither a table" in rel_v
    assert "did you mean 'v_daily'?" in rel_v
    assert any("rel('dim_user')" in o and "did you mean 'dim_users'?" in o for o in out)
    undefined = [o for o in out if "'nope' is undefined" in o][0]
    assert "/queries/undefined.sql:4 sql.queries:" in undefined
    header = [o for o in out if "/views/v_bare.sql" in o]
    assert len(header) == 2 and any("has no question or grain" in h for h in header)
    assert any("/views/v_bare.sql:1 sql.views: the header names it 'v_other'" in h
               for h in header)
    assert all(o.startswith(str(tpl)) for o in out)  # every problem names its template


def test_a_query_may_read_only_views_the_section_creates(project: Path) -> None:
    out = problems(project, "  views: []\n")
    assert len(out) == 2, out
    assert "busiest_days.sql:4 sql.queries: the header's tables name 'v_daily'" in out[0]
    assert "busiest_days.sql:5 sql.queries: rel('v_daily') is neither a table the pipeline " \
        "publishes nor a view its sql section creates" in out[1]
    assert "tables: fact_events, dim_users" in out[1]


def test_unknown_header_tables_are_located(project: Path) -> None:
    write(project / "sql_templates" / "queries" / "busiest_days.sql",
          QUERY.replace("-- tables: v_daily", "-- tables: v_daily, fact_event"))
    [out] = problems(project)
    assert "/queries/busiest_days.sql:4 sql.queries: the header's tables name 'fact_event'" in out
    assert "did you mean 'fact_events'?" in out


def test_the_clickstream_section_points_at_the_project_templates() -> None:
    from framework.validate import default_registry

    spec = load_pipeline(ROOT / "pipelines" / "clickstream.yaml", registry=default_registry(),
                         env={})
    assert spec.sql is not None and spec.sql.templates == str(ROOT / "sql_templates")

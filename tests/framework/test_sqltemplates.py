"""framework.sqltemplates without an engine: globals, dispatch, headers, listing, and every
mistake as a SqlTemplateError naming the template's file:line and what to do next."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from framework.errors import SqlTemplateError
from framework.sqltemplates import (
    BUILTIN_TEMPLATES,
    SqlRenderer,
    find_rels,
    list_templates,
    order_keys,
    parse_header,
    rel_calls,
    render,
    render_all,
    split_sql_list,
    templates_dir,
)

MACROS = BUILTIN_TEMPLATES / "macros"

QUERY = """\
-- name: top_pages
-- question: Which pages are viewed most?
-- grain: one row per page
-- tables: fact_events, dim_users

SELECT page, {{ safe_div('views', 'sessions') }} AS views_per_session
FROM {{ rel('fact_events') }}
ORDER BY {{ order_nulls_last('page') }}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A templates folder: the project's macros and one query."""
    tpl = tmp_path / "sql_templates"
    shutil.copytree(MACROS, tpl / "macros")
    (tpl / "queries").mkdir()
    (tpl / "queries" / "top_pages.sql").write_text(QUERY, encoding="utf-8")
    return tpl


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error(func, *args, **kwargs) -> SqlTemplateError:
    with pytest.raises(SqlTemplateError) as info:
        func(*args, **kwargs)
    assert info.value.exit_code == 2
    return info.value


# -- globals -----------------------------------------------------------------------------------
def test_spark_rendering_quotes_relations_in_backticks(folder: Path) -> None:
    sql = render(folder, "queries/top_pages.sql", "spark")
    assert "FROM `fact_events`" in sql
    assert "(CAST(views AS DOUBLE) / NULLIF(CAST(sessions AS DOUBLE), 0))" in sql
    assert sql.startswith("-- name: top_pages\n") and sql.endswith("ASC NULLS LAST\n")


def test_postgres_relations_are_schema_qualified(folder: Path) -> None:
    assert 'FROM "analytics"."fact_events"' in render(folder, "queries/top_pages", "postgres")
    assert 'FROM "my""schema"."fact_events"' in render(folder, "queries/top_pages", "postgres",
                                                       schema='my"schema')


def test_a_project_folder_or_an_absolute_path_names_the_template(folder: Path) -> None:
    assert templates_dir(folder.parent) == folder and templates_dir(folder) == folder
    by_project = render(folder.parent, "queries/top_pages.sql", "spark")
    assert render(folder, folder / "queries" / "top_pages.sql", "spark") == by_project


def test_every_global_a_template_sees(folder: Path) -> None:
    text = ("{{ dialect }}|{{ ident('we`ird') }}|{{ ident('a\"b') }}|{{ sql_type('double') }}"
            "|{{ rel('v_x') }}|{{ order_keys('a, coalesce(b, c) DESC') }}")
    assert SqlRenderer(folder, "spark").render_string(text) == \
        "spark|`we``ird`|`a\"b`|DOUBLE|`v_x`|a NULLS LAST, coalesce(b, c) DESC NULLS LAST"
    assert SqlRenderer(folder, "postgres").render_string(text) == \
        ('postgres|"we`ird"|"a""b"|double precision|"analytics"."v_x"'
         "|a NULLS LAST, coalesce(b, c) DESC NULLS LAST")


def test_relations_can_be_given_by_the_caller(folder: Path) -> None:
    renderer = SqlRenderer(folder, "spark", relations={"fact_events": "`tmp_fact_events`"})
    assert "FROM `tmp_fact_events`" in renderer.render("queries/top_pages")


def test_variables_reach_the_template_but_cannot_hide_a_global(folder: Path) -> None:
    renderer = SqlRenderer(folder, "spark")
    assert renderer.render_string("{{ n }} days", n=7) == "7 days"
    err = error(renderer.render_string, "{{ rel }}", rel="x")
    assert "'rel' would hide the renderer's own" in err.message


# -- dispatch ----------------------------------------------------------------------------------
def test_dispatch_prefers_the_dialect_then_the_default(folder: Path) -> None:
    write(folder, "macros/extra.sql",
          "{% macro shout(x) %}{{ dispatch('shout')(x) }}{% endmacro %}"
          "{% macro default__shout(x) %}UPPER({{ x }}){% endmacro %}"
          "{% macro postgres__shout(x) %}upper({{ x }}::text){% endmacro %}")
    assert SqlRenderer(folder, "spark").render_string("{{ shout('a') }}") == "UPPER(a)"
    assert SqlRenderer(folder, "postgres").render_string("{{ shout('a') }}") == "upper(a::text)"
    # a macro of one file calls a macro of another
    assert SqlRenderer(folder, "spark").render_string("{{ shout(to_text('1')) }}") == \
        "UPPER(CAST(1 AS STRING))"


def test_a_dispatch_without_any_variant_names_both_and_the_caller(folder: Path) -> None:
    write(folder, "macros/extra.sql",
          "{% macro lonely(x) %}\n{{ dispatch('lonely')(x) }}{% endmacro %}")
    write(folder, "queries/q.sql", "SELECT\n  {{ lonely('a') }}\n")
    err = error(render, folder, "queries/q.sql", "postgres")
    assert err.location is not None and err.location.file.endswith("macros/extra.sql")
    assert err.location.line == 2
    assert "no macro postgres__lonely or default__lonely for dispatch('lonely')" in err.message
    assert "queries/q.sql:2)" in err.message  # called from
    assert "define one of them in" in (err.hint or "")


def test_the_public_macro_list_leaves_out_the_variants(folder: Path) -> None:
    macros = SqlRenderer(folder, "spark").macros()
    assert "safe_div" in macros and "weekday" in macros
    assert not [m for m in macros if "__" in m]


def test_a_macro_defined_twice_is_an_error(folder: Path) -> None:
    write(folder, "macros/zz.sql", "{% macro safe_div(a, b) %}x{% endmacro %}")
    err = error(render, folder, "queries/top_pages", "spark")
    assert "macro safe_div is already defined in" in err.message and "dialect.sql" in err.message
    assert err.location is not None and err.location.file.endswith("zz.sql")


def test_a_macro_cannot_take_a_global_s_name(folder: Path) -> None:
    write(folder, "macros/zz.sql", "{% macro rel(a) %}x{% endmacro %}")
    assert "macro rel is already defined in the renderer's globals" in error(
        render, folder, "queries/top_pages", "spark").message


# -- errors: located, with what to do ----------------------------------------------------------
def test_an_unknown_dialect_names_the_template_and_the_choices(folder: Path) -> None:
    err = error(render, folder, "queries/top_pages.sql", "mysql")
    assert err.location is not None and err.location.file.endswith("queries/top_pages.sql")
    assert "unknown SQL dialect 'mysql'" in err.message
    assert err.hint == "choose one of: spark, postgres"
    assert error(render, folder, "queries/top_pages.sql", "postgress").hint.startswith(
        "did you mean 'postgres'?")


def test_an_undefined_variable_is_located_with_a_guess(folder: Path) -> None:
    write(folder, "queries/q.sql", "-- question: q\nSELECT 1\nFROM {{ rel(tabel) }}\n")
    err = error(render, folder, "queries/q.sql", "spark", table="x")
    assert err.message.endswith("queries/q.sql:3: 'tabel' is undefined")
    assert err.hint is not None and err.hint.startswith("did you mean 'table'?")


def test_an_unknown_macro_is_located_with_a_guess(folder: Path) -> None:
    write(folder, "queries/q.sql", "SELECT\n  {{ safe_divide('a', 'b') }}\n")
    err = error(render, folder, "queries/q.sql", "postgres")
    assert err.location is not None and err.location.line == 2
    assert "'safe_divide' is undefined" in err.message
    assert err.hint is not None and err.hint.startswith("did you mean 'safe_div'?")


def test_a_syntax_error_is_located(folder: Path) -> None:
    write(folder, "queries/q.sql", "SELECT 1\n{% if %}\n")
    err = error(render, folder, "queries/q.sql", "spark")
    assert err.location is not None and err.location.line == 2
    assert err.location.file.endswith("queries/q.sql")
    assert "Jinja syntax error" in err.message and "{% tag %}" in (err.hint or "")


def test_a_syntax_error_in_a_macro_file_names_that_file(folder: Path) -> None:
    write(folder, "macros/broken.sql", "{% macro x() %}\n{{ 1 + }}\n{% endmacro %}")
    err = error(render, folder, "queries/top_pages", "spark")
    assert err.location is not None and err.location.file.endswith("macros/broken.sql")
    assert err.location.line == 2


def test_a_macro_s_own_check_is_located_at_the_call(folder: Path) -> None:
    write(folder, "queries/q.sql", "SELECT\n{{ date_trunc_to('day', 'ts') }}\n")
    err = error(render, folder, "queries/q.sql", "spark")
    assert "unit must be 'week', 'month', 'quarter' or 'year', not day" in err.message
    assert "(called from" in err.message and "queries/q.sql:2)" in err.message


def test_a_wrong_number_of_arguments_is_located(folder: Path) -> None:
    write(folder, "queries/q.sql", "SELECT\n{{ safe_div('a', 'b', 'c') }}\n")
    err = error(render, folder, "queries/q.sql", "spark")
    assert err.location is not None and err.location.line == 2
    assert "TypeError" in err.message and "check the call's arguments" in (err.hint or "")


def test_a_missing_template_suggests_the_close_one(folder: Path) -> None:
    err = error(render, folder, "queries/top_page", "spark")
    assert "no SQL template queries/top_page.sql" in err.message
    assert err.hint is not None and err.hint.startswith("did you mean 'queries/top_pages.sql'?")


def test_a_template_outside_the_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    outside = write(tmp_path, "elsewhere.sql", "SELECT 1\n")
    assert "is not inside the SQL templates folder" in error(
        render, folder, outside, "spark").message


# -- headers, listing, rel discovery -----------------------------------------------------------
def test_parse_header_reads_the_leading_comments_only() -> None:
    head = parse_header(QUERY + "-- name: not_a_header\n")
    assert (head.name, head.question, head.grain) == (
        "top_pages", "Which pages are viewed most?", "one row per page")
    assert head.tables == ("fact_events", "dim_users") and head.kind == ""
    assert head.lines == {"name": 1, "question": 2, "grain": 3, "tables": 4}
    view = parse_header("\n-- a note\n-- kind: view\n--grain:one row per day\nSELECT 1")
    assert (view.kind, view.grain, view.tables) == ("view", "one row per day", ())


def test_list_templates_sorted_by_name(folder: Path) -> None:
    write(folder, "queries/a_first.sql", "SELECT 1\n")
    write(folder, "queries/notes.txt", "not SQL")
    names = [t.name for t in list_templates(folder, "queries")]
    assert names == ["a_first", "top_pages"]
    assert list_templates(folder, "views") == []  # no folder: none
    assert [t.template for t in list_templates(folder, "queries")][1] == "queries/top_pages.sql"
    with pytest.raises(Exception, match="unknown kind of SQL template 'query'"):
        list_templates(folder, "query")


def test_render_all_renders_ddl_views_then_queries(folder: Path) -> None:
    write(folder, "views/v_b.sql", "SELECT 2 AS b\n")
    write(folder, "views/v_a.sql", "SELECT 1 AS a\n")
    write(folder, "ddl/tables.sql", "CREATE TABLE {{ rel('t') }} (x {{ sql_type('int') }});\n")
    out = render_all(folder, "postgres")
    assert list(out) == ["ddl/tables.sql", "views/v_a.sql", "views/v_b.sql",
                         "queries/top_pages.sql"]
    assert out["ddl/tables.sql"] == 'CREATE TABLE "analytics"."t" (x integer);\n'
    assert list(render_all(folder, "spark", views=["v_b"], queries=[])) == [
        "ddl/tables.sql", "views/v_b.sql"]
    assert "no SQL template views/v_c.sql" in error(render_all, folder, "spark",
                                                      views=["v_c"]).message


def test_rel_calls_give_names_and_lines() -> None:
    text = "SELECT 1\nFROM {{ rel('a') }}\nJOIN {{ rel(\"b\") }} ON {{ rel('a') }}.x\n{{ rel(n) }}"
    assert rel_calls(text) == {"a": 2, "b": 3}
    assert find_rels(text) == ["a", "b"]


def test_order_keys_and_the_list_splitter() -> None:
    assert split_sql_list("a, f(b, c), 'x,y' DESC, ") == ["a", "f(b, c)", "'x,y' DESC"]
    assert order_keys(["ts DESC", "page NULLS FIRST"]) == "ts DESC NULLS LAST, page NULLS FIRST"
    with pytest.raises(Exception, match="at least one key"):
        order_keys("")


# -- a pipeline's own folder: the built-in macros and DDL where it has none ------------------
@pytest.fixture
def own(tmp_path: Path) -> Path:
    """A pipeline's own templates folder: one query, no macros/ and no ddl/."""
    tpl = tmp_path / "retail_sql"
    write(tpl, "queries/top_pages.sql", QUERY)
    return tpl


def test_a_folder_without_macros_uses_the_built_in_ones(own: Path) -> None:
    renderer = SqlRenderer(own, "postgres", schema="shop")
    sql = renderer.render("queries/top_pages.sql")
    assert 'FROM "shop"."fact_events"' in sql
    assert "(CAST(views AS double precision) / NULLIF(CAST(sessions AS double precision), 0))" \
        in sql
    assert renderer.macros() == SqlRenderer(BUILTIN_TEMPLATES, "postgres").macros()
    assert "safe_div" in renderer.macros()


def test_a_folder_without_ddl_lists_the_built_in_one_and_nothing_else(own: Path) -> None:
    project = BUILTIN_TEMPLATES
    assert [t.path for t in list_templates(own, "ddl")] == \
        [t.path for t in list_templates(project, "ddl")]
    assert [t.name for t in list_templates(own, "ddl")] == ["table"]
    assert list_templates(own, "views") == []  # never another folder's views or queries
    assert [t.name for t in list_templates(own, "queries")] == ["top_pages"]
    assert SqlRenderer(own, "spark").file("ddl/table.sql") == project / "ddl" / "table.sql"
    err = error(render, own, "views/v_daily_trends.sql", "spark")
    assert "no SQL template views/v_daily_trends.sql" in err.message


def test_a_folder_with_its_own_macros_uses_only_its_own(own: Path) -> None:
    write(own, "macros/mine.sql", "{% macro twice(x) %}2 * {{ x }}{% endmacro %}")
    renderer = SqlRenderer(own, "spark")
    assert renderer.macros() == ["twice"]
    err = error(renderer.render, "queries/top_pages.sql")
    assert "'safe_div' is undefined" in err.message


def test_a_project_macro_s_own_check_is_located_in_the_project_file(own: Path) -> None:
    write(own, "queries/q.sql", "SELECT\n{{ date_trunc_to('day', 'ts') }}\n")
    err = error(render, own, "queries/q.sql", "spark")
    assert err.location is not None
    assert err.location.file.endswith("framework/sql/macros/dialect.sql")
    assert "(called from" in err.message and "queries/q.sql:2)" in err.message


# -- compiled once per process -------------------------------------------------------------------
def test_a_new_renderer_reuses_the_compiled_templates_until_a_file_changes(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    compiled: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    write(folder, "queries/q.sql", "SELECT\n{{ date_trunc_to('day', 'ts') }}\n")
    first = SqlRenderer(folder, "spark").render("queries/top_pages")
    assert "queries/top_pages.sql" in compiled and any(n and n.startswith("macros/")
                                                       for n in compiled)
    compiled.clear()
    again = SqlRenderer(folder, "spark")
    assert again.render("queries/top_pages") == first and compiled == []  # nothing compiled
    err = error(SqlRenderer(folder, "spark").render, "queries/q.sql")  # a first compile of q
    assert compiled == ["queries/q.sql"]
    err = error(SqlRenderer(folder, "spark").render, "queries/q.sql")  # reused: still located
    assert compiled == ["queries/q.sql"] and "(called from" in err.message
    assert "queries/q.sql:2)" in err.message
    write(folder, "queries/top_pages.sql", QUERY.replace("SELECT page", "SELECT page, 1 AS one"))
    edited = SqlRenderer(folder, "spark").render("queries/top_pages")
    assert compiled[1:] == ["queries/top_pages.sql"] and "1 AS one" in edited

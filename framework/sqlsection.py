"""Checks a pipeline's `sql:` section against its templates folder, as validation does for every
other section: each problem located (the pipeline line, or the template's file:line) and all of
them at once.

- every view or query the section names has its template (did you mean ...?), named once;
- each chosen template parses, renders for every dialect (an undefined name, a missing macro),
  and `rel()`s only the pipeline's sink tables or the views the section creates;
- its header says its question and grain, names it as its file does, and lists known tables.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from framework.dialects import DIALECTS
from framework.errors import Location, Problem, SqlTemplateError, did_you_mean, format_path
from framework.spec import PipelineSpec, SinkSpec, SqlSpec
from framework.sqltemplates import (
    SqlRenderer,
    SqlTemplate,
    list_templates,
    parse_header,
    rel_calls,
    shown_path,
)

REQUIRED_HEADER = ("question", "grain")
CHOSEN = ("views", "queries")  # the kinds the section chooses from; every ddl template is used
_ONE = {"views": "view", "queries": "query"}


def selected(sql: SqlSpec, kind: str) -> list[SqlTemplate]:
    """The templates of `kind` the section chooses (all of them for "all" and for ddl), in the
    order it names them; names without a template are left out (check_sql reports them)."""
    found = list_templates(sql.templates or "", kind)
    chosen = getattr(sql, kind, "all") if kind in CHOSEN else "all"
    if isinstance(chosen, str):
        return found
    by_name = {t.name: t for t in found}
    return [by_name[n] for n in dict.fromkeys(chosen) if n in by_name]


def render_section(spec: PipelineSpec, dialect: str,
                   data_dir: str | None = None) -> dict[str, str]:
    """The DDL, views and queries the `sql:` section offers, rendered for `dialect`:
    {'ddl/<table>.sql': sql, 'views/v.sql': sql, 'queries/q.sql': sql}, in that order;
    PostgreSQL relations in the warehouse's postgres schema. The ddl/ templates are rendered
    once per sink (`table_ddl`), with the columns of its published table under `data_dir`
    (default: $ETL_DATA_DIR, else ./data) when there is one."""
    sql = spec.sql
    if sql is None or not sql.templates:
        return {}
    renderer = SqlRenderer(sql.templates, dialect, schema=spec.warehouse.postgres_schema)
    out = {f"ddl/{sink.table}.sql": table_ddl(spec, sink, renderer, data_dir)
           for sink in spec.sinks} if selected(sql, "ddl") else {}
    return out | {t.template: renderer.render(t.template)
                  for kind in CHOSEN for t in selected(sql, kind)}


def table_ddl(spec: PipelineSpec, sink: SinkSpec, renderer: SqlRenderer,
              data_dir: str | None = None) -> str:
    """The DDL of one sink: columns and types from its published Parquet table when the
    warehouse has it, else its declared columns (types unknown), else none (the DDL says so)."""
    from framework.ddl import published_columns, render_ddl, table_model
    from framework.paths import data_path

    base = data_dir or "data"
    location = os.path.abspath(os.path.join(data_path(base, spec.warehouse.path), sink.table))
    return render_ddl(renderer, table_model(sink, published_columns(location), location))


def check_sql(spec: PipelineSpec) -> list[Problem]:
    """Every problem of the `sql:` section (none when there is no section, or its folder is
    missing: the builder reports that)."""
    sql = spec.sql
    if sql is None or not sql.templates or not Path(sql.templates).is_dir():
        return []
    return _SqlChecker(spec, sql).run()


class _SqlChecker:
    def __init__(self, spec: PipelineSpec, sql: SqlSpec):
        self.spec, self.sql = spec, sql
        self.folder = Path(sql.templates or "")
        self.problems: list[Problem] = []
        self.views = {t.name for t in selected(sql, "views")}
        if not isinstance(sql.views, str) and len(self.views) < len(set(sql.views)):
            # a view named without a template is reported once: its readers stay quiet
            self.views = {t.name for t in list_templates(self.folder, "views")}
        self.tables = [s.table for s in spec.sinks]

    def add(self, message: str, loc: Location | None, path: str, hint: str) -> None:
        self.problems.append(Problem(message, loc, path, hint))

    def run(self) -> list[Problem]:
        for kind in CHOSEN:
            self.names(kind)
        renderers = [SqlRenderer(self.folder, d, schema=self.spec.warehouse.postgres_schema)
                     for d in DIALECTS]
        for kind in ("ddl", *CHOSEN):
            for template in selected(self.sql, kind):
                self.template(template, renderers)
        if self.spec.sinks and selected(self.sql, "ddl"):
            self.ddl(renderers)
        return self.problems

    def names(self, kind: str) -> None:
        chosen = getattr(self.sql, kind)
        if isinstance(chosen, str):
            return
        available = [t.name for t in list_templates(self.folder, kind)]
        seen: dict[str, int] = {}
        for k, name in enumerate(chosen):
            path = format_path(("sql", kind, k))
            where = self.sql.locs.get(f"{kind}[{k}]", self.sql.loc)
            if name in seen:
                self.add(f"{_ONE[kind]} {name!r} is named twice (first as {kind}[{seen[name]}])",
                         where, path, "name each once")
                continue
            seen[name] = k
            if name not in available:
                folder = shown_path(self.folder / kind)
                self.add(f"no template for {_ONE[kind]} {name!r} in {folder}", where, path,
                         did_you_mean(name, available, otherwise=f"add {folder}/{name}.sql"
                                      + (f" (there: {', '.join(available)})" if available else "")))

    def template(self, template: SqlTemplate, renderers: list[SqlRenderer]) -> None:
        shown = shown_path(template.path)
        path = format_path(("sql", template.kind))
        try:
            text = template.path.read_text(encoding="utf-8")
            rels = rel_calls(text)
        except OSError as exc:
            self.add(f"cannot read {shown}: {exc.strerror or exc}", Location(shown), path,
                     "check the file's permissions")
            return
        except UnicodeDecodeError:
            self.add(f"{shown} is not UTF-8 text", Location(shown), path, "save it as UTF-8")
            return
        except jinja2.TemplateSyntaxError as exc:
            self.add(f"Jinja syntax error: {exc.message}", Location(shown, exc.lineno or 0), path,
                     "fix the template (Jinja: {{ expr }}, {% tag %}, {# note #})")
            return
        if template.kind != "ddl":
            self.header(template, text, shown, path)
        known = [*self.tables, *sorted(self.views - {template.name})]
        for name, line in rels.items():
            if name not in known:
                self.add(f"rel({name!r}) is neither a table the pipeline publishes nor a view "
                         "its sql section creates", Location(shown, line), path,
                         did_you_mean(name, known, otherwise=f"tables: {', '.join(self.tables)}"
                                      + (f"; views: {', '.join(sorted(self.views))}"
                                         if self.views else "")))
        for renderer in renderers if template.kind != "ddl" else []:  # ddl: self.ddl
            try:
                renderer.render(template.template)
            except SqlTemplateError as exc:
                self.add(exc.detail, exc.location, path, exc.hint or "")
                return  # the other dialect would most likely say the same

    def ddl(self, renderers: list[SqlRenderer]) -> None:
        """The ddl/ templates render for a sink's table in every dialect (its declared keys,
        columns known or not)."""
        from framework.ddl import render_ddl, table_model

        sink = max(self.spec.sinks, key=lambda s: (bool(s.primary_key), len(s.references)))
        for columns in ([(c, "string") for c in sink.columns] or [("id", "bigint")], None):
            for renderer in renderers:
                try:
                    render_ddl(renderer, table_model(sink, columns, "/warehouse"))
                except SqlTemplateError as exc:
                    self.add(exc.detail, exc.location, format_path(("sql", "ddl")),
                             exc.hint or "")
                    return

    def header(self, template: SqlTemplate, text: str, shown: str, path: str) -> None:
        head = parse_header(text)
        lines = head.lines or {}
        missing = [k for k in REQUIRED_HEADER if not getattr(head, k)]
        if missing:
            self.add(f"the template's header has no {' or '.join(missing)}", Location(shown, 1),
                     path, f"begin the file with `-- {missing[0]}: ...` lines (name, question, "
                           "grain, tables)")
        if head.name and head.name != template.name:
            self.add(f"the header names it {head.name!r}, the file {template.name!r}",
                     Location(shown, lines.get("name", 1)), path,
                     "a view or query is named by its file: make them the same")
        known = [*self.tables, *sorted(self.views)]
        for table in head.tables:
            if table not in known:
                self.add(f"the header's tables name {table!r}, which the pipeline does not "
                         "publish", Location(shown, lines.get("tables", 1)), path,
                         did_you_mean(table, known, otherwise=f"tables: {', '.join(self.tables)}"))

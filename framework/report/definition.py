"""A report definition (`reports/<name>.yaml`): metric cards and sections, each naming a query or
view of the pipeline's `sql:` section and how to show it (a table, charts). Read with the
pipelines' YAML loader, so every problem is located (file:line) and all are reported at once.

Columns are checked when the bundle is built (`check_columns`): a query's output columns are
known only once it has run, and the problem then points at the report line that names the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from framework.errors import KeyPath, Location, Problem, SpecError, did_you_mean, format_path

KINDS = ("line", "bar", "stacked_bar", "heatmap", "funnel", "scatter", "histogram")
# integer: 12,345; number: 12,345.67; currency: $12,345.67; percent: a value in percent points
# (12.3 -> 12.3%); rate: a fraction shown in percent (0.123 -> 12.3%); seconds: 75 -> 1m 15s
FORMATS = ("integer", "number", "currency", "percent", "rate", "seconds", "text", "date")
AGGS = ("first", "last", "sum", "min", "max", "mean", "count")
_TOP = {"title", "subtitle", "cards", "sections"}
_CARD = {"label", "query", "column", "agg", "where", "format", "note"}
_SECTION = {"id", "title", "description", "query", "table", "charts"}
_TABLE = {"columns", "limit"}
_CHART = {"id", "kind", "title", "x", "y", "series", "value", "label", "x_label", "y_label",
          "format", "x_format", "bins", "limit"}
_NEEDS = {"line": ("x", "y"), "bar": ("x", "y"), "stacked_bar": ("x", "y"),
          "heatmap": ("x", "y", "value"), "funnel": ("x", "y"), "scatter": ("x", "y"),
          "histogram": ("x",)}


@dataclass(frozen=True)
class CardDef:
    label: str
    query: str
    column: str
    agg: str
    where: tuple[tuple[str, Any], ...]
    format: str
    note: str
    path: KeyPath


@dataclass(frozen=True)
class ChartDef:
    id: str
    kind: str
    title: str
    x: str
    y: tuple[str, ...]
    series: str | None
    value: str | None
    label: str | None
    x_label: str
    y_label: str
    format: str
    x_format: str | None
    bins: int
    limit: int | None  # draw only the first `limit` rows (the query's order)
    path: KeyPath


@dataclass(frozen=True)
class SectionDef:
    id: str
    title: str
    description: str
    query: str
    table: bool
    table_columns: tuple[str, ...]
    table_limit: int | None
    charts: tuple[ChartDef, ...]
    path: KeyPath


@dataclass(frozen=True)
class ReportDef:
    file: str
    title: str
    subtitle: str
    cards: tuple[CardDef, ...]
    sections: tuple[SectionDef, ...]
    doc: Any = field(repr=False, compare=False, default=None)  # the loader's Document

    def queries(self) -> list[str]:
        """Each query or view the report reads, once, in order of first use."""
        names = [c.query for c in self.cards] + [s.query for s in self.sections]
        return list(dict.fromkeys(names))

    def locate(self, path: KeyPath) -> Location:
        return self.doc.locate(path) if self.doc is not None else Location(self.file)


def load_report(path: str, offered: Iterable[str]) -> ReportDef:
    """The report at `path`, checked against the query and view names the pipeline offers;
    raises SpecError with every problem found."""
    from framework.loader import parse_file

    doc = parse_file(path)
    reader = _Reader(doc, list(offered))
    report = reader.report()
    if reader.problems:
        raise SpecError(reader.problems)
    return report


def check_columns(report: ReportDef, columns: dict[str, Sequence[str]]) -> list[Problem]:
    """Every column the report names that its query's result lacks (`columns`: query -> its
    output columns), located at the report line naming it."""
    problems: list[Problem] = []

    def need(query: str, column: str | None, path: KeyPath) -> None:
        have = columns.get(query)
        if column is None or have is None or column in have:
            return
        problems.append(Problem(
            f"{query!r} has no column {column!r}", report.locate(path), format_path(path),
            did_you_mean(column, have, f"its columns: {', '.join(have)}")))

    for c in report.cards:
        need(c.query, c.column, c.path + ("column",))
        for key, _ in c.where:
            need(c.query, key, c.path + ("where", key))
    for s in report.sections:
        for k, col in enumerate(s.table_columns):
            need(s.query, col, s.path + ("table", "columns", k))
        for ch in s.charts:
            need(s.query, ch.x, ch.path + ("x",))
            for k, col in enumerate(ch.y):
                need(s.query, col, ch.path + (("y", k) if len(ch.y) > 1 else ("y",)))
            for key in ("series", "value", "label"):
                need(s.query, getattr(ch, key), ch.path + (key,))
    return problems


class _Reader:
    def __init__(self, doc: Any, offered: list[str]):
        self.doc, self.offered = doc, offered
        self.problems: list[Problem] = []
        self.ids: dict[str, KeyPath] = {}

    def fail(self, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.problems.append(Problem(message, self.doc.locate(path), format_path(path), hint))

    def keys(self, raw: dict, allowed: set[str], path: KeyPath) -> None:
        names = sorted(allowed)
        for key in raw:
            if key not in allowed:
                self.problems.append(Problem(
                    f"unknown key {key!r}", self.doc.key_location(path + (key,)),
                    format_path(path + (key,)),
                    did_you_mean(key, names, f"allowed: {', '.join(names)}")))

    def text(self, raw: dict, key: str, path: KeyPath, required: bool = True,
             default: str = "") -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.fail(f"{key!r} is required", path)
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(f"{key!r} must be text", path + (key,))
            return default
        return str(value)

    def choice(self, raw: dict, key: str, choices: Sequence[str], path: KeyPath,
               default: str | None) -> str:
        value = self.text(raw, key, path, required=default is None, default=default or "")
        if value and value not in choices:
            self.fail(f"unknown {key} {value!r}", path + (key,),
                      did_you_mean(value, choices, f"one of: {', '.join(choices)}"))
        return value

    def query(self, raw: dict, path: KeyPath) -> str:
        name = self.text(raw, "query", path)
        if name and name not in self.offered:
            self.fail(f"no query or view {name!r} in the pipeline's sql: section",
                      path + ("query",),
                      did_you_mean(name, self.offered, "`etl sql render PIPELINE` lists them"))
        return name

    def unique_id(self, raw: dict, path: KeyPath) -> str:
        ident = self.text(raw, "id", path)
        if ident and not ident.replace("_", "").replace("-", "").isalnum():
            self.fail(f"id {ident!r} must be letters, digits, '_' or '-'", path + ("id",))
        elif ident in self.ids:
            self.fail(f"id {ident!r} is used twice (first at {format_path(self.ids[ident])})",
                      path + ("id",), "give each section and chart its own id")
        elif ident:
            self.ids[ident] = path
        return ident

    def items(self, raw: dict, key: str) -> list[tuple[KeyPath, dict]]:
        value = raw.get(key) or []
        if not isinstance(value, list):
            self.fail(f"{key!r} must be a list", (key,))
            return []
        out = []
        for k, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail("must be a mapping", (key, k))
                continue
            out.append(((key, k), item))
        return out

    def report(self) -> ReportDef:
        data = self.doc.data if isinstance(self.doc.data, dict) else {}
        self.keys(data, _TOP, ())
        cards = tuple(self.card(p, raw) for p, raw in self.items(data, "cards"))
        sections = tuple(self.section(p, raw) for p, raw in self.items(data, "sections"))
        if not sections:
            self.fail("a report needs at least one section", ("sections",))
        return ReportDef(self.doc.file, self.text(data, "title", ()),
                         self.text(data, "subtitle", (), required=False), cards, sections,
                         self.doc)

    def card(self, path: KeyPath, raw: dict) -> CardDef:
        self.keys(raw, _CARD, path)
        where = raw.get("where") or {}
        if not isinstance(where, dict):
            self.fail("'where' must map columns to values", path + ("where",))
            where = {}
        return CardDef(self.text(raw, "label", path), self.query(raw, path),
                       self.text(raw, "column", path), self.choice(raw, "agg", AGGS, path, "first"),
                       tuple((str(k), v) for k, v in where.items()),
                       self.choice(raw, "format", FORMATS, path, "number"),
                       self.text(raw, "note", path, required=False), path)

    def section(self, path: KeyPath, raw: dict) -> SectionDef:
        self.keys(raw, _SECTION, path)
        table = raw.get("table", True)
        columns: tuple[str, ...] = ()
        limit = None
        if isinstance(table, dict):
            self.keys(table, _TABLE, path + ("table",))
            columns = tuple(str(c) for c in table.get("columns") or ())
            limit = table.get("limit")
            if limit is not None and (not isinstance(limit, int) or limit < 1):
                self.fail("'limit' must be a positive integer", path + ("table", "limit"))
                limit = None
            table = True
        elif not isinstance(table, bool):
            self.fail("'table' must be true, false or {columns: [...], limit: N}",
                      path + ("table",))
            table = True
        charts = []
        raw_charts = raw.get("charts") or []
        if not isinstance(raw_charts, list):
            self.fail("'charts' must be a list", path + ("charts",))
            raw_charts = []
        for k, item in enumerate(raw_charts):
            if isinstance(item, dict):
                charts.append(self.chart(path + ("charts", k), item))
            else:
                self.fail("must be a mapping", path + ("charts", k))
        return SectionDef(self.unique_id(raw, path), self.text(raw, "title", path),
                          self.text(raw, "description", path, required=False),
                          self.query(raw, path), bool(table), columns, limit, tuple(charts), path)

    def chart(self, path: KeyPath, raw: dict) -> ChartDef:
        self.keys(raw, _CHART, path)
        kind = self.choice(raw, "kind", KINDS, path, None)
        for key in _NEEDS.get(kind, ()):
            if raw.get(key) in (None, "", []):
                self.fail(f"a {kind} chart needs {key!r}", path)
        y = raw.get("y")
        ys = tuple(str(v) for v in y) if isinstance(y, list) else (str(y),) if y else ()
        bins = raw.get("bins", 20)
        if not isinstance(bins, int) or isinstance(bins, bool) or bins < 2:
            self.fail("'bins' must be an integer of 2 or more", path + ("bins",))
            bins = 20
        limit = raw.get("limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)
                                  or limit < 1):
            self.fail("'limit' must be a positive integer", path + ("limit",))
            limit = None
        x_format = raw.get("x_format")
        if x_format is not None and x_format not in FORMATS:
            self.fail(f"unknown x_format {x_format!r}", path + ("x_format",),
                      did_you_mean(str(x_format), FORMATS, f"one of: {', '.join(FORMATS)}"))
        return ChartDef(self.unique_id(raw, path), kind, self.text(raw, "title", path),
                        self.text(raw, "x", path, required=False), ys,
                        raw.get("series"), raw.get("value"), raw.get("label"),
                        self.text(raw, "x_label", path), self.text(raw, "y_label", path),
                        self.choice(raw, "format", FORMATS, path, "number"), x_format, bins,
                        limit, path)

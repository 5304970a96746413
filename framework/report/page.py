"""The report's single-file HTML page: `render_page(model) -> str`.

One self-contained file that opens from `file://` or as a mail attachment: inline CSS and a few
lines of inline script (both pinned by hash in a Content-Security-Policy that forbids any network
load), charts as SVG images embedded as data: URLs (no ids or styles shared between charts, no
script inside a chart can run), tables sortable by header with a CSV download, each chart and table
with the SQL it comes from, the run summary and the quality results. Light and dark themes follow
the system setting; a print stylesheet keeps charts whole. Everything from the model is escaped
(jinja2 autoescape); links point only at files inside the bundle. Same model, same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from framework.checks import summary_line
from framework.errors import EtlError
from framework.report.model import QUALITY_COLUMNS, PageModel, RunSummary, Section, Table
from framework.text import printable

_BLANKS = {"", "-", "\u2013", "\u2014", "n/a", "na", "null", "none", "nan"}
# "$1,234.5", "-12.5%", "1.2 M", "340 ms": an optional currency sign, a number, a known unit.
_NUMBER = re.compile(
    r"(?P<sign>[+\-\u2212]?)\s*[$\u20ac\u00a3\u00a5]?\s*(?P<sign2>[+\-\u2212]?)"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:[eE](?P<exp>[+\-]?\d+))?"
    r"\s*(?P<unit>[A-Za-z%\u00d7]*)"
)
_SVG = re.compile(r"(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg[\s>]", re.S)
_UNITS = {
    "": 1, "%": 1, "x": 1, "\u00d7": 1, "k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9,
    "T": 1e12, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4, "ms": 1e-3, "s": 1,
    "min": 60, "h": 3600, "d": 86400,
}
_OK = {"ok", "pass", "passed", "success", "succeeded", "done", "green"}
_BAD = {"fail", "failed", "failure", "error", "red", "broken"}


@dataclass(frozen=True)
class _Cell:
    text: str
    value: str | None  # the number a numeric column sorts on, as text
    cls: str


@dataclass(frozen=True)
class _Column:
    name: str
    numeric: bool


_Grid = tuple[tuple[_Column, ...], tuple[tuple[_Cell, ...], ...]]


def sort_value(text: str) -> float | None:
    """The number a displayed cell stands for ('1,234' -> 1234, '12.5%' -> 12.5, '1.5 MB' ->
    1572864, '$-3.2K' -> -3200), None when it is not one (text, dates, blanks)."""
    match = _NUMBER.fullmatch(text.strip())
    if not match or match["unit"] not in _UNITS or (match["sign"] and match["sign2"]):
        return None
    number = float(match["num"].replace(",", "") + (f"e{match['exp']}" if match["exp"] else ""))
    negative = (match["sign"] or match["sign2"]) in ("-", "\u2212")
    value = (-number if negative else number) * _UNITS[match["unit"]]
    return value if math.isfinite(value) else None


def _grid(columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...],
          tone_column: int | None = None) -> _Grid:
    """Columns flagged numeric when every non-blank cell is a number; cells with their sort key."""
    numeric = []
    for index in range(len(columns)):
        cells = [row[index].strip() for row in rows if index < len(row)]
        filled = [c for c in cells if c.lower() not in _BLANKS]
        numeric.append(bool(filled) and all(sort_value(c) is not None for c in filled))
    grid = []
    for row in rows:
        cells = []
        for index, text in enumerate(row):
            is_num = index < len(numeric) and numeric[index]
            value = sort_value(text) if is_num else None
            classes = ["num"] if is_num else []
            if index == tone_column:
                classes += ["status", f"status-{_tone(text)}"]
            cells.append(_Cell(text, None if value is None else repr(value), " ".join(classes)))
        grid.append(tuple(cells))
    return tuple(_Column(c, n) for c, n in zip(columns, numeric, strict=True)), tuple(grid)


def _tone(status: str) -> str:
    word = status.strip().lower()
    return "ok" if word in _OK else "bad" if word in _BAD else "warn"


def _bundle_href(path: str, what: str) -> str:
    """A link to a file of the bundle, URL-quoted; refuses anything that could leave it."""
    parts = path.split("/")
    if (not path or path.startswith("/") or "\\" in path or ":" in path
            or any(p in ("", ".", "..") for p in parts)):
        raise EtlError(f"report page: {what} points outside the bundle: {printable(path)!r}",
                       hint="bundle files are named relative to it, e.g. 'charts/daily.png'")
    return quote(path)


def _svg_src(svg: str, what: str) -> str:
    text = svg.strip()
    if not _SVG.match(text):
        raise EtlError(f"report page: {what} is not SVG text",
                       hint="Chart.svg holds the <svg> document itself, not a file name")
    return "data:image/svg+xml;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "\u2013"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _section(section: Section) -> dict:
    where = f"section {section.id!r}"
    return {
        "id": section.id, "title": section.title, "description": section.description,
        "sql": section.sql, "sql_file": section.sql_file,
        "sql_href": (_bundle_href(section.sql_file, f"{where}'s sql_file")
                     if section.sql_file else ""),
        "charts": [
            {"id": c.id, "title": c.title, "src": _svg_src(c.svg, f"chart {c.id!r}"),
             "png": _bundle_href(c.png, f"chart {c.id!r}'s png")}
            for c in section.charts
        ],
        "tables": [_table(t) for t in section.tables],
    }


def _table(table: Table) -> dict:
    columns, rows = _grid(table.columns, table.rows)
    href = _bundle_href(table.csv, f"table {table.id!r}'s csv") if table.csv else ""
    return {"id": table.id, "title": table.title, "columns": columns, "rows": rows,
            "file": table.csv.rsplit("/", 1)[-1] if table.csv else f"{table.id}.csv",
            "csv_href": href}


def _run(run: RunSummary) -> dict:
    columns, rows = _grid(("Table", "Rows", "Size", "Time"), run.tables)
    return {"run_id": run.run_id, "status": run.status, "tone": _tone(run.status),
            "time": _duration(run.seconds), "count": f"{len(run.tables):,}",
            "malformed": f"{run.malformed:,}", "quarantined": f"{run.quarantined:,}",
            "columns": columns, "rows": rows}


@cache
def _assets() -> tuple[jinja2.Template, str, str, str]:
    here = resources.files(__package__)
    css = here.joinpath("page.css").read_text(encoding="utf-8")
    js = here.joinpath("page.js").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(here.joinpath("page.html.j2").read_text(encoding="utf-8"))
    csp = "; ".join((
        "default-src 'none'", "img-src data:", f"style-src {_sha256(css)}",
        f"script-src {_sha256(js)}", "base-uri 'none'", "form-action 'none'",
    ))
    return template, css, js, csp


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _unique_ids(model: PageModel) -> None:
    """Sections, charts and tables are found by id on the page (links, CSV download)."""
    seen: set[str] = set()
    for kind, ident in (
        *(("section", s.id) for s in model.sections),
        *(("chart", c.id) for s in model.sections for c in s.charts),
        *(("table", t.id) for s in model.sections for t in s.tables),
    ):
        if f"{kind}-{ident}" in seen:
            raise EtlError(f"report page: two {kind}s have the id {printable(ident)!r}",
                           hint=f"give each {kind} of a report its own id")
        seen.add(f"{kind}-{ident}")


def render_page(model: PageModel) -> str:
    """The page of `model` as HTML text (UTF-8 when written). Raises EtlError when a chart is not
    SVG or a link would leave the bundle."""
    template, css, js, csp = _assets()
    _unique_ids(model)
    quality = None
    if model.quality:
        columns, rows = _grid(QUALITY_COLUMNS, model.quality, tone_column=3)
        caption = summary_line([row[3] for row in model.quality])
        quality = {"columns": columns, "rows": rows, "caption": caption}
    return template.render(
        model=model, sections=[_section(s) for s in model.sections],
        run=_run(model.run) if model.run else None, quality=quality,
        css=Markup(css), js=Markup(js), csp=csp,
    )

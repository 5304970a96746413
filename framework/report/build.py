"""A report bundle: each query the report names run once (Spark over the published warehouse, or
the PostgreSQL schema a `--target postgres` run loaded), then, in one folder:

    index.html          the single-file page (framework.report.page)
    charts/<id>.png|svg each chart (matplotlib Agg, byte-identical from build to build)
    tables/<id>.csv     each section's query rows, exactly
    sql/<name>.sql      each query as run
    run.json            the run record the bundle was built after

The folder is written beside its final place and renamed in: a reader sees the old bundle or the
new one. Columns the report names are checked against the results before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from framework.errors import EtlError, SpecError
from framework.report.definition import CardDef, ReportDef, SectionDef, check_columns
from framework.report.formats import as_float, csv_cell, show
from framework.report.model import Card, Chart, PageModel, RunSummary, Section, Table

Results = dict[str, Any]  # query name -> framework.runtime.sqlrun.QueryResult


@dataclass(frozen=True)
class Bundle:
    folder: str
    charts: int
    tables: int
    queries: int
    seconds: float


def report_folder(data_dir: str, run_id: str) -> str:
    return os.path.join(data_dir, "reports", run_id)


def latest_run(data_dir: str, pipeline: str) -> dict[str, Any]:
    """The newest succeeded run record of `pipeline` under `data_dir`/runs."""
    from framework.runtime.record import list_runs

    for record in list_runs(data_dir, limit=10_000):
        if record.get("pipeline") == pipeline and record.get("status") == "succeeded":
            return record
    raise EtlError(f"no succeeded run of pipeline {pipeline!r} under {data_dir}/runs",
                   hint="run it first (etl run FILE), or pass the --data-dir it ran with")


def find_run(data_dir: str, run_id: str) -> dict[str, Any]:
    path = os.path.join(data_dir, "runs", run_id, "run.json")
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise EtlError(f"no readable run record {path}",
                       hint="`etl runs --data-dir DIR` lists the runs") from exc


def fetch(spec: Any, names: Sequence[str], target: str, data_dir: str, log_folder: str,
          spark: Any = None) -> Results:
    """Each query or view of `names` run once on `target`; `spark`: a running session to use
    (else one is started and stopped here)."""
    from framework.runtime.sqlrun import offered, run_queries

    templates = offered(spec)
    results = run_queries(spec, [templates[n] for n in names], target, data_dir, log_folder,
                          spark)
    return dict(zip(names, results, strict=True))


def build_bundle(spec: Any, report: ReportDef, out: str, results: Results,
                 run: dict[str, Any] | None) -> Bundle:
    """Write the bundle of `report` over `results` (every query it names) into `out`."""
    t0 = time.monotonic()
    problems = check_columns(report, {n: r.columns for n, r in results.items()})
    if problems:
        raise SpecError(problems)
    from framework.report import charts as draw_charts
    from framework.report.page import render_page

    parent = os.path.dirname(os.path.abspath(out)) or "."
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".report-", dir=parent)
    try:
        files = _Files(work)
        sections = []
        n_charts = 0
        for s in report.sections:
            result = results[s.query]
            files.text(f"sql/{s.query}.sql", result.sql)
            charts = []
            for c in s.charts:
                rows = result.rows[: c.limit] if c.limit else result.rows
                png, svg = draw_charts.draw(c, result.columns, rows)
                files.binary(f"charts/{c.id}.png", png)
                files.binary(f"charts/{c.id}.svg", svg)
                charts.append(Chart(c.id, c.title, svg.decode("utf-8"), f"charts/{c.id}.png"))
            n_charts += len(charts)
            files.text(f"tables/{s.id}.csv", _csv(result.columns, result.rows))
            tables = (_table(s, result),) if s.table else ()
            sections.append(Section(s.id, s.title, s.description or _question(spec, s.query),
                                    tuple(charts), tables, result.sql, f"sql/{s.query}.sql"))
        for name in report.queries():
            files.text(f"sql/{name}.sql", results[name].sql)
        if run is not None:
            files.text("run.json", json.dumps(run, indent=2, sort_keys=True, default=str))
        model = PageModel(report.title, _subtitle(report, run),
                          tuple(_card(c, results[c.query]) for c in report.cards),
                          tuple(sections), _summary(run) if run else None,
                          _quality(run) if run else ())
        files.text("index.html", render_page(model))
        _replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Bundle(out, n_charts, len(report.sections), len(results),
                  round(time.monotonic() - t0, 3))


class _Files:
    def __init__(self, root: str):
        self.root = root

    def binary(self, name: str, data: bytes) -> None:
        path = os.path.join(self.root, *name.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)

    def text(self, name: str, text: str) -> None:
        self.binary(name, text.encode("utf-8"))


def _replace(work: str, out: str) -> None:
    os.chmod(work, 0o755)
    if os.path.isdir(out):
        old = out + ".old"
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out, old)
        os.rename(work, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(work, out)


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _formats(s: SectionDef) -> dict[str, str]:
    """column -> the format its charts show it in; other columns are guessed from the name."""
    out: dict[str, str] = {}
    for c in s.charts:
        for col in c.y:
            out.setdefault(col, c.format)
        if c.value:
            out.setdefault(c.value, c.format)
        if c.x_format:
            out.setdefault(c.x, c.x_format)
    return out


def guess_format(column: str, value: Any) -> str:
    name = column.lower()
    if as_float(value) is None:
        return "text"
    if name.startswith("pct") or name.endswith("_pct"):
        return "percent"
    if name.endswith(("_rate", "conversion", "_confidence")) or name == "support":
        return "rate"
    if name.endswith("_seconds"):
        return "seconds"
    if any(w in name for w in ("revenue", "aov", "ltv", "price")):
        return "currency"
    if isinstance(value, int):
        return "text" if name.endswith(("_order", "_number", "_rank", "year", "week")) \
            else "integer"
    return "number"


def _table(s: SectionDef, result: Any) -> Table:
    columns = list(s.table_columns or result.columns)
    index = [result.columns.index(c) for c in columns]
    rows = result.rows[: s.table_limit] if s.table_limit else result.rows
    chosen = _formats(s)
    first = {c: next((r[i] for r in rows if r[i] is not None), None)
             for c, i in zip(columns, index, strict=True)}
    fmts = [chosen.get(c) or guess_format(c, first[c]) for c in columns]
    shown = tuple(tuple(show(r[i], f) for i, f in zip(index, fmts, strict=True)) for r in rows)
    return Table(s.id, s.title, tuple(columns), shown, f"tables/{s.id}.csv")


def card_value(card: CardDef, result: Any) -> Any:
    i = result.columns.index(card.column)
    where = [(result.columns.index(k), v) for k, v in card.where]
    rows = [r for r in result.rows if all(_same(r[j], v) for j, v in where)]
    values = [r[i] for r in rows if r[i] is not None]
    if card.agg == "count":
        return len(rows)
    if not values:
        return None
    pick: dict[str, Callable[[list[Any]], Any]] = {
        "first": lambda v: v[0], "last": lambda v: v[-1], "sum": sum, "min": min, "max": max,
        "mean": lambda v: sum(float(x) for x in v) / len(v)}
    return pick[card.agg](values)


def _same(value: Any, wanted: Any) -> bool:
    return value == wanted or str(value) == str(wanted)


def _card(card: CardDef, result: Any) -> Card:
    return Card(card.label, show(card_value(card, result), card.format), card.note)


def _question(spec: Any, name: str) -> str:
    from framework.runtime.sqlrun import offered
    from framework.sqltemplates import parse_header

    try:
        path = os.path.join(spec.sql.templates, offered(spec)[name] + ".sql")
        with open(path, encoding="utf-8") as fh:
            return parse_header(fh.read()).question
    except (OSError, KeyError, ValueError, EtlError):
        return ""


def _subtitle(report: ReportDef, run: dict[str, Any] | None) -> str:
    parts = [report.subtitle] if report.subtitle else []
    if run:
        parts.append(f"run {run.get('run_id')} of pipeline {run.get('pipeline')}")
    return " · ".join(parts)


def _summary(run: dict[str, Any]) -> RunSummary:
    tasks = [t for t in run.get("tasks", []) if isinstance(t, dict)]
    tables = tuple(
        (str(t.get("id")), show(t.get("rows"), "integer"), _size(t.get("bytes")),
         show(t.get("seconds"), "seconds") if t.get("seconds") is not None else "–")
        for t in tasks if t.get("kind") == "sink")
    malformed = sum(int(t.get("malformed") or 0) for t in tasks)
    quarantined = sum(int(t.get("malformed") or 0) for t in tasks if t.get("quarantine"))
    seconds = run.get("seconds")
    return RunSummary(str(run.get("run_id")), str(run.get("status")),
                      float(seconds) if isinstance(seconds, int | float) else None, tables,
                      malformed, quarantined)


def _quality(run: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    """One row per check in the record (its `quality` list), failed ones first: table, check,
    severity, status, failing rows, their share, what decided and where the samples are."""
    entries = [q for q in run.get("quality") or [] if isinstance(q, dict)]
    order = {"failed": 0, "warned": 1}
    rows = []
    for q in sorted(entries, key=lambda q: (order.get(str(q.get("status")), 2),
                                            str(q.get("table")), str(q.get("check")))):
        detail = [f"{q.get('at')} check" if q.get("at") else ""]
        if q.get("threshold") and q.get("status") != "passed":
            detail.append(f"when failing rows {q.get('threshold')}")
        if q.get("samples"):  # under the data dir: said relative to it
            samples, base = str(q.get("samples")), str(run.get("data_dir") or "")
            if base and samples.startswith(base.rstrip("/") + "/"):
                samples = os.path.relpath(samples, base)
            detail.append(f"failing rows in {samples}")
        share = q.get("share")
        rows.append((str(q.get("table")), str(q.get("check")), str(q.get("severity")),
                     str(q.get("status")), show(q.get("failing"), "integer"),
                     show(share, "rate") if isinstance(share, int | float) else "–",
                     "; ".join(d for d in detail if d)))
    return tuple(rows)


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""

"""The rows of a fixture or expectation: written inline in the test file, or read from a small
CSV, JSON or JSON-lines file beside it. Every row and value keeps where it is written.

CSV: a header naming the columns, then one record per row, comma-separated, UTF-8; an empty
cell is null (write an empty string inline, as ''). JSON: a list of objects. JSON lines: one
object per line. No pyspark.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any

from framework.errors import KeyPath, Location, Problem, format_path
from framework.loader import Document
from framework.testing.model import Rows

FORMATS = (".csv", ".json", ".jsonl")
MAX_FILE_BYTES = 5_000_000  # fixtures are a few rows each
_SMALL = "a fixture is a few rows worked out by hand; keep big data out of tests"


def inline_rows(doc: Document, path: KeyPath, items: list[Any]) -> Rows:
    """Rows written in the test file at `path` (a list of mappings, checked by the schema)."""
    columns: dict[str, None] = {}
    rows, where, cells = [], [], []
    for i, item in enumerate(items):
        row = item if isinstance(item, dict) else {}
        columns.update(dict.fromkeys(str(k) for k in row))
        rows.append({str(k): v for k, v in row.items()})
        where.append(doc.locate(path + (i,)))
        cells.append({str(k): doc.locate(path + (i, k)) for k in row})
    return Rows(tuple(columns), tuple(rows), tuple(where), tuple(cells), doc.locate(path))


def file_rows(written: str, base_dir: str, loc: Location, key_path: KeyPath,
              ) -> tuple[Rows | None, list[Problem]]:
    """The rows of the file `written` (relative to `base_dir`, the test file's folder as
    the test file was named)."""
    path = os.path.normpath(os.path.join(base_dir, written))
    shown = path
    ext = os.path.splitext(path)[1].lower()

    def problem(message: str, where: Location | None = None, hint: str | None = None):
        return None, [Problem(message, where or loc, format_path(key_path), hint)]

    if ext not in FORMATS:
        return problem(f"cannot read rows from {written!r}: a fixture file ends in "
                       f"{', '.join(FORMATS)}", hint="write the rows as CSV with a header, a "
                       "JSON list of objects, or JSON lines; or inline under rows:")
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return problem(f"{shown} is larger than {MAX_FILE_BYTES:,} bytes", hint=_SMALL)
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except FileNotFoundError:
        return problem(f"file not found: {shown}", hint=f"fixture files are relative to the "
                                                        f"test file's folder ({base_dir or '.'})")
    except (OSError, UnicodeDecodeError) as exc:
        return problem(f"cannot read {shown}: {getattr(exc, 'strerror', None) or exc}",
                       hint="save it as UTF-8 text")
    reader = {".csv": _csv_rows, ".json": _json_rows, ".jsonl": _json_lines}[ext]
    rows, problems = reader(text, shown)
    if rows is not None:
        rows = Rows(rows.columns, rows.rows, rows.where, (), loc)
    return rows, [Problem(p.message, p.location, format_path(key_path), p.hint)
                  for p in problems]


def _csv_rows(text: str, file: str) -> tuple[Rows | None, list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            return None, [Problem("the CSV file has no header line", Location(file, 1),
                                  hint="start it with the column names: id,name,amount")]
        problems = [Problem(f"the header names column {name!r} twice", Location(file, 1),
                            hint="give each column one name")
                    for i, name in enumerate(header) if name in header[:i]]
        rows, where, line = [], [], reader.line_num
        for record in reader:
            start, line = line + 1, reader.line_num
            if not record:
                continue  # a blank line
            if len(record) != len(header):
                problems.append(Problem(
                    f"this row has {len(record)} value(s), the header names {len(header)}",
                    Location(file, start), hint="one value per column; quote a value that "
                    "holds a comma (\"a, b\"); an empty value is null"))
                continue
            rows.append({h: (v if v != "" else None) for h, v in zip(header, record,
                                                                       strict=True)})
            where.append(Location(file, start))
    except csv.Error as exc:
        return None, [Problem(f"the CSV file cannot be read: {exc}",
                              Location(file, reader.line_num))]
    return Rows(tuple(header), tuple(rows), tuple(where)), problems


def _json_rows(text: str, file: str) -> tuple[Rows | None, list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem(f"not valid JSON: {exc.msg}", Location(file, exc.lineno, exc.colno))]
    if not isinstance(data, list):
        return None, [Problem("a JSON fixture is a list of objects ([{...}, {...}])",
                              Location(file, 1))]
    return _objects(data, [Location(file, 1)] * len(data), file)


def _json_lines(text: str, file: str) -> tuple[Rows | None, list[Problem]]:
    items, where, problems = [], [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
            where.append(Location(file, n))
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"not valid JSON: {exc.msg}", Location(file, n, exc.colno)))
    rows, more = _objects(items, where, file)
    return rows, problems + more


def _objects(items: list[Any], where: list[Location], file: str,
             ) -> tuple[Rows | None, list[Problem]]:
    columns: dict[str, None] = {}
    rows, kept, problems = [], [], []
    for item, loc in zip(items, where, strict=True):
        if not isinstance(item, dict):
            problems.append(Problem("each row must be an object ({\"column\": value})", loc))
            continue
        columns.update(dict.fromkeys(str(k) for k in item))
        rows.append({str(k): v for k, v in item.items()})
        kept.append(loc)
    return Rows(tuple(columns), tuple(rows), tuple(kept)), problems

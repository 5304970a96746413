"""Proposed source schemas from sample CSV files, once, for `etl init --from` (a person reviews
them; a run never infers).

Plain Python (the csv module, no JVM: `etl init` answers at once, and the same sample always
gives the same proposal). A column gets the narrowest type every non-empty value of the sample
has, among the forms Spark's CSV reader parses with a declared schema and its default options:
`int`/`bigint` (digits, no leading zero: a code like 007 stays text), `double`, `boolean`
(true/false, any case), `date` (YYYY-MM-DD), `timestamp` (YYYY-MM-DD HH:MM[:SS[.ffffff]], `T`
allowed, `Z` or `+HH:MM` allowed); anything else, or nothing at all, is `string`. A value with
spaces around it stays text: Spark would not parse it as a number. The delimiter is sniffed
among `, ; tab |`; a file that is not UTF-8 is read as ISO-8859-1 (and said so); a record over
several lines asks for `multiLine`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime

from framework.errors import UsageError
from framework.names import column_name_problem

MAX_ROWS = 100_000  # rows a proposal reads; a bigger sample proposes from its first rows
MAX_BYTES = 64 * 2**20  # and bytes
_INT = re.compile(r"^[+-]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")
_LEADING_ZERO = re.compile(r"^[+-]?0[0-9]")  # 01234: a code, not a number
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
                        r"(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?$")
_IDENT = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    example: str | None  # the first non-empty value
    key: bool = False  # never empty and never repeated in the whole sample


@dataclass(frozen=True)
class Sample:
    """A sample CSV file and what it proposes."""

    path: str
    id: str  # the source id: the file's stem as an identifier
    columns: tuple[Column, ...]
    rows: tuple[tuple[str | None, ...], ...]  # the first rows, as text (None: empty)
    rows_read: int
    complete: bool  # every row was read (not cut at MAX_ROWS)
    delimiter: str = ","
    encoding: str | None = None  # None: UTF-8
    multiline: bool = False
    bom: bool = False  # starts with a UTF-8 byte order mark (removed when copied)


def source_id(stem: str, taken: set[str]) -> str:
    """A file's stem as an id: letters, digits and '_', starting with a letter, not taken."""
    base = _IDENT.sub("_", stem).strip("_").lower() or "data"
    base = base if base[0].isalpha() else f"t_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def guess_type(values: list[str]) -> str:
    """The narrowest Spark type all these (non-empty) values have."""
    if not values:
        return "string"
    if all(_INT.match(v) for v in values):
        big = max(abs(int(v)) for v in values)
        return "int" if big < 2**31 else "bigint" if big < 2**63 else "string"
    if all(_FLOAT.match(v) and not _LEADING_ZERO.match(v) for v in values):
        return "double"
    if all(v.lower() in ("true", "false") for v in values):
        return "boolean"
    if all(_DATE.match(v) and _valid(date.fromisoformat, v) for v in values):
        return "date"
    if all((_TIMESTAMP.match(v) or _DATE.match(v)) and _valid(datetime.fromisoformat, v)
           for v in values):
        return "timestamp"
    return "string"


def _valid(parse, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def read_sample(path: str, taken: set[str], keep: int = 3) -> Sample:
    """What `path` proposes; a UsageError naming the file when it cannot propose anything."""
    with open(path, "rb") as fh:
        raw = fh.read(MAX_BYTES + 1)
    cut = len(raw) > MAX_BYTES
    if cut:  # whole lines only (and whole characters)
        raw = raw[:raw.rfind(b"\n", 0, MAX_BYTES) + 1]
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text, encoding = raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        text, encoding = raw.decode("iso-8859-1"), "ISO-8859-1"
    delimiter = _delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    _check_header(path, header)
    values: list[list[str]] = [[] for _ in header]  # type: ignore[arg-type]
    rows: list[tuple[str | None, ...]] = []
    count, line, multiline, complete = 0, reader.line_num, False, not cut
    for record in reader:
        multiline = multiline or reader.line_num - line > 1
        line = reader.line_num
        if not record:
            continue
        if count == MAX_ROWS:
            complete = False
            break
        count += 1
        cells = (record + [""] * len(header))[:len(header)]  # type: ignore[arg-type]
        for i, cell in enumerate(cells):
            values[i].append(cell)
        if len(rows) < keep:
            rows.append(tuple(c if c != "" else None for c in cells))
    if not count:
        raise UsageError(f"{path} has a header but no rows",
                         hint="--from proposes column types from sample rows: add a few")
    columns = tuple(_column(name, vals, complete) for name, vals in zip(header, values,
                                                                        strict=True))
    stem = os.path.splitext(os.path.basename(path))[0]
    return Sample(path, source_id(stem, taken), columns, tuple(rows), count, complete,
                  delimiter, encoding, multiline, bom)


def _delimiter(head: str) -> str:
    try:
        lines = "\n".join(head.splitlines()[:20]) + "\n"
        return csv.Sniffer().sniff(lines, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _check_header(path: str, header: list[str] | None) -> None:
    if not header or not any(h.strip() for h in header):
        raise UsageError(f"{path} has no header line",
                         hint="--from needs CSV files whose first line names the columns")
    seen: dict[str, str] = {}
    for name in header:
        problem = column_name_problem(name)
        if problem:
            raise UsageError(f"{path}: {problem}", hint="name every column in the header line")
        if name.casefold() in seen:
            raise UsageError(f"{path}: the header names {seen[name.casefold()]!r} and {name!r}, "
                             "which Spark reads as one column",
                             hint="give each column a name of its own")
        seen[name.casefold()] = name


def _column(name: str, values: list[str], complete: bool) -> Column:
    filled = [v for v in values if v != ""]
    key = complete and len(filled) == len(values) and len(set(filled)) == len(filled)
    return Column(name, guess_type(filled), filled[0] if filled else None, key)

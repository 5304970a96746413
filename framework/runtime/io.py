"""Reading declared sources from files.

This module owns how a `SourceSpec` becomes a DataFrame (`read_source`), how malformed records
are counted, dropped, quarantined or refused (`on_malformed`), and how big a source's files or
a folder are on disk (`path_size`). Generated tables land as files in `landing`.

Malformed records. CSV and JSON are read in PERMISSIVE mode with the declared schema plus an
internal corrupt-record column: a record that does not fit (a bad value, a wrong column count,
broken JSON) keeps its raw text there instead of failing the read or turning into nulls. One
check pass (one Spark job, its counts observed) parses every column of every record and yields
the counts and an example; only when it finds malformed records of a `quarantine` source does
a second pass write them (the quarantine count is read back from its small output). Then:

* no malformed record: the good rows are a plain read with the declared schema, which Spark may
  prune freely (a record that parsed whole also parses in part);
* some: the good rows are the PERMISSIVE read filtered to an empty corrupt column, with a
  predicate that is always true but names every column. Without it, CSV/JSON column pruning
  would parse only the columns a query uses, and a record broken in an unused column would
  count as malformed here yet pass as good there. It also keeps Spark from refusing a query
  that references only the corrupt-record column (e.g. `count()`).

The check pass also counts every record, so a source that reads 0 rows is known (and refused
unless `allow_empty`), and the U+FFFD characters of bytes that did not decode (a warning naming
the `encoding` option; a local UTF-8 CSV file whose bytes all decode and hold no U+FFFD cannot
give one, so its check pass does not count them). Records Spark's readers would lose without a
word are counted apart (`sourcelines`): JSON lines are parsed one row per line, and a line-based
CSV source's files are searched for the lines of control characters Spark's CSV reader skips.
So good + malformed always equals the records in the files, at the cost of one extra parse for
the check; nothing is cached here (the executor caches a source read by several steps). Parquet
has no malformed records. Quarantined records go to a folder of their run, never replaced by a
later one.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.dialects import spark_ident
from framework.errors import DataError, EnvironmentProblem, EtlError, printable
from framework.paths import data_path
from framework.runtime import sourcelines as lines
from framework.runtime import strictdecimal
from framework.spec import FILE_FORMATS, SourceSpec

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import StructType

CORRUPT_COLUMN = "_etl_corrupt_record"
QUARANTINE_DIR = "quarantine"
# enforceSchema off: the header's names must be the declared ones, in order (not just as many)
CSV_READ_DEFAULTS = {"header": "true", "escape": '"', "enforceSchema": "false"}


@dataclass(frozen=True)
class SourceRead:
    """A source read from files: the good rows and what happened to the rest."""

    df: DataFrame  # good rows, exactly the declared columns
    malformed: int = 0
    quarantine_path: str | None = None
    rows: int | None = None  # good rows (None: not counted)
    warnings: tuple[str, ...] = ()  # what the console should say, in full
    notes: tuple[str, ...] = ()  # the same, short, for the run record's task note
    observed: dict[str, Any] | None = None  # the `observe` aggregates over the good rows
    kept: bool = False  # `df` is persisted (read_source's `keep`): the caller unpersists it


# the aggregates a caller wants counted over the good rows by the pass that counts them anyway:
# called with the good rows' frame (to check them against) and the condition that picks the
# good records in the pass (None: every record is good)
Observer = Callable[["DataFrame", "Column | None"], list["Column"]]


def resolve_path(path: str, data_dir: str) -> str:
    """An absolute path or URI stays; a relative path is taken from the data directory."""
    return data_path(data_dir, path)


def read_source(spark: SparkSession, source: SourceSpec, data_dir: str,
                run_id: str | None = None, observe: Observer | None = None,
                keep: str | None = None) -> SourceRead:
    """Read `source` with its declared schema and apply its `on_malformed` policy. Quarantined
    records go to `quarantine/<source>/<run_id>/` (a folder per run: a run that fails later
    never removes the records set aside by the run whose tables are still published).
    `observe`: aggregates over the good rows, counted by the pass that counts the records
    (`SourceRead.observed`; a source's row-wise checks cost no pass of their own). `keep`: a
    storage level: a CSV or JSON source's good rows are persisted by that same pass, so the
    steps read them from the cache instead of parsing the files a second time
    (`SourceRead.kept`; the caller unpersists them)."""
    if source.format not in FILE_FORMATS:
        raise EtlError(f"source {source.id!r}: unknown format {source.format!r}",
                       hint=f"use one of {', '.join(FILE_FORMATS)}")
    local = resolve_path(source.path, data_dir)
    path = _spark_path(source, local)
    if source.format == "parquet":
        df = _read_parquet(spark, source, path)
        if observe is None:
            return _checked_rows(source, path, SourceRead(df=df, rows=df.count()))
        from pyspark.sql import functions as F

        counted = df.agg(F.count(F.lit(1)).alias("rows"), *observe(df, None)).first().asDict()
        return _checked_rows(source, path, SourceRead(df=df, rows=int(counted["rows"]),
                                                      observed=counted))
    lines.check_encoding(source, local, _encoding(source))
    schema = _declared_schema(spark, source, path)
    run = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id or uuid.uuid4().hex).lstrip(".") or "run"
    quarantine = os.path.join(data_dir, QUARANTINE_DIR, source.id, run)
    return _checked_rows(source, path,
                         _apply_policy(spark, source, path, schema, quarantine, observe, keep))


_GLOB_CHARS = re.compile(r"([\\{}\[\]*?])")


def literal_path(path: str) -> str:
    """`path` escaped so that Spark, which takes every path as a glob pattern, reads just it."""
    return _GLOB_CHARS.sub(r"\\\1", path)


def _spark_path(source: SourceSpec, path: str) -> str:
    """The path as Spark should read it. Spark takes every path as a glob pattern, so a local
    path that exists as written is escaped (a folder called `data [old]` is that folder, not a
    character class); one that does not exist is a pattern when it has matches (`in/*.csv`)."""
    if "://" in path:
        return path
    if os.path.exists(path):
        return literal_path(path)
    if _GLOB_CHARS.search(path) and glob.glob(path):
        return path
    if source.generated_by:
        hint = ("the generator's files are gone but its manifest is not: land them again with "
                "etl run --regenerate, or fix `path`")
    else:
        hint = "fix the source's `path` or the --data-dir"
    raise EnvironmentProblem(f"source {source.id!r}: {printable(path)} does not exist", hint=hint)


def _reader_options(source: SourceSpec) -> dict[str, str]:
    base = dict(CSV_READ_DEFAULTS) if source.format == "csv" else {}
    base.update({k: str(v) for k, v in source.options.items()})
    encoding = _encoding(source)
    if encoding and source.format != "parquet":
        base = {k: v for k, v in base.items() if k.lower() not in ("encoding", "charset")}
        base["encoding"] = encoding
        if lines.wide_encoding(encoding) and lines.option(base, "multiLine") is None:
            if source.format == "json":  # multiLine would read one document per file
                raise DataError(
                    message=(f"source {source.id!r}: JSON lines in {encoding} cannot be "
                             f"read line by line"),
                    hint=f"convert the files to UTF-8 (iconv -f {encoding} -t UTF-8), or "
                         f"set options: {{multiLine: true}} when each file is one JSON document",
                    details={"source": source.id, "encoding": encoding})
            base["multiLine"] = "true"  # Spark splits UTF-16/32 CSV into records only this way
    return base


def _encoding(source: SourceSpec) -> str | None:
    """The files' character set: the source's `encoding`, else one given as a reader option."""
    return source.encoding or lines.option(source.options, "encoding") \
        or lines.option(source.options, "charset")


def _read_parquet(spark: SparkSession, source: SourceSpec, path: str) -> DataFrame:
    reader = spark.read.options(**_reader_options(source))
    if source.schema is None:
        return reader.parquet(path)
    return reader.schema(source.schema.ddl()).parquet(path).select(*_cols(source.schema.names()))


def _declared_schema(spark: SparkSession, source: SourceSpec, path: str) -> StructType:
    """The declared schema; without one, the file's own (CSV header: all strings, no pass)."""
    from pyspark.sql.types import StructType

    if source.schema is not None:
        return StructType.fromDDL(source.schema.ddl())
    reader = spark.read.options(**_reader_options(source))
    with _header_mismatch(source):
        found = reader.csv(path).schema if source.format == "csv" else reader.json(path).schema
    internal = (CORRUPT_COLUMN, "_corrupt_record")
    return StructType([f for f in found.fields if f.name not in internal])


def _read_with(
    spark: SparkSession, source: SourceSpec, path: str, schema: StructType, permissive: bool
) -> DataFrame:
    """Read with `schema`; `permissive` adds the corrupt-record column, the file and (JSON lines,
    decimals) the reason a record is malformed. A permissive CSV or JSON read (every JSON lines
    read) takes its decimal columns as text and converts them strictly (`strictdecimal`)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    options = _reader_options(source)
    # decimals as text, converted strictly (Spark's en-US parser drops every comma)
    decimals = strictdecimal.applies(source.format, options, schema)
    if source.format == "json" and lines.line_based(source, options):
        parsed = lines.json_lines(spark, source, path,
                                  strictdecimal.as_text(schema) if decimals else schema,
                                  CORRUPT_COLUMN, options)
        if decimals:
            parsed = strictdecimal.checked(parsed, schema, CORRUPT_COLUMN)
        return parsed if permissive else parsed.filter(F.col(CORRUPT_COLUMN).isNull())
    # a plain read (no malformed records were found) may leave them to Spark: they all convert
    strict = decimals and permissive
    declared = schema
    if permissive:
        read = strictdecimal.as_text(schema) if strict else schema
        schema = StructType([*read.fields, StructField(CORRUPT_COLUMN, StringType(), True)])
        options.update(mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT_COLUMN)
    reader = spark.read.schema(schema).options(**options)
    df = reader.csv(path) if source.format == "csv" else reader.json(path)
    if not permissive:
        return df
    df = df.select("*", F.col("_metadata.file_path").alias(lines.FILE_COLUMN),
                   F.lit(None).cast("string").alias(lines.REASON_COLUMN))
    return strictdecimal.checked(df, declared, CORRUPT_COLUMN) if strict else df


def _apply_policy(spark: SparkSession, source: SourceSpec, path: str, schema: StructType,
                  quarantine: str, observe: Observer | None = None,
                  keep: str | None = None) -> SourceRead:
    """Count every input record as good, malformed (`on_malformed`) or skipped by the reader
    (malformed too), in one pass over the parsed records (one Spark job) plus, for line-based
    CSV, a byte scan of local files (or a pass over the lines of other files). Only when some
    are malformed and the source quarantines them does a second pass write them."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    parsed = _read_with(spark, source, path, schema, permissive=True)
    is_bad = F.col(CORRUPT_COLUMN).isNotNull()
    options = _reader_options(source)
    line_csv = source.format == "csv" and lines.line_based(source, options)
    files = parsed.inputFiles() if line_csv else []
    scanned = lines.control_lines(files, options, _encoding(source)) if line_csv else None
    csv_lines = (lines.csv_line_flags(lines.text_lines(spark, source, path, options), options)
                 if line_csv and scanned is None else None)
    # no U+FFFD to count when the files cannot produce one (known from their bytes)
    replaced = F.lit(0) if line_csv and lines.replacement_free(files, options, _encoding(source)) \
        else _replaced(schema)
    quarantined = None
    # the caller's aggregates over the good records (a record is good or malformed here)
    extra = observe(parsed.select(*_cols(schema.fieldNames())), ~is_bad) if observe else []
    with _header_mismatch(source):  # the first pass over the files checks their headers
        tallies = [F.count(F.lit(1)).alias("total"), F.sum(replaced).alias("replaced"),
                   F.count_if(is_bad).alias("bad"),
                   F.first(F.when(is_bad, F.col(CORRUPT_COLUMN)), ignorenulls=True).alias("ex"),
                   *extra]
        # observed on a query that parses every column and returns nothing: one job of one
        # stage (an aggregation would add a shuffle, which adaptive execution runs as a job)
        seen = Observation(f"check_{source.id}_{uuid.uuid4().hex[:8]}")
        kept = None
        if keep:  # the same pass keeps the good rows, parsed: steps read them from the cache
            from pyspark import StorageLevel

            # (every column is parsed: the cache holds them all)
            kept = (parsed.observe(seen, *tallies).filter(F.col(CORRUPT_COLUMN).isNull())
                    .select(*_cols(schema.fieldNames()))
                    .persist(getattr(StorageLevel, keep)))
            try:
                kept.count()
            except BaseException:
                kept.unpersist()
                raise
        else:
            parsed.observe(seen, *tallies).filter(~_every_column(schema)).collect()
        counted = dict(seen.get)
        count = lines.line_count(csv_lines.agg(*lines.csv_count_columns(options)).first()) \
            if csv_lines is not None else _scan_count(scanned)
        parsed_bad, example = int(counted["bad"]), counted["ex"]
        bad = parsed_bad + (count.skipped if count else 0)
        example = example if example is not None else (count.example if count else None)
        if bad and source.on_malformed == "quarantine":
            bad, example = _quarantine(parsed, csv_lines, scanned, source, schema, quarantine)
            quarantined = quarantine if bad else None
    total = int(counted["total"] or 0)
    good = total - parsed_bad
    # records the reader lost otherwise (counted when the lines were read by Spark)
    unseen = max(count.records - total, 0) if count and count.records is not None else 0
    malformed = bad + unseen
    if malformed and source.on_malformed == "fail":
        if kept is not None:
            kept.unpersist()
        raise _malformed_error(source, malformed, example)
    warnings, notes = [], []
    if unseen:
        warnings.append(f"source {source.id!r}: {unseen} record(s) of {printable(path)} were "
                        f"skipped by Spark's {source.format} reader and are counted as malformed "
                        f"(their text is not known)")
        notes.append(f"{unseen} record(s) skipped by the reader")
    if counted["replaced"]:
        warnings.append(_replaced_warning(source, int(counted["replaced"])))
        notes.append(f"{counted['replaced']} undecodable character(s) replaced by U+FFFD")
    if kept is not None:  # already exactly the declared columns: the cached plan itself
        return SourceRead(kept, malformed, quarantined, good, tuple(warnings), tuple(notes),
                          counted if observe else None, kept=True)
    if not malformed:
        df = _read_with(spark, source, path, schema, permissive=False)
    else:
        df = parsed.filter(F.col(CORRUPT_COLUMN).isNull() & _every_column(schema))
    return SourceRead(df.select(*_cols(schema.fieldNames())), malformed, quarantined, good,
                      tuple(warnings), tuple(notes), counted if observe else None)


def _replaced(schema: StructType) -> Column:
    """U+FFFD characters in a record: in its raw text when malformed, else in its text columns."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    in_columns = F.lit(0)
    for f in schema.fields:
        if isinstance(f.dataType, StringType):
            in_columns = in_columns + lines.replaced_chars(F.col(spark_ident(f.name)))
    return F.when(F.col(CORRUPT_COLUMN).isNotNull(),
                  lines.replaced_chars(F.col(CORRUPT_COLUMN))).otherwise(in_columns)


def _replaced_warning(source: SourceSpec, count: int) -> str:
    encoding = _encoding(source) or "UTF-8"
    return (f"source {source.id!r}: {count} character(s) could not be decoded as {encoding} "
            f"and were replaced by U+FFFD; if the files are in another character set, say which "
            f"with the source's `encoding` (e.g. encoding: ISO-8859-1 or windows-1252)")


def _checked_rows(source: SourceSpec, path: str, read: SourceRead) -> SourceRead:
    """A source that read no rows would publish empty tables in place of the old ones: refused
    unless the source says `allow_empty: true`, and then said loudly."""
    if read.rows != 0:
        return read
    why = f" ({read.malformed} malformed record(s) set aside)" if read.malformed else ""
    where = lines.declared_at(source)
    if not source.allow_empty:
        raise DataError(
            message=f"source {source.id!r}{where}: read 0 rows from {printable(path)}{why}",
            hint="nothing was published: the tables built from it would have been replaced by "
                 "empty ones. Check the input (an empty or header-only file?), or set "
                 "allow_empty: true on the source to publish empty tables",
            details={"source": source.id, "rows": 0, "malformed": read.malformed},
        )
    message = (f"source {source.id!r}: read 0 rows from {printable(path)}{why}; the tables built "
               f"from it will be published empty (allow_empty: true)")
    return SourceRead(read.df, read.malformed, read.quarantine_path, 0,
                      (*read.warnings, message), (*read.notes, "0 rows (allow_empty)"),
                      read.observed, read.kept)


_HEADER_LENGTH = "Number of column in CSV header is not equal to number of fields in the schema"


@contextlib.contextmanager
def _header_mismatch(source: SourceSpec) -> Iterator[None]:
    """Spark's refusals of a CSV header (other names, or another number of columns) as a
    located DataError with both column lists and the file, never Spark's own text."""
    try:
        yield
    except Exception as exc:
        text = str(exc)
        if "CSV header does not conform to the schema" in text:
            found = re.search(r"Header: ([^\n]*)\n\s*Schema: ([^\n]*)", text)
            file = re.search(r"reading file (\S+?)\.?\s", text)
            header, declared = (found.group(1), found.group(2)) if found else ("?", "?")
        elif _HEADER_LENGTH in text:
            file = re.search(r"CSV file: (\S+)", text)
            declared = ", ".join(source.schema.names()) if source.schema else "?"
            length = re.search(r"Header length: (\d+)", text)
            header = _header_of(file.group(1), source) if file else None
            header = header or f"{length.group(1) if length else '?'} columns"
        else:
            raise
        where = lines.declared_at(source)
        shown = printable(file.group(1)) if file else "a file"
        wide = " (this file looks UTF-16 encoded: set encoding: UTF-16 on the source)" \
            if "\x00" in header else ""
        header, declared = printable(header), printable(declared)
        raise DataError(
            message=(f"source {source.id!r}{where}: the header of {shown} names other columns "
                     f"than the schema declares: header {header}; declared {declared}{wide}"),
            hint="declare the columns in the file's order (names match in any case), or set "
                 "options: {enforceSchema: true} to take the columns by position",
            details={"source": source.id, "header": header, "declared": declared,
                     "file": file.group(1) if file else None},
        ) from None


def _header_of(uri: str, source: SourceSpec) -> str | None:
    """The column names in the first non-blank line of a local file, as Spark's CSV reader
    splits them (separator and quote from the source's options); None when unreadable."""
    import csv
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        return None
    try:
        with open(unquote(parsed.path), encoding=_encoding(source) or "utf-8",
                  errors="replace", newline="") as fh:
            first = next((ln for ln in fh if ln.strip()), "")
    except (OSError, LookupError):
        return None
    options = _reader_options(source)
    sep = lines.option(options, "sep") or lines.option(options, "delimiter") or ","
    quote = lines.option(options, "quote") or '"'
    row = next(csv.reader([first.rstrip("\r\n")], delimiter=sep[:1] or ",",
                          quotechar=quote[:1] or '"'), [])
    return ", ".join(row)


def _every_column(schema: StructType) -> Column:
    """Always true, yet refers to every column, so no query can parse a record only in part.
    Spark cannot hash maps, so a column holding one (at any depth) is hashed as its JSON."""
    from pyspark.sql import functions as F

    cols = [F.to_json(F.col(spark_ident(f.name))) if _has_map(f.dataType)
            else F.col(spark_ident(f.name)) for f in schema.fields]
    return F.hash(*cols) >= F.lit(-(2**31))


def _has_map(dtype) -> bool:
    from pyspark.sql.types import ArrayType, MapType, StructType

    if isinstance(dtype, MapType):
        return True
    if isinstance(dtype, ArrayType):
        return _has_map(dtype.elementType)
    if isinstance(dtype, StructType):
        return any(_has_map(f.dataType) for f in dtype.fields)
    return False


def _malformed_error(source: SourceSpec, count: int, example: str | None) -> DataError:
    shown = (example or "").strip()
    shown = printable(shown if len(shown) <= 200 else shown[:200] + "...")
    where = lines.declared_at(source)
    return DataError(
        message=(f"source {source.id!r}{where}: {count} malformed {source.format} record"
                 f"{'s' if count != 1 else ''}; for example: {shown}"),
        hint="set on_malformed: quarantine to keep going (bad records go to the quarantine "
             "folder), or on_malformed: drop to skip them",
        details={"source": source.id, "malformed": count, "example": shown},
    )


def _reason(source: SourceSpec, schema: StructType) -> Column:
    """Why a record was set aside: the reason found while reading, else the declared columns
    that did not survive parsing."""
    from pyspark.sql import functions as F

    nulls = [F.when(F.col(spark_ident(n)).isNull(), F.lit(n)) for n in schema.fieldNames()]
    prefix = f"malformed {source.format} record; "
    return F.concat(F.lit(prefix), F.coalesce(
        F.col(lines.REASON_COLUMN),
        F.concat(F.lit("columns null after parsing: "), F.concat_ws(", ", *nulls))))


def _quarantine(parsed: DataFrame, csv_lines: DataFrame | None,
                scanned: list[tuple[str, str]] | None, source: SourceSpec, schema: StructType,
                target: str) -> tuple[int, str | None]:
    """Write the raw bad records (JSON lines: source, the URI of the file it came from, reason,
    record) to this run's folder `target`: the malformed parsed records, the lines of a CSV
    source read by Spark that its reader skips, and the `scanned` lines of control characters.
    Returns how many were written and one of them. An empty result leaves no folder."""
    from pyspark.sql import functions as F

    out = parsed.filter(F.col(CORRUPT_COLUMN).isNotNull()).select(
        F.lit(source.id).alias("source"), F.col(lines.FILE_COLUMN).alias("file"),
        _reason(source, schema).alias("reason"), F.col(CORRUPT_COLUMN).alias("record"))
    if csv_lines is not None:
        out = out.unionByName(csv_lines.filter(F.col("skipped")).select(
            F.lit(source.id).alias("source"), F.col(lines.FILE_COLUMN).alias("file"),
            F.lit(f"malformed csv record; {lines.SKIPPED_REASON}").alias("reason"),
            F.col("line").alias("record")))
    try:
        out.write.mode("errorifexists").json(target)  # no coalesce: it would serialise the parse
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # a refused header, say: no empty folder left
        raise
    if scanned:  # lines the byte scan found (few): beside Spark's files, in the same format
        with open(os.path.join(target, "part-control-lines.json"), "w", encoding="utf-8") as fh:
            for file, line in scanned:
                fh.write(json.dumps({"source": source.id, "file": file, "reason": (
                    f"malformed csv record; {lines.SKIPPED_REASON}"), "record": line},
                    ensure_ascii=False, separators=(",", ":")) + "\n")
    count, example = _read_back(target)
    if not count:
        shutil.rmtree(target, ignore_errors=True)
    return count, example


def _scan_count(scanned: list[tuple[str, str]] | None) -> lines.LineCount | None:
    """What the byte scan found, as a `LineCount` (the records themselves are not counted)."""
    if scanned is None:
        return None
    return lines.LineCount(None, len(scanned), scanned[0][1] if scanned else None)


def _read_back(folder: str) -> tuple[int, str | None]:
    """Lines in the quarantine's JSON files, and the first record (small: bad rows only)."""
    count, example = 0, None
    for name in sorted(os.listdir(folder)):
        if name.startswith(("_", ".")):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as records:
            for line in records:
                if example is None:
                    example = json.loads(line)["record"]
                count += 1
    return count, example


def _cols(names: tuple[str, ...] | list[str]) -> list[str]:
    return [spark_ident(n) for n in names]


def path_size(path: str) -> int:
    """Bytes on disk of a file or of every file under a folder (symlinks followed at the top)."""
    real = os.path.realpath(path)
    if os.path.isfile(real):
        return os.path.getsize(real)
    total = 0
    for root, _dirs, files in os.walk(real):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total

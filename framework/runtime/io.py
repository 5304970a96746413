"""Reading declared sources from files and landing raw tables to files.

This module owns how a `SourceSpec` becomes a DataFrame (`read_source`), how malformed records
are counted, dropped, quarantined or refused (`on_malformed`), how generated tables land as raw
files (`land_tables`; a generator's folder, its manifest and what it may replace:
`land_generated`, `check_landing`), and how big a folder is on disk (`path_size`).

Malformed records. CSV and JSON are read in PERMISSIVE mode with the declared schema plus an
internal corrupt-record column: a record that does not fit (a bad value, a wrong column count,
broken JSON) keeps its raw text there instead of failing the read or turning into nulls. One
check pass parses every column of every record and yields the count and an example (for
`quarantine`, the pass *is* the quarantine write, and the count is read back from its small
output). Then:

* no malformed record: the good rows are a plain read with the declared schema, which Spark may
  prune freely (a record that parsed whole also parses in part);
* some: the good rows are the PERMISSIVE read filtered to an empty corrupt column, with a
  predicate that is always true but names every column. Without it, CSV/JSON column pruning
  would parse only the columns a query uses, and a record broken in an unused column would
  count as malformed here yet pass as good there. It also keeps Spark from refusing a query
  that references only the corrupt-record column (e.g. `count()`).

So good + malformed always equals the records in the files, at the cost of one extra parse for
the check; nothing is cached here (the executor caches a source read by several steps).
Parquet has no malformed records.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.errors import DataError, EnvironmentProblem, EtlError
from framework.plan import data_path
from framework.spec import FILE_FORMATS, GeneratorSpec, SourceSpec

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import StructType

CORRUPT_COLUMN = "_etl_corrupt_record"
QUARANTINE_DIR = "quarantine"
# enforceSchema off: the header's names must be the declared ones, in order (not just as many)
CSV_READ_DEFAULTS = {"header": "true", "escape": '"', "enforceSchema": "false"}
CSV_WRITE_OPTIONS = {
    "header": "true",
    "quote": '"',
    "escape": '"',  # RFC 4180: a quote inside a field is doubled, which every CSV reader knows
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",  # ISO 8601, microseconds, offset
    "dateFormat": "yyyy-MM-dd",
}


@dataclass(frozen=True)
class SourceRead:
    """A source read from files: the good rows and what happened to the rest."""

    df: DataFrame  # good rows, exactly the declared columns
    malformed: int = 0
    quarantine_path: str | None = None


def resolve_path(path: str, data_dir: str) -> str:
    """An absolute path or URI stays; a relative path is taken from the data directory."""
    return data_path(data_dir, path)


def read_source(spark: SparkSession, source: SourceSpec, data_dir: str) -> SourceRead:
    """Read `source` with its declared schema and apply its `on_malformed` policy."""
    if source.format not in FILE_FORMATS:
        raise EtlError(f"source {source.id!r}: unknown format {source.format!r}",
                       hint=f"use one of {', '.join(FILE_FORMATS)}")
    path = _spark_path(source, resolve_path(source.path, data_dir))
    if source.format == "parquet":
        return SourceRead(df=_read_parquet(spark, source, path))
    schema = _declared_schema(spark, source, path)
    return _apply_policy(spark, source, path, schema, data_dir)


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
    raise EnvironmentProblem(f"source {source.id!r}: {path} does not exist", hint=hint)


def _reader_options(source: SourceSpec) -> dict[str, str]:
    base = dict(CSV_READ_DEFAULTS) if source.format == "csv" else {}
    base.update({k: str(v) for k, v in source.options.items()})
    return base


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
    found = reader.csv(path).schema if source.format == "csv" else reader.json(path).schema
    internal = (CORRUPT_COLUMN, "_corrupt_record")
    return StructType([f for f in found.fields if f.name not in internal])


def _read_with(
    spark: SparkSession, source: SourceSpec, path: str, schema: StructType, permissive: bool
) -> DataFrame:
    """Read with `schema`; `permissive` adds the corrupt-record column."""
    from pyspark.sql.types import StringType, StructField, StructType

    options = _reader_options(source)
    if permissive:
        schema = StructType([*schema.fields, StructField(CORRUPT_COLUMN, StringType(), True)])
        options.update(mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT_COLUMN)
    reader = spark.read.schema(schema).options(**options)
    return reader.csv(path) if source.format == "csv" else reader.json(path)


def _apply_policy(
    spark: SparkSession, source: SourceSpec, path: str, schema: StructType, data_dir: str
) -> SourceRead:
    from pyspark.sql import functions as F

    parsed = _read_with(spark, source, path, schema, permissive=True)
    bad = parsed.filter(F.col(CORRUPT_COLUMN).isNotNull())
    quarantine = None
    with _header_mismatch(source):  # the first pass over the files checks their headers
        if source.on_malformed == "quarantine":
            quarantine = os.path.join(data_dir, QUARANTINE_DIR, source.id)
            count, example = _quarantine(bad, source, schema, quarantine)
        else:
            count, example = _count_bad(bad, schema)
    if count and source.on_malformed == "fail":
        raise _malformed_error(source, count, example)
    if not count:
        good = _read_with(spark, source, path, schema, permissive=False)
        return SourceRead(df=good.select(*_cols(schema.fieldNames())))
    good = parsed.filter(F.col(CORRUPT_COLUMN).isNull() & _every_column(schema))
    return SourceRead(good.select(*_cols(schema.fieldNames())), count, quarantine)


@contextlib.contextmanager
def _header_mismatch(source: SourceSpec) -> Iterator[None]:
    """Spark's "CSV header does not conform to the schema" as a located DataError."""
    try:
        yield
    except Exception as exc:
        text = str(exc)
        if "CSV header does not conform to the schema" not in text:
            raise
        found = re.search(r"Header: ([^\n]*)\n\s*Schema: ([^\n]*)", text)
        file = re.search(r"reading file (\S+?)\.?\s", text)
        where = f" (declared at {source.loc})" if source.loc else ""
        header, declared = (found.group(1), found.group(2)) if found else ("?", "?")
        raise DataError(
            message=(f"source {source.id!r}{where}: the header of "
                     f"{file.group(1) if file else 'a file'} names other columns than the "
                     f"schema declares: header {header}; declared {declared}"),
            hint="declare the columns in the file's order (names match in any case), or set "
                 "options: {enforceSchema: true} to take the columns by position",
            details={"source": source.id, "header": header, "declared": declared},
        ) from None


def _every_column(schema: StructType) -> Column:
    """Always true, yet refers to every column, so no query can parse a record only in part.
    Spark cannot hash maps, so a column holding one (at any depth) is hashed as its JSON."""
    from pyspark.sql import functions as F

    cols = [F.to_json(F.col(f"`{f.name}`")) if _has_map(f.dataType) else F.col(f"`{f.name}`")
            for f in schema.fields]
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


def _count_bad(bad: DataFrame, schema: StructType) -> tuple[int, str | None]:
    """Malformed count and one example raw record, in one pass parsing every column."""
    from pyspark.sql import functions as F

    row = bad.filter(_every_column(schema)).agg(
        F.count(F.lit(1)).alias("n"), F.first(CORRUPT_COLUMN).alias("ex")).first()
    return int(row["n"]), row["ex"]


def _malformed_error(source: SourceSpec, count: int, example: str | None) -> DataError:
    shown = (example or "").strip()
    shown = shown if len(shown) <= 200 else shown[:200] + "..."
    where = f" (declared at {source.loc})" if source.loc else ""
    return DataError(
        message=(f"source {source.id!r}{where}: {count} malformed {source.format} record"
                 f"{'s' if count != 1 else ''}; for example: {shown}"),
        hint="set on_malformed: quarantine to keep going (bad records go to the quarantine "
             "folder), or on_malformed: drop to skip them",
        details={"source": source.id, "malformed": count, "example": shown},
    )


def _reason(source: SourceSpec, schema: StructType) -> Column:
    """Why a record was set aside: the declared columns that did not survive parsing."""
    from pyspark.sql import functions as F

    nulls = [F.when(F.col(f"`{n}`").isNull(), F.lit(n)) for n in schema.fieldNames()]
    prefix = f"malformed {source.format} record; columns null after parsing: "
    return F.concat(F.lit(prefix), F.concat_ws(", ", *nulls))


def _quarantine(
    bad: DataFrame, source: SourceSpec, schema: StructType, target: str
) -> tuple[int, str | None]:
    """Write the raw bad records (JSON lines: source, the URI of the file it came from, reason,
    record), replacing the last run's; return how many were written and one of them. An empty
    result leaves no folder."""
    from pyspark.sql import functions as F

    out = bad.select(F.lit(source.id).alias("source"), F.col("_metadata.file_path").alias("file"),
                     _reason(source, schema).alias("reason"),
                     F.col(CORRUPT_COLUMN).alias("record"))
    out.write.mode("overwrite").json(target)  # no coalesce: it would serialise the whole parse
    count, example = _read_back(target)
    if not count:
        shutil.rmtree(target, ignore_errors=True)
    return count, example


def _read_back(folder: str) -> tuple[int, str | None]:
    """Lines in the quarantine's JSON files, and the first record (small: bad rows only)."""
    count, example = 0, None
    for name in sorted(os.listdir(folder)):
        if name.startswith(("_", ".")):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as lines:
            for line in lines:
                if example is None:
                    example = json.loads(line)["record"]
                count += 1
    return count, example


def _cols(names: tuple[str, ...] | list[str]) -> list[str]:
    return [f"`{n}`" for n in names]


# -- landing -------------------------------------------------------------------------------------
MANIFEST = "_generator.json"  # what a generator landed in its folder, and with which parameters
_LEFTOVER = re.compile(r"^\..+\.(landing|old)-[0-9a-f]+$")  # a killed landing's own folders
_OWN_FILE = re.compile(rf"^{re.escape(MANIFEST)}(\.\d+\.tmp)?$")  # and its next copy
_SPARK_FILE = re.compile(r"^(part-.*|_SUCCESS|\.part-.*\.crc|\._SUCCESS\.crc)$")


def land_tables(tables: dict[str, DataFrame], folder: str, fmt: str,
                threads: int = 1) -> dict[str, str]:
    """Write each table to `<folder>/<name>` as csv/json/parquet, swapping each in whole, up to
    `threads` tables at once (a small table's write fills the gaps of a big one's).

    Each table is written beside its target (`.<name>.landing-*`) and renamed into place, so a
    reader never sees half a table. Returns table name -> path.
    """
    if fmt not in FILE_FORMATS:
        raise EtlError(f"unknown landing format {fmt!r}",
                       hint=f"use one of {', '.join(FILE_FORMATS)}")
    os.makedirs(folder, exist_ok=True)
    if threads <= 1 or len(tables) <= 1:
        return {name: _land_one(df, folder, name, fmt) for name, df in tables.items()}
    from concurrent.futures import ThreadPoolExecutor

    from pyspark import inheritable_thread_target

    land = inheritable_thread_target(_land_one)  # the writes keep the task's job group
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="etl-land") as pool:
        futures = {name: pool.submit(land, df, folder, name, fmt) for name, df in tables.items()}
        return {name: future.result() for name, future in futures.items()}


def _land_one(df: DataFrame, folder: str, name: str, fmt: str) -> str:
    target = os.path.join(folder, name)
    _remove_leftovers(folder, name)
    aside = os.path.join(folder, f".{name}.landing-{uuid.uuid4().hex[:12]}")
    try:
        writer = df.write.mode("errorifexists")
        if fmt == "csv":
            writer.options(**CSV_WRITE_OPTIONS).csv(aside)
        else:
            getattr(writer, fmt)(aside)
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    _drop_checksums(aside)
    _swap_dir(aside, target)
    return target


def _drop_checksums(folder: str) -> None:
    """Remove the hidden `.<file>.crc` checksums Hadoop's local file system writes beside each
    file. A read checks a file against its checksum when there is one, so a landed file fixed by
    hand would fail to read (FAILED_READ_FILE); landed files carry none."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if name.startswith(".") and name.endswith(".crc"):
                os.remove(os.path.join(root, name))


def _remove_leftovers(folder: str, name: str) -> None:
    """Remove what a killed landing of `name` left behind (`.<name>.landing-*`, `.<name>.old-*`)."""
    for entry in os.listdir(folder):
        if entry.startswith((f".{name}.landing-", f".{name}.old-")):
            shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)


def _swap_dir(new: str, target: str) -> None:
    """Put `new` at `target`: the old one is renamed away first, then deleted."""
    old = None
    if os.path.lexists(target):
        old = f"{os.path.dirname(target)}/.{os.path.basename(target)}.old-{uuid.uuid4().hex[:12]}"
        os.replace(target, old)
    os.replace(new, target)
    if old:
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.remove(old)


# -- a generator's landing folder ----------------------------------------------------------------
# The folder belongs to the generator: landing replaces the table folders in it whole. Its
# manifest lists every file the generator wrote there, so a file it did not write is refused
# before anything is replaced. While tables are being landed the manifest names them instead of
# the parameters, so a landing killed half-way is landed again, and its files are still known.


def landed_with(folder: str, wanted: dict[str, Any]) -> bool:
    """The folder's manifest says its tables were landed with exactly `wanted` (generator,
    params, format)."""
    manifest, wanted = _manifest(folder), json.loads(json.dumps(wanted, default=str))  # as kept
    return all(k in manifest for k in wanted) and {k: manifest[k] for k in wanted} == wanted


def check_landing(folder: str, gen: GeneratorSpec) -> None:
    """Refuse to land into `folder` while it holds files the generator did not write: landing
    would replace the folders they are in (or the files themselves), and they would be gone.
    An empty folder, or one holding only empty folders, is fine."""
    foreign = _foreign_files(folder)
    if not foreign:
        return
    loc = gen.locs.get("landing.path", gen.loc)
    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    raise EtlError(
        f"{f'{loc}: ' if loc else ''}generator {gen.id!r} lands its tables in {folder}, which "
        f"holds {len(foreign)} file{'s' if len(foreign) != 1 else ''} it did not write: {shown}. "
        f"Landing replaces the folders there and would delete them; nothing was changed",
        hint=f"move those files out of {folder}, or give the generator a landing folder of its "
             f"own (landing: {{path: ...}}, a new or empty folder)")


def land_generated(tables: dict[str, DataFrame], folder: str, fmt: str, threads: int,
                   wanted: dict[str, Any]) -> dict[str, str]:
    """`land_tables` for a generator: the manifest names the tables while they land, then lists
    every file in the folder with the parameters they were landed with (`wanted`). Call
    `check_landing` first: every file found here is then the generator's own."""
    from framework.runtime.record import write_json

    os.makedirs(folder, exist_ok=True)
    manifest = os.path.join(folder, MANIFEST)
    write_json(manifest, {"landing": sorted(tables), "files": _files_in(folder)})
    paths = land_tables(tables, folder, fmt, threads)
    write_json(manifest, {**wanted, "files": _files_in(folder)})
    return paths


def _manifest(folder: str) -> dict[str, Any]:
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _files_in(folder: str) -> list[str]:
    """Every file under `folder` but the manifest, as relative paths (`/`-separated), sorted."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel = os.path.relpath(root, folder)
        dirs.sort()
        found += [name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
                  for name in files]
    return sorted(f for f in found if not _OWN_FILE.match(f))


def _foreign_files(folder: str) -> list[str]:
    """Files under `folder` its manifest does not vouch for. A manifest from before manifests
    listed files vouches for the files Spark writes (`part-*`, `_SUCCESS`) in table folders."""
    if not os.path.isdir(folder):
        return []
    manifest = _manifest(folder)
    listed = manifest.get("files")
    listed = {f for f in listed if isinstance(f, str)} if isinstance(listed, list) else set()
    landing = manifest.get("landing")
    landing = {t for t in landing if isinstance(t, str)} if isinstance(landing, list) else set()
    legacy = "generator" in manifest and "files" not in manifest
    foreign = []
    for rel in _files_in(folder):
        top, _, rest = rel.partition("/")
        if _LEFTOVER.match(top) and rest:  # what a killed landing left: removed when it lands
            continue
        if rel in listed or (rest and top in landing):
            continue
        if legacy and rest and _SPARK_FILE.match(os.path.basename(rel)):
            continue
        foreign.append(rel)
    return foreign


def path_size(path: str) -> int:
    """Bytes on disk of a file or of every file under a folder (symlinks followed at the top)."""
    real = os.path.realpath(path)
    if os.path.isfile(real):
        return os.path.getsize(real)
    total = 0
    for root, _dirs, files in os.walk(real):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total

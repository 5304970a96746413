"""Reading declared sources from files and landing raw tables to files.

This module owns how a `SourceSpec` becomes a DataFrame (`read_source`), how malformed records
are counted, dropped, quarantined or refused (`on_malformed`), how generated tables land as raw
files (`land_tables`), and how big a folder is on disk (`path_size`).

Malformed records. CSV and JSON are read in PERMISSIVE mode with the declared schema plus an
internal corrupt-record column, so a record that does not fit (bad value, wrong column count,
broken JSON) keeps its raw text there instead of failing the read or vanishing. The parsed frame
is persisted once (MEMORY_AND_DISK) before anything looks at it, for two reasons:

* Spark refuses queries that reference only the corrupt-record column of a raw file, and
* with CSV/JSON column pruning, a query that reads few columns only parses those, so the same
  record could count as malformed in one query and good in another. Parsing once into the cache
  makes "malformed" a property of the record, so good + malformed always equals the records read.

One aggregation over the cache yields the malformed count and an example; the quarantine write
happens only when there is something to write. Downstream steps read the cache, not the files.
Call `SourceRead.release()` when the source is no longer needed. Parquet has no malformed records.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framework.errors import DataError, EnvironmentProblem, EtlError
from framework.spec import FILE_FORMATS, SourceSpec

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import StructType

CORRUPT_COLUMN = "_etl_corrupt_record"
QUARANTINE_DIR = "quarantine"
CSV_READ_DEFAULTS = {"header": "true", "escape": '"'}
CSV_WRITE_OPTIONS = {
    "header": "true",
    "quote": '"',
    "escape": '"',  # RFC 4180: a quote inside a field is doubled, which every CSV reader knows
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",  # ISO 8601, microseconds, offset
    "dateFormat": "yyyy-MM-dd",
}


@dataclass
class SourceRead:
    """A source read from files: the good rows and what happened to the rest."""

    df: DataFrame  # good rows, exactly the declared columns
    malformed: int = 0
    quarantine_path: str | None = None
    _persisted: Any = field(default=None, repr=False)

    def release(self) -> None:
        """Drop the cached parse once no step needs this source any more."""
        if self._persisted is not None:
            self._persisted.unpersist()
            self._persisted = None


def resolve_path(path: str, data_dir: str) -> str:
    """An absolute path or URI stays; a relative path is taken from the data directory."""
    if "://" in path or os.path.isabs(path):
        return path
    return os.path.join(data_dir, path)


def read_source(spark: SparkSession, source: SourceSpec, data_dir: str) -> SourceRead:
    """Read `source` with its declared schema and apply its `on_malformed` policy."""
    if source.format not in FILE_FORMATS:
        raise EtlError(f"source {source.id!r}: unknown format {source.format!r}",
                       hint=f"use one of {', '.join(FILE_FORMATS)}")
    path = resolve_path(source.path, data_dir)
    _check_exists(source, path)
    if source.format == "parquet":
        return SourceRead(df=_read_parquet(spark, source, path))
    schema = _declared_schema(spark, source, path)
    parsed = _read_permissive(spark, source, path, schema)
    return _apply_policy(parsed, source, schema, data_dir)


def _check_exists(source: SourceSpec, path: str) -> None:
    if "://" not in path and not os.path.exists(path):
        hint = ("run the generator that lands it first (etl run), or fix `path`"
                if source.generated_by else "fix the source's `path` or the --data-dir")
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


def _read_permissive(
    spark: SparkSession, source: SourceSpec, path: str, schema: StructType
) -> DataFrame:
    from pyspark.sql.types import StringType, StructField, StructType

    full = StructType([*schema.fields, StructField(CORRUPT_COLUMN, StringType(), True)])
    options = _reader_options(source)
    options.update(mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT_COLUMN)
    reader = spark.read.schema(full).options(**options)
    return reader.csv(path) if source.format == "csv" else reader.json(path)


def _apply_policy(
    parsed: DataFrame, source: SourceSpec, schema: StructType, data_dir: str
) -> SourceRead:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    parsed.unpersist(blocking=True)  # a cache of an earlier read of the same files is stale
    cached = parsed.persist(StorageLevel.MEMORY_AND_DISK)
    bad = cached.filter(F.col(CORRUPT_COLUMN).isNotNull())
    count, example = _count_bad(bad)
    good = cached.filter(F.col(CORRUPT_COLUMN).isNull()).select(*_cols(schema.fieldNames()))
    result = SourceRead(df=good, malformed=count, _persisted=cached)
    if count and source.on_malformed == "fail":
        result.release()
        raise _malformed_error(source, count, example)
    if source.on_malformed == "quarantine":
        result.quarantine_path = _quarantine(bad, source, schema, data_dir, count)
    return result


def _count_bad(bad: DataFrame) -> tuple[int, str | None]:
    """Malformed count and one example raw record, in a single job over the cache."""
    from pyspark.sql import functions as F

    row = bad.agg(F.count(F.lit(1)).alias("n"), F.first(CORRUPT_COLUMN).alias("ex")).first()
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
    bad: DataFrame, source: SourceSpec, schema: StructType, data_dir: str, count: int
) -> str | None:
    """Write the raw bad records (JSON lines: source, reason, record); replace the last run's."""
    from pyspark.sql import functions as F

    target = os.path.join(data_dir, QUARANTINE_DIR, source.id)
    if not count:
        shutil.rmtree(target, ignore_errors=True)
        return None
    out = bad.select(F.lit(source.id).alias("source"), _reason(source, schema).alias("reason"),
                     F.col(CORRUPT_COLUMN).alias("record"))
    out.coalesce(1).write.mode("overwrite").json(target)
    return target


def _cols(names: tuple[str, ...] | list[str]) -> list[str]:
    return [f"`{n}`" for n in names]


# -- landing -------------------------------------------------------------------------------------


def land_tables(tables: dict[str, DataFrame], folder: str, fmt: str) -> dict[str, str]:
    """Write each table to `<folder>/<name>` as csv/json/parquet, swapping each in whole.

    Each table is written beside its target (`.<name>.landing-*`) and renamed into place, so a
    reader never sees half a table. Returns table name -> path.
    """
    if fmt not in FILE_FORMATS:
        raise EtlError(f"unknown landing format {fmt!r}",
                       hint=f"use one of {', '.join(FILE_FORMATS)}")
    os.makedirs(folder, exist_ok=True)
    return {name: _land_one(df, folder, name, fmt) for name, df in tables.items()}


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
    _swap_dir(aside, target)
    return target


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


def path_size(path: str) -> int:
    """Bytes on disk of a file or of every file under a folder (symlinks followed at the top)."""
    real = os.path.realpath(path)
    if os.path.isfile(real):
        return os.path.getsize(real)
    total = 0
    for root, _dirs, files in os.walk(real):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total

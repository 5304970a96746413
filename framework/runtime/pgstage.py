"""Staging a sink's rows for PostgreSQL: the Parquet files `framework.runtime.pgload.publish`
COPYs from.

For a sink published to Parquet those are the files of the version just published, read by
pyarrow as they are (`framework.runtime.pgcopy`): no Spark job, no copy. Spark writes a Parquet
copy into the warehouse's `.staging/` folder only when pyarrow could not read the rows as Spark
means them: a sink not published to Parquet, nested columns (written as Spark's JSON), partition
columns of a timestamp or binary type (their folder names are not the values PostgreSQL should
parse), or a session that writes dates and timestamps rebased to the legacy calendar. Staging
never touches PostgreSQL; the copy is removed after the load (`discard`), or by the next run's
clean-up.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.dialects import pg_type, spark_ident
from framework.errors import EtlError
from framework.names import pg_identifier_problem
from framework.runtime.pgcopy import ParquetRows

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from framework.runtime.publish import PublishResult
    from framework.spec import SinkSpec

# nested values as Spark's JSON: null fields kept, timestamps to the microsecond
JSON_OPTIONS = {"ignoreNullFields": "false", "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"}
TIMESTAMP_TEXT = "yyyy-MM-dd HH:mm:ss.SSSSSSXXX"  # Spark's timestamp as text, with its zone
TIMESTAMP_NTZ_TEXT = "yyyy-MM-dd HH:mm:ss.SSSSSS"
REBASE_SETTINGS = ("spark.sql.parquet.datetimeRebaseModeInWrite",
                   "spark.sql.parquet.int96RebaseModeInWrite")
# Spark types pyarrow reads from Parquet as Spark means them, and those of partition folders
# (not `char`: Spark pads its values when it reads them)
ARROW_TYPES = ("boolean", "byte", "short", "integer", "long", "float", "double", "decimal",
               "string", "varchar", "date", "timestamp", "timestamp_ntz", "binary")
PARTITION_TYPES = ("boolean", "byte", "short", "integer", "long", "float", "double", "decimal",
                   "string", "varchar", "date")


@dataclass(frozen=True)
class StagedTable:
    """A sink's rows, waiting in Parquet files for `publish`, and how many there are."""

    sink: SinkSpec
    source: ParquetRows
    rows: int
    seconds: float = 0.0


def stage_published(spark: Any, df: DataFrame, published: PublishResult, sink: SinkSpec,
                    staging_root: str) -> StagedTable:
    """The rows PostgreSQL gets from a sink also published to Parquet, from the version just
    published (so both stores hold the same rows): the whole table for `overwrite`; for `append`
    and `overwrite_partitions` only the files this publish wrote, since the rest came from the
    previous version, which PostgreSQL already holds. Read by pyarrow as they are when it can
    (`arrow_ready`), else copied by Spark (`stage_table`)."""
    check_columns(df.columns, sink)
    if not arrow_ready(spark, df, sink):
        rows, expected = read_published(spark, df, published, sink.mode)
        return stage_table(rows, sink, staging_root, expected)
    columns = tuple((f.name, pg_type(f.dataType)) for f in df.schema.fields)
    version = os.path.realpath(published.path)
    if sink.mode == "overwrite":
        return StagedTable(sink, ParquetRows(version, columns, sink.partition_by), published.rows)
    return StagedTable(sink, ParquetRows(version, columns, sink.partition_by, published.written),
                       published.written_rows)


def arrow_ready(spark: Any, df: DataFrame, sink: SinkSpec) -> bool:
    """Whether pyarrow reads the published files as Spark means them: flat columns only,
    partition values it can take from folder names as they are, and dates and timestamps not
    rebased to the legacy calendar (spark.sql.parquet.*RebaseModeInWrite = LEGACY)."""
    if any(str(spark.conf.get(key, "CORRECTED")).upper() == "LEGACY" for key in REBASE_SETTINGS):
        return False
    for field in df.schema.fields:
        allowed = PARTITION_TYPES if field.name in sink.partition_by else ARROW_TYPES
        if field.dataType.typeName() not in allowed:
            return False
    return True


def stage_table(df: DataFrame, sink: SinkSpec, staging_root: str,
                expected_rows: int | None = None) -> StagedTable:
    """Spark writes `df` as Parquet into a folder of its own under `staging_root`, in the form
    `copy_rows` reads (nested columns as JSON, dates and timestamps as text), counting the rows
    while writing; the folder is removed after the load."""
    check_columns(df.columns, sink)
    t0 = time.monotonic()
    folder = os.path.join(staging_root, f"{sink.table}-postgres-{secrets.token_hex(4)}")
    try:
        rows = _write_parquet(df, folder)
        if expected_rows is not None and rows != expected_rows:
            raise EtlError(f"sink {sink.table!r}: {rows} rows staged for PostgreSQL, "
                           f"{expected_rows} expected", hint="rerun the sink")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    columns = tuple((f.name, pg_type(f.dataType)) for f in df.schema.fields)
    return StagedTable(sink, ParquetRows(folder, columns, scratch=True), rows,
                       round(time.monotonic() - t0, 3))


def discard(staged: list[StagedTable]) -> None:
    """Remove the Parquet copies Spark wrote for these tables (never the published ones)."""
    for table in staged:
        if table.source.scratch:
            shutil.rmtree(table.source.folder, ignore_errors=True)


def check_columns(columns: list[str], sink: SinkSpec) -> None:
    """Refuse, before anything is written, a column PostgreSQL would not keep as written: it
    cuts names to 63 bytes, so a long name would change and two sharing their first 63 bytes
    would be one column."""
    for name in columns:
        if reason := pg_identifier_problem(name):
            raise EtlError(f"sink {sink.table!r}: column {name!r} {reason}",
                           hint="rename the column in a step before the sink (transform: "
                                "rename, or `as` in SQL); nothing was loaded")


def read_published(spark: Any, df: DataFrame, published: PublishResult,
                   mode: str) -> tuple[DataFrame, int]:
    """The rows of `stage_published` read back by Spark, and how many there are."""
    from framework.runtime.io import literal_path

    version = os.path.realpath(published.path)
    columns = [spark_ident(c) for c in df.columns]
    if mode == "overwrite":
        return spark.read.schema(df.schema).parquet(literal_path(version)).select(*columns), \
            published.rows
    if not published.written:
        return df.limit(0), 0
    files = [literal_path(os.path.join(version, rel)) for rel in published.written]
    reader = spark.read.schema(df.schema).option("basePath", version)  # keeps partition columns
    return reader.parquet(*files).select(*columns), published.written_rows


def _write_parquet(df: DataFrame, folder: str) -> int:
    """Write `df` as Parquet pyarrow reads as Spark means it; return the rows written (counted
    while writing)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    cols = []
    for field in df.schema.fields:
        col = F.col(spark_ident(field.name))
        if isinstance(field.dataType, T.ArrayType | T.MapType | T.StructType):
            col = F.to_json(col, JSON_OPTIONS)
        elif isinstance(field.dataType, T.TimestampNTZType):
            col = F.date_format(col, TIMESTAMP_NTZ_TEXT)
        elif isinstance(field.dataType, T.TimestampType):
            col = F.date_format(col, TIMESTAMP_TEXT)
        elif isinstance(field.dataType, T.DateType):
            col = col.cast("string")
        cols.append(col.alias(field.name))
    counted = Observation("postgres-staging")
    out = df.select(*cols).observe(counted, F.count(F.lit(1)).alias("rows"))
    out.write.mode("overwrite").parquet(folder)
    return int(counted.get["rows"])

"""Loading a sink table into PostgreSQL: COPY into a staging table, swap it in, one transaction.

This module owns the PostgreSQL side of a sink with `targets: [..., postgres]`:

1. Spark writes the table as CSV part files into a staging folder beside the warehouse
   (RFC 4180 quoting; an empty string is written quoted and a null as nothing, which is exactly
   how PostgreSQL's CSV COPY tells them apart; nested values as JSON, binary as bytea hex).
2. One connection, one transaction:
   `CREATE TABLE <schema>."_etl_load_<table>_<token>"`, `COPY ... FROM STDIN` of every part file
   (streamed from disk, never held in memory), a row-count check, then by mode:
   * overwrite: the views that depend on the table (at any depth) are remembered with their
     definitions, the table is dropped with them, the staging table takes its name and the views
     are created again;
   * append: `INSERT INTO <table> SELECT ... FROM <staging>` (the columns must match);
   * overwrite_partitions: rows whose partition values occur in the new data are deleted, then
     the new rows inserted.
3. COMMIT. Any error rolls everything back: PostgreSQL's DDL is transactional, so readers keep
   seeing the old table and its views until the commit, and a failed or killed load leaves no
   trace but the staging folder, which the next run's clean-up removes.

Identifiers are validated names, quoted with psycopg2's `sql.Identifier`. The DSN is never
logged: every message that leaves this module goes through `mask_text`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.errors import EnvironmentProblem, EtlError
from framework.masking import mask_text

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from framework.spec import SinkSpec

LOCK_TIMEOUT = "60s"  # waiting longer for readers to let go of the table is an error
CSV_OPTIONS = {
    "header": "false",
    "quote": '"',
    "escape": '"',  # a quote inside a field is doubled, as PostgreSQL's CSV expects
    "nullValue": "",  # null: nothing between the commas
    "emptyValue": '""',  # an empty string: two quotes (COPY reads this as '', not NULL)
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "timestampNTZFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSS",
    "dateFormat": "yyyy-MM-dd",
    "lineSep": "\n",
}


@dataclass(frozen=True)
class PostgresTarget:
    dsn: str
    schema: str = "public"


@dataclass(frozen=True)
class LoadResult:
    table: str  # schema.table
    rows: int
    seconds: float
    views: tuple[str, ...] = ()  # views created again after the swap


def pg_type(dtype: Any) -> str:
    """The PostgreSQL column type for a Spark type."""
    from pyspark.sql import types as T

    simple = [(T.BooleanType, "boolean"), (T.ByteType, "smallint"), (T.ShortType, "smallint"),
              (T.IntegerType, "integer"), (T.LongType, "bigint"), (T.FloatType, "real"),
              (T.DoubleType, "double precision"), (T.DateType, "date"),
              (T.TimestampNTZType, "timestamp"), (T.TimestampType, "timestamptz"),
              (T.BinaryType, "bytea"), (T.StringType, "text")]
    for spark_type, name in simple:
        if isinstance(dtype, spark_type):
            return name
    if isinstance(dtype, T.DecimalType):
        return f"numeric({dtype.precision},{dtype.scale})"
    if isinstance(dtype, T.ArrayType | T.MapType | T.StructType):
        return "jsonb"
    if isinstance(dtype, T.VarcharType | T.CharType):
        return "text"
    raise EtlError(f"no PostgreSQL column type for Spark type {dtype.simpleString()}",
                   hint="cast the column in a step before the sink (to string, say)")


def check_connection(target: PostgresTarget) -> None:
    """Connect once and run `select 1`: a wrong DSN fails before any Spark work."""
    with _connect(target) as conn, conn.cursor() as cur:
        cur.execute("select 1")


def load_table(df: DataFrame, target: PostgresTarget, sink: SinkSpec, staging_root: str,
               expected_rows: int | None = None) -> LoadResult:
    """Load `df` into `<schema>.<sink.table>` as the sink's mode says; all or nothing."""
    t0 = time.monotonic()
    folder = os.path.join(staging_root, f"{sink.table}-postgres-{secrets.token_hex(4)}")
    try:
        rows_written = _write_csv(df, folder)
        if expected_rows is not None and rows_written != expected_rows:
            raise EtlError(f"sink {sink.table!r}: {rows_written} rows staged for PostgreSQL, "
                           f"{expected_rows} expected", hint="rerun the sink")
        columns = [(f.name, pg_type(f.dataType)) for f in df.schema.fields]
        loaded, views = _load(target, sink, columns, _part_files(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if loaded != rows_written:
        raise EtlError(f"sink {sink.table!r}: PostgreSQL took {loaded} of {rows_written} rows",
                       hint="rerun the sink; the table was left as it was")
    return LoadResult(f"{target.schema}.{sink.table}", loaded,
                      round(time.monotonic() - t0, 3), views)


# -- Spark side ------------------------------------------------------------------------------------
def _write_csv(df: DataFrame, folder: str) -> int:
    """Write `df` as CSV COPY can read; return the rows written (counted while writing)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    cols = []
    for field in df.schema.fields:
        col = F.col(f"`{field.name}`")
        if isinstance(field.dataType, T.ArrayType | T.MapType | T.StructType):
            col = F.to_json(col)
        elif isinstance(field.dataType, T.BinaryType):
            col = F.concat(F.lit("\\x"), F.lower(F.hex(col)))
        cols.append(col.alias(field.name))
    counted = Observation("postgres-staging")
    out = df.select(*cols).observe(counted, F.count(F.lit(1)).alias("rows"))
    out.write.mode("overwrite").options(**CSV_OPTIONS).csv(folder)
    return int(counted.get["rows"])


def _part_files(folder: str) -> list[str]:
    return sorted(os.path.join(folder, n) for n in os.listdir(folder)
                  if not n.startswith((".", "_")) and os.path.getsize(os.path.join(folder, n)))


# -- PostgreSQL side -------------------------------------------------------------------------------
@contextmanager
def _connect(target: PostgresTarget) -> Iterator[Any]:
    import psycopg2

    try:
        conn = psycopg2.connect(target.dsn, connect_timeout=10, application_name="sparketl")
    except psycopg2.Error as exc:
        raise EnvironmentProblem(
            f"cannot connect to PostgreSQL ({mask_text(target.dsn)}): "
            f"{mask_text(str(exc).strip())}",
            hint="check warehouse.postgres.dsn (and the environment variable it reads) and that "
                 "the server is up") from None
    try:
        with conn:  # commit on success, roll back on any error
            yield conn
    finally:
        conn.close()


def _load(target: PostgresTarget, sink: SinkSpec, columns: list[tuple[str, str]],
          files: list[str]) -> tuple[int, tuple[str, ...]]:
    import psycopg2
    from psycopg2 import sql

    table = sql.Identifier(target.schema, sink.table)
    stage_name = f"_etl_load_{secrets.token_hex(3)}_{sink.table}"[:63]  # PostgreSQL: 63 bytes
    stage = sql.Identifier(target.schema, stage_name)
    try:
        with _connect(target) as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
            cur.execute(sql.SQL("create schema if not exists {}").format(
                sql.Identifier(target.schema)))
            cur.execute(sql.SQL("create table {} ({})").format(stage, sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                for name, kind in columns)))
            copy = sql.SQL("copy {} from stdin with (format csv)").format(stage)
            loaded = 0
            for path in files:
                with open(path, "rb") as fh:
                    cur.copy_expert(copy, fh, size=1 << 20)
                loaded += cur.rowcount
            exists = _exists(cur, target.schema, sink.table)
            views: tuple[str, ...] = ()
            if not exists:
                _rename(cur, stage, sink.table)
            elif sink.mode == "overwrite":
                views = _swap(cur, table, stage, sink.table, target.schema)
            else:
                _check_columns(cur, target.schema, sink.table, columns)
                if sink.mode == "overwrite_partitions":
                    _delete_partitions(cur, table, stage, sink.partition_by)
                names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in columns)
                cur.execute(sql.SQL("insert into {} ({}) select {} from {}").format(
                    table, names, names, stage))
                cur.execute(sql.SQL("drop table {}").format(stage))
        return loaded, views
    except psycopg2.Error as exc:
        raise EtlError(f"sink {sink.table!r}: loading {target.schema}.{sink.table} into "
                       f"PostgreSQL failed: {mask_text(str(exc).strip())}",
                       hint="the PostgreSQL table and its views are as they were; fix the "
                            "cause and rerun the sink") from None


def _exists(cur: Any, schema: str, table: str) -> bool:
    cur.execute("select to_regclass(format('%%I.%%I', %s, %s)) is not null", (schema, table))
    return bool(cur.fetchone()[0])


def _rename(cur: Any, stage: Any, table: str) -> None:
    from psycopg2 import sql

    cur.execute(sql.SQL("alter table {} rename to {}").format(stage, sql.Identifier(table)))


_DEPENDENT_VIEWS = """
with recursive target(oid) as (select format('%%I.%%I', %(schema)s, %(name)s)::regclass),
deps(oid, depth) as (
    select distinct r.ev_class, 1
    from target t join pg_depend d on d.refobjid = t.oid join pg_rewrite r on r.oid = d.objid
    where r.ev_class <> t.oid
  union
    select distinct r.ev_class, deps.depth + 1
    from deps join pg_depend d on d.refobjid = deps.oid join pg_rewrite r on r.oid = d.objid
    where r.ev_class <> deps.oid
)
select format('%%I.%%I', n.nspname, c.relname), c.relkind, pg_get_viewdef(c.oid),
       max(deps.depth) as depth
from deps join pg_class c on c.oid = deps.oid join pg_namespace n on n.oid = c.relnamespace
group by c.oid, n.nspname, c.relname, c.relkind
order by depth, 1
"""


def _swap(cur: Any, table: Any, stage: Any, name: str, schema: str) -> tuple[str, ...]:
    """Drop the views on the old table (deepest first), then the table itself (no cascade: any
    other object that depends on it, a foreign key say, stops the swap rather than vanishing),
    rename the staging table, and create the views again from their saved definitions."""
    import psycopg2
    from psycopg2 import sql

    # with only pg_catalog on the search path, pg_get_viewdef qualifies every name it prints
    cur.execute("set local search_path = pg_catalog")
    cur.execute(_DEPENDENT_VIEWS, {"schema": schema, "name": name})
    views = cur.fetchall()
    for qualified, kind, _, _ in reversed(views):
        cur.execute(f"drop {'materialized view' if kind == 'm' else 'view'} {qualified}")
    cur.execute(sql.SQL("drop table {}").format(table))
    _rename(cur, stage, name)
    for qualified, kind, definition, _ in views:
        create = "create materialized view" if kind == "m" else "create view"
        try:
            cur.execute(f"{create} {qualified} as {definition}")
        except psycopg2.Error as exc:
            raise EtlError(f"view {qualified} cannot be created again on the new "
                           f"{schema}.{name}: {mask_text(str(exc).strip())}",
                           hint="the new table lacks what the view reads; change the view "
                                "or the table. Nothing was changed in PostgreSQL") from None
    return tuple(v[0] for v in views)


def _check_columns(cur: Any, schema: str, table: str, columns: list[tuple[str, str]]) -> None:
    cur.execute("select column_name from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table))
    have = [r[0] for r in cur.fetchall()]
    want = [name for name, _ in columns]
    if sorted(have) != sorted(want):
        raise EtlError(f"{schema}.{table} in PostgreSQL has columns {', '.join(have)}; the new "
                       f"rows have {', '.join(want)}",
                       hint="use mode: overwrite once to replace the table, or select the same "
                            "columns in the step")


def _delete_partitions(cur: Any, table: Any, stage: Any, keys: tuple[str, ...]) -> None:
    from psycopg2 import sql

    if not keys:
        raise EtlError("overwrite_partitions needs partition_by",
                       hint="declare the sink's partition_by columns")
    match = sql.SQL(" and ").join(
        sql.SQL("t.{c} is not distinct from s.{c}").format(c=sql.Identifier(k)) for k in keys)
    cur.execute(sql.SQL("delete from {} t where exists (select 1 from {} s where {})").format(
        table, stage, match))

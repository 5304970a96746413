"""Loading a sink table into PostgreSQL: COPY into a staging table, swap it in, one transaction.

This module owns the PostgreSQL side of a sink with `targets: [..., postgres]`:

1. Spark writes the table as CSV part files into a staging folder beside the warehouse
   (RFC 4180 quoting; an empty string is written quoted and a null as nothing, which is exactly
   how PostgreSQL's CSV COPY tells them apart; nested values as JSON, binary as bytea hex).
2. One connection, one transaction:
   `CREATE TABLE <schema>."_etl_load_<table>_<token>"`, `COPY ... FROM STDIN` of every part file
   (streamed from disk, never held in memory), a row-count check, then by mode:
   * overwrite, same columns and types as the table: `TRUNCATE` and `INSERT`, so the table
     keeps its grants, indexes, comments and the views on it;
   * overwrite, other columns: the views that depend on the table (at any depth) are saved with
     their definitions and dropped, the table is dropped (never with CASCADE), the staging table
     takes its name and the views are created again (the old table's grants and indexes go);
   * append: `INSERT INTO <table> SELECT ... FROM <staging>` (same columns and types);
   * overwrite_partitions: rows whose partition values occur in the new data are deleted, then
     the new rows inserted.
3. COMMIT. Any error rolls everything back: PostgreSQL's DDL is transactional, so readers keep
   seeing the old table and its views until the commit, and a failed or killed load leaves no
   trace but the staging folder, which the next run's clean-up removes.

Identifiers are validated names, quoted with psycopg2's `sql.Identifier`. The DSN is never
logged: every message that leaves this module goes through `scrub`, which also removes the
DSN's passwords where a driver quotes them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.dialects import pg_type, spark_ident
from framework.errors import EnvironmentProblem, EtlError
from framework.masking import scrub
from framework.names import PG_MAX_IDENTIFIER_BYTES, pg_identifier_problem

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from framework.runtime.publish import PublishResult
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
    "ignoreLeadingWhiteSpace": "false",  # Spark's CSV writer trims text unless told not to
    "ignoreTrailingWhiteSpace": "false",
}
JSON_OPTIONS = {"ignoreNullFields": "false", "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"}
ROW_MARK = "__etl_row"  # a first column that is never empty: no line of the CSV is blank or `\.`
_LOAD_LOCK = threading.Lock()  # one load transaction at a time: views may span two tables


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


def check_connection(target: PostgresTarget) -> None:
    """Connect once and make sure the schema exists: a wrong DSN fails before any Spark work,
    and loads running side by side never race to create the schema."""
    with connect(target) as conn, conn.cursor() as cur:
        _ensure_schema(cur, target.schema)


def _ensure_schema(cur: Any, schema: str) -> None:
    from psycopg2 import sql

    cur.execute("select to_regnamespace(format('%%I', %s)) is null", (schema,))
    if cur.fetchone()[0]:  # created only when missing: CREATE needs a privilege USAGE does not
        cur.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))


def load_table(df: DataFrame, target: PostgresTarget, sink: SinkSpec, staging_root: str,
               expected_rows: int | None = None) -> LoadResult:
    """Load `df` into `<schema>.<sink.table>` as the sink's mode says; all or nothing."""
    check_columns(df.columns, sink)
    t0 = time.monotonic()
    folder = os.path.join(staging_root, f"{sink.table}-postgres-{secrets.token_hex(4)}")
    try:
        rows_written = _write_csv(df, folder)
        if expected_rows is not None and rows_written != expected_rows:
            raise EtlError(f"sink {sink.table!r}: {rows_written} rows staged for PostgreSQL, "
                           f"{expected_rows} expected", hint="rerun the sink")
        columns = [(f.name, pg_type(f.dataType)) for f in df.schema.fields]
        with _LOAD_LOCK:
            loaded, views = _load(target, sink, columns, _part_files(folder), rows_written)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return LoadResult(f"{target.schema}.{sink.table}", loaded,
                      round(time.monotonic() - t0, 3), views)


def check_columns(columns: list[str], sink: SinkSpec) -> None:
    """Refuse, before anything is written, a column PostgreSQL would not keep as written: it
    cuts names to 63 bytes, so a long name would change and two sharing their first 63 bytes
    would be one column."""
    for name in columns:
        if name == ROW_MARK or (reason := pg_identifier_problem(name)):
            why = "is a name the load uses for itself" if name == ROW_MARK else reason
            raise EtlError(f"sink {sink.table!r}: column {name!r} {why}",
                           hint="rename the column in a step before the sink (transform: "
                                "rename, or `as` in SQL); nothing was loaded")


# -- Spark side ------------------------------------------------------------------------------------
def read_published(spark: Any, df: DataFrame, published: PublishResult,
                   mode: str) -> tuple[DataFrame, int]:
    """The rows PostgreSQL gets from a sink also published to Parquet, read back from the version
    just published (so both stores hold the same rows), and how many there are: the whole table
    for `overwrite`; for `append` and `overwrite_partitions` only the files this publish wrote,
    since the rest came from the previous version, which PostgreSQL already holds."""
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


def _write_csv(df: DataFrame, folder: str) -> int:
    """Write `df` as CSV COPY can read; return the rows written (counted while writing)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    cols = [F.lit(1).alias(ROW_MARK)]
    for field in df.schema.fields:
        col = F.col(spark_ident(field.name))
        if isinstance(field.dataType, T.ArrayType | T.MapType | T.StructType):
            col = F.to_json(col, JSON_OPTIONS)
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
def connect(target: PostgresTarget) -> Iterator[Any]:
    import psycopg2

    try:
        conn = psycopg2.connect(target.dsn, connect_timeout=10, application_name="sparketl")
    except psycopg2.Error as exc:
        raise EnvironmentProblem(
            f"cannot connect to PostgreSQL ({scrub(target.dsn, target.dsn)}): "
            f"{scrub(str(exc).strip(), target.dsn)}",
            hint="check warehouse.postgres.dsn (and the environment variable it reads) and that "
                 "the server is up") from None
    try:
        with conn:  # commit on success, roll back on any error
            yield conn
    finally:
        conn.close()


def _load(target: PostgresTarget, sink: SinkSpec, columns: list[tuple[str, str]],
          files: list[str], rows_written: int) -> tuple[int, tuple[str, ...]]:
    import psycopg2
    from psycopg2 import sql

    table = sql.Identifier(target.schema, sink.table)
    stage_name = f"_etl_load_{secrets.token_hex(3)}_{sink.table}"[:PG_MAX_IDENTIFIER_BYTES]
    stage = sql.Identifier(target.schema, stage_name)
    try:
        with connect(target) as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
            _ensure_schema(cur, target.schema)
            cur.execute(sql.SQL("create table {} ({})").format(stage, sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                for name, kind in [(ROW_MARK, "smallint"), *columns])))
            copy = sql.SQL("copy {} from stdin with (format csv)").format(stage)
            loaded = 0
            for path in files:
                with open(path, "rb") as fh:
                    cur.copy_expert(copy, fh, size=1 << 20)
                loaded += cur.rowcount
            if loaded != rows_written:  # inside the transaction: nothing is committed
                raise EtlError(f"sink {sink.table!r}: PostgreSQL took {loaded} of "
                               f"{rows_written} rows", hint="the PostgreSQL table was left as it "
                                                            "was; rerun the sink")
            cur.execute(sql.SQL("alter table {} drop column {}").format(
                stage, sql.Identifier(ROW_MARK)))
            views: tuple[str, ...] = ()
            if not _exists(cur, target.schema, sink.table):
                _rename(cur, stage, sink.table)
                return loaded, views
            new = _column_types(cur, target.schema, stage_name)
            old = _column_types(cur, target.schema, sink.table)
            if sink.mode == "overwrite" and new != old:
                views = _swap(cur, table, stage, sink.table, target.schema)
                return loaded, views
            if new != old:
                raise _other_columns(target.schema, sink.table, old, new)
            if sink.mode == "overwrite":
                cur.execute(sql.SQL("truncate table {}").format(table))
            elif sink.mode == "overwrite_partitions":
                _delete_partitions(cur, table, stage, sink.partition_by)
            names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in columns)
            cur.execute(sql.SQL("insert into {} ({}) select {} from {}").format(
                table, names, names, stage))
            cur.execute(sql.SQL("drop table {}").format(stage))
        return loaded, views
    except psycopg2.Error as exc:
        raise EtlError(f"sink {sink.table!r}: loading {target.schema}.{sink.table} into "
                       f"PostgreSQL failed: {scrub(str(exc).strip(), target.dsn)}",
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
                           f"{schema}.{name}: {str(exc).strip()}",
                           hint="the new table lacks what the view reads; change the view "
                                "or the table. Nothing was changed in PostgreSQL") from None
    return tuple(v[0] for v in views)


def _column_types(cur: Any, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, type as PostgreSQL prints it) of the table's columns, in order."""
    cur.execute("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                "where a.attrelid = format('%%I.%%I', %s, %s)::regclass and a.attnum > 0 "
                "and not a.attisdropped order by a.attnum", (schema, table))
    return [(name, kind) for name, kind in cur.fetchall()]


def _other_columns(schema: str, table: str, old: list[tuple[str, str]],
                   new: list[tuple[str, str]]) -> EtlError:
    def show(cols: list[tuple[str, str]]) -> str:
        return ", ".join(f"{name} {kind}" for name, kind in cols)

    return EtlError(f"{schema}.{table} in PostgreSQL has columns ({show(old)}); the new rows "
                    f"have ({show(new)})",
                    hint="PostgreSQL would cast them silently, so they are refused: use mode: "
                         "overwrite once to replace the table, or give the step the table's "
                         "columns and types")


def _delete_partitions(cur: Any, table: Any, stage: Any, keys: tuple[str, ...]) -> None:
    from psycopg2 import sql

    if not keys:
        raise EtlError("overwrite_partitions needs partition_by",
                       hint="declare the sink's partition_by columns")
    match = sql.SQL(" and ").join(
        sql.SQL("t.{c} is not distinct from s.{c}").format(c=sql.Identifier(k)) for k in keys)
    cur.execute(sql.SQL("delete from {} t where exists (select 1 from {} s where {})").format(
        table, stage, match))

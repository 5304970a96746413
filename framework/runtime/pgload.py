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
import re
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
STAGE_PREFIX = "_etl_load_"  # staging tables: <prefix><token>_<table>
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


@dataclass(frozen=True)
class StagedTable:
    """A sink's rows COPY'd into `<schema>.<stage>` and committed, waiting for `publish`."""

    sink: SinkSpec
    stage: str
    rows: int
    seconds: float = 0.0


def staging_name(token: str, table: str) -> str:
    """The staging table of `table` for a load identified by `token` (a run's, say)."""
    return f"{STAGE_PREFIX}{token}_{table}"[:PG_MAX_IDENTIFIER_BYTES]


def load_table(df: DataFrame, target: PostgresTarget, sink: SinkSpec, staging_root: str,
               expected_rows: int | None = None) -> LoadResult:
    """Load `df` into `<schema>.<sink.table>` as the sink's mode says; all or nothing: staged,
    then published alone (`publish`)."""
    staged = stage_table(df, target, sink, staging_root, expected_rows)
    return publish(target, [staged])[0]


def stage_table(df: DataFrame, target: PostgresTarget, sink: SinkSpec, staging_root: str,
                expected_rows: int | None = None, token: str | None = None) -> StagedTable:
    """Write `df` as CSV and COPY it into a staging table of its own, committed (the row count
    checked): the tables the sink publishes are not touched. Loads of several sinks stage side
    by side; `publish` then swaps them all in at once."""
    check_columns(df.columns, sink)
    t0 = time.monotonic()
    folder = os.path.join(staging_root, f"{sink.table}-postgres-{secrets.token_hex(4)}")
    try:
        rows_written = _write_csv(df, folder)
        if expected_rows is not None and rows_written != expected_rows:
            raise EtlError(f"sink {sink.table!r}: {rows_written} rows staged for PostgreSQL, "
                           f"{expected_rows} expected", hint="rerun the sink")
        columns = [(f.name, pg_type(f.dataType)) for f in df.schema.fields]
        stage = staging_name(token or secrets.token_hex(3), sink.table)
        loaded = _copy(target, sink, stage, columns, _part_files(folder), rows_written)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return StagedTable(sink, stage, loaded, round(time.monotonic() - t0, 3))


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


def _copy(target: PostgresTarget, sink: SinkSpec, stage_name: str,
          columns: list[tuple[str, str]], files: list[str], rows_written: int) -> int:
    """CREATE the staging table, COPY every part file into it, check the count, COMMIT."""
    import psycopg2
    from psycopg2 import sql

    stage = sql.Identifier(target.schema, stage_name)
    try:
        with connect(target) as conn, conn.cursor() as cur:
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
        return loaded
    except psycopg2.Error as exc:
        raise EtlError(f"sink {sink.table!r}: loading {target.schema}.{sink.table} into "
                       f"PostgreSQL failed: {scrub(str(exc).strip(), target.dsn)}",
                       hint="the PostgreSQL table and its views are as they were; fix the "
                            "cause and rerun the sink") from None


@dataclass
class _Plan:
    """What `publish` does to one table: create it, create it again, or keep it."""

    staged: StagedTable
    action: str  # "create" | "recreate" | "keep"
    ddl: list[str]  # the table's statements from the DDL templates
    fks: list[str]  # ... of them, the foreign keys: added once every table has its rows

    @property
    def sink(self) -> SinkSpec:
        return self.staged.sink


def publish(target: PostgresTarget, staged: list[StagedTable],
            templates: str | None = None) -> list[LoadResult]:
    """Swap every staged table in, in one transaction, dimensions before facts; the staging
    tables are gone afterwards, whether it worked or not."""
    try:
        with _LOAD_LOCK:
            return _load(target, staged, templates)
    finally:
        drop_staging(target, [s.stage for s in staged])


def drop_staging(target: PostgresTarget, stages: list[str]) -> None:
    """Drop what is left of these staging tables (after a failed load); never raises."""
    import psycopg2
    from psycopg2 import sql

    if not stages:
        return
    try:
        with connect(target) as conn, conn.cursor() as cur:
            for name in stages:
                cur.execute(sql.SQL("drop table if exists {}").format(
                    sql.Identifier(target.schema, name)))
    except (psycopg2.Error, EtlError):
        pass  # the next run's check_connection drops leftovers


def _load(target: PostgresTarget, staged: list[StagedTable],
          templates: str | None = None) -> list[LoadResult]:
    """The one transaction: lock, defer the keys, empty the overwritten tables together, then
    per table (referenced tables first) create it from the DDL when it is new or its columns or
    keys changed (its views kept), insert the staged rows and check their count; add the
    foreign keys, drop the staging tables, COMMIT (deferred keys are checked there)."""
    import psycopg2
    from psycopg2 import sql

    from framework.ddl import load_order

    by_table = {s.sink.table: s for s in staged}
    ordered = [by_table[s.table] for s in load_order([s.sink for s in staged])]
    names = ", ".join(f"{target.schema}.{s.sink.table}" for s in ordered)
    t0 = time.monotonic()
    try:
        with connect(target) as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
            cur.execute("set constraints all deferred")
            existing = [s.sink.table for s in ordered if _exists(cur, target.schema, s.sink.table)]
            if existing:
                cur.execute(sql.SQL("lock table {} in access exclusive mode").format(
                    sql.SQL(", ").join(sql.Identifier(target.schema, t) for t in existing)))
            plans = [_plan(cur, target.schema, s, s.sink.table in existing, templates)
                     for s in ordered]
            readd = _unhook(cur, target.schema, plans)
            _empty(cur, target.schema, [p for p in plans if p.action == "keep"
                                        and p.sink.mode == "overwrite"], set(by_table))
            results = [_apply(cur, target.schema, p, t0) for p in plans]
            for statement in [f for p in plans if p.action != "keep" for f in p.fks] + readd:
                cur.execute(statement)
            for s in ordered:
                cur.execute(sql.SQL("drop table {}").format(sql.Identifier(target.schema,
                                                                           s.stage)))
        return results
    except psycopg2.Error as exc:
        raise EtlError(f"loading {names} into PostgreSQL failed: "
                       f"{scrub(str(exc).strip(), target.dsn)}",
                       hint="the PostgreSQL tables and their views are as they were (the load "
                            "is one transaction); fix the cause and rerun") from None


def _plan(cur: Any, schema: str, staged: StagedTable, exists: bool,
          templates: str | None) -> _Plan:
    from framework.ddl import pg_table_model, render_ddl, statements
    from framework.sqltemplates import PROJECT_TEMPLATES, SqlRenderer, list_templates

    sink = staged.sink
    columns = _column_types(cur, schema, staged.stage)
    folder = templates if templates and list_templates(templates, "ddl") else PROJECT_TEMPLATES
    model = pg_table_model(sink, columns)
    ddl = statements(render_ddl(SqlRenderer(folder, "postgres", schema=schema), model))
    fks = [s for s in ddl if re.match(r"(?is)alter\s+table\s.*\sforeign\s+key\s", s)]
    ddl = [s for s in ddl if s not in fks]
    if not exists:
        return _Plan(staged, "create", ddl, fks)
    old = _column_types(cur, schema, sink.table)
    if old != columns:
        if sink.mode != "overwrite":
            raise _other_columns(schema, sink.table, old, columns)
        return _Plan(staged, "recreate", ddl, fks)
    if sink.mode == "overwrite" and not _keys_in_place(cur, schema, sink):
        return _Plan(staged, "recreate", ddl, fks)
    return _Plan(staged, "keep", ddl, fks)


def _keys_in_place(cur: Any, schema: str, sink: SinkSpec) -> bool:
    """Whether the table has the primary key, foreign keys and indexes the sink declares (by
    name and shape; keys and indexes it does not declare are left alone)."""
    from framework.ddl import constraint_name

    cur.execute("""
        select c.conname, c.contype, coalesce(rn.nspname || '.' || r.relname, ''),
               array(select a.attname from unnest(c.conkey) with ordinality k(n, i)
                     join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
                     order by k.i)::text[],
               c.condeferrable and c.condeferred
        from pg_constraint c
        left join pg_class r on r.oid = c.confrelid
        left join pg_namespace rn on rn.oid = r.relnamespace
        where c.conrelid = format('%%I.%%I', %s, %s)::regclass and c.contype in ('p', 'f')
        """, (schema, sink.table))
    found = {name: (kind, ref, tuple(cols), deferred)
             for name, kind, ref, cols, deferred in cur.fetchall()}
    wanted = {constraint_name(sink.table, (col,), "fkey"): ("f", f"{schema}.{table}", (col,), True)
              for col, table, _ in sink.foreign_keys()}
    if sink.primary_key:
        wanted[constraint_name(sink.table, (), "pkey")] = ("p", "", sink.primary_key, False)
    if any(found.get(name) != shape for name, shape in wanted.items()):
        return False
    cur.execute("select indexname from pg_indexes where schemaname = %s and tablename = %s",
                (schema, sink.table))
    indexes = {row[0] for row in cur.fetchall()}
    return all(constraint_name(sink.table, cols, "idx") in indexes for cols in sink.indexes)


def _unhook(cur: Any, schema: str, plans: list[_Plan]) -> list[str]:
    """Drop the foreign keys that kept tables of this load have on tables created again (a
    table is never dropped with CASCADE); return the statements that add them back."""
    from psycopg2 import sql

    from framework.ddl import constraint_name

    again = {p.sink.table for p in plans if p.action == "recreate"}
    readd: list[str] = []
    for plan in (p for p in plans if p.action == "keep"):
        for col, table, _ in plan.sink.foreign_keys():
            if table in again:
                name = constraint_name(plan.sink.table, (col,), "fkey")
                cur.execute(sql.SQL("alter table {} drop constraint if exists {}").format(
                    sql.Identifier(schema, plan.sink.table), sql.Identifier(name)))
                readd += [s for s in plan.fks if sql.Identifier(name).as_string(cur) in s]
    return readd


def _empty(cur: Any, schema: str, plans: list[_Plan], loaded: set[str]) -> None:
    """Empty the kept tables `overwrite` replaces: one TRUNCATE of them all (PostgreSQL refuses
    to truncate a referenced table alone), or DELETE when a table of this load that keeps its
    rows (append) references one of them; a table outside the load that references one stops
    the TRUNCATE, as it should."""
    from psycopg2 import sql

    if not plans:
        return
    tables = [p.sink.table for p in plans]
    cur.execute("""
        with ours as (select format('%%I.%%I', %s, t)::regclass as oid from unnest(%s) t)
        select distinct t.relname from pg_constraint c join pg_class t on t.oid = c.conrelid
        where c.contype = 'f' and c.confrelid in (select oid from ours)
          and c.conrelid not in (select oid from ours)
        """, (schema, tables))
    referencing = {row[0] for row in cur.fetchall()}
    idents = [sql.Identifier(schema, t) for t in tables]
    if referencing and referencing <= loaded:
        for ident in reversed(idents):  # facts first (the keys are deferred anyway)
            cur.execute(sql.SQL("delete from {}").format(ident))
    else:
        cur.execute(sql.SQL("truncate table {}").format(sql.SQL(", ").join(idents)))


def _apply(cur: Any, schema: str, plan: _Plan, t0: float) -> LoadResult:
    from psycopg2 import sql

    sink, staged = plan.sink, plan.staged
    table, stage = sql.Identifier(schema, sink.table), sql.Identifier(schema, staged.stage)
    views: tuple[str, ...] = ()
    if plan.action == "create":
        for statement in plan.ddl:
            cur.execute(statement)
    elif plan.action == "recreate":
        views = _swap(cur, table, plan.ddl, sink.table, schema)
    else:
        if sink.mode == "overwrite_partitions":
            _delete_partitions(cur, table, stage, sink.partition_by)
        for statement in plan.ddl:
            if re.match(r"(?i)comment\s+on\s", statement):
                cur.execute(statement)
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in
                               _column_types(cur, schema, staged.stage))
    cur.execute(sql.SQL("insert into {} ({}) select {} from {}").format(table, names, names,
                                                                         stage))
    if cur.rowcount != staged.rows:
        raise EtlError(f"sink {sink.table!r}: {cur.rowcount} of {staged.rows} staged rows "
                       "inserted", hint="the PostgreSQL tables are as they were; rerun")
    return LoadResult(f"{schema}.{sink.table}", staged.rows,
                      round(staged.seconds + time.monotonic() - t0, 3), views)


def _exists(cur: Any, schema: str, table: str) -> bool:
    cur.execute("select to_regclass(format('%%I.%%I', %s, %s)) is not null", (schema, table))
    return bool(cur.fetchone()[0])


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


def _swap(cur: Any, table: Any, ddl: list[str], name: str, schema: str) -> tuple[str, ...]:
    """Drop the views on the old table (deepest first), then the table itself (no cascade: any
    other object that depends on it, a foreign key say, stops the swap rather than vanishing),
    create it from its DDL, and create the views again from their saved definitions."""
    import psycopg2
    from psycopg2 import sql

    # with only pg_catalog on the search path, pg_get_viewdef qualifies every name it prints
    cur.execute("set local search_path = pg_catalog")
    cur.execute(_DEPENDENT_VIEWS, {"schema": schema, "name": name})
    views = cur.fetchall()
    for qualified, kind, _, _ in reversed(views):
        cur.execute(f"drop {'materialized view' if kind == 'm' else 'view'} {qualified}")
    cur.execute(sql.SQL("drop table {}").format(table))
    cur.execute("reset search_path")
    for statement in ddl:
        cur.execute(statement)
    cur.execute("set local search_path = pg_catalog")
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

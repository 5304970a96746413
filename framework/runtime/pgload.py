"""Loading sink tables into PostgreSQL: every table of a run in one transaction, its rows
`COPY`'d straight from Parquet.

This module owns the PostgreSQL side of sinks with `targets: [..., postgres]`, in two steps:

1. Staging, per sink, beside its Parquet publish (`framework.runtime.pgstage`): which Parquet
   files hold the rows PostgreSQL gets: the version just published, read by pyarrow as it is
   (`framework.runtime.pgcopy`), or a copy Spark writes when pyarrow could not read the rows as
   Spark means them. Nothing touches PostgreSQL yet.
2. `publish`: one connection, one transaction, for every staged table of the run:
   lock the existing tables, defer the keys, decide per table whether it is created from the DDL
   (new, or mode `overwrite` with other columns or keys: its views saved, dropped and created
   again, never CASCADE) or kept (its grants, comments, views and hand-made indexes stay); empty
   the kept `overwrite` tables with one `TRUNCATE` (or `DELETE` when a table that keeps its rows
   references one); on tables that are empty now, set the declared keys and indexes aside
   (`framework.runtime.pgkeys`); `COPY ... FROM STDIN` every table's rows straight into it
   (`FREEZE` where the table was created or truncated by this transaction), checking each
   count; create the indexes and keys again (a foreign key added checks every row with one
   join); COMMIT. Any error rolls everything back: PostgreSQL's DDL is transactional, so readers
   keep seeing the old tables and views until the commit, and a failed or killed load leaves
   nothing behind in PostgreSQL (a Spark-written copy is removed after the load, or by the next
   run's clean-up).

Identifiers are validated names, quoted with psycopg2's `sql.Identifier`. The DSN is never
logged: every message that leaves this module goes through `scrub`, which also removes the
DSN's passwords where a driver quotes them.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.errors import EnvironmentProblem, EtlError
from framework.masking import scrub
from framework.runtime.pgcopy import copy_rows
from framework.runtime.pgstage import StagedTable, discard, stage_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from framework.spec import SinkSpec

LOCK_TIMEOUT = "60s"  # waiting longer for readers to let go of the table is an error
NEW_ROWS = "_etl_new_"  # the load's own tables, dropped before its commit: <prefix><token>_<n>
_LOAD_LOCK = threading.Lock()  # one load transaction at a time: views may span two tables


@dataclass(frozen=True)
class PostgresTarget:
    dsn: str
    schema: str = "public"


@dataclass(frozen=True)
class LoadResult:
    table: str  # schema.table
    rows: int
    seconds: float  # staging, COPY and keys: the table's own share of the load
    views: tuple[str, ...] = ()  # views created again after the swap
    copy_seconds: float = 0.0  # its COPY (Parquet read and CSV written meanwhile)
    keys_seconds: float = 0.0  # building its keys and indexes again, its foreign keys checked


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
    """Load `df` into `<schema>.<sink.table>` as the sink's mode says; all or nothing: staged
    by Spark, then published alone (`publish`)."""
    staged = stage_table(df, sink, staging_root, expected_rows)
    return publish(target, [staged])[0]


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


@dataclass
class _Plan:
    """What `publish` does to one table: create it, create it again, or keep it."""

    staged: StagedTable
    action: str  # "create" | "recreate" | "keep"
    ddl: list[str]  # the table's statements from the DDL templates
    fks: list[str]  # ... of them, the foreign keys: added once every table has its rows
    columns: list[tuple[str, str]]  # the new rows' columns, as PostgreSQL spells their types
    scratch: Any  # a table of the load's own with these columns (a psycopg2 identifier)

    @property
    def sink(self) -> SinkSpec:
        return self.staged.sink


def publish(target: PostgresTarget, staged: list[StagedTable],
            templates: str | None = None) -> list[LoadResult]:
    """Load every staged table in one transaction, dimensions before facts; the Parquet copies
    Spark wrote for them are gone afterwards, whether it worked or not."""
    try:
        with _LOAD_LOCK:
            return _load(target, staged, templates)
    finally:
        discard(staged)


def _load(target: PostgresTarget, staged: list[StagedTable],
          templates: str | None = None) -> list[LoadResult]:
    """The one transaction: lock, defer the keys, decide per table, empty the overwritten
    tables together, create the new ones (views kept), set the declared keys and indexes of
    the empty tables aside, COPY every table's rows in (referenced tables first) checking their
    count, put keys and indexes back, add the new tables' foreign keys, COMMIT (deferred keys
    are checked there)."""
    import psycopg2
    from psycopg2 import sql

    from framework.ddl import load_order
    from framework.runtime.pgkeys import set_aside

    by_table = {s.sink.table: s for s in staged}
    ordered = [by_table[s.table] for s in load_order([s.sink for s in staged])]
    names = ", ".join(f"{target.schema}.{s.sink.table}" for s in ordered)
    try:
        with connect(target) as conn, conn.cursor() as cur:
            conn.set_client_encoding("UTF8")  # the CSV is UTF-8, whatever the server's default
            _ensure_schema(cur, target.schema)
            cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
            cur.execute("set local timezone = 'UTC'")  # timestamps are written as UTC times
            cur.execute("set constraints all deferred")
            existing = [s.sink.table for s in ordered if _exists(cur, target.schema, s.sink.table)]
            if existing:
                cur.execute(sql.SQL("lock table {} in access exclusive mode").format(
                    sql.SQL(", ").join(sql.Identifier(target.schema, t) for t in existing)))
            token = secrets.token_hex(3)
            plans = [_plan(cur, target.schema, s, f"{NEW_ROWS}{token}_{n}",
                           s.sink.table in existing, templates) for n, s in enumerate(ordered)]
            readd = _unhook(cur, target.schema, plans)
            truncated = _empty(cur, target.schema, [p for p in plans if p.action == "keep"
                                                    and p.sink.mode == "overwrite"], set(by_table))
            views = {p.sink.table: _prepare(cur, target.schema, p) for p in plans}
            empty = [p for p in plans if p.action != "keep" or p.sink.table in truncated]
            restore = set_aside(cur, target.schema, [p.sink for p in empty])
            copied = {p.sink.table: _fill(cur, target.schema, p, p in empty) for p in plans}
            keys = dict.fromkeys(copied, 0.0)
            for table, statement in restore + [(p.sink.table, f) for p in plans
                                               if p.action != "keep" for f in p.fks] + readd:
                t0 = time.monotonic()
                cur.execute(statement)
                keys[table] += time.monotonic() - t0
            cur.execute(sql.SQL("drop table {}").format(sql.SQL(", ").join(
                p.scratch for p in plans)))
        return [_result(target.schema, p, views[p.sink.table], copied[p.sink.table],
                        keys[p.sink.table]) for p in plans]
    except psycopg2.Error as exc:
        raise EtlError(f"loading {names} into PostgreSQL failed: "
                       f"{scrub(str(exc).strip(), target.dsn)}",
                       hint="the PostgreSQL tables and their views are as they were (the load "
                            "is one transaction); fix the cause and rerun") from None


def _plan(cur: Any, schema: str, staged: StagedTable, scratch_name: str, exists: bool,
          templates: str | None) -> _Plan:
    from framework.ddl import pg_table_model, render_ddl, statements
    from framework.sqltemplates import BUILTIN_TEMPLATES, SqlRenderer, list_templates

    sink = staged.sink
    scratch, columns = _scratch_table(cur, schema, scratch_name, staged.source.columns)
    folder = templates if templates and list_templates(templates, "ddl") else BUILTIN_TEMPLATES
    model = pg_table_model(sink, columns)
    ddl = statements(render_ddl(SqlRenderer(folder, "postgres", schema=schema), model))
    fks = [s for s in ddl if re.match(r"(?is)alter\s+table\s.*\sforeign\s+key\s", s)]
    ddl = [s for s in ddl if s not in fks]
    if not exists:
        return _Plan(staged, "create", ddl, fks, columns, scratch)
    old = _column_types(cur, schema, sink.table)
    if old != columns:
        if sink.mode != "overwrite":
            raise _other_columns(schema, sink.table, old, columns)
        return _Plan(staged, "recreate", ddl, fks, columns, scratch)
    if sink.mode == "overwrite" and not _keys_in_place(cur, schema, sink):
        return _Plan(staged, "recreate", ddl, fks, columns, scratch)
    return _Plan(staged, "keep", ddl, fks, columns, scratch)


def _scratch_table(cur: Any, schema: str, name: str, columns: tuple[tuple[str, str], ...]
                   ) -> tuple[Any, list[tuple[str, str]]]:
    """An unlogged table of the load's own with the new rows' columns (dropped before the
    commit, so no one else ever sees it), and those columns as PostgreSQL spells their types,
    to compare with the table's."""
    from psycopg2 import sql

    table = sql.Identifier(schema, name)
    cur.execute(sql.SQL("create unlogged table {} ({})").format(table, sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(kind)) for n, kind in columns)))
    return table, _column_types(cur, schema, name)


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


def _unhook(cur: Any, schema: str, plans: list[_Plan]) -> list[tuple[str, str]]:
    """Drop the foreign keys that kept tables of this load have on tables created again (a
    table is never dropped with CASCADE); return the statements that add them back, each with
    its table."""
    from psycopg2 import sql

    from framework.ddl import constraint_name

    again = {p.sink.table for p in plans if p.action == "recreate"}
    readd: list[tuple[str, str]] = []
    for plan in (p for p in plans if p.action == "keep"):
        for col, table, _ in plan.sink.foreign_keys():
            if table in again:
                name = constraint_name(plan.sink.table, (col,), "fkey")
                cur.execute(sql.SQL("alter table {} drop constraint if exists {}").format(
                    sql.Identifier(schema, plan.sink.table), sql.Identifier(name)))
                readd += [(plan.sink.table, s) for s in plan.fks
                          if sql.Identifier(name).as_string(cur) in s]
    return readd


def _empty(cur: Any, schema: str, plans: list[_Plan], loaded: set[str]) -> set[str]:
    """Empty the kept tables `overwrite` replaces: one TRUNCATE of them all (PostgreSQL refuses
    to truncate a referenced table alone), or DELETE when a table of this load that keeps its
    rows (append) references one of them; a table outside the load that references one stops
    the TRUNCATE, as it should. The tables truncated."""
    from psycopg2 import sql

    if not plans:
        return set()
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
        return set()
    cur.execute(sql.SQL("truncate table {}").format(sql.SQL(", ").join(idents)))
    return set(tables)


def _prepare(cur: Any, schema: str, plan: _Plan) -> tuple[str, ...]:
    """Create the table from its DDL, or create it again (its views saved and created again),
    or give a kept one its comments again; the views created again."""
    from psycopg2 import sql

    table = sql.Identifier(schema, plan.sink.table)
    if plan.action == "create":
        for statement in plan.ddl:
            cur.execute(statement)
    elif plan.action == "recreate":
        return _swap(cur, table, plan.ddl, plan.sink.table, schema)
    else:
        for statement in plan.ddl:
            if re.match(r"(?i)comment\s+on\s", statement):
                cur.execute(statement)
    return ()


def _fill(cur: Any, schema: str, plan: _Plan, empty: bool) -> float:
    """COPY the staged rows into the table (FREEZE when this transaction created or emptied
    it; `overwrite_partitions` into the temporary table first, then the partitions present
    deleted and the rows inserted) and check their count; the seconds it took."""
    from psycopg2 import sql

    t0 = time.monotonic()
    sink, staged = plan.sink, plan.staged
    table = sql.Identifier(schema, sink.table)
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in plan.columns)
    partitions = sink.mode == "overwrite_partitions" and not empty
    into = plan.scratch if partitions else table
    options = sql.SQL("format csv, freeze") if empty else sql.SQL("format csv")
    took, written = copy_rows(cur, sql.SQL("copy {} ({}) from stdin with ({})").format(
        into, names, options), staged.source)
    if partitions:
        _delete_partitions(cur, table, into, sink.partition_by)
        cur.execute(sql.SQL("insert into {} ({}) select {} from {}").format(table, names, names,
                                                                             into))
        took = cur.rowcount
    if not took == written == staged.rows:
        raise EtlError(f"sink {sink.table!r}: PostgreSQL took {took} of {staged.rows} rows "
                       f"({written} read from Parquet)",
                       hint="the PostgreSQL tables are as they were; rerun")
    return time.monotonic() - t0


def _result(schema: str, plan: _Plan, views: tuple[str, ...], copied: float,
            keys: float) -> LoadResult:
    staged = plan.staged
    return LoadResult(f"{schema}.{plan.sink.table}", staged.rows,
                      round(staged.seconds + copied + keys, 3), views, round(copied, 3),
                      round(keys, 3))


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

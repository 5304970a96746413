"""The keys and indexes a sink declares, set aside while its emptied table is filled, then put
back: building an index over a full table is one sort, and adding a foreign key checks every row
with one join, where keeping them up to date row by row costs many times more (a deferred key
even queues one check per row for the commit).

`set_aside` runs inside the load's transaction, on tables that are empty at that point (created,
created again, or truncated by it). It drops the sink's declared foreign keys, then its
declared indexes and primary key unless some other key still depends on them, and returns the
statements that create them again from their own definitions (`pg_get_constraintdef`,
`pg_get_indexdef`): primary keys first, then indexes, then foreign keys. Nothing the sink does not
declare is touched (an index someone added by hand is kept up to date row by row). Readers see
none of it: the tables are locked and the transaction commits all or nothing.
"""

from __future__ import annotations

from typing import Any

from framework.spec import SinkSpec

_DECLARED = """
select c.conname, c.contype, pg_get_constraintdef(c.oid), c.conindid
from pg_constraint c
where c.conrelid = format('%%I.%%I', %(schema)s, %(table)s)::regclass
  and c.conname = any(%(names)s) and c.contype in ('p', 'f')
order by c.contype desc, c.conname
"""
_INDEXES = """
select x.relname, pg_get_indexdef(x.oid)
from pg_index i join pg_class x on x.oid = i.indexrelid
where i.indrelid = format('%%I.%%I', %(schema)s, %(table)s)::regclass
  and x.relname = any(%(names)s)
  and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
order by x.relname
"""
_KEY_IN_USE = "select exists (select 1 from pg_constraint where contype = 'f' and conindid = %s)"


def set_aside(cur: Any, schema: str, sinks: list[SinkSpec]) -> list[tuple[str, str]]:
    """Drop the declared keys and indexes of `sinks`' (empty) tables; the statements that put
    them back, in the order to run them, each with its table."""
    from psycopg2 import sql

    cur.execute("set local search_path = pg_catalog")  # every name in a definition qualified
    keys: list[tuple[str, str]] = []
    indexes: list[tuple[str, str]] = []
    foreign: list[tuple[str, str]] = []
    primary: list[tuple[str, str, str, int]] = []
    for sink in sinks:
        table = sql.Identifier(schema, sink.table)
        cur.execute(_DECLARED, {"schema": schema, "table": sink.table,
                                "names": _declared_names(sink)})
        for name, kind, definition, index in cur.fetchall():
            if kind == "f":
                _drop_constraint(cur, table, name)
                foreign.append((sink.table, _add_constraint(cur, table, name, definition)))
            else:
                primary.append((sink.table, name, definition, index))
    for owner, name, definition, index in primary:  # after the foreign keys that used them
        cur.execute(_KEY_IN_USE, (index,))
        if not cur.fetchone()[0]:
            table = sql.Identifier(schema, owner)
            _drop_constraint(cur, table, name)
            keys.append((owner, _add_constraint(cur, table, name, definition)))
    for sink in sinks:
        cur.execute(_INDEXES, {"schema": schema, "table": sink.table,
                               "names": _declared_names(sink)})
        for name, definition in cur.fetchall():
            cur.execute(sql.SQL("drop index {}").format(sql.Identifier(schema, name)))
            indexes.append((sink.table, definition))
    cur.execute("reset search_path")
    return keys + indexes + foreign


def _declared_names(sink: SinkSpec) -> list[str]:
    from framework.ddl import constraint_name

    names = [constraint_name(sink.table, (col,), "fkey") for col, _, _ in sink.foreign_keys()]
    names += [constraint_name(sink.table, cols, "idx") for cols in sink.indexes]
    if sink.primary_key:
        names.append(constraint_name(sink.table, (), "pkey"))
    return names


def _drop_constraint(cur: Any, table: Any, name: str) -> None:
    from psycopg2 import sql

    cur.execute(sql.SQL("alter table {} drop constraint {}").format(table, sql.Identifier(name)))


def _add_constraint(cur: Any, table: Any, name: str, definition: str) -> str:
    from psycopg2 import sql

    return sql.SQL("alter table {} add constraint {} ").format(
        table, sql.Identifier(name)).as_string(cur) + definition

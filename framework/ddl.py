"""A sink's table as DDL: the model the `ddl/*.sql` templates render (built in:
`framework/sql/ddl/`), for each dialect.

The model comes from the sink (primary key, foreign keys, indexes, descriptions) and from its
columns, which are only known from data: the published Parquet schema (read from a file's footer
with pyarrow, no JVM: Spark keeps its own schema there; partition columns come from the folder
names, typed as Spark infers them), or the DataFrame a run loads, or the sink's declared columns
(names only: the DDL then says the types are unknown until the first run). The PostgreSQL loader
(`framework.runtime.pgload`) creates its tables from this very rendering, so nothing is written
twice. Constraint and index names are derived from the table and columns and are stable across
runs (the loader compares them to decide whether a table must be created again). Pure: no pyspark.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, replace
from graphlib import TopologicalSorter
from typing import Any

from framework.dialects import pg_type
from framework.names import PG_MAX_IDENTIFIER_BYTES
from framework.spec import SinkSpec
from framework.sqltemplates import SqlRenderer, list_templates

DDL_KIND = "ddl"
SPARK_ROW_METADATA = b"org.apache.spark.sql.parquet.row.metadata"


@dataclass(frozen=True)
class DdlColumn:
    name: str
    spark_type: str | None  # Spark's simpleString (`bigint`, `decimal(18,2)`); None: unknown
    pg_type: str | None  # PostgreSQL's spelling; None: unknown
    description: str = ""


@dataclass(frozen=True)
class TableModel:
    """One warehouse table as its DDL needs it."""

    name: str
    columns: tuple[DdlColumn, ...]  # () when they are not known yet
    types_known: bool
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (column, table, column)
    indexes: tuple[tuple[str, ...], ...] = ()
    description: str = ""
    partition_by: tuple[str, ...] = ()
    location: str = ""  # the Parquet folder (Spark's LOCATION)

    def variables(self, dialect: str) -> dict[str, Any]:
        """What a ddl template sees as `table`: names, types in `dialect`'s spelling, and the
        names of the constraints and indexes."""
        return {
            "name": self.name,
            "description": self.description,
            "columns_known": bool(self.columns),
            "types_known": self.types_known,
            "comment": literal(dialect, self.description),
            "location_literal": literal(dialect, self.location),
            "columns": [{"name": c.name, "description": c.description,
                         "comment": literal(dialect, c.description),
                         "type": (c.pg_type if dialect == "postgres" else
                                  (c.spark_type or "").upper()) or None}
                        for c in self.columns],
            "primary_key": {"name": constraint_name(self.name, (), "pkey"),
                            "columns": list(self.primary_key)} if self.primary_key else None,
            "foreign_keys": [{"name": constraint_name(self.name, (col,), "fkey"), "column": col,
                              "table": table, "ref_column": ref}
                             for col, table, ref in self.foreign_keys],
            "indexes": [{"name": constraint_name(self.name, cols, "idx"), "columns": list(cols)}
                        for cols in self.indexes],
            "partition_by": list(self.partition_by),
            "location": self.location,
        }


def literal(dialect: str, text: str) -> str:
    """A string literal: PostgreSQL doubles a quote; Spark escapes with a backslash."""
    if dialect == "postgres":
        return "'" + text.replace("'", "''") + "'"
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def constraint_name(table: str, columns: tuple[str, ...], suffix: str) -> str:
    """`<table>_<cols>_<suffix>` as PostgreSQL names them, shortened with a hash when longer
    than PostgreSQL keeps (it would cut the name, and two could become one)."""
    name = "_".join([table, *columns, suffix])
    if len(name.encode()) <= PG_MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    head = name.encode()[:PG_MAX_IDENTIFIER_BYTES - len(suffix) - 10].decode(errors="ignore")
    return f"{head}_{digest}_{suffix}"


def table_model(sink: SinkSpec, columns: list[tuple[str, str | None]] | None,
                location: str = "") -> TableModel:
    """The model of `sink` with `columns` as (name, Spark type or None); None: the sink's
    declared columns (names only), or none at all."""
    types_known = columns is not None and all(t for _, t in columns)
    if columns is None:
        columns = [(name, None) for name in sink.columns]
    return TableModel(
        name=sink.table, types_known=types_known,
        columns=tuple(DdlColumn(n, t, pg_type(t) if t else None, sink.column_description(n))
                      for n, t in columns),
        primary_key=sink.primary_key, foreign_keys=tuple(sink.foreign_keys()),
        indexes=sink.indexes, description=sink.description, partition_by=sink.partition_by,
        location=location)


def pg_table_model(sink: SinkSpec, pg_columns: list[tuple[str, str]]) -> TableModel:
    """The model of `sink` with columns as PostgreSQL types (the rows the loader COPYs)."""
    return replace(table_model(sink, []), types_known=True, columns=tuple(
        DdlColumn(n, None, t, sink.column_description(n)) for n, t in pg_columns))


def render_ddl(renderer: SqlRenderer, model: TableModel) -> str:
    """Every template of the renderer's `ddl/` folder rendered for `model`, one after another."""
    return "\n".join(renderer.render(t.template, table=model.variables(renderer.dialect))
                     .strip() + "\n" for t in list_templates(renderer.folder, DDL_KIND))


def load_order(sinks: list[SinkSpec]) -> list[SinkSpec]:
    """`sinks` with every table after the tables it references (dimensions before facts), else
    in the order given."""
    by_name = {s.table: s for s in sinks}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for sink in sinks:
        sorter.add(sink.table, *(t for _, t, _ in sink.foreign_keys()
                                 if t in by_name and t != sink.table))
    rank = {s.table: k for k, s in enumerate(sinks)}
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=rank.__getitem__)
        order += ready
        sorter.done(*ready)
    return [by_name[t] for t in order]


# -- the published schema, without a JVM ---------------------------------------------------------
def published_columns(table_dir: str) -> list[tuple[str, str]] | None:
    """(name, Spark type) of a published Parquet table (its folder or symlink), None when it is
    not there: the data columns from Spark's schema in a file footer, then the partition
    columns from the folder names."""
    import pyarrow.parquet as pq

    if not os.path.isdir(table_dir):
        return None
    found = _first_file(table_dir)
    if found is None:
        return None
    path, partitions = found
    meta = pq.read_schema(path).metadata or {}
    if SPARK_ROW_METADATA in meta:
        fields = json.loads(meta[SPARK_ROW_METADATA])["fields"]
        columns = [(f["name"], spark_type_name(f["type"])) for f in fields]
    else:
        columns = [(f.name, _arrow_type(f.type)) for f in pq.read_schema(path)]
    return columns + [(k, _partition_type(v)) for k, v in partitions
                      if k not in {c for c, _ in columns}]


def _first_file(folder: str) -> tuple[str, list[tuple[str, str]]] | None:
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        data = sorted(f for f in files if f.endswith(".parquet") and not f.startswith((".", "_")))
        if data:
            rel = os.path.relpath(root, folder)
            parts = [] if rel == "." else [p.partition("=")[::2] for p in rel.split(os.sep)]
            return os.path.join(root, data[0]), parts
    return None


_SPARK_NAMES = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint"}


def spark_type_name(kind: Any) -> str:
    """Spark's JSON spelling of a type (as in the Parquet footer) -> its simpleString."""
    if isinstance(kind, str):
        return _SPARK_NAMES.get(kind, kind)
    if kind["type"] == "array":
        return f"array<{spark_type_name(kind['elementType'])}>"
    if kind["type"] == "map":
        return f"map<{spark_type_name(kind['keyType'])},{spark_type_name(kind['valueType'])}>"
    return "struct<" + ",".join(f"{f['name']}:{spark_type_name(f['type'])}"
                                for f in kind["fields"]) + ">"


def _arrow_type(kind: Any) -> str:
    import pyarrow as pa

    checks = [(pa.types.is_int8, "tinyint"), (pa.types.is_int16, "smallint"),
              (pa.types.is_int32, "int"), (pa.types.is_int64, "bigint"),
              (pa.types.is_float32, "float"), (pa.types.is_float64, "double"),
              (pa.types.is_boolean, "boolean"), (pa.types.is_date, "date"),
              (pa.types.is_timestamp, "timestamp"), (pa.types.is_binary, "binary")]
    for check, name in checks:
        if check(kind):
            return name
    if pa.types.is_decimal(kind):
        return f"decimal({kind.precision},{kind.scale})"
    return "string"


def _partition_type(value: str) -> str:
    """The type Spark infers for a partition folder's value (partitionColumnTypeInference)."""
    if re.fullmatch(r"-?\d+", value):
        return "int" if -2**31 <= int(value) < 2**31 else "bigint"
    if re.fullmatch(r"-?\d+\.\d*([eE][-+]?\d+)?", value):
        return "double"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "date"
    return "string"


def statements(text: str) -> list[str]:
    """The statements of rendered DDL: split at `;` outside quotes, `--` comment lines and
    blank ones dropped."""
    out, current, quote = [], [], ""
    for line in text.splitlines():
        if not quote and (not line.strip() or line.lstrip().startswith("--")):
            continue
        for ch in line + "\n":
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == ";":
                out.append("".join(current).strip())
                current = []
                continue
            current.append(ch)
    tail = "".join(current).strip()
    return [s for s in [*out, tail] if s]

"""How the SQL the engine writes spells names and types: Spark SQL and PostgreSQL.

One quoting function per dialect, and the table of PostgreSQL column types for Spark types. Pure
text: no pyspark (a Spark type is taken by its name, or asked for it), so the planner, the
templates and the runtime share one spelling of each.

`spark_ident` quotes any name, the empty one too (two backticks: Spark's empty name), and is what
`F.col`, `select` and a DDL string take as one column: `a.b` in backticks is the column named
`a.b`, not field `b` of `a`. `pg_ident` spells a name as psycopg2's `sql.Identifier` does; code
that runs SQL through psycopg2 keeps using that.
"""

from __future__ import annotations

import re
from typing import Any

from framework.errors import EtlError


def spark_ident(name: str) -> str:
    """Spark SQL backtick quoting: events -> `events`; a backtick inside is doubled."""
    return "`" + name.replace("`", "``") + "`"


def pg_ident(name: str) -> str:
    """PostgreSQL double-quote quoting: events -> "events"; a double quote inside is doubled.
    The name is kept as written (no folding to lower case)."""
    return '"' + name.replace('"', '""') + '"'


# Spark type name -> PostgreSQL column type. Keys are the names Spark's types give: simpleString
# (`int`, `bigint`, `array<...>`), and typeName where it differs (`integer`, `long`).
PG_TYPES: dict[str, str] = {
    "boolean": "boolean",
    "tinyint": "smallint", "byte": "smallint",
    "smallint": "smallint", "short": "smallint",
    "int": "integer", "integer": "integer",
    "bigint": "bigint", "long": "bigint",
    "float": "real",
    "double": "double precision",
    "date": "date",
    "timestamp_ntz": "timestamp",
    "timestamp": "timestamptz",  # Spark's timestamp is an instant (with local time zone)
    "binary": "bytea",
    "string": "text", "varchar": "text", "char": "text",
    "array": "jsonb", "map": "jsonb", "struct": "jsonb",  # loaded as their JSON text
}
_TYPE_NAME = re.compile(r"[a-z_]+")  # `string collate UTF8_LCASE` is a string, `char(3)` a char
_DECIMAL = re.compile(r"decimal(?:\((\d+)(?:,(\d+))?\))?")
_DECIMAL_PRECISION = 10  # Spark's `decimal` alone is decimal(10,0); decimal(p) is (p,0)


def pg_type(spark_type: str | Any) -> str:
    """The PostgreSQL column type for a Spark type: a pyspark DataType, or its name as
    simpleString (`decimal(18,2)`, `array<string>`) or typeName (`long`) spells it."""
    text = spark_type if isinstance(spark_type, str) else spark_type.simpleString()
    spelled = text.strip().lower()
    base = _TYPE_NAME.match(spelled)
    base = base.group(0) if base else ""
    if base == "decimal" and (params := _DECIMAL.fullmatch(re.sub(r"\s+", "", spelled))):
        return f"numeric({params.group(1) or _DECIMAL_PRECISION},{params.group(2) or 0})"
    if base in PG_TYPES:
        return PG_TYPES[base]
    raise EtlError(f"no PostgreSQL column type for Spark type {text}",
                   hint="cast the column in a step before the sink (to string, say)")


# -- the SQL dialects templates render for (framework.sqltemplates) ----------------------------
DIALECTS = ("spark", "postgres")


def check_dialect(dialect: str) -> str:
    """`dialect` when it is one of DIALECTS, else an EtlError naming the choices."""
    if dialect in DIALECTS:
        return dialect
    from framework.errors import did_you_mean

    raise EtlError(f"unknown SQL dialect {dialect!r}",
                   hint=did_you_mean(dialect, DIALECTS, f"choose one of: {', '.join(DIALECTS)}"))


def ident(dialect: str, name: str) -> str:
    """One identifier quoted for `dialect`: spark_ident or pg_ident."""
    return spark_ident(name) if check_dialect(dialect) == "spark" else pg_ident(name)


def sql_type(dialect: str, spark_type: str) -> str:
    """A type name as `dialect` spells it in a CAST, from its Spark name: ('spark', 'double') ->
    'DOUBLE', ('postgres', 'double') -> 'double precision' (pg_type's table)."""
    if check_dialect(dialect) == "spark":
        return spark_type.strip().upper()
    return pg_type(spark_type)

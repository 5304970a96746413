"""What a name must be to pass through the engine as written: a column name through Spark's
backtick quoting, a name PostgreSQL holds through its 63-byte limit.

Pure rules (no I/O, no pyspark): validation reports them against the pipeline file, the
PostgreSQL load refuses a step's columns by them before anything is written.
"""

from __future__ import annotations

# PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN - 1) and drops the rest
# without an error, so two longer names sharing those bytes would be one table.
PG_MAX_IDENTIFIER_BYTES = 63


def column_name_problem(name: str) -> str | None:
    """Why `name` cannot be a column name, or None. Spark quotes names in backticks and
    PostgreSQL in double quotes; neither carries an empty name, a backtick or a control
    character through the engine, which would fail only once the data is read."""
    if not name:
        return "an empty column name"
    if "`" in name:
        return f"column name {name!r} holds a backtick"
    if not name.isprintable():
        return f"column name {name!r} holds a control or invisible character"
    return None


def pg_identifier_problem(name: str) -> str | None:
    """Why PostgreSQL would not keep `name` as written, or None."""
    size = len(name.encode("utf-8"))
    if size > PG_MAX_IDENTIFIER_BYTES:
        return (f"is {size} bytes long; PostgreSQL keeps only the first "
                f"{PG_MAX_IDENTIFIER_BYTES}, so longer names sharing them would be one object")
    if not name.isprintable():
        return "holds a control or invisible character"
    return None

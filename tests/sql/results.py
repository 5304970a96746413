"""Running rendered SQL on Spark and PostgreSQL, and comparing what comes back.

Values are normalised so that the two engines' Python types meet: a timestamp becomes a naive
UTC datetime (Spark collects naive local times, psycopg2 aware ones), a Decimal a float only when
the other side is a float. Equality: NULL equals NULL; whole numbers (int, Decimal) exactly;
anything with a float to 1e-9 relative; everything else (text, dates, booleans) exactly and of
the same type (True is not 1).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

REL_TOL = 1e-9


def normalise(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def spark_rows(spark, sql: str) -> tuple[list[str], list[tuple]]:
    df = spark.sql(sql)
    return df.columns, [tuple(normalise(v) for v in row) for row in df.collect()]


def pg_rows(conn, sql: str) -> tuple[list[str], list[tuple]]:
    with conn.cursor() as cur:
        cur.execute(sql)
        columns = [d[0] for d in cur.description]
        return columns, [tuple(normalise(v) for v in row) for row in cur.fetchall()]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if _number(a) and _number(b):
        if isinstance(a, float) or isinstance(b, float):
            a, b = float(a), float(b)
            if math.isnan(a) or math.isnan(b):
                return math.isnan(a) and math.isnan(b)
            return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)
        return a == b
    return type(a) is type(b) and a == b


def sort_key(row: tuple) -> tuple:
    """A key that sorts rows of mixed NULLs and values; floats to 9 digits, so values that
    differ in the last bits sort together."""
    key = []
    for v in row:
        if v is None:
            key.append((1, "", 0))
        elif _number(v):
            key.append((0, "number", float(f"{float(v):.9g}")))
        else:
            key.append((0, type(v).__name__, v))
    return tuple(key)


def differences(left: list[tuple], right: list[tuple], limit: int = 5) -> list[str]:
    """What differs, row for row: at most `limit` lines."""
    out = []
    if len(left) != len(right):
        out.append(f"{len(left)} rows on Spark, {len(right)} on PostgreSQL")
    for i, (a, b) in enumerate(zip(left, right)):
        if len(a) != len(b) or not all(same_value(x, y) for x, y in zip(a, b)):
            out.append(f"row {i}:\n  spark    {a}\n  postgres {b}")
            if len(out) >= limit:
                break
    return out

"""Each rule's failing rows as Spark expressions, and what the one aggregate pass counts.

A row breaks a rule when (nulls pass every rule but `not_null`, as in SQL: a missing value is
not_null's business):
  not_null          the value is null
  unique            its value is also held by an earlier row (failing = rows - distinct values)
  accepted_values   the value is not one of `values`
  range             the value is below `min` / above `max` (`inclusive: false`: or equal to it)
  regex             the value does not match `pattern` from its start (add `$` to match it whole)
  expression        `expr` is false for it (null is not false)
  unique_combination its combination of `columns` (nulls alike) is held by an earlier row
A table-level rule fails as a whole (failing = 1 or 0): row_count (outside min..max), freshness
(the newest `column` value older than `max_age` at the run's start), type (the column's Spark
type is not `type`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from framework.checks import CheckSpec
from framework.dialects import spark_ident
from framework.errors import EtlError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

ROW_RULES = ("not_null", "accepted_values", "range", "regex", "expression")
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def col(name: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(spark_ident(name))


def columns_of(check: CheckSpec) -> list[str]:
    """The columns of the checked table a check reads (a relationship's own column only)."""
    p = check.params
    if check.column is not None:
        return [check.column]
    if check.rule in ("relationship", "freshness"):
        return [p["column"]]
    if check.rule == "unique_combination":
        return list(p["columns"])
    return []


def anchored(pattern: str) -> str:
    """pandera's `str_matches` matches from the value's start (Python's re.match); so do we."""
    return pattern if pattern.startswith("^") else f"^{pattern}"


def failing_rows(check: CheckSpec) -> Column | None:
    """The condition true exactly for the rows a row-wise rule fails on; None for the others."""
    from pyspark.sql import functions as F

    p = check.params
    if check.rule == "expression":
        return ~F.expr(p["expr"])
    if check.rule not in ROW_RULES:
        return None
    c = col(check.column)
    if check.rule == "not_null":
        return c.isNull()
    if check.rule == "accepted_values":
        return c.isNotNull() & ~c.isin(list(p["values"]))
    if check.rule == "regex":
        return c.isNotNull() & ~c.rlike(anchored(p["pattern"]))
    inside = F.lit(True)
    inclusive = p.get("inclusive", True) is not False
    if p.get("min") is not None:
        inside = inside & ((c >= p["min"]) if inclusive else (c > p["min"]))
    if p.get("max") is not None:
        inside = inside & ((c <= p["max"]) if inclusive else (c < p["max"]))
    return c.isNotNull() & ~inside


# counted by aggregates Spark can also observe while other work reads the rows (no distinct
# count, no join): the row-wise rules, freshness's newest value, row_count (the rows)
OBSERVABLE = (*ROW_RULES, "freshness", "row_count")


def observable(check: CheckSpec) -> bool:
    """Whether the check's tally can be counted by `DataFrame.observe` on a query that reads
    the rows anyway (a read's counting pass, a sink's write)."""
    return check.rule in OBSERVABLE


def tallies(i: int, check: CheckSpec, where: Column | None = None) -> list[Column]:
    """What check number `i` adds to the table's one aggregate pass (named `q<i>`). `where`:
    only the rows it holds for are the table (an observed read's good records)."""
    from pyspark.sql import functions as F

    name = f"q{i}"
    cond = failing_rows(check)
    if where is not None and check.rule not in OBSERVABLE:
        raise ValueError(f"{check.name} cannot be counted on part of the rows")
    if cond is not None:
        return [F.count_if(cond if where is None else where & cond).alias(name)]
    if check.rule == "unique":
        c = col(check.column)
        return [(F.count(c) - F.count_distinct(c)).alias(name)]
    if check.rule == "unique_combination":
        combo = F.struct(*[col(c) for c in check.params["columns"]])
        return [(F.count(F.lit(1)) - F.count_distinct(combo)).alias(name)]
    if check.rule == "freshness":  # newest value as epoch seconds (a date: its midnight)
        value = col(check.params["column"]).cast("timestamp")
        newest = F.max(value if where is None else F.when(where, value))
        return [F.unix_timestamp(newest).alias(name)]
    return []


def max_age(text: Any) -> timedelta:
    """`36h`, `2d`, `90m`, `45s`, `1w` as a timedelta."""
    m = _AGE.match(str(text))
    if not m:
        raise EtlError(f"freshness max_age {text!r} is not a duration",
                       hint="write a number and a unit: 90m, 36h, 2d, 1w")
    return timedelta(**{_AGE_UNITS[m.group(2)]: float(m.group(1))})


def table_verdict(check: CheckSpec, tally: Any, rows: int, started: float) -> tuple[int, str]:
    """(failing, detail) of a rule counted by the aggregate pass; `started`: the run's start as
    epoch seconds (freshness is measured from it)."""
    if check.rule == "row_count":
        lo, hi = check.params.get("min"), check.params.get("max")
        bad = (lo is not None and rows < lo) or (hi is not None and rows > hi)
        return int(bad), f"{rows:,} rows"
    if check.rule == "freshness":
        limit = max_age(check.params["max_age"]).total_seconds()
        if tally is None:
            return 1, "no value in the column"
        age = started - float(tally)
        return int(age > limit), f"newest value {_duration(age)} old"
    return int(tally or 0), ""


def _duration(seconds: float) -> str:
    if seconds < 0:
        return "0s (in the future)"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def sample_frame(check: CheckSpec, df: DataFrame) -> DataFrame | None:
    """The rows to show for a failed row-wise or uniqueness rule (unordered); None when the
    rule fails as a whole (row_count, freshness, type) or has its own rows (relationship,
    query: the engine samples those)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cond = failing_rows(check)
    if cond is not None:
        return df.filter(cond)
    if check.rule not in ("unique", "unique_combination"):
        return None
    keys = columns_of(check)
    seen = F.count(F.lit(1)).over(Window.partitionBy(*[col(k) for k in keys]))
    dups = df.withColumn("__etl_dup", seen).filter(F.col("__etl_dup") > 1)
    if check.rule == "unique":
        dups = dups.filter(col(keys[0]).isNotNull())
    return dups.drop("__etl_dup").orderBy(*[col(k) for k in keys])

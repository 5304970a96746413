"""Column rules through pandera's PySpark backend (`pandera.pyspark`).

pandera answers pass or fail per rule, never how many rows fail: each of its built-in checks is
`filter(not rule).limit(1).count() == 0`, one Spark job that stops at the first failing row
(and scans the whole table when none fails). It does not raise either; it collects what failed on
the returned frame's `.pandera.errors`, read here at once. So the failing rows of every rule are
counted by the table's one aggregate pass (`framework.runtime.quality.rules`), which decides the
status, and pandera validates a column rule as a schema of its own (one column, one check: its
own time and its own message) when `wanted`: by default only the rules the pass found failing
(and the type rule, which costs no job), as a job per rule costs more than the whole pass.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.checks import CheckSpec
from framework.errors import EtlError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


_IMPORT = threading.Lock()
# Which column rules pandera validates: "failures" (default) -- those the aggregate pass found
# failing rows for (pandera confirms, in its words), and every `type` rule (a schema check, no
# Spark job); "all" -- every column rule, a Spark job each (what that costs: bench/quality_bench.py)
MODE_VARIABLE = "ETL_QUALITY_PANDERA"
MODES = ("failures", "all")


def mode() -> str:
    value = os.environ.get(MODE_VARIABLE, "failures").strip().lower() or "failures"
    if value not in MODES:
        raise EtlError(f"{MODE_VARIABLE}={value!r} is not a pandera mode",
                       hint=f"use one of {', '.join(MODES)}")
    return value


def wanted(check: CheckSpec, failing: int) -> bool:
    """Whether pandera validates this column rule (see MODE_VARIABLE)."""
    return check.rule == "type" or failing > 0 or mode() == "all"


def load():
    """`pandera.pyspark`, imported by one thread at a time: tasks checking tables in parallel
    would otherwise import it at once and deadlock on pandera's circular imports."""
    with _IMPORT:
        import pandera.config
        import pandera.pyspark

    return pandera.pyspark


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str | None  # pandera's words when it failed
    seconds: float


def validate(df: DataFrame, check: CheckSpec) -> Verdict:
    """Run one column rule through pandera on `df` (cached by the caller)."""
    pa = load()
    from pandera.config import config_context

    schema = pa.DataFrameSchema({check.column: _column(df, check)}, name=check.name)
    t0 = time.monotonic()
    with config_context(validation_enabled=True, validation_depth="SCHEMA_AND_DATA",
                        cache_dataframe=False):
        errors = schema.validate(df).pandera.errors  # read at once: nothing is raised
    messages = [str(e.get("error", "")) for by_reason in errors.values()
                for found in by_reason.values() for e in found]
    return Verdict(not messages, "; ".join(messages) or None, round(time.monotonic() - t0, 3))


def _column(df: DataFrame, check: CheckSpec):
    """A pandera Column holding just this rule. Its dtype is the column's own (pandera refuses a
    check on a column whose declared type differs), except for the type rule."""
    Column = load().Column  # noqa: N806

    actual = df.schema[check.column].dataType
    if check.rule == "not_null":
        return Column(actual, nullable=False)
    if check.rule == "type":
        return Column(spark_type(df, check.params["type"]), nullable=True)
    return Column(actual, checks=[_check(check)], nullable=True)


def _check(check: CheckSpec):
    Check = load().Check  # noqa: N806

    p, tag = check.params, check.name
    if check.rule == "accepted_values":
        return Check.isin(list(p["values"]), error=tag)
    if check.rule == "regex":
        return Check.str_matches(p["pattern"], error=tag)
    if check.rule == "unique":
        return Check(_no_duplicates, name="unique", error=tag, nulls="ignored")
    inclusive = p.get("inclusive", True) is not False
    lo, hi = p.get("min"), p.get("max")
    if lo is not None and hi is not None:
        return Check.in_range(lo, hi, include_min=inclusive, include_max=inclusive, error=tag)
    if lo is not None:
        return (Check.ge if inclusive else Check.gt)(lo, error=tag)
    if hi is not None:
        return (Check.le if inclusive else Check.lt)(hi, error=tag)
    raise EtlError(f"check {check.name}: range needs min or max", hint="add min: or max:")


def _no_duplicates(data: Any, nulls: str) -> bool:
    """pandera's PySpark backend has no per-column uniqueness check: this one, in its style (one
    job, passed or not). `nulls` is there because pandera hands a column to a custom check only
    when the check has keyword arguments."""
    from pyspark.sql import functions as F

    from framework.runtime.quality.rules import col

    c = col(data.column_name)
    frame = data.dataframe.filter(c.isNotNull()) if nulls == "ignored" else data.dataframe
    return frame.groupBy(c).count().filter(F.col("count") > 1).limit(1).count() == 0


def spark_type(df: DataFrame, name: str):
    """A Spark SQL type name (`bigint`, `decimal(10,2)`, `array<string>`) as a DataType."""
    from pyspark.sql.types import _parse_datatype_string

    try:
        return _parse_datatype_string(str(name))
    except Exception as exc:  # noqa: BLE001 (Spark's parser raises several kinds)
        raise EtlError(f"type check: {name!r} is not a Spark SQL type",
                       hint="use a type name such as string, int, bigint, double, "
                            "decimal(10,2), date, timestamp") from exc

"""Data-quality checks as the spec holds them: plain frozen data, no I/O, no pyspark.

A check guards a source (after reading), a step (when computed) or a sink (its staged version,
before the swap). Each is one rule with its parameters, a severity and optional thresholds on
the number or share of failing rows. The rule catalogue (`RULES`) is the one place that says
which rules exist, whether they look at one column, and which parameters they take; validation,
the plan and the engine all read it.

Status of a check, from its failing rows `f` out of `n`:
  failed  - severity `error` and `error_if` holds (default: f > 0): the table is not published;
  warned  - otherwise, when `warn_if` holds (default: f > 0): recorded, never blocks;
  passed  - neither.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

from framework.errors import Location

SEVERITIES = ("error", "warn")

# rule -> (looks at one column, parameters it accepts, of which required)
# Column rules run through pandera on the checked DataFrame; table rules in one aggregate pass.
RULES: dict[str, tuple[bool, tuple[str, ...], tuple[str, ...]]] = {
    # column rules
    "not_null": (True, (), ()),
    "unique": (True, (), ()),
    "accepted_values": (True, ("values",), ("values",)),
    "range": (True, ("min", "max", "inclusive"), ()),  # at least one of min/max
    "regex": (True, ("pattern",), ("pattern",)),
    "type": (True, ("type",), ("type",)),  # a Spark SQL type name
    # table rules
    "row_count": (False, ("min", "max"), ()),  # at least one of min/max
    "unique_combination": (False, ("columns",), ("columns",)),
    "relationship": (False, ("column", "to"), ("column", "to")),  # to: table_or_id.column
    "expression": (False, ("expr",), ("expr",)),  # a Spark SQL boolean every row satisfies
    "freshness": (False, ("column", "max_age"), ("column", "max_age")),  # max_age: 36h, 2d
    # Spark SQL returning the failing rows; `{this}` is the checked table, `{<id>}` another
    # source's, step's or sink's rows in this run (e.g. sessions per day add up to the sessions)
    "query": (False, ("sql",), ("sql",)),
}
# rule -> (when a row fails it, an example value of `- <rule>: <value>`): the reference docs and
# the editor schema show both; tests validate every example
RULE_DOCS: dict[str, tuple[str, Any]] = {
    "not_null": ("the value is null", "event_id"),
    "unique": ("it repeats a value already seen (rows with a value minus distinct values)",
               {"column": "event_id"}),
    "accepted_values": ("the value is not in the list",
                        {"column": "device", "values": ["mobile", "desktop", "tablet"]}),
    "range": ("the value is below `min` or above `max` (`inclusive: false`: or equal to one)",
              {"column": "price", "min": 0, "max": 10000}),
    "regex": ("the value does not match `pattern` from its start (end the pattern with `$` to "
              "match the value whole)", {"column": "event_id", "pattern": "E[0-9]+$"}),
    "type": ("the column has another type (the table fails as a whole)",
             {"column": "price", "type": "decimal(10,2)"}),
    "row_count": ("the table has fewer than `min` or more than `max` rows (as a whole)",
                  {"min": 1}),
    "unique_combination": ("it repeats a combination of the columns already seen (nulls count "
                           "as equal)", ["session_id", "event_sequence"]),
    "relationship": ("its `column` (not null) is not among the values of `to`, another table's "
                     "column", {"column": "user_id", "to": "dim_users.user_id"}),
    "expression": ("the Spark SQL boolean is false (null is not false)", "revenue >= 0"),
    "freshness": ("the newest value of `column` is older than `max_age` at the run's start, or "
                  "there is none (as a whole)", {"column": "event_ts", "max_age": "2d"}),
    "query": ("it is one of the rows the query returns",
              "SELECT * FROM {this} WHERE session_end < session_start"),
}
COLUMN_RULES = tuple(rule for rule, (per_column, _, _) in RULES.items() if per_column)
TABLE_RULES = tuple(rule for rule, (per_column, _, _) in RULES.items() if not per_column)

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
        "=": operator.eq, "==": operator.eq, "!=": operator.ne}
THRESHOLD_OPERATORS = tuple(_OPS)  # `warn_if` / `error_if`: `<op> <count>` or `<op> <share>%`


@dataclass(frozen=True)
class Threshold:
    """`> 10` (failing rows) or `> 1%` (their share of the rows checked)."""

    op: str  # one of _OPS
    value: float
    share: bool = False  # value is a percentage of the rows checked
    text: str = ""  # as written

    def holds(self, failing: int, rows: int) -> bool:
        amount = (100.0 * failing / rows if rows else 0.0) if self.share else failing
        return _OPS[self.op](amount, self.value)


DEFAULT_THRESHOLD = Threshold(">", 0, False, "> 0")


@dataclass(frozen=True)
class CheckSpec:
    rule: str  # a key of RULES
    column: str | None = None  # column rules: the column; table rules: None
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"  # error: blocks the publish when error_if holds; warn: recorded
    warn_if: Threshold = DEFAULT_THRESHOLD
    error_if: Threshold = DEFAULT_THRESHOLD
    label: str | None = None  # `name:` as written; else one is made from the rule
    loc: Location | None = None

    @property
    def name(self) -> str:
        """How messages, the plan and the record name it: `not_null(event_id)`,
        `relationship(user_id -> dim_users.user_id)`, `row_count(min=1)`."""
        if self.label:
            return self.label
        if self.column is not None:
            return f"{self.rule}({self.column})"
        p = self.params
        if self.rule == "relationship":
            return f"relationship({p.get('column')} -> {p.get('to')})"
        if self.rule == "unique_combination":
            return f"unique_combination({', '.join(p.get('columns', ()))})"
        if self.rule == "expression":
            return f"expression({p.get('expr')})"
        if self.rule == "query":
            return "query"
        if self.rule == "freshness":
            return f"freshness({p.get('column')} within {p.get('max_age')})"
        return f"{self.rule}({', '.join(f'{k}={v}' for k, v in p.items())})"

    def status(self, failing: int, rows: int) -> str:
        if self.severity == "error" and self.error_if.holds(failing, rows):
            return "failed"
        if self.warn_if.holds(failing, rows):
            return "warned"
        return "passed"


def summary_line(statuses: list[str] | tuple[str, ...]) -> str:
    """`42 checks: 40 passed, 2 warned, 0 failed`, from each check's status."""
    n = {status: sum(s == status for s in statuses) for status in ("passed", "warned", "failed")}
    return (f"{len(statuses)} check{'s' if len(statuses) != 1 else ''}: {n['passed']} passed, "
            f"{n['warned']} warned, {n['failed']} failed")

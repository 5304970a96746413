"""Generic, domain-free transforms: sql, select, rename, cast, filter, dedupe, join, aggregate,
union, window, derive and repartition.

Each is a plain function `fn(ctx, inputs, params) -> DataFrame` registered with its parameters'
JSON Schema. Expressions are Spark SQL strings (parsed with `F.expr`/`selectExpr`), so a step reads
the same as SQL would. pyspark is imported inside the functions only: validation and planning
import this module to read the schemas and must not start a JVM.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from framework.dialects import spark_ident
from framework.errors import EtlError, did_you_mean
from framework.registry import transform

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from framework.runtime.context import TransformContext

Inputs = dict[str, "DataFrame"]

_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
_EXPRS = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1},
          "minProperties": 1}


def _doc(schema: dict, description: str) -> dict:
    """`schema` with its description (the reference docs and editors show it)."""
    return {**schema, "description": description}


def _only(inputs: Inputs) -> DataFrame:
    return next(iter(inputs.values()))


def _require_columns(df: DataFrame, names: list[str], step: str, what: str) -> None:
    """Raise a located, did-you-mean error for the first name `df` does not have."""
    have = df.columns
    for name in names:
        if name not in have:
            hint = did_you_mean(name, have, otherwise=f"columns are: {', '.join(have)}")
            raise EtlError(f"step {step!r}: {what} names unknown column {name!r}", hint=hint)


@transform("sql", {"type": "object", "properties": {}}, inputs=(0, None))
def sql(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Run a Spark SQL query; `{{ ref('name') }}` stands for an input or any earlier step.

    The query is the step's `sql:` text, rendered with Jinja. Each declared input is registered
    as a temporary view named after the step and the input; `ref()` returns that view's quoted
    name, and also reaches any other step or source already computed in this run.

    Example:
        - id: daily_revenue
          inputs: [orders]
          sql: |
            select order_date, sum(amount) as revenue
            from {{ ref('orders') }}
            group by order_date
    """
    from framework.templating import render_sql

    text = ctx.sql
    if not text:
        raise EtlError(f"step {ctx.step_id!r}: a sql step needs its query in `sql:`",
                       hint="add `sql: select ... from {{ ref('input') }}` to the step")
    binder = _ViewBinder(ctx, inputs)
    return ctx.spark.sql(render_sql(text, ref=binder.ref))


class _ViewBinder:
    """Registers DataFrames as step-scoped temp views and answers `ref(name)` with their names."""

    def __init__(self, ctx: TransformContext, inputs: Inputs):
        self.ctx, self.inputs, self.bound = ctx, inputs, {}
        for name in inputs:
            self.ref(name)

    def view_name(self, name: str) -> str:
        """`__etl_<step>__<name>__<hash>`: readable, stable across reruns, and never shared by
        two steps or two inputs. The hash of the exact (step, name) pair keeps apart what the
        readable part alone would not (step `a` reading `b__c` and step `a__b` reading `c`,
        names differing only in case, which Spark's view names ignore): steps run side by side
        on one session, so a shared view could hand a step another step's rows."""
        step, table = (re.sub(r"\W", "_", s) for s in (self.ctx.step_id, name))
        digest = hashlib.sha256(f"{self.ctx.step_id}\0{name}".encode()).hexdigest()[:12]
        return f"__etl_{step}__{table}__{digest}"

    def ref(self, name: str) -> str:
        if name not in self.bound:
            df = self.inputs.get(name)
            df = df if df is not None else self.ctx.views.get(name)
            if df is None:
                raise self._unknown(name)
            df.createOrReplaceTempView(self.view_name(name))
            self.bound[name] = spark_ident(self.view_name(name))
        return self.bound[name]

    def _unknown(self, name: str) -> EtlError:
        known = sorted({*self.inputs, *self.ctx.views})
        hint = did_you_mean(name, known, shown=lambda c: f"ref({c!r})",
                            otherwise=f"ref() takes one of: {', '.join(known) or '(nothing yet)'}")
        return EtlError(f"step {self.ctx.step_id!r}: ref({name!r}) names no input or step", hint)


@transform("select", {"properties": {"columns": _doc(
    {**_NAMES, "minItems": 1}, "the output columns, in order: a name, `*`, or "
    "`<SQL expression> as <alias>`")}, "required": ["columns"]})
def select(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Keep, reorder or compute columns: each entry is a name or `expression as alias`.

    Example:
        - id: orders_slim
          transform: select
          input: orders
          params: {columns: [order_id, "amount * 1.2 as gross", "*"]}
    """
    return _only(inputs).selectExpr(*params["columns"])


@transform("rename", {"properties": {"columns": _doc(_EXPRS, "old name -> new name")},
                      "required": ["columns"]})
def rename(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Rename columns: a mapping of old name to new name; other columns stay as they are.

    Example:
        - id: orders_named
          transform: rename
          input: orders
          params: {columns: {ts: ordered_at, amt: amount}}
    """
    df = _only(inputs)
    _require_columns(df, list(params["columns"]), ctx.step_id, "rename")
    return df.withColumnsRenamed(dict(params["columns"]))


@transform("cast", {"properties": {"columns": _doc(_EXPRS, "column -> Spark SQL type")},
                    "required": ["columns"]})
def cast(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Change column types: a mapping of column to Spark SQL type (int, decimal(10,2), date...).

    Values that do not convert become null (Spark's cast semantics, ANSI mode off) or fail the
    step (ANSI mode on).

    Example:
        - id: orders_typed
          transform: cast
          input: orders
          params: {columns: {amount: "decimal(10,2)", ordered_at: timestamp}}
    """
    from pyspark.sql import functions as F

    df = _only(inputs)
    _require_columns(df, list(params["columns"]), ctx.step_id, "cast")
    return df.withColumns({c: F.col(spark_ident(c)).cast(t) for c, t in params["columns"].items()})


@transform("filter", {"properties": {"condition": _doc(
    {"type": "string", "minLength": 1}, "a Spark SQL boolean; the rows where it is true stay")},
    "required": ["condition"]})
def filter_rows(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Keep the rows where a SQL condition is true (null counts as false).

    Example:
        - id: purchases
          transform: filter
          input: events
          params: {condition: "event_type = 'purchase' and quantity > 0"}
    """
    from pyspark.sql import functions as F

    return _only(inputs).filter(F.expr(params["condition"]))


@transform("dedupe", {"properties": {
    "keys": _doc({**_NAMES, "minItems": 1}, "columns identifying a row: one row per key "
                 "combination is kept (without keys: whole-row duplicates are dropped)"),
    "order_by": _doc({**_NAMES, "minItems": 1}, "SQL sort items (`updated_at desc`): the first "
                     "row per key in this order is kept")},
                      "dependentRequired": {"order_by": ["keys"]}})
def dedupe(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Drop duplicate rows: whole-row duplicates, or all but one row per `keys`.

    With `order_by` (SQL sort items such as `ts desc`), the first row per key in that order is
    kept; give a total order for a repeatable result. Without it, which row survives is Spark's
    choice.

    Example:
        - id: latest_orders
          transform: dedupe
          input: orders
          params: {keys: [order_id], order_by: ["updated_at desc"]}
    """
    df = _only(inputs)
    keys = params.get("keys")
    if not keys:
        return df.dropDuplicates()
    _require_columns(df, keys, ctx.step_id, "dedupe keys")
    if not params.get("order_by"):
        return df.dropDuplicates(keys)
    rn = _unused_column(df, "__etl_rn")
    rank = f"row_number() over ({_window_spec(keys, params['order_by'])}) as {spark_ident(rn)}"
    return df.selectExpr("*", rank).filter(f"{spark_ident(rn)} = 1").drop(rn)


def _unused_column(df: DataFrame, base: str) -> str:
    """`base`, or `base_2`, `base_3`...: a helper column name the input does not have (in any
    case: Spark resolves names that way), so it never takes or drops one of the user's."""
    taken = {c.casefold() for c in df.columns}
    return next(n for n in (base, *(f"{base}_{i}" for i in range(2, len(taken) + 3)))
                if n.casefold() not in taken)


def _window_spec(partition_by: list[str], order_by: list[str]) -> str:
    parts = []
    if partition_by:
        parts.append("partition by " + ", ".join(spark_ident(c) for c in partition_by))
    if order_by:
        parts.append("order by " + ", ".join(order_by))
    return " ".join(parts)


_JOIN_HOW = {"inner": "inner", "left": "left", "right": "right", "full": "full",
             "semi": "left_semi", "anti": "left_anti"}


@transform("join", {"properties": {
    "on": {"oneOf": [{"type": "string", "minLength": 1}, {**_NAMES, "minItems": 1}],
           "description": "the key column, or a list of them, present in both inputs"},
    "how": {"enum": list(_JOIN_HOW), "default": "inner",
            "description": "semi: left rows with a match; anti: left rows without one"},
}, "required": ["on"]}, inputs=2, broadcastable=True)
def join(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Join two inputs on equal key columns (the keys appear once in the result).

    `how` is inner, left, right, full, semi (left rows with a match) or anti (without one).
    Inputs named in the step's `broadcast:` get a broadcast hint: list the small side.

    Example:
        - id: orders_with_customers
          transform: join
          inputs: [orders, customers]
          params: {on: customer_id, how: left}
          broadcast: [customers]
    """
    from pyspark.sql import functions as F

    unknown = [b for b in ctx.broadcast if b not in inputs]
    if unknown:
        raise EtlError(f"step {ctx.step_id!r}: broadcast names {unknown[0]!r}, not an input",
                       hint=f"broadcast one of the step's inputs: {', '.join(inputs)}")
    left, right = (F.broadcast(df) if name in ctx.broadcast else df
                   for name, df in inputs.items())
    on = [params["on"]] if isinstance(params["on"], str) else list(params["on"])
    _require_columns(left, on, ctx.step_id, "join key (left input)")
    _require_columns(right, on, ctx.step_id, "join key (right input)")
    return left.join(right, on=on, how=_JOIN_HOW[params.get("how", "inner")])


@transform("aggregate", {"properties": {
    "group_by": _doc(_NAMES, "the grouping columns (none: one group, one row)"),
    "aggregations": _doc(_EXPRS, "output column -> SQL aggregate expression (`sum(amount)`)")},
    "required": ["aggregations"]})
def aggregate(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Group rows and compute aggregates: a mapping of output column to SQL aggregate expression.

    Without `group_by` the whole input is one group (one output row).

    Example:
        - id: revenue_by_day
          transform: aggregate
          input: orders
          params:
            group_by: [order_date]
            aggregations: {orders: "count(*)", revenue: "sum(amount)"}
    """
    from pyspark.sql import functions as F

    df = _only(inputs)
    group_by = list(params.get("group_by") or [])
    _require_columns(df, group_by, ctx.step_id, "group_by")
    aggs = [F.expr(expr).alias(alias) for alias, expr in params["aggregations"].items()]
    return df.groupBy(*[spark_ident(c) for c in group_by]).agg(*aggs)


@transform("union", {"properties": {
    "by_name": {"type": "boolean", "default": True,
                "description": "match columns by name (false: by position)"},
    "allow_missing_columns": {"type": "boolean", "default": False,
                              "description": "fill a column an input lacks with nulls (needs "
                                             "by_name)"},
}}, inputs=(2, None))
def union(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Stack the rows of two or more inputs (duplicates kept).

    Columns match by name (`by_name: true`, the default) or by position. With
    `allow_missing_columns`, a column missing from an input is filled with nulls.

    Example:
        - id: all_orders
          transform: union
          inputs: [web_orders, store_orders]
          params: {allow_missing_columns: true}
    """
    by_name = params.get("by_name", True)
    missing = params.get("allow_missing_columns", False)
    if missing and not by_name:
        raise EtlError(f"step {ctx.step_id!r}: allow_missing_columns needs by_name: true",
                       hint="columns can only be filled in when they are matched by name")
    frames = list(inputs.values())
    result = frames[0]
    for df in frames[1:]:
        result = (result.unionByName(df, allowMissingColumns=missing) if by_name
                  else result.union(df))
    return result


@transform("window", {"properties": {
    "partition_by": _doc(_NAMES, "the window's partition columns"),
    "order_by": _doc(_NAMES, "SQL sort items within a partition (`ts desc`)"),
    "columns": _doc(_EXPRS, "new column -> window function (`row_number()`, `lag(amount)`)")},
    "required": ["columns"]})
def window(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Add window-function columns computed over `partition_by`, ordered by `order_by`.

    `columns` maps each new column to a window function such as `row_number()`, `rank()`,
    `lag(amount)` or `sum(amount)`; `order_by` holds SQL sort items such as `ts desc`.

    Example:
        - id: orders_ranked
          transform: window
          input: orders
          params:
            partition_by: [customer_id]
            order_by: [ordered_at]
            columns: {order_seq: "row_number()", previous_amount: "lag(amount)"}
    """
    df = _only(inputs)
    partition_by = list(params.get("partition_by") or [])
    _require_columns(df, partition_by, ctx.step_id, "partition_by")
    spec = _window_spec(partition_by, list(params.get("order_by") or []))
    added = [f"{expr} over ({spec}) as {spark_ident(alias)}"
             for alias, expr in params["columns"].items()]
    return df.selectExpr("*", *added)


@transform("derive", {"properties": {"columns": _doc(
    _EXPRS, "column -> SQL expression, in order (a later one may use an earlier one)")},
    "required": ["columns"]})
def derive(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Add or replace columns from SQL expressions, in order (later ones may use earlier ones).

    Example:
        - id: orders_derived
          transform: derive
          input: orders
          params:
            columns:
              order_date: "to_date(ordered_at)"
              is_weekend: "dayofweek(order_date) in (1, 7)"
    """
    from pyspark.sql import functions as F

    df = _only(inputs)
    for name, expr in params["columns"].items():
        df = df.withColumn(name, F.expr(expr))
    return df


@transform("repartition", {"properties": {
    "num": {"type": "integer", "minimum": 1, "description": "the number of partitions"},
    "by": _doc({**_NAMES, "minItems": 1}, "columns to hash-partition by"),
    "coalesce": {"type": "boolean", "default": False,
                 "description": "merge down to num partitions without a shuffle (no by then)"},
}, "anyOf": [{"required": ["num"]}, {"required": ["by"]}]})
def repartition(ctx: TransformContext, inputs: Inputs, params: dict[str, Any]) -> DataFrame:
    """Change the number of partitions: `num`, hash by columns `by`, or both.

    `coalesce: true` merges down to `num` partitions without a shuffle (no `by` then); use it to
    write few files from a small table.

    Example:
        - id: orders_by_day
          transform: repartition
          input: orders
          params: {num: 8, by: [order_date]}
    """
    df = _only(inputs)
    num, by = params.get("num"), list(params.get("by") or [])
    _require_columns(df, by, ctx.step_id, "repartition by")
    if params.get("coalesce"):
        if by or not num:
            raise EtlError(f"step {ctx.step_id!r}: coalesce takes num and no by",
                           hint="drop `by`, or set coalesce: false to shuffle by columns")
        return df.coalesce(num)
    cols = [spark_ident(c) for c in by]
    return df.repartition(num, *cols) if num else df.repartition(*cols)

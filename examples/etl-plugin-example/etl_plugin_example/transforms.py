"""Two transforms for any table: `share_of_total` and `bucketize`.

Each is a plain function `fn(ctx, inputs, params)` registered with `@transform(name, params)`:
`params` is the JSON Schema of the step's `params:` (a `description` per parameter, a `default`
where one applies), the docstring's first line is its summary and its `Example:` block what
`etl transforms NAME` and `etl docs` show. pyspark is imported inside the functions only:
`etl validate` and `etl plan` import this module to read the schemas and never start Spark.
"""

from __future__ import annotations

from typing import Any

from framework.errors import EtlError
from framework.registry import transform

_COLUMN = {"type": "string", "minLength": 1}


@transform("share_of_total", {
    "properties": {
        "column": {**_COLUMN, "description": "the numeric column to share out"},
        "by": {"type": "array", "items": _COLUMN, "default": [],
               "description": "the groups whose totals the shares are of (none: the whole "
                              "table)"},
        "output": {**_COLUMN, "default": "share",
                   "description": "the column added: 100 x value / the group's total"},
    },
    "required": ["column"],
})
def share_of_total(ctx: Any, inputs: dict[str, Any], params: dict[str, Any]) -> Any:
    """Add each row's share of its group's total of a column, in percent.

    `output` = 100 x `column` / the sum of `column` over the rows with the same `by` values. It is
    null when the value is null, or when the group's total is 0 or null.

    Example:
      - id: order_share
        transform: share_of_total
        input: orders
        params: {column: amount, by: [country], output: share_of_country}
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    (df,) = inputs.values()
    _require(ctx, df, [params["column"], *params["by"]])
    total = F.sum(params["column"]).over(Window.partitionBy(*params["by"]))
    share = F.try_divide(F.col(params["column"]).cast("double") * 100, total.cast("double"))
    return df.withColumn(params["output"], F.when(total != 0, share))


@transform("bucketize", {
    "properties": {
        "column": {**_COLUMN, "description": "the numeric column to label"},
        "bounds": {"type": "array", "items": {"type": "number"}, "minItems": 1,
                   "description": "ascending limits between the buckets"},
        "labels": {"type": "array", "items": _COLUMN, "minItems": 2,
                   "description": "one label per bucket: one more than bounds"},
        "output": {**_COLUMN, "default": "bucket", "description": "the column added"},
    },
    "required": ["column", "bounds", "labels"],
})
def bucketize(ctx: Any, inputs: dict[str, Any], params: dict[str, Any]) -> Any:
    """Label each row by the bucket its value falls in.

    A value below `bounds[0]` gets `labels[0]`; from `bounds[i-1]` up to (not including)
    `bounds[i]`, `labels[i]`; from the last bound on, the last label. A null value gets null.

    Example:
      - id: order_sizes
        transform: bucketize
        input: orders
        params: {column: amount, bounds: [20, 100], labels: [small, medium, large]}
    """
    from pyspark.sql import functions as F

    bounds, labels = params["bounds"], params["labels"]
    if len(labels) != len(bounds) + 1 or bounds != sorted(set(bounds)):
        raise EtlError(f"step {ctx.step_id!r}: bucketize needs ascending bounds and one label "
                       f"more than bounds ({len(bounds)} bounds, {len(labels)} labels)",
                       hint="e.g. bounds: [20, 100] with labels: [small, medium, large]")
    (df,) = inputs.values()
    _require(ctx, df, [params["column"]])
    value = F.col(params["column"])
    label = F.when(value.isNull(), F.lit(None).cast("string"))
    for bound, name in zip(bounds, labels, strict=False):
        label = label.when(value < bound, F.lit(name))
    return df.withColumn(params["output"], label.otherwise(F.lit(labels[-1])))


def _require(ctx: Any, df: Any, names: list[str]) -> None:
    """A step naming a column its input lacks fails with the columns it has."""
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise EtlError(f"step {ctx.step_id!r}: no column {missing[0]!r} in its input",
                       hint=f"the input's columns: {', '.join(df.columns)}")

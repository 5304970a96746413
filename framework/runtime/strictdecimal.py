"""Decimal columns of CSV and JSON sources, read strictly.

Spark's CSV and JSON readers parse a `decimal` value given as text in their default locale
(en-US) by deleting every comma from it first: `12,50` becomes 1250 and `1,2,3` becomes 123,
each a valid row. A file written with a decimal comma would load with every amount a hundred
times too large, and nothing would say so. So a CSV or JSON source whose declared schema has
decimal columns, read without a `locale` of its own, reads those columns as text in the pass
that counts the malformed records and converts them here: a number (`12.50`, `-3`, `.5`,
`1E+3`; a JSON number is read as its text) or one whose commas group thousands (`1,250.00`)
converts as Spark would have converted it (rounded half up to the column's scale); anything
else, or a number too large for the column, makes the record malformed, with the reason naming
the column and the text. The record kept for the quarantine is the row as read (a JSON object of
its fields: a CSV line is not at hand in this pass).

A source with a `locale` option (`de-DE`: comma decimals, dot thousands) is left to Spark's
locale-aware parser, which refuses what does not parse whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framework.dialects import spark_ident
from framework.runtime import sourcelines as lines

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DecimalType, StructType

# what java.math.BigDecimal reads (Spark's en-US decimal parser without its comma removal),
# and the same with commas between groups of three digits before the point
PLAIN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
GROUPED = r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?([eE][+-]?[0-9]+)?$"


def applies(source_format: str, options: dict[str, str], schema: StructType) -> bool:
    """A CSV or JSON read whose decimals Spark would parse in en-US (no `locale`, or en-US)."""
    from pyspark.sql.types import DecimalType

    if source_format not in ("csv", "json"):
        return False
    locale = (lines.option(options, "locale") or "en-US").replace("_", "-").lower()
    return locale == "en-us" and any(isinstance(f.dataType, DecimalType) for f in schema.fields)


def as_text(schema: StructType) -> StructType:
    """`schema` with its decimal columns read as strings."""
    from pyspark.sql.types import DecimalType, StringType, StructField, StructType

    return StructType([StructField(f.name, StringType(), f.nullable, f.metadata)
                       if isinstance(f.dataType, DecimalType) else f for f in schema.fields])


def checked(df: DataFrame, schema: StructType, corrupt: str) -> DataFrame:
    """`df`, read with `as_text(schema)` plus the corrupt-record, file and reason columns, with
    its decimal columns converted; a record with a decimal that does not convert becomes
    malformed (its row as read in `corrupt`, why in the reason column)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DecimalType

    converted: dict[str, Column] = {}
    problems: list[tuple[Column, Column]] = []
    for f in schema.fields:
        if not isinstance(f.dataType, DecimalType):
            continue
        raw = F.col(spark_ident(f.name))
        number = raw.rlike(PLAIN) | raw.rlike(GROUPED)
        value = F.when(number, F.regexp_replace(raw, ",", "").try_cast(f.dataType))
        converted[f.name] = value
        problems.append((raw.isNotNull() & value.isNull(), _why(f.name, f.dataType, raw, number)))
    bad = F.lit(False)
    for is_bad, _ in problems:
        bad = bad | is_bad
    why = F.coalesce(*[F.when(is_bad, reason) for is_bad, reason in problems])
    fresh = F.col(corrupt).isNull() & bad  # a record the reader itself kept
    row = F.to_json(F.struct(*[F.col(spark_ident(f.name)) for f in schema.fields]))
    return df.select(
        *[converted[f.name].alias(f.name) if f.name in converted else F.col(spark_ident(f.name))
          for f in schema.fields],
        F.when(fresh, row).otherwise(F.col(corrupt)).alias(corrupt),
        F.col(lines.FILE_COLUMN),
        F.when(fresh, why).otherwise(F.col(lines.REASON_COLUMN)).alias(lines.REASON_COLUMN))


def _why(name: str, dtype: DecimalType, raw: Column, number: Column) -> Column:
    """'decimal column 'price': '12,50' is not a number: ...'."""
    from pyspark.sql import functions as F

    comma = F.concat(
        F.lit(": a comma may only separate thousands in the en-US format Spark reads (alone "
              "it would have read "), F.regexp_replace(raw, ",", ""),
        F.lit("); for a decimal comma give the source options: {locale: de-DE} (or the "
              "files' own locale)"))
    return F.concat(
        F.lit(f"decimal column {name!r}: '"), raw, F.lit("' "),
        F.when(number, F.lit(f"does not fit {dtype.simpleString()}"))
         .when(raw.contains(","), F.concat(F.lit("is not a number"), comma))
         .otherwise(F.lit("is not a number")))

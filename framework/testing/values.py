"""A pipeline test's values as Python values of a Spark column type, and back to text.

`convert(value, type)` turns what a test file holds -- a YAML scalar, or the text of a CSV
cell -- into the Python value Spark takes for that type (an int for `int`, a `Decimal` for
`decimal(10,2)`, an aware UTC `datetime` for `timestamp`, ...), or raises `ValueError` saying in
plain words what is wrong. `strict` (fixture rows, which become data) also refuses what Spark
would round or overflow; expected rows are only compared, so they are converted leniently.
`shown(value)` writes a value for a diff. Pure Python: no pyspark.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_ALIASES = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint",
            "real": "float", "bool": "boolean"}
_INT_BITS = {"tinyint": 8, "smallint": 16, "int": 32, "bigint": 64}
_DECIMAL = re.compile(r"^decimal(?:\((\d+),\s*(\d+)\))?$")
_TEXT = re.compile(r"^(?:var)?char\(\d+\)$")
_ARRAY = re.compile(r"^array<(.+)>$")
TRUE, FALSE = ("true",), ("false",)


def normalize(type_name: str) -> str:
    """A Spark SQL type name as `DataType.simpleString()` writes it: 'long' -> 'bigint',
    'integer' -> 'int', 'decimal' -> 'decimal(10,0)', 'varchar(5)' -> 'string'."""
    name = type_name.strip().lower()
    name = _ALIASES.get(name, name)
    if _TEXT.match(name):
        return "string"
    match = _DECIMAL.match(name)
    if match:
        return f"decimal({match.group(1) or 10},{match.group(2) or 0})"
    return name


def convert(value: Any, type_name: str, strict: bool = True) -> Any:
    """`value` as the Python value of Spark type `type_name`; None stays None."""
    if value is None:
        return None
    kind = normalize(type_name)
    if kind in _INT_BITS:
        return _integer(value, kind)
    if kind in ("double", "float"):
        return _floating(value)
    if kind.startswith("decimal"):
        return _decimal(value, kind, strict)
    if kind == "boolean":
        return _boolean(value)
    if kind == "date":
        return _date(value)
    if kind in ("timestamp", "timestamp_ntz"):
        return _timestamp(value, aware=kind == "timestamp")
    if kind == "string":
        return _text(value)
    if kind == "binary":
        return _text(value).encode("utf-8")
    array = _ARRAY.match(kind)
    if array:
        if not isinstance(value, list):
            raise ValueError(f"expected a list for {kind}, got {_what(value)}")
        return [convert(v, array.group(1), strict) for v in value]
    return value  # map<...>, struct<...>: taken as written


def _what(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _integer(value: Any, kind: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number ({kind}), got {_what(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number ({kind})") from None
    if not isinstance(value, int):
        raise ValueError(f"{_what(value)} is not a whole number ({kind})")
    bits = _INT_BITS[kind]
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise ValueError(f"{value} does not fit in {kind} ({bits} bits)")
    return value


def _floating(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{_what(value)} is not a number")
    try:
        return float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None


def _decimal(value: Any, kind: str, strict: bool) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{_what(value)} is not a number ({kind})")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number ({kind})") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number ({kind})")
    precision, scale = (int(x) for x in _DECIMAL.match(kind).groups())  # type: ignore[union-attr]
    if strict:
        places = -number.as_tuple().exponent  # type: ignore[operator]
        if places > scale:
            raise ValueError(f"{value} has more than {scale} decimal places ({kind})")
        if len(number.quantize(Decimal(1).scaleb(-scale)).as_tuple().digits) > precision:
            raise ValueError(f"{value} has more than {precision} digits ({kind})")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise ValueError(f"{_what(value)} is not true or false")


def _date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date (write it as YYYY-MM-DD)") from None


def _timestamp(value: Any, aware: bool) -> datetime:
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a timestamp (write it as YYYY-MM-DD HH:MM:SS, "
                             f"UTC unless it ends with an offset such as +02:00)") from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    stamp = stamp.replace(tzinfo=UTC)
    return stamp if aware else stamp.replace(tzinfo=None)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise ValueError(f"expected text, got {_what(value)}")
    return str(value)


def infer(values: list[Any]) -> str:
    """The Spark type of a fixture column whose type nothing declares, from its YAML values:
    bigint, double, boolean, else string (timestamps and dates need a declared type)."""
    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return "boolean"
    if kinds and kinds <= {int}:
        return "bigint"
    if kinds and kinds <= {int, float}:
        return "double"
    return "string"


def same(expected: Any, actual: Any, tolerance: float) -> bool:
    """Equal, a float within `tolerance` of the expected value (relative to it, absolute
    below 1), NaN equal to NaN."""
    if isinstance(expected, float) and isinstance(actual, int | float) \
            and not isinstance(actual, bool):
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        if math.isinf(expected) or math.isinf(actual):
            return expected == actual
        return abs(actual - expected) <= tolerance * max(1.0, abs(expected))
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            same(e, a, tolerance) for e, a in zip(expected, actual, strict=True))
    return expected == actual


def shown(value: Any) -> str:
    """A value as a diff writes it: null, true, 12.5, 2026-01-01 10:00:00, 'text'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") \
            if value.tzinfo else value.isoformat(sep=" ")
        return text
    if isinstance(value, date | Decimal | int | float):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return repr(value)

"""Number formats of a report: how a value is shown in a card, a table cell or on an axis, and
how a query's value is written to its CSV (exactly, never rounded)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool | str | dt.date):
        return None
    return float(value)


def show(value: Any, fmt: str) -> str:
    """`value` as the report shows it in `fmt` (FORMATS of framework.report.definition)."""
    if value is None:
        return "–"
    number = as_float(value)
    if number is None or fmt in ("text", "date"):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if fmt == "integer":
        return f"{round(number):,}"
    if fmt == "currency":
        return f"-${-number:,.2f}" if number < 0 else f"${number:,.2f}"
    if fmt == "percent":
        return f"{number:,.1f}%"
    if fmt == "rate":
        return f"{100 * number:,.1f}%"
    if fmt == "seconds":
        return duration(number)
    return f"{number:,.2f}" if number % 1 else f"{number:,.0f}"


def duration(seconds: float) -> str:
    """75 -> '1m 15s'; 3725 -> '1h 2m'; 42.5 -> '42.5s'."""
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds % 1 else f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def axis(fmt: str) -> str:
    """A short axis tick form of `fmt` (no cents on axes)."""
    return {"currency": "currency0", "number": "number0"}.get(fmt, fmt)


def tick(value: float, fmt: str) -> str:
    if fmt == "currency0":
        return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"
    if fmt == "number0":
        return f"{value:,.0f}" if abs(value) >= 10 or value == round(value) else f"{value:,.2g}"
    if fmt == "seconds":
        return duration(value) if value >= 0 else ""
    return show(value, fmt)


def csv_cell(value: Any) -> str:
    """A query value in its CSV: NULL empty, dates ISO, decimals as SQL gives them, floats
    as Python's shortest exact form."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)

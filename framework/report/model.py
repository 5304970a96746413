"""What the report page shows: plain, frozen values, already formatted for display.

The bundle builder fills these from the warehouse; `framework.report.page` renders them.
Nothing here imports pyspark or matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    """One headline metric: "Revenue" / "$1,234,567" / "over 30 days"."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart: its inline <svg> text and the PNG beside it in the bundle.

    png: path relative to the bundle, e.g. "charts/daily_trends.png".
    """

    id: str
    title: str
    svg: str
    png: str


@dataclass(frozen=True)
class Table:
    """A table, rows already formatted for display; csv: "tables/<id>.csv"."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    csv: str


@dataclass(frozen=True)
class Section:
    """One block of the page: its charts and tables and the SQL they come from.

    sql_file: "sql/<name>.sql", relative to the bundle.
    """

    id: str
    title: str
    description: str
    charts: tuple[Chart, ...]
    tables: tuple[Table, ...]
    sql: str
    sql_file: str


@dataclass(frozen=True)
class RunSummary:
    """The run the report was built from; tables: (table, rows, size, time), formatted."""

    run_id: str
    status: str
    seconds: float | None
    tables: tuple[tuple[str, str, str, str], ...]
    malformed: int
    quarantined: int


QUALITY_COLUMNS = ("Table", "Check", "Severity", "Status", "Failing rows", "Share", "Detail")


@dataclass(frozen=True)
class PageModel:
    """Everything the page shows; quality: one row of QUALITY_COLUMNS per check the run did."""

    title: str
    subtitle: str
    cards: tuple[Card, ...]
    sections: tuple[Section, ...]
    run: RunSummary | None
    quality: tuple[tuple[str, ...], ...] = ()

"""A pipeline test file as frozen dataclasses: tests, their fixtures and expected rows.

No I/O, no pyspark. Every piece keeps where it is written, so a problem found later (a value
that is not a timestamp, a row of the diff) points at its file:line:col.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from framework.errors import Location

SUFFIX = ".tests.yaml"  # <pipeline stem>.tests.yaml beside the pipeline file
EXTRA_COLUMNS = ("ignore", "fail")
COLUMN_ORDER = ("ignore", "check")
ROW_ORDER = ("ignore", "check")
DEFAULT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Rows:
    """Rows as written (inline or in a file): each a mapping column -> value, in file order."""

    columns: tuple[str, ...]  # every column any row names, in the order first named
    rows: tuple[dict[str, Any], ...]
    where: tuple[Location, ...]  # where each row is written
    cells: tuple[dict[str, Location], ...] = ()  # inline rows: where each value is written
    origin: Location | None = None  # the `rows:` or `file:` that holds them

    def cell(self, i: int, column: str) -> Location:
        """Where row `i`'s value of `column` is written (the row, when not known finer)."""
        found = self.cells[i].get(column) if i < len(self.cells) else None
        return found or self.where[i]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Fixture:
    """The rows a test gives for a source or step instead of computing it."""

    name: str  # the source or step id
    key: str  # its graph node: "source:<id>" or "step:<id>"
    rows: Rows
    types: dict[str, str] = field(default_factory=dict)  # `columns:` types declared by the test
    loc: Location | None = None


@dataclass(frozen=True)
class Expectation:
    rows: Rows
    key: tuple[str, ...] = ()  # rows are matched on these columns (else on every column)
    extra_columns: str = "ignore"  # output columns the expected rows do not name
    column_order: str = "ignore"
    row_order: str = "ignore"
    tolerance: float = DEFAULT_TOLERANCE  # floats: |actual - expected| <= tol * max(1, |exp|)
    loc: Location | None = None
    key_loc: Location | None = None


@dataclass(frozen=True)
class PipelineTest:
    name: str
    target: str  # its graph node: "step:<id>" or "sink:<table>"
    given: tuple[Fixture, ...]
    expect: Expectation
    vars: dict[str, str] = field(default_factory=dict)  # overrides, as `--var` takes them
    description: str = ""
    file: str = ""
    loc: Location | None = None
    vars_loc: Location | None = None

    @property
    def target_kind(self) -> str:
        return self.target.partition(":")[0]

    @property
    def target_id(self) -> str:
        return self.target.partition(":")[2]

    def fixture(self, key: str) -> Fixture | None:
        return next((f for f in self.given if f.key == key), None)


@dataclass(frozen=True)
class TestFile:
    __test__ = False  # not a pytest test class

    path: str
    tests: tuple[PipelineTest, ...]

"""How the engine talks to a person: a `Console` interface the engine reports to.

The engine never prints. The CLI plugs in `RichConsole` (live progress, tables, colours); tests plug
in `CapturingConsole`, which records every event so assertions can read them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class Console(Protocol):
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def stage(self, name: str, total: int) -> None: ...
    def task_started(self, task_id: str, description: str) -> None: ...
    def task_finished(self, task_id: str, status: str, detail: str = "") -> None: ...
    def spark_progress(self, task_id: str, done: int, total: int) -> None: ...
    def summary(self, title: str, columns: list[str], rows: list[list[Any]]) -> None: ...
    def show(self, text: str) -> None: ...  # a block to read as written (a test's diff)
    def close(self) -> None: ...


@dataclass
class CapturingConsole:
    """Records every call as (method, args) so tests can assert on what a person would see."""

    events: list[tuple[str, tuple]] = field(default_factory=list)

    def _rec(self, name: str, *args: Any) -> None:
        self.events.append((name, args))

    def info(self, message: str) -> None:
        self._rec("info", message)

    def warn(self, message: str) -> None:
        self._rec("warn", message)

    def stage(self, name: str, total: int) -> None:
        self._rec("stage", name, total)

    def task_started(self, task_id: str, description: str) -> None:
        self._rec("task_started", task_id, description)

    def task_finished(self, task_id: str, status: str, detail: str = "") -> None:
        self._rec("task_finished", task_id, status, detail)

    def spark_progress(self, task_id: str, done: int, total: int) -> None:
        self._rec("spark_progress", task_id, done, total)

    def summary(self, title: str, columns: list[str], rows: list[list[Any]]) -> None:
        self._rec("summary", title, columns, rows)

    def show(self, text: str) -> None:
        self._rec("show", text)

    def close(self) -> None:
        self._rec("close")

    def messages(self, kind: str) -> list[str]:
        return [args[0] for name, args in self.events if name == kind]


class NullConsole(CapturingConsole):
    """Discards everything (library use)."""

    def _rec(self, name: str, *args: Any) -> None:
        return None

"""The terminal console: live task progress with Spark job progress, then a summary table."""

from __future__ import annotations

from typing import Any

from rich.console import Console as RichTerminal
from rich.markup import escape as _markup
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from framework.text import printable_lines


def escape(text: str) -> str:
    """Shown as written: rich markup escaped, control characters (ESC, say) as `\\x1b`."""
    return _markup(printable_lines(text))


_MARKS = {"succeeded": "[green]✓[/]", "skipped": "[cyan]↷[/]", "failed": "[red]✗[/]"}


class RichConsole:
    """Implements framework.console.Console for people at a terminal (plain lines when piped)."""

    def __init__(self, terminal: RichTerminal | None = None, quiet: bool = False):
        self.term = terminal or RichTerminal(stderr=False, highlight=False)
        self.quiet = quiet
        self._progress: Progress | None = None
        self._tasks: dict[str, Any] = {}

    def _live(self) -> Progress:
        if self._progress is None:
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24),
                MofNCompleteColumn(), console=self.term, transient=True,
            )
            self._progress.start()
        return self._progress

    def info(self, message: str) -> None:
        if not self.quiet:
            self.term.print(f"[dim]{escape(message)}[/]")

    def warn(self, message: str) -> None:
        self.term.print(f"[yellow]warning:[/] {escape(message)}")

    def stage(self, name: str, total: int) -> None:
        if not self.quiet:
            self.term.print(f"[bold cyan]{escape(name)}[/] [dim]({total})[/]")

    def task_started(self, task_id: str, description: str) -> None:
        if self.term.is_terminal:
            self._tasks[task_id] = self._live().add_task(escape(description), total=None)

    def task_finished(self, task_id: str, status: str, detail: str = "") -> None:
        handle = self._tasks.pop(task_id, None)
        if handle is not None and self._progress is not None:
            self._progress.remove_task(handle)
        mark = _MARKS.get(status, status)
        self.term.print(f"  {mark} {escape(task_id)} [dim]{escape(detail)}[/]")

    def spark_progress(self, task_id: str, done: int, total: int) -> None:
        handle = self._tasks.get(task_id)
        if handle is not None and self._progress is not None:
            self._progress.update(handle, completed=done, total=total)

    def summary(self, title: str, columns: list[str], rows: list[list[Any]]) -> None:
        self.close()
        self.term.print(escape(title))  # a line of its own: a table's title wraps at its width
        table = Table()
        for i, col in enumerate(columns):
            table.add_column(col, justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*(escape(str(c)) for c in row))
        self.term.print(table)

    def show(self, text: str) -> None:
        self.close()  # after the live lines, not between them
        self.term.print(escape(text), soft_wrap=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

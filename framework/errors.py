"""The engine's exception tree and the located `Problem` every validation error becomes.

Every error the engine raises on purpose is an `EtlError`; the CLI maps each to an exit code and
prints its message and hint without a traceback. Validation collects `Problem`s (all of them, in one
pass) and raises one `SpecError` carrying the list.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from framework.text import printable  # noqa: F401  (messages that quote data use it)

KeyPath = tuple[str | int, ...]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def within_path(path: str, prefix: str) -> bool:
    """`path` is `prefix` or lies under it: 'steps[1].params' is within 'steps[1]'."""
    return bool(path) and (path == prefix or path.startswith((prefix + ".", prefix + "[")))


def format_path(path: KeyPath) -> str:
    """('steps', 3, 'params', 'keys') -> 'steps[3].params.keys'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def did_you_mean(word: str, choices: Iterable[object], hint: str = "", *, otherwise: str = "",
                 shown: Callable[[str], str] = repr) -> str:
    """'did you mean 'x'?' when a choice is close to `word`, then `hint`; `otherwise` is said
    only when none is close. `shown` writes the guess ('x' by default)."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    guess = f"did you mean {shown(close[0])}?" if close else otherwise
    return " ".join(p for p in (guess, hint) if p)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file; line and col are 1-based (0 when unknown)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.col}" if self.col else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pipeline: where, which key path, what, and what to do next."""

    message: str
    location: Location | None = None
    path: str = ""
    hint: str | None = None

    def format(self) -> str:
        where = str(self.location) if self.location else "<pipeline>"
        head = f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{head}\n    hint: {self.hint}" if self.hint else head

    def sort_key(self) -> tuple:
        loc = self.location or Location("")
        return (loc.file, loc.line, loc.col, self.path, self.message)


class EtlError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def format(self) -> str:
        return f"{self.message}\n    hint: {self.hint}" if self.hint else self.message


class SpecError(EtlError):
    """The pipeline file (or a file it names) is invalid; carries every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=Problem.sort_key)
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} found")

    def format(self) -> str:
        return "\n".join(p.format() for p in self.problems)


class UsageError(EtlError):
    """A command-line argument is wrong (a bad --var, an unknown --select)."""

    exit_code = 2


class SqlTemplateError(EtlError):
    """A SQL template cannot render: bad Jinja, an undefined name, a missing macro, an unknown
    dialect. The message starts with the template's file:line (`location`); `detail` is the
    message without it (what a validation Problem says)."""

    exit_code = 2

    def __init__(self, detail: str, hint: str | None = None, location: Location | None = None):
        super().__init__(f"{location}: {detail}" if location else detail, hint)
        self.detail = detail
        self.location = location


class RegistryError(EtlError):
    """A transform, generator or sink was registered twice or declared wrongly."""


class EnvironmentProblem(EtlError):
    """Something outside the pipeline is missing: Java, a database, a writable folder."""

    exit_code = 3


class StepError(EtlError):
    """User code (a transform, a generator, a source or a write) failed. The run adds the
    command that reruns what did not finish once the tasks running beside it have ended."""


@dataclass
class StepFailure:
    step_id: str
    kind: str
    error: str


class RunFailed(EtlError):
    """A run stopped; the published tables are untouched. Names how to resume."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None,
                 failures: list[StepFailure] | None = None):
        super().__init__(message, hint)
        self.failures = failures or []


class QualityError(EtlError):
    """A table broke an error-level data-quality check: it was not published (a sink keeps its
    previous version). Carries the failed checks' result records (`framework.runtime.quality`)."""

    def __init__(self, message: str, hint: str | None = None,
                 failed: list[dict] | None = None):
        super().__init__(message, hint)
        self.failed = failed or []


@dataclass
class DataError(EtlError):
    """Input data broke a rule the spec declared (malformed rows with on_malformed: fail, ...)."""

    message: str = ""
    hint: str | None = None
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        EtlError.__init__(self, self.message, self.hint)

"""One module per kind of plan task, each with the function that runs it.

A runner is `run(task, rec, state)`: `task` is the plan's typed task (`framework.plan`), `rec` its
entry in the run record (fill in rows, bytes, notes), `state` what the run's tasks share
(`framework.runtime.state.RunState`). It raises an `EtlError` for a failure it can word itself;
anything else is reported by the executor as the task's failure. To add a kind: a `Task` subclass
in `framework.plan`, a module here, and one line in `RUNNERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from framework.plan import Task
from framework.runtime.tasks import generate, postgres, prepare, read, sink, step, views

if TYPE_CHECKING:
    from framework.runtime.record import TaskRecord
    from framework.runtime.state import RunState

Runner = Callable[[Task, "TaskRecord", "RunState"], None]

RUNNERS: dict[str, Runner] = {
    "prepare": prepare.run,
    "generator": generate.run,
    "source": read.run,
    "step": step.run,
    "sink": sink.run,
    "postgres": postgres.run,
    "views": views.run,
}


def runner_for(task: Task) -> Runner:
    try:
        return RUNNERS[task.kind]
    except KeyError:
        raise RuntimeError(f"no runner for tasks of kind {task.kind!r}: add one to "
                           f"framework.runtime.tasks.RUNNERS") from None

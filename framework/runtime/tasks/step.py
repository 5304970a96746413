"""A step task: the registered transform called with its inputs (the outputs of the tasks it
reads) and its parameters; a SQL step gets its query through the context. The step's checks run
on its output once it is set."""

from __future__ import annotations

from collections.abc import Mapping

from framework.plan import StepTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState


def run(task: StepTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.publish import repartitioned

    tdef = state.registry.transforms[task.transform]
    inputs = {name: state.outputs[name] for name in task.inputs}
    ctx = state.transform_context(task.id, task.broadcast, task.sql)
    result = tdef.func(ctx, inputs, dict(task.params))
    if isinstance(result, Mapping):  # extra named outputs: `<step>.<name>` for later steps
        with state.lock:
            for name, df in result.items():
                if name != task.id:
                    state.outputs[f"{task.id}.{name}"] = df
        result = result.get(task.id, next(iter(result.values())))
    state.set_output(task, repartitioned(result, task.repartition), rec)
    if task.checks:
        from framework.runtime.quality.guard import check_output

        check_output(state, task, "step", task.checks)

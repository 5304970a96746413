"""A generator task: synthetic raw data landed as files, skipped when the same parameters
already landed there."""

from __future__ import annotations

from framework.plan import GenerateTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState


def run(task: GenerateTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.io import path_size
    from framework.runtime.landing import check_landing, land_generated, landed_with

    gen = state.spec.generator(task.id)
    folder = task.landing
    wanted = {"generator": task.generator, "params": task.params, "format": task.format}
    rec.path = folder
    if not state.options.regenerate and landed_with(folder, wanted):
        check_landing(folder, gen, landed=True)  # a file dropped in since is not its own
        rec.status, rec.note = "skipped", "raw data already landed for these parameters"
        rec.bytes = path_size(folder)
        return
    check_landing(folder, gen)  # before any work: files it did not write are never replaced
    gdef = state.registry.generators[task.generator]
    tables = gdef.func(state.transform_context(task.id), dict(task.params))
    land_generated(tables, folder, task.format, state.threads(), wanted)
    rec.bytes = path_size(folder)

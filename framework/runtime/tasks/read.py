"""A source task: a file source read with its declared schema, malformed rows counted and
dropped, quarantined or refused."""

from __future__ import annotations

from framework.plan import ReadTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState

_POLICY_WORDS = {"fail": "refused", "drop": "dropped", "quarantine": "quarantined"}


def run(task: ReadTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.io import path_size, read_source

    src = state.spec.source(task.id)
    result = read_source(state.spark, src, state.options.data_dir, state.record.run_id)
    rec.malformed, rec.quarantine = result.malformed, result.quarantine_path
    rec.rows, rec.note = result.rows, "; ".join(result.notes)
    for message in result.warnings:
        state.console.warn(message)
    rec.path = task.path
    rec.bytes = path_size(rec.path) if "://" not in rec.path else None
    if result.malformed:
        state.console.warn(f"source {src.id!r}: {result.malformed} malformed row(s) "
                           f"{_POLICY_WORDS[src.on_malformed]}"
                           + (f" to {result.quarantine_path}" if result.quarantine_path else ""))
    state.set_output(task, result.df, rec)

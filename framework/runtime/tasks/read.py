"""A source task: a file source read with its declared schema, malformed rows counted and
dropped, quarantined or refused (or the run stopped when more than `max_malformed` are), then
the source's checks run on the valid rows."""

from __future__ import annotations

from framework.errors import DataError, printable
from framework.plan import ReadTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState

_POLICY_WORDS = {"fail": "refused", "drop": "dropped", "quarantine": "quarantined"}


def run(task: ReadTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.io import path_size, read_source

    src = state.spec.source(task.id)
    result = read_source(state.spark, src, state.options.data_dir, state.record.run_id,
                         _observer(task, state))
    rec.malformed, rec.quarantine = result.malformed, result.quarantine_path
    rec.rows, rec.note = result.rows, "; ".join(result.notes)
    if result.rows is not None:  # input = valid + malformed (dropped, quarantined)
        rec.input_rows = result.rows + (result.malformed or 0)
    for message in result.warnings:
        state.console.warn(message)
    rec.path = task.path
    rec.bytes = path_size(rec.path) if "://" not in rec.path else None
    if result.malformed:
        state.console.warn(f"source {src.id!r}: {result.malformed} malformed row(s) "
                           f"{_POLICY_WORDS[src.on_malformed]}"
                           + (f" to {result.quarantine_path}" if result.quarantine_path else ""))
    _max_malformed(task, rec, result.quarantine_path)
    state.set_output(task, result.df, rec)
    if task.checks:
        from framework.runtime.quality.guard import check_output

        check_output(state, task, "source", task.checks, result.observed)


def _observer(task: ReadTask, state: RunState):
    """The source's checks' tallies, counted by the pass that counts the records read."""
    if not task.checks:
        return None
    from framework.runtime.quality import observed_tallies
    from framework.runtime.quality.guard import target_of

    target = target_of(state, task.key, "source", task.id)
    return lambda df, where: observed_tallies(df, task.checks, target, where)


def _max_malformed(task: ReadTask, rec: TaskRecord, quarantine: str | None) -> None:
    """More malformed records than the source allows: the run stops before anything built from
    it is published."""
    from framework.runtime.quality import percent, threshold_text

    limit, bad, total = task.max_malformed, rec.malformed or 0, rec.input_rows or 0
    if limit is None or not limit.holds(bad, total):
        return
    share = f" ({percent(bad, total)})" if total else ""
    kept = f"; they are in {printable(quarantine)}" if quarantine else ""
    raise DataError(
        message=(f"source {task.id!r}: {bad:,} of {total:,} records read are malformed{share}, "
                 f"more than max_malformed allows ({threshold_text(limit)})"
                 f"{kept}"),
        hint="nothing built from it was published (published tables are unchanged); if this "
             "many malformed records are expected, raise the source's max_malformed",
        details={"source": task.id, "malformed": bad, "input_rows": total},
    )

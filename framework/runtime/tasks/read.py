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
    keep, why = _keep(task, state)
    result = read_source(state.spark, src, state.options.data_dir, state.record.run_id,
                         _observer(task, state), keep)
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
    if result.kept:
        state.keep_source(task, result.df, rec, f"{keep} ({why})")
    else:
        state.set_output(task, result.df, rec)
    if task.checks:
        from framework.runtime.quality.guard import check_output

        check_output(state, task, "source", task.checks, result.observed)


# a CSV or JSON source up to this size keeps its parsed rows from the pass that counts them
PARSE_ONCE_MAX = 32 * 2**20


def _keep(task: ReadTask, state: RunState) -> tuple[str | None, str]:
    """The storage level the counting pass keeps the parsed rows at, and why: the plan's cache
    (a source read by several tasks), or, with auto_cache, any CSV or JSON source small enough
    (its files are then parsed once, not once to count and again for the steps)."""
    from framework.runtime.io import path_size

    if task.format == "parquet":
        return None, ""
    if task.cache:
        return task.cache, task.cache_reason
    opts = state.spec.optimizations
    if not opts.auto_cache or "://" in task.path:
        return None, ""
    size = path_size(task.path)
    if size > PARSE_ONCE_MAX:
        return None, ""
    return opts.storage_level, "parsed once: kept from the pass that counts the records"


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

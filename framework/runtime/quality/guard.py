"""Where checks meet a run: the tasks call `check_table` with what they computed (a source's
valid rows, a step's output, a sink's staged version); it runs the checks, adds the results to
the run record, says each warning on the console, and raises a `QualityError` naming every
error-level check that failed, so the table is not published and the run fails with the
command that reruns it (added by the executor)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from framework.checks import CheckSpec
from framework.checkspec import resolve_table
from framework.errors import EtlError, QualityError
from framework.masking import secret_values
from framework.runtime.quality import Target, describe, jobs, run_checks

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from framework.plan import Task
    from framework.runtime.state import RunState


def check_output(state: RunState, task: Task, at: str, checks: tuple[CheckSpec, ...],
                 observed: Mapping[str, Any] | None = None) -> None:
    """A source's or step's checks on its output. An output the plan does not cache is cached
    for them and kept until the sinks downstream have published (like the plan's caches): the
    tasks reading it next then read it from memory instead of computing it again. `observed`:
    what a source's read counted for them (see `run_checks`); then the output is cached only
    when the checks still make more than one Spark job (a source's one pass for its uniqueness
    rules reads just their columns, cheaper than caching every column)."""
    if not checks:
        return
    df = state.outputs[task.id]
    if not df.is_cached and (observed is None or jobs(checks, observed) > 1):
        from pyspark import StorageLevel

        df = df.persist(getattr(StorageLevel, state.spec.optimizations.storage_level))
        state.keep_cached(task, df)
    check_table(state, task.key, at, task.id, df, checks, cache=False, observed=observed)


def target_of(state: RunState, task_key: str, at: str, table: str) -> Target:
    return Target(task=task_key, at=at, table=table, data_dir=state.options.data_dir,
                  run_id=state.record.run_id, started=_started(state),
                  frames=lambda name: other_table(state, name),
                  secrets=tuple(secret_values(state.spec.vars, state.spec.secret_vars)))


def check_table(state: RunState, task_key: str, at: str, table: str, df: DataFrame,
                checks: tuple[CheckSpec, ...], cache: bool = True,
                observed: Mapping[str, Any] | None = None) -> list[dict]:
    """Run `checks` on `df`, record them, say the warnings; raise on an error-level failure.
    `observed`: see `run_checks`."""
    if not checks:
        return []
    target = target_of(state, task_key, at, table)
    results = run_checks(df, checks, target, cache, observed)
    with state.lock:
        state.record.quality.extend(results)
        for r in results:
            if r["status"] == "warned":
                state.console.warn(f"check warned on {at} {table!r}: {describe(r)}")
    failed = [r for r in results if r["status"] == "failed"]
    if failed:
        raise QualityError(_message(at, table, failed), hint=_hint(state, at, table),
                           failed=failed)
    return results


def _started(state: RunState) -> float:
    return datetime.fromisoformat(state.record.started_at).timestamp()


def _message(at: str, table: str, failed: list[dict]) -> str:
    what = {"sink": "table", "source": "source", "step": "step"}[at]
    lines = "\n".join(f"  - {describe(r)}" for r in failed)
    return f"{what} {table!r} failed {len(failed)} data-quality check(s):\n{lines}"


def _hint(state: RunState, at: str, table: str) -> str:
    """What stayed as it was; the executor adds what to do (fix, then the command that reruns)."""
    if at != "sink":
        return "nothing built from it was published (published tables are unchanged)"
    if os.path.lexists(os.path.join(state.warehouse_dir, table)):
        return "the previous version is still published"
    return "the table was not published"


def other_table(state: RunState, name: str) -> DataFrame:
    """A relationship's or query's other table: a sink by its table name or a source/step by
    its id, as this run computed it; when this run did not (a selection), the published table."""
    from framework.runtime.io import literal_path

    node = resolve_table(state.spec, name) or name  # as validation and the graph resolve it
    with state.lock:
        df = state.outputs.get(node)
    if df is not None:
        return df
    # a source or step id: the tables it feeds; a sink's table: that table
    tables = [s.table for s in state.spec.sinks if s.source == node] if node == name else [name]
    for table in tables:
        path = os.path.join(state.warehouse_dir, table)
        if os.path.lexists(path):
            return state.spark.read.parquet(literal_path(os.path.realpath(path)))
    raise EtlError(f"a check refers to {name!r}, which this run did not compute and the "
                   f"warehouse does not hold",
                   hint=f"run it in the same run (add --select {name}), or publish it first")

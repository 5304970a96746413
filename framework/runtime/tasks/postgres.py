"""The postgres task: every table the run's sinks staged in PostgreSQL swapped in at once (one
transaction, keys checked at its commit; framework.runtime.pgload.publish)."""

from __future__ import annotations

import hashlib

from framework.plan import PostgresPublishTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState


def staging_token(run_id: str) -> str:
    """The part of this run's staging table names that tells them from other runs'."""
    return hashlib.sha1(run_id.encode()).hexdigest()[:6]


def run(task: PostgresPublishTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.pgload import StagedTable, publish

    sinks = {s.table: s for s in state.spec.sinks}
    staged = []
    for table in task.tables:
        loaded = state.record.task(f"sink:{table}").postgres or {}
        staged.append(StagedTable(sinks[table], loaded["staged"], loaded["rows"],
                                  loaded.get("seconds", 0.0)))
    results = publish(state.postgres_target(), staged, task.templates)
    with state.lock:
        for result in results:
            sink_rec = state.record.task(f"sink:{result.table.rpartition('.')[2]}")
            sink_rec.postgres = {**(sink_rec.postgres or {}), "rows": result.rows,
                                 "views": list(result.views)}
        rec.rows = sum(r.rows for r in results)
        rec.note = f"{len(results)} table(s) into {task.schema}: " + ", ".join(task.tables)
        rec.postgres = {"tables": [r.table for r in results], "rows": rec.rows}


def drop_unpublished(state: RunState) -> None:
    """After a run that failed before its postgres task: the staging tables its sinks left."""
    from framework.runtime.pgload import drop_staging

    stages = [t.postgres["staged"] for t in state.record.tasks
              if t.postgres and t.postgres.get("staged")]
    if stages:
        drop_staging(state.postgres_target(), stages)

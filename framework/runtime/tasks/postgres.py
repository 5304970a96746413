"""The postgres task: every table the run's sinks staged loaded into PostgreSQL at once (one
transaction, keys checked at its commit; framework.runtime.pgload.publish)."""

from __future__ import annotations

from framework.plan import PostgresPublishTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState


def run(task: PostgresPublishTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.pgcopy import ParquetRows
    from framework.runtime.pgload import publish
    from framework.runtime.pgstage import StagedTable

    sinks = {s.table: s for s in state.spec.sinks}
    staged = []
    for table in task.tables:
        loaded = state.record.task(f"sink:{table}").postgres or {}
        staged.append(StagedTable(sinks[table], ParquetRows.from_record(loaded["source"]),
                                  loaded["rows"], loaded.get("seconds", 0.0)))
    results = publish(state.postgres_target(), staged, task.templates)
    with state.lock:
        for result in results:
            sink_rec = state.record.task(f"sink:{result.table.rpartition('.')[2]}")
            sink_rec.postgres = {**(sink_rec.postgres or {}), "rows": result.rows,
                                 "views": list(result.views),
                                 "copy_seconds": result.copy_seconds,
                                 "keys_seconds": result.keys_seconds}
        rec.rows = sum(r.rows for r in results)
        rec.note = f"{len(results)} table(s) into {task.schema}: " + ", ".join(task.tables)
        rec.postgres = {"tables": [r.table for r in results], "rows": rec.rows}


def drop_unpublished(state: RunState) -> None:
    """After a run that failed before its postgres task: the Parquet copies its sinks had
    Spark write for PostgreSQL (the published files are the warehouse's own)."""
    import shutil

    for task in state.record.tasks:
        source = (task.postgres or {}).get("source") or {}
        if source.get("scratch"):
            shutil.rmtree(source["folder"], ignore_errors=True)

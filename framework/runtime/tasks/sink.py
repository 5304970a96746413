"""A sink task: one warehouse table published atomically to Parquet (its checks run on the
staged version before the swap; a failed error-level check keeps the previous version), then
(when it targets PostgreSQL) the files holding the rows this publish wrote noted for the run's
postgres task, which loads them with the other tables (framework.runtime.pgstage)."""

from __future__ import annotations

import os

from framework.plan import SinkTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState


def run(task: SinkTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.pgstage import check_columns
    from framework.runtime.publish import publish_table

    sink = next(s for s in state.spec.sinks if s.table == task.id)
    df, published = state.outputs[task.source], None
    if "postgres" in task.targets:  # before Parquet too: the sink is all or nothing
        check_columns(df.columns, sink)
    if "parquet" in task.targets:
        check, observe = _staged_checks(sink, df, task, state)
        result = publish_table(df, state.warehouse_dir, sink, task.compression,
                               state.record.run_id, check, observe)
        with state.lock:
            rec.rows, rec.path, rec.bytes, rec.files = (result.rows, result.path,
                                                        result.bytes, result.files)
        published = result  # PostgreSQL gets what this publish wrote, from its files
    elif task.checks:  # PostgreSQL only: the rows to stage are the rows checked
        from framework.runtime.quality.guard import check_table

        check_table(state, task.key, "sink", sink.table, df, task.checks)
    if "postgres" in task.targets:
        _stage_postgres(sink, df, published, rec, state)
    state.release_after(task.key)


def _staged_checks(sink, df, task: SinkTask, state: RunState):
    """The sink's checks on its staged Parquet version (the table as it would be published,
    the rows an append keeps included), read back with the DataFrame's column types, and the
    aggregates to observe while writing. Not cached: each job reads just the columns it needs
    from the files. With mode overwrite the rows written are the staged version, so the
    row-wise rules, freshness and the row count are counted while writing (no pass of their
    own); append and overwrite_partitions keep rows of the current version too, so every rule
    is counted over the staged files."""
    if not task.checks:
        return None, ()
    observe = ()
    if sink.mode == "overwrite":
        from framework.runtime.quality import observed_tallies
        from framework.runtime.quality.guard import target_of

        observe = observed_tallies(df, task.checks, target_of(state, task.key, "sink",
                                                              sink.table))

    def check(staging: str, metrics: dict) -> None:
        from framework.runtime.io import literal_path
        from framework.runtime.quality.guard import check_table

        staged = state.spark.read.schema(df.schema).parquet(literal_path(staging))
        check_table(state, task.key, "sink", sink.table, staged, task.checks, cache=False,
                    observed=metrics if observe else None)

    return check, observe


def _stage_postgres(sink, df, published, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.pgstage import stage_published, stage_table

    staging = os.path.join(state.warehouse_dir, ".staging")
    os.makedirs(staging, exist_ok=True)
    target = state.postgres_target()
    staged = stage_table(df, sink, staging) if published is None else \
        stage_published(state.spark, df, published, sink, staging)
    with state.lock:
        rec.rows = staged.rows if rec.rows is None else rec.rows
        rec.postgres = {"table": f"{target.schema}.{sink.table}", "rows": staged.rows,
                        "seconds": staged.seconds, "source": staged.source.record()}
        rec.note = f"postgres {target.schema}.{sink.table} (staged)"

"""The views task: the pipeline's SQL views checked on Spark against the tables just published,
and created in PostgreSQL when the tables are loaded there."""

from __future__ import annotations

from framework.plan import ViewsTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState


def run(task: ViewsTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.sqlrun import postgres_views, spark_tables, spark_views
    from framework.sqltemplates import SqlRenderer

    spark_tables(state.spark, task.warehouse, [s.table for s in state.spec.sinks])
    spark_views(state.spark, SqlRenderer(task.templates, "spark"), task.views)
    rec.note = f"{len(task.views)} views checked on Spark"
    if task.postgres_schema:
        target = state.postgres_target()
        postgres_views(target, SqlRenderer(task.templates, "postgres", schema=target.schema),
                       task.views)
        rec.note += f", created in PostgreSQL schema {target.schema}"
    rec.path = task.templates

"""The views task: the pipeline's SQL views checked on Spark against the tables just published,
and created in PostgreSQL when the tables are loaded there. A view reading a table that was
never published (a first run with `--select`) waits for it, said in the task's note."""

from __future__ import annotations

from framework.plan import ViewsTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState


def run(task: ViewsTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.sqlrun import (
        postgres_tables,
        postgres_views,
        spark_tables,
        spark_views,
        views_over,
    )
    from framework.sqltemplates import SqlRenderer

    rec.path = task.templates
    tables = spark_tables(state.spark, task.warehouse, [s.table for s in state.spec.sinks])
    views = views_over(task.templates, task.views, tables)
    spark_views(state.spark, SqlRenderer(task.templates, "spark"), views)
    rec.note = f"{len(views)} views checked on Spark"
    if task.postgres_schema:
        target = state.postgres_target()
        created = views_over(task.templates, task.views, postgres_tables(target))
        postgres_views(target, SqlRenderer(task.templates, "postgres", schema=target.schema),
                       created)
        rec.note += f", {len(created)} created in PostgreSQL schema {target.schema}"
    waiting = [v for v in task.views if v not in views]
    if waiting:  # a partial run (--select) of a warehouse not yet complete
        rec.note += f"; {len(waiting)} wait for tables not published yet: {', '.join(waiting)}"

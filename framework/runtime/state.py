"""What the tasks of one run share: the spec and plan, the session, the outputs computed so far
and which of them are cached until their last sink has published.

The executor builds one `RunState` per run and hands it to each task's runner
(`framework.runtime.tasks`); every change to shared things happens under `lock`, because tasks
run on several threads.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from framework.console import Console
from framework.errors import EtlError
from framework.paths import data_path
from framework.plan import CachedTask, Plan, Task
from framework.registry import Registry
from framework.runtime.context import Observed, Summary, TransformContext
from framework.runtime.record import RunRecord, TaskRecord
from framework.spec import PipelineSpec


@dataclass(frozen=True)
class RunOptions:
    data_dir: str = "data"
    select: tuple[str, ...] = ()
    regenerate: bool = False
    run_id: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()  # the --var NAME=VALUE given, for the command that reruns
    target: str | None = None  # --target given (postgres: every sink loaded there too)
    stop_session: bool = True
    class_archive: bool = True  # start the JVM from `etl warmup`'s archive when there is one
    java_options: tuple[str, ...] = ()  # more driver JVM options (the warmup's recording)


@dataclass
class RunState:
    spec: PipelineSpec
    plan: Plan
    options: RunOptions
    console: Console
    registry: Registry
    record: RunRecord
    spark: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)  # source/step id -> DataFrame
    cached: dict[str, set[str]] = field(default_factory=dict)  # cached id -> sinks still to go
    observations: list[Observed] = field(default_factory=list)  # counts steps asked Spark for
    summaries: list[Summary] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    warehouse_lock: Any = None  # the warehouse's one-run-at-a-time lock, while the run holds it

    @property
    def warehouse_dir(self) -> str:
        return data_path(self.options.data_dir, self.spec.warehouse.path)

    def threads(self) -> int:
        """`parallel_tasks`: a number as given; auto: two per core of this machine, 2 to 8.
        Tasks spend much of their time waiting on the JVM (planning a query, checking files),
        so more tasks than cores keep the cores busy."""
        value = self.spec.optimizations.parallel_tasks
        if isinstance(value, int):
            return value
        return max(2, min(8, 2 * (os.cpu_count() or 1)))

    def transform_context(self, step_id: str, broadcast: tuple[str, ...] = (),
                          sql: str | None = None) -> TransformContext:
        return TransformContext(spark=self.spark, step_id=step_id, console=self.console,
                                data_dir=self.options.data_dir, broadcast=broadcast,
                                views=self.outputs, observations=self.observations,
                                summaries=self.summaries, sql=sql)

    def postgres_target(self):
        from framework.runtime.pgload import PostgresTarget

        wh = self.spec.warehouse
        if not wh.postgres_dsn:
            raise EtlError("a sink targets postgres but warehouse.postgres.dsn is not set",
                           hint="add warehouse: {postgres: {dsn: ${PG_DSN}}} and export PG_DSN")
        return PostgresTarget(wh.postgres_dsn, wh.postgres_schema)

    # -- outputs and their caches -----------------------------------------------------------
    def set_output(self, task: Task, df, rec: TaskRecord) -> None:
        """`df` is what `task` computed; cached (and counted now, so the step's real cost lands
        on the step) when the plan says so."""
        cache = task.cache if isinstance(task, CachedTask) else None
        if cache:
            from pyspark import StorageLevel

            df = df.persist(getattr(StorageLevel, cache))
            rec.cache = f"{cache} ({task.cache_reason})"
            rec.rows = df.count()
        with self.lock:  # tasks on other threads read outputs and release caches
            if cache:
                self.cached[task.id] = self._downstream_sinks(task.key)
            self.outputs[task.id] = df
        if cache:  # computed now: a source kept only until this step was cached can go
            self.release_after(task.key)

    def keep_source(self, task: Task, df, rec: TaskRecord, how: str) -> None:
        """`df`, a source's rows, was persisted and counted by the read itself: kept until
        every sink and cached step that reads it (directly or through uncached steps) has
        computed, since those no longer need the source."""
        rec.cache = how
        with self.lock:
            self.cached[task.id] = self._needed_until(task.key)
            self.outputs[task.id] = df

    def _needed_until(self, key: str) -> set[str]:
        by_key = {t.key: t for t in self.plan.tasks()}
        todo, until = [key], set()
        while todo:
            for consumer in by_key[todo.pop()].consumers:
                task = by_key[consumer]
                cached = isinstance(task, CachedTask) and task.cache
                (until.add if consumer.startswith("sink:") or cached else todo.append)(consumer)
        return until

    def keep_cached(self, task: Task, df) -> None:
        """`df`, `task`'s output, was cached after it was set (for its checks): release it like
        a cache the plan asked for, once the sinks downstream have published."""
        with self.lock:
            self.outputs[task.id] = df
            self.cached[task.id] = self._downstream_sinks(task.key)

    def _downstream_sinks(self, key: str) -> set[str]:
        by_key = {t.key: t for t in self.plan.tasks()}
        todo, sinks = [key], set()
        while todo:
            for consumer in by_key[todo.pop()].consumers:
                (sinks.add if consumer.startswith("sink:") else todo.append)(consumer)
        return sinks

    def release_after(self, sink_key: str) -> None:
        """`sink_key` has published: unpersist what no sink still to publish reads."""
        with self.lock:
            for node, pending in list(self.cached.items()):
                pending.discard(sink_key)
                if not pending:
                    self.outputs[node].unpersist()
                    del self.cached[node]

    def release_all(self) -> None:
        for node in list(self.cached):
            try:
                self.outputs[node].unpersist()
            except Exception:  # the session may already be gone
                pass
        self.cached.clear()

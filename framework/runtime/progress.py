"""Polls Spark's status tracker on a background thread and reports each running task's progress.

Every task runs its Spark jobs under a job group named by its key (`step:sessions`), so the
tasks of the jobs a task started can be counted for that task alone while others run beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from framework.console import Console


class SparkProgress:
    """While running, reports (task key, completed Spark tasks, total Spark tasks) of the active
    stages of each running task's jobs, and remembers which task each stage it saw ran for."""

    def __init__(self, spark, console: Console, running: Callable[[], list[str]],
                 interval: float = 0.5):
        self._tracker = spark.sparkContext.statusTracker()
        self._console = console
        self._running = running
        self._interval = interval
        self._stop = threading.Event()
        self.stage_owners: dict[int, str] = {}  # Spark stage id -> key of the task that ran it
        self._thread = threading.Thread(target=self._loop, name="spark-progress", daemon=True)

    def __enter__(self) -> SparkProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                active = set(self._tracker.getActiveStageIds())
                for key in self._running():
                    done, total = self._poll(key, active)
                    if total:
                        self._console.spark_progress(key, done, total)
            except Exception:  # the JVM may be shutting down; progress is best effort
                return

    def _poll(self, group: str, active: set[int]) -> tuple[int, int]:
        done = total = 0
        for job_id in self._tracker.getJobIdsForGroup(group):
            job = self._tracker.getJobInfo(job_id)
            if job is None or job.status != "RUNNING":
                continue
            for stage_id in active.intersection(job.stageIds):
                self.stage_owners[stage_id] = group
                info = self._tracker.getStageInfo(stage_id)
                if info is not None:
                    done += info.numCompletedTasks
                    total += info.numTasks
        return done, total

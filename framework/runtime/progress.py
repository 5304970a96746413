"""Polls Spark's status tracker on a background thread and reports job progress to the console."""

from __future__ import annotations

import threading

from framework.console import Console


class SparkProgress:
    """While running, reports (task label, completed tasks, total tasks) of active stages."""

    def __init__(self, spark, console: Console, interval: float = 0.5):
        self._tracker = spark.sparkContext.statusTracker()
        self._console = console
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="spark-progress", daemon=True)
        self.label = ""

    def __enter__(self) -> SparkProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                done, total = self._poll()
            except Exception:  # the JVM may be shutting down; progress is best effort
                return
            if total:
                self._console.spark_progress(self.label, done, total)

    def _poll(self) -> tuple[int, int]:
        done = total = 0
        for stage_id in self._tracker.getActiveStageIds():
            info = self._tracker.getStageInfo(stage_id)
            if info is not None:
                done += info.numCompletedTasks
                total += info.numTasks
        return done, total

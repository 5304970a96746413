"""Runs a group of tasks on a few threads, each as soon as the tasks it reads have finished."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from framework.plan import Task


class Scheduler:
    """The earliest ready task in plan order starts first (with one thread: one by one, in plan
    order).

    The first failure stops new tasks from starting; running ones finish (each publish is
    atomic) and the failure is raised in the main thread. An interrupt calls `cancel` (which
    cancels Spark's jobs) before waiting for the running tasks.
    """

    def __init__(self, run_task: Callable[[Task], None], threads: int,
                 cancel: Callable[[], None] = lambda: None):
        self.run_task, self.threads, self.cancel = run_task, threads, cancel
        self.pool = None

    def __enter__(self) -> Scheduler:
        if self.threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="etl-task")
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if self.pool is None:
            return
        if exc_type is KeyboardInterrupt:
            self.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, tasks: Sequence[Task]) -> None:
        if self.pool is None:
            for task in tasks:
                self.run_task(task)
            return
        from concurrent.futures import FIRST_COMPLETED, wait

        keys = {t.key for t in tasks}
        done: set[str] = set()
        waiting, running = list(tasks), {}
        failure: BaseException | None = None
        while True:
            ready = [t for t in waiting if all(d in done or d not in keys for d in t.deps)]
            while failure is None and ready and len(running) < self.threads:
                task = ready.pop(0)
                waiting.remove(task)
                running[self.pool.submit(self.run_task, task)] = task
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task = running.pop(future)
                if future.exception() is not None:
                    failure = failure or future.exception()
                else:
                    done.add(task.key)
        if failure is not None:
            raise failure
        if waiting:  # only a plan whose tasks wait on each other: build_plan never makes one
            raise RuntimeError(f"tasks never ready: {', '.join(t.key for t in waiting)}")

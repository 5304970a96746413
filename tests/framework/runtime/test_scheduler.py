"""The executor's scheduler on a real run: tasks overlap when `parallel_tasks` allows it, never
start before what they read has finished, and a failure stops new tasks but not running ones.

The steps use a `pause` transform registered here: it sleeps in Python (in the task's thread)
before returning its input, so overlapping tasks show up as overlapping intervals in the run
record whatever the machine's speed.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from framework.console import CapturingConsole
from framework.errors import EtlError
from framework.plan import build_plan
from framework.registry import REGISTRY, Registry, transform
from framework.runtime.executor import RunOptions, run_pipeline
from framework.validate import load_pipeline

pytestmark = pytest.mark.spark

PAUSE = 1.5

PIPELINE = """
pipeline: overlap
optimizations: {{parallel_tasks: {threads}}}
sources:
  orders:
    path: input/orders.csv
    format: csv
    schema: {{columns: {{order_id: string, amount: double}}}}
steps:
  - {{id: left, transform: pause, input: orders, params: {{seconds: {pause}, fail: {fail}}}}}
  - id: right
    transform: pause
    input: orders
    params: {{seconds: {pause}, spark_tasks: {spark_tasks}}}
  - id: both
    sql: select * from {{{{ ref('left') }}}} union all select * from {{{{ ref('right') }}}}
sinks:
  left_table: {{from: left}}
  right_table: {{from: right}}
  both_table: {{from: both}}
"""


def _registry() -> Registry:
    REGISTRY.load_plugins()
    reg = Registry(transforms=dict(REGISTRY.transforms), generators=dict(REGISTRY.generators),
                   _loaded=True)

    def pause(ctx, inputs, params):
        if params.get("fail"):  # fails while the other step still sleeps
            time.sleep(params["seconds"] / 3)
            raise ValueError("paused step told to fail")
        time.sleep(params["seconds"])
        df = next(iter(inputs.values()))
        if params.get("spark_tasks"):  # a Spark job of tasks that each sleep a little
            df.repartition(params["spark_tasks"]).rdd.foreach(lambda row: time.sleep(0.3))
        return df

    transform("pause", {"properties": {"seconds": {"type": "number"},
                                       "fail": {"type": "boolean"},
                                       "spark_tasks": {"type": "integer"}},
                        "required": ["seconds"]}, registry=reg)(pause)
    return reg


def _run(tmp_path, threads: int, fail: bool = False, spark_tasks: int = 0):
    (tmp_path / "data" / "input").mkdir(parents=True)
    (tmp_path / "data" / "input" / "orders.csv").write_text(
        "order_id,amount\no1,1.5\no2,2.5\n")
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE.format(threads=threads, pause=PAUSE, fail=str(fail).lower(),
                                    spark_tasks=spark_tasks))
    registry = _registry()
    spec = load_pipeline(str(path), registry=registry)
    data_dir = str(tmp_path / "data")
    plan = build_plan(spec, data_dir)
    options = RunOptions(data_dir=data_dir, stop_session=False)
    console = CapturingConsole()
    return spec, plan, options, console, registry


def _interval(record, key: str) -> tuple[float, float]:
    task = record.task(key)
    return task.started, task.started + task.seconds


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def _check_order(record, plan) -> None:
    """No task started before every task it reads had finished."""
    for task in plan.tasks():
        if record.task(task.key).started is None:
            continue
        for dep in task.deps:
            assert record.task(task.key).started >= _interval(record, dep)[1] - 1e-3, \
                f"{task.key} started before {dep} finished"


def test_independent_steps_run_at_once_and_consumers_wait_for_them(tmp_path):
    record = run_pipeline(*_run(tmp_path, threads=3))
    left, right = _interval(record, "step:left"), _interval(record, "step:right")
    assert _overlap(left, right) > PAUSE / 2  # the two pauses ran side by side
    _check_order(record, build_plan(load_pipeline(record.file, registry=_registry()),
                                    record.data_dir))
    assert record.task("step:both").started >= max(left[1], right[1])
    assert record.task("sink:both_table").rows == 4


def test_one_thread_runs_the_plan_one_task_at_a_time_in_plan_order(tmp_path):
    spec, plan, options, console, registry = _run(tmp_path, threads=1)
    record = run_pipeline(spec, plan, options, console, registry)
    intervals = sorted(_interval(record, t.key) for t in plan.tasks())
    for earlier, later in zip(intervals, intervals[1:], strict=False):
        assert later[0] >= earlier[1] - 1e-3  # no two tasks overlap
    started = [key for name, (key, *_) in console.events if name == "task_started"]
    assert started == [t.key for t in plan.tasks()]


def test_a_failure_lets_running_tasks_finish_and_starts_nothing_new(tmp_path):
    spec, plan, options, console, registry = _run(tmp_path, threads=3, fail=True)
    with pytest.raises(EtlError) as info:
        run_pipeline(spec, plan, options, console, registry)
    assert "left" in info.value.message and "told to fail" in info.value.message
    # the rerun covers both branches: left and what it feeds, and right's sink that never ran
    assert "--select left+ --select right_table" in info.value.hint
    runs = os.path.join(options.data_dir, "runs")
    with open(os.path.join(runs, os.listdir(runs)[0], "run.json")) as fh:
        status = {t["key"]: t["status"] for t in json.load(fh)["tasks"]}
    assert status["step:left"] == "failed"
    assert status["step:right"] == "succeeded"  # it was running: it finished
    # started after the failure: nothing; so every consumer of either step is still pending
    assert {status[k] for k in ("step:both", "sink:left_table", "sink:both_table",
                                "sink:right_table")} == {"pending"}
    assert not os.path.exists(os.path.join(options.data_dir, "warehouse", "right_table"))


def test_when_nothing_finished_the_hint_reruns_the_same_command(tmp_path):
    spec, plan, options, console, registry = _run(tmp_path, threads=1, fail=True)
    with pytest.raises(EtlError) as info:  # one thread: `left` fails before any other step
        run_pipeline(spec, plan, options, console, registry)
    assert info.value.hint.endswith(  # no --select to name
        f"run again: etl run {spec.file} --data-dir {options.data_dir}")


def test_spark_progress_is_reported_for_the_task_whose_jobs_run(tmp_path):
    spec, plan, options, console, registry = _run(tmp_path, threads=3, spark_tasks=7)
    run_pipeline(spec, plan, options, console, registry)
    progress = [args for name, args in console.events if name == "spark_progress"]
    # 7 tasks of 0.3 s on the cores Spark has: polled every 0.5 s while `right` runs its job
    assert all(0 <= done <= total for _, done, total in progress)
    sevens = {key for key, _, total in progress if total == 7}
    assert sevens == {"step:right"}  # its job's progress, and only under its name


def test_a_jvm_that_no_longer_answers_counts_as_gone_whatever_the_error_said():
    """A sink whose call was cut off by the JVM's death may see a plain Py4JError, not a lost
    connection: the executor asks the JVM once more before it words the failure."""
    from types import SimpleNamespace

    from framework.runtime.executor import Executor

    def dead():
        raise RuntimeError("Answer from Java side is empty")

    ex = Executor.__new__(Executor)
    ex.spark = None
    assert ex._jvm_answers()  # no session yet: nothing to have lost
    ex.spark = SimpleNamespace(sparkContext=SimpleNamespace(_jvm=SimpleNamespace(
        java=SimpleNamespace(lang=SimpleNamespace(System=SimpleNamespace(nanoTime=dead))))))
    assert not ex._jvm_answers()
    ex.spark.sparkContext._jvm.java.lang.System.nanoTime = lambda: 1
    assert ex._jvm_answers()

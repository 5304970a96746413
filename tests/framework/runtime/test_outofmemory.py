"""`framework.runtime.outofmemory`: finding the cause of a stopped JVM in Spark's log."""

from __future__ import annotations

from framework.runtime import outofmemory

# the shape of Spark 4's local-mode log when a task runs out of heap (trimmed)
LOG = """\
2026-11-30T16:34:14,995 WARN Utils: Your hostname, vm, resolves to a loopback address
2026-11-30T16:34:44,018 ERROR Utils: Aborting task
java.lang.OutOfMemoryError: Java heap space
\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)
2026-11-30T16:34:44,169 ERROR Executor: Exception in task 0.0 in stage 8.0 (TID 7)
java.lang.OutOfMemoryError: Java heap space
\tat org.apache.spark.unsafe.types.UTF8String.repeat(UTF8String.java:1010)
2026-11-30T16:34:44,405 WARN TaskSetManager: Lost task 0.0 in stage 8.0 (TID 7) (192.0.2.2 \
executor driver): java.lang.OutOfMemoryError: Java heap space
"""


def test_the_stage_whose_task_ran_out_is_found_in_the_log(tmp_path):
    path = tmp_path / "spark.log"
    path.write_text("2026-11-30 INFO nothing\n" * 1000 + LOG)
    assert outofmemory.in_log(str(path)) == outofmemory.OutOfMemory("Java heap space", 8)


def test_the_lost_task_line_alone_names_the_stage():
    line = ("WARN TaskSetManager: Lost task 3.0 in stage 12.1 (TID 40) (h executor driver): "
            "java.lang.OutOfMemoryError: GC overhead limit exceeded")
    assert outofmemory.find(line) == outofmemory.OutOfMemory("GC overhead limit exceeded", 12)


def test_an_error_message_without_a_stage_and_logs_without_oom():
    found = outofmemory.find("Py4JJavaError: ... java.lang.OutOfMemoryError\n at x")
    assert found == outofmemory.OutOfMemory("out of memory", None)
    # a stage that failed for another reason is not taken for the one that ran out
    other = "ERROR Executor: Exception in task 0.0 in stage 3.0 (TID 1)\njava.io.IOException: x"
    assert outofmemory.find(other) is None
    assert outofmemory.find(other + "\n" + LOG).stage == 8


def test_a_missing_log_is_no_answer(tmp_path):
    assert outofmemory.in_log(str(tmp_path / "absent.log")) is None


def test_the_hint_names_the_setting_and_its_current_value():
    assert "driver_memory: 4g" in outofmemory.hint(None, "/x/spark.log")
    assert "now 700m" in outofmemory.hint("700m", "/x/spark.log")
    assert "Spark's default is 1g" in outofmemory.hint(None, "/x/spark.log")
    assert "parallel_tasks: 1" in outofmemory.hint(None, "/x/spark.log")

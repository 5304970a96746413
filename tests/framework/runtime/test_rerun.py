"""The command that reruns what a failed run left: a pure function of the plan's tasks and their
states, checked here without Spark on hand-made plans."""

from __future__ import annotations

from framework.plan import ReadTask, SinkTask, StepTask
from framework.runtime.rerun import rerun_command, rerun_hint

CMD = "etl run p.yaml"


def _step(name, *deps):
    return StepTask(id=name, deps=tuple(f"step:{d}" if d != "src" else "source:src"
                                        for d in deps),
                    transform="filter", inputs=deps)


def _sink(table, source):
    return SinkTask(id=table, deps=(f"step:{source}",), source=source, mode="overwrite",
                    targets=("parquet",), path=f"/w/{table}", compression="zstd")


SRC = ReadTask(id="src", format="csv", path="/in.csv", on_malformed="fail", schema="inferred")
# src -> clean -> {daily -> t_daily, users -> t_users}; clean -> t_clean
TASKS = [SRC, _step("clean", "src"), _step("daily", "clean"), _step("users", "clean"),
         _sink("t_daily", "daily"), _sink("t_users", "users"), _sink("t_clean", "clean")]


def _status(**states):
    out = {t.key: "succeeded" for t in TASKS}
    out.update({k.replace("__", ":"): v for k, v in states.items()})
    return out


def test_nothing_finished_means_the_same_command_again_with_its_selection():
    status = {t.key: "pending" for t in TASKS}
    status["step:clean"] = "failed"
    hint = rerun_hint(TASKS, status, CMD, selection=["clean+"], first_failed="step:clean")
    assert hint == f"fix the cause above, then run again: {CMD} --select clean+"


def test_the_failed_step_comes_first_with_what_depends_on_it_and_other_branches_after():
    status = _status(step__daily="pending", step__users="failed", sink__t_daily="pending",
                     sink__t_users="pending")
    hint = rerun_hint(TASKS, status, CMD, first_failed="step:users")
    assert hint.endswith(f"Rerun only what did not finish: {CMD} --select users+ --select daily+")
    assert "tables not published by this run are unchanged" in hint


def test_a_sink_alone_is_named_without_a_plus_and_finished_branches_are_left_out():
    status = _status(sink__t_clean="failed")
    hint = rerun_hint(TASKS, status, CMD, first_failed="sink:t_clean")
    assert hint.endswith(f"{CMD} --select t_clean")


def test_a_name_a_step_and_a_sink_share_is_qualified():
    tasks = [SRC, _step("orders", "src"), _sink("orders", "orders"), _sink("other", "orders")]
    status = {t.key: "succeeded" for t in tasks}
    status.update({"sink:orders": "failed", "sink:other": "pending"})
    hint = rerun_hint(tasks, status, CMD, first_failed="sink:orders")
    assert hint.endswith(f"{CMD} --select sink:orders --select other")


def test_a_task_downstream_of_an_unfinished_one_is_not_named_twice():
    status = _status(step__clean="failed", step__daily="pending", step__users="pending",
                     sink__t_daily="pending", sink__t_users="pending", sink__t_clean="pending")
    status["source:src"] = "succeeded"
    hint = rerun_hint(TASKS, status, CMD, first_failed="step:clean")
    # every step and sink is unfinished: the run again, whole
    assert hint == f"fix the cause above, then run again: {CMD}"
    status["sink:t_clean"] = "succeeded"  # published before the failure (another thread)
    hint = rerun_hint(TASKS, status, CMD, first_failed="step:clean")
    assert hint.endswith(f"{CMD} --select clean+")


def test_the_command_repeats_overrides_masks_secrets_and_names_a_data_folder(tmp_path):
    command = rerun_command("p.yaml", ["days=3", "PG_PASSWORD=hunter2", "token=abc"],
                            str(tmp_path), secret_vars=["token"])
    assert command == (f"etl run p.yaml --var days=3 --var 'PG_PASSWORD=***' "
                       f"--var 'token=***' --data-dir {tmp_path}")
    assert rerun_command("my file.yaml", [], "data") == "etl run 'my file.yaml'"


def test_the_command_repeats_the_target():
    assert rerun_command("p.yaml", ["days=3"], "data", target="postgres") == \
        "etl run p.yaml --target postgres --var days=3"

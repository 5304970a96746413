"""bench/profile_run.py sums Spark's event log per task of the run (job group) as it claims: each
Spark task's metrics go to the group of the job its stage belongs to, spans run from the group's
first job start to its last job end, and the totals add the groups."""

from __future__ import annotations

import json

import pytest
from e2e.helpers import bench_script

profile_run = bench_script("profile_run")


def _job(job: int, stages: list[int], at_ms: int, group: str | None) -> dict:
    props = {"spark.jobGroup.id": group} if group else {}
    return {"Event": "SparkListenerJobStart", "Job ID": job, "Stage IDs": stages,
            "Submission Time": at_ms, "Properties": props}


def _task(stage: int, run_ms: int, cpu_ns: int, gc_ms: int, read: int = 0,
          shuffled: int | None = None) -> dict:
    metrics = {"Executor Run Time": run_ms, "Executor CPU Time": cpu_ns, "JVM GC Time": gc_ms,
               "Input Metrics": {"Records Read": read}}
    if shuffled is not None:
        metrics["Shuffle Read Metrics"] = {"Total Records Read": shuffled}
    return {"Event": "SparkListenerTaskEnd", "Stage ID": stage, "Task Metrics": metrics}


def test_summarize_groups_task_metrics_by_the_job_group_of_their_stage(tmp_path):
    folder = tmp_path / "eventlog_v2_local-1"
    folder.mkdir()
    events = [
        {"Event": "SparkListenerApplicationStart", "Timestamp": 0},
        _job(0, [0, 1], 1_000, "source:events"),
        _task(0, 2_000, 1_500_000_000, 100, read=600),
        _task(0, 1_000, 500_000_000, 0, read=400),
        _task(1, 500, 250_000_000, 0, shuffled=1000),
        {"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": 4_000},
        _job(1, [2], 5_000, "sink:fact_events"),
        _job(2, [3], 5_500, "source:events"),  # a second job of the same task, later
        _task(2, 3_000, 2_000_000_000, 200, read=1000),
        _task(3, 250, 100_000_000, 0),
        {"Event": "SparkListenerJobEnd", "Job ID": 2, "Completion Time": 6_250},
        {"Event": "SparkListenerJobEnd", "Job ID": 1, "Completion Time": 9_000},
        _job(3, [4], 9_500, None),
        _task(4, 100, 50_000_000, 0),
        {"Event": "SparkListenerJobEnd", "Job ID": 3, "Completion Time": 9_700},
    ]
    (folder / "events_1_local-1").write_text("\n".join(json.dumps(e) for e in events) + "\n")

    result = profile_run.summarize(str(tmp_path))

    source = result["groups"]["source:events"]
    assert source == {"jobs": 2, "span": 5.25, "run": 3.75, "cpu": 2.35, "gc": 0.1,
                      "read": 1000, "shuffled": 1000}
    assert result["groups"]["sink:fact_events"] == {
        "jobs": 1, "span": 4.0, "run": 3.0, "cpu": 2.0, "gc": 0.2, "read": 1000, "shuffled": 0}
    assert result["groups"]["(no group)"]["run"] == pytest.approx(0.1)
    assert result["total"]["jobs"] == 4
    assert result["total"]["run"] == pytest.approx(3.75 + 3.0 + 0.1)
    assert result["total"]["read"] == 2000


def test_the_table_lists_the_heaviest_task_first():
    result = {"seconds": 12.0, "total": {"jobs": 2, "run": 5.0, "cpu": 3.0, "gc": 0.0,
                                         "read": 10, "shuffled": 0},
              "groups": {"a": {"jobs": 1, "span": 1.0, "run": 1.0, "cpu": 1.0, "gc": 0.0,
                               "read": 5, "shuffled": 0},
                         "b": {"jobs": 1, "span": 2.0, "run": 4.0, "cpu": 2.0, "gc": 0.0,
                               "read": 5, "shuffled": 0}}}
    lines = profile_run._table("etl", result).splitlines()
    rows = [line.split("|")[1].strip() for line in lines if line.startswith("| ")][2:]
    assert rows == ["b", "a", "**all**"]


def _result(seconds: float, run: float, start: float | None = None) -> dict:
    return {"seconds": seconds, "groups": {}, "before_first_task": start,
            "total": {"jobs": 1, "run": run, "cpu": run, "gc": 0.0, "read": 0, "shuffled": 0}}


def test_the_floor_spreads_the_skilled_tasks_over_every_core():
    # 60 slot-seconds on 2 cores cannot take less than 30 s; 0.6 of 55 s is 33 s: above that,
    # but not once etl's own 4 s to its first task come before the same work
    runs = {"etl": _result(66.0, 90.0, start=4.0), "skilled": _result(55.0, 60.0)}
    f = profile_run.floor(runs, 2, 0.6)
    assert f["skilled_task_floor"] == 30.0
    assert f["goal_seconds"] == 33.0
    assert f["etl_floor"] == 34.0 and f["etl_start"] == 4.0
    assert f["etl_task_floor"] == 45.0
    assert f["ratio"] == pytest.approx(66 / 55, abs=1e-3)
    assert not f["reachable"] and "below the floor" in profile_run._floor_text(f)
    # a goal above the floor is said to be so
    f = profile_run.floor({"skilled": _result(45.0, 40.0)}, 4, 0.6)
    assert f["skilled_task_floor"] == 10.0 and "etl_floor" not in f
    assert f["reachable"] and "above the floor" in profile_run._floor_text(f)


def test_the_time_before_the_first_task_comes_from_the_task_launches(tmp_path, monkeypatch):
    folder = tmp_path / "ev"
    folder.mkdir()
    events = [_job(0, [0], 1_000_000, "a"),
              {**_task(0, 500, 10, 0), "Task Info": {"Launch Time": 1_002_500}},
              {**_task(0, 500, 10, 0), "Task Info": {"Launch Time": 1_001_500}}]
    (folder / "events_1_app").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    assert profile_run.summarize(str(folder))["first_task"] == 1001.5
    monkeypatch.setattr(profile_run, "_run", lambda cmd, events: (9.0, 1000.0))
    result = profile_run._profiled(["x"], str(folder))
    assert result["before_first_task"] == 1.5 and result["seconds"] == 9.0

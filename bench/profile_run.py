"""Where a run's time goes: `etl run` and the skilled script (bench/skilled_etl.py) on the same
landed data, each with Spark's event log on, summed per task of the run (the job group `etl run`
gives every Spark job: `source:events`, `sink:fact_events`, ...) and in all.

For each task: its Spark jobs, the span from its first job's start to its last job's end, the
executor time its Spark tasks ran, of which CPU and GC, and the records they read from files and
from shuffles. The totals say how much work each program asked of the two cores, apart from how
it was scheduled; `seconds` is the whole process, JVM start included.

usage: python bench/profile_run.py DATA_DIR [--sessions N] [--only etl|skilled] [--goal 0.6]
                                   [--json OUT]

It ends with what the speed goal asks (`etl run` in at most `--goal` of the skilled script's
time) against the least time the skilled script's own Spark work can take here: its tasks' run
time spread over every core with none idle (`floor`). When the goal is below that floor, no
program running the same Spark work (let alone more: the checks) can meet it on this machine.

DATA_DIR holds a landed ~1M-event run (`make bench` leaves one; or `etl run
pipelines/clickstream.yaml --data-dir DATA_DIR --var sessions=86956`); --sessions must match
the landed data's (86956 by default) so `etl run` does not generate again.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = os.path.join(ROOT, "pipelines", "clickstream.yaml")


def _submit_args(events: str) -> str:
    """PySpark's launch arguments turning the event log on, uncompressed (read with the standard
    library). Not a SPARK_CONF_DIR: that folder joins the JVM's class path, and a class path
    other than the one `etl warmup` recorded keeps the JVM from its class-data archive."""
    conf = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{events}",
            "spark.eventLog.compress": "false"}
    return " ".join(f"--conf {k}={v}" for k, v in conf.items()) + " pyspark-shell"


def _run(cmd: list[str], events: str) -> tuple[float, float]:
    """The process's seconds, and when it started (epoch seconds, the event log's clock)."""
    env = {**os.environ, "PYSPARK_SUBMIT_ARGS": _submit_args(events), "TERM": "dumb",
           "PYSPARK_PYTHON": sys.executable}
    started, t0 = time.time(), time.monotonic()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return round(time.monotonic() - t0, 2), started


def _events(folder: str):
    """The one application's events (Spark writes `eventlog_v2_<app>/events_<n>_<app>`)."""
    for path in sorted(glob.glob(os.path.join(folder, "**", "events_*"), recursive=True)):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


def summarize(folder: str) -> dict:
    """Per job group and in all: jobs, span, task run / CPU / GC seconds, records read; and
    when the first Spark task started and the last one ended (epoch seconds)."""
    job_group, stage_job = {}, {}
    launches = []
    spans: dict[str, list[float]] = defaultdict(list)
    per: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e in _events(folder):
        kind = e["Event"]
        if kind == "SparkListenerJobStart":
            group = (e.get("Properties") or {}).get("spark.jobGroup.id") or "(no group)"
            job_group[e["Job ID"]] = group
            for sid in e["Stage IDs"]:
                stage_job[sid] = e["Job ID"]
            per[group]["jobs"] += 1
            spans[group].append(e["Submission Time"] / 1000)
        elif kind == "SparkListenerJobEnd":
            spans[job_group[e["Job ID"]]].append(e["Completion Time"] / 1000)
        elif kind == "SparkListenerTaskEnd":
            group = job_group.get(stage_job.get(e["Stage ID"]), "(no group)")
            m = e.get("Task Metrics") or {}
            row = per[group]
            row["run"] += m.get("Executor Run Time", 0) / 1000
            row["cpu"] += m.get("Executor CPU Time", 0) / 1e9
            row["gc"] += m.get("JVM GC Time", 0) / 1000
            row["tasks"] += 1
            info = e.get("Task Info") or {}
            if "Launch Time" in info:
                launches.append(info["Launch Time"] / 1000)
            row["read"] += (m.get("Input Metrics") or {}).get("Records Read", 0)
            row["shuffled"] += (m.get("Shuffle Read Metrics") or {}).get("Total Records Read", 0)
    groups = {}
    for group, row in per.items():
        times = spans.get(group) or [0.0]
        groups[group] = {"jobs": int(row["jobs"]), "span": round(max(times) - min(times), 2),
                         "run": round(row["run"], 2), "cpu": round(row["cpu"], 2),
                         "gc": round(row["gc"], 2), "read": int(row["read"]),
                         "shuffled": int(row["shuffled"])}
    total = {k: round(sum(g[k] for g in groups.values()), 2)
             for k in ("jobs", "run", "cpu", "gc", "read", "shuffled")}
    return {"groups": groups, "total": total, "first_task": min(launches, default=None)}


def _profiled(cmd: list[str], events: str) -> dict:
    seconds, started = _run(cmd, events)
    result = {"seconds": seconds, **summarize(events)}
    # from the process's start to its first Spark task: Python, the JVM, the first query
    first = result.pop("first_task")
    result["before_first_task"] = round(first - started, 2) if first else None
    return result


def profile_etl(data_dir: str, sessions: int, work: str) -> dict:
    events = os.path.join(work, "events-etl")
    os.makedirs(events)
    return _profiled([sys.executable, "-m", "framework.cli", "run", PIPELINE, "--data-dir",
                      data_dir, "--no-report", "--var", f"sessions={sessions}"], events)


def profile_skilled(data_dir: str, work: str) -> dict:
    events, out = os.path.join(work, "events-skilled"), os.path.join(work, "out-skilled")
    os.makedirs(events)
    return _profiled([sys.executable, os.path.join(ROOT, "bench", "skilled_etl.py"),
                      os.path.join(data_dir, "raw"), out], events)


def _table(name: str, result: dict) -> str:
    lines = [f"### {name}: {result['seconds']} s (whole process)", "",
             "| task | jobs | span s | task run s | CPU s | GC s | records read | shuffled |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = sorted(result["groups"].items(), key=lambda kv: -kv[1]["run"])
    for group, g in rows + [("**all**", {**result["total"], "span": ""})]:
        lines.append(f"| {group} | {g['jobs']} | {g['span']} | {g['run']} | {g['cpu']} | "
                     f"{g['gc']} | {g['read']:,} | {g['shuffled']:,} |")
    return "\n".join(lines)


def floor(results: dict, cores: int, goal: float) -> dict:
    """The goal's time for `etl run` against the least time the skilled script's Spark tasks
    can take on `cores` cores, all busy from its first task to its last; with `etl run`'s own
    start (to its first Spark task), the least any `etl run` doing that work can take."""
    skilled = results["skilled"]
    least = round(skilled["total"]["run"] / cores, 2)
    out = {"cores": cores, "goal": goal, "skilled_seconds": skilled["seconds"],
           "goal_seconds": round(goal * skilled["seconds"], 2), "skilled_task_floor": least,
           "floor_share": round(least / skilled["seconds"], 3) if skilled["seconds"] else None}
    etl = results.get("etl")
    if etl:
        out["etl_task_floor"] = round(etl["total"]["run"] / cores, 2)
        out["ratio"] = round(etl["seconds"] / skilled["seconds"], 3)
        if etl.get("before_first_task") is not None:
            out["etl_start"] = etl["before_first_task"]
            least = round(least + etl["before_first_task"], 2)
            out["etl_floor"] = least
    out["reachable"] = out["goal_seconds"] >= least
    return out


def _floor_text(f: dict) -> str:
    lines = [f"### the goal against the floor ({f['cores']} cores)", "",
             f"- goal: `etl run` in at most {f['goal']} x {f['skilled_seconds']} s = "
             f"**{f['goal_seconds']} s**",
             f"- the skilled script's own Spark tasks, every core busy: at least "
             f"**{f['skilled_task_floor']} s** ({f['floor_share']} of its whole process)"]
    if "etl_floor" in f:
        lines.append(f"- `etl run` up to its first Spark task (Python, the JVM, the plan): "
                     f"{f['etl_start']} s; with the skilled script's Spark work after it: at least "
                     f"**{f['etl_floor']} s**")
    if "etl_task_floor" in f:
        lines.append(f"- `etl run`'s own Spark tasks, every core busy: at least "
                     f"{f['etl_task_floor']} s; measured ratio etl/skilled {f['ratio']}")
    verdict = "above the floor" if f["reachable"] else \
        "below the floor: not reachable by running the same Spark work"
    lines.append(f"- the goal is {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--sessions", type=int, default=86956)
    ap.add_argument("--only", choices=["etl", "skilled"])
    ap.add_argument("--goal", type=float, default=0.6,
                    help="the speed goal: etl's time as a share of the skilled script's")
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="etl-profile-")
    try:
        results = {}
        if args.only in (None, "etl"):
            results["etl"] = profile_etl(args.data_dir, args.sessions, work)
        if args.only in (None, "skilled"):
            results["skilled"] = profile_skilled(args.data_dir, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, result in results.items():
        print(_table(name, result) + "\n")
    if "skilled" in results:
        results["floor"] = floor(results, os.cpu_count() or 1, args.goal)
        print(_floor_text(results["floor"]))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])

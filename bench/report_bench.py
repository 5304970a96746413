"""Benchmark of the report bundle (never a timed test): the clickstream report built from the
default-scale warehouse, (a) as `etl report` in a fresh process (Python, the JVM and Spark
started, every query, charts, page) and (b) with a running Spark session (what `etl run` pays
when it builds the bundle at its end), split into queries and files. Medians of --repeat runs.

usage: python bench/report_bench.py [--repeat 3] [--data-dir DIR]
(DIR without a succeeded clickstream run gets one first, at the default scale.)
Prints a Markdown table and writes bench/report_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PIPELINE = os.path.join(ROOT, "pipelines", "clickstream.yaml")
ETL = [sys.executable, "-m", "framework.cli"]


def ensure_run(data_dir: str) -> None:
    from framework.runtime.record import list_runs

    if any(r.get("pipeline") == "clickstream" and r.get("status") == "succeeded"
           for r in list_runs(data_dir, 1000)):
        return
    subprocess.run([*ETL, "run", PIPELINE, "--data-dir", data_dir], cwd=ROOT, check=True,
                   capture_output=True)


def cold(data_dir: str, out: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([*ETL, "report", PIPELINE, "--data-dir", data_dir, "--out", out], cwd=ROOT,
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def warm(data_dir: str, out: str, repeat: int) -> dict:
    from framework.registry import REGISTRY
    from framework.report.build import build_bundle, fetch, latest_run
    from framework.report.bundle import pipeline_report
    from framework.runtime.session import build_session, session_settings
    from framework.validate import load_checked

    REGISTRY.load_plugins()
    spec = load_checked(PIPELINE, registry=REGISTRY).spec
    log = os.path.join(out, "spark.log")
    spark = build_session(session_settings(spec.spark, spec.optimizations, "report-bench", log,
                                           ()), log)
    queries, files, whole = [], [], []
    try:
        report = pipeline_report(spec)
        run = latest_run(data_dir, spec.name)
        for k in range(repeat + 1):  # the first round warms the JIT and the file cache
            t0 = time.perf_counter()
            results = fetch(spec, report.queries(), "spark", data_dir, out, spark)
            t1 = time.perf_counter()
            bundle = build_bundle(spec, report, os.path.join(out, f"warm{k}"), results, run)
            t2 = time.perf_counter()
            if k:
                queries.append(t1 - t0)
                files.append(t2 - t1)
                whole.append(t2 - t0)
    finally:
        spark.stop()
    return {"queries_seconds": statistics.median(queries),
            "files_seconds": statistics.median(files),
            "total_seconds": statistics.median(whole), "queries": len(report.queries()),
            "charts": bundle.charts, "sections": bundle.tables}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data-dir", default=None,
                    help="a data dir with a default-scale clickstream run (default: a temp dir "
                         "that gets one)")
    args = ap.parse_args()
    data_dir = os.path.abspath(args.data_dir or tempfile.mkdtemp(prefix="etl-report-bench-"))
    ensure_run(data_dir)
    out = tempfile.mkdtemp(prefix="etl-report-out-")
    cold_seconds = statistics.median(cold(data_dir, os.path.join(out, f"cold{k}"))
                                     for k in range(args.repeat))
    hot = warm(data_dir, out, args.repeat)
    size = sum(os.path.getsize(os.path.join(r, f))
               for r, _, fs in os.walk(os.path.join(out, "warm1")) for f in fs)
    results = {"cold_seconds": cold_seconds, **hot, "bundle_bytes": size,
               "repeat": args.repeat, "cpus": os.cpu_count(),
               "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(os.path.join(ROOT, "bench", "report_results.json"), "w") as fh:
        json.dump(results, fh, indent=2)
    print("| report bundle (default warehouse) | seconds |\n| --- | ---: |")
    print(f"| `etl report` in a fresh process (JVM start included) | {cold_seconds:.1f} |")
    print(f"| with a running Spark session: {hot['queries']} queries | "
          f"{hot['queries_seconds']:.1f} |")
    print(f"| with a running Spark session: {hot['charts']} charts (PNG+SVG), CSVs, page | "
          f"{hot['files_seconds']:.1f} |")
    print(f"| with a running Spark session: total | {hot['total_seconds']:.1f} |")
    print(f"bundle size: {size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()

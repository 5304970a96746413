"""The seed's storage claims, measured on a published warehouse ("10 MB of raw CSV become 2 MB of
compressed Parquet", "partitioned queries are 10 times faster than full scans").

1. Bytes: the raw CSV files the run read against the warehouse's Parquet files, in total, per
   table, and fact_events (the same events, with more columns) against the raw events.
2. A partition-pruned query, one day of fact_events (`count(*)` and `sum(revenue)` where
   event_date = that day), against the same query on a non-partitioned copy of fact_events (the
   same rows spread over as many files, every file holding every day: nothing to skip) and against
   the full scan (all days, no filter). All three run in one Spark session, interleaved, after one
   untimed round; each is timed from `spark.read.parquet` (file listing included) to the collected
   row, and Spark's scan metrics say how many files and partitions each read.

usage: python bench/storage_bench.py DATA_DIR [--repeat 5] [--day YYYY-MM-DD] [--json FILE]
DATA_DIR is an `etl run` data folder (raw/ and warehouse/); a scratch copy goes under
DATA_DIR/storage-bench/ and is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time

RAW_TABLES = ("events", "users", "products")
WAREHOUSE_TABLES = ("fact_events", "fact_sessions", "fact_daily_metrics", "dim_users",
                    "dim_products", "dim_product_metrics", "dim_date")
QUERIES = ("pruned", "unpartitioned", "full_scan")


def _files(folder: str, suffix: str) -> list[str]:
    """Data files under a folder (symlinks resolved; hidden files such as .crc left out)."""
    root = os.path.realpath(folder)
    return [os.path.join(d, f) for d, _, names in os.walk(root) for f in names
            if f.endswith(suffix) and not f.startswith((".", "_"))]


def sizes(data_dir: str) -> dict:
    """Raw CSV and warehouse Parquet bytes, per table and in total, with the ratios."""
    raw = {t: sum(map(os.path.getsize, _files(os.path.join(data_dir, "raw", t), ".csv")))
           for t in RAW_TABLES}
    parquet = {}
    for t in WAREHOUSE_TABLES:
        files = _files(os.path.join(data_dir, "warehouse", t), ".parquet")
        parquet[t] = {"bytes": sum(map(os.path.getsize, files)), "files": len(files)}
    raw_total = sum(raw.values())
    warehouse_total = sum(p["bytes"] for p in parquet.values())
    return {"raw_csv_bytes": raw, "raw_csv_total_bytes": raw_total,
            "parquet": parquet, "parquet_total_bytes": warehouse_total,
            "warehouse_to_raw": round(warehouse_total / raw_total, 4),
            "fact_events_to_raw_events": round(parquet["fact_events"]["bytes"] / raw["events"], 4)}


def _scan_metrics(df) -> dict:
    """Files, partitions and bytes Spark's file scans read for the last action on `df`: the
    executed plan walked through adaptive execution's final plan and its query stages."""
    totals = {"files": 0, "partitions": 0, "bytes": 0}
    todo = [df._jdf.queryExecution().executedPlan()]
    while todo:
        node = todo.pop()
        name = node.getClass().getSimpleName()
        if name == "AdaptiveSparkPlanExec":
            todo.append(node.executedPlan())
            continue
        if name.endswith("QueryStageExec"):
            todo.append(node.plan())
            continue
        if name in ("ReusedExchangeExec",):
            todo.append(node.child())
            continue
        if name == "FileSourceScanExec":
            metrics = node.metrics()
            for key, metric in (("files", "numFiles"), ("partitions", "numPartitions"),
                                ("bytes", "filesSize")):
                found = metrics.get(metric)
                if found.isDefined():
                    totals[key] += int(found.get().value())
        children = node.children()
        todo += [children.apply(i) for i in range(children.size())]
    return totals


def _session():
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[*]").appName("storage-bench")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.adaptive.enabled", "true")
             .config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 2)))
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def queries(data_dir: str, repeat: int, day: str | None = None) -> dict:
    from pyspark.sql import functions as F

    events = os.path.realpath(os.path.join(data_dir, "warehouse", "fact_events"))
    days = sorted(d.split("=", 1)[1] for d in os.listdir(events) if d.startswith("event_date="))
    day = day or days[len(days) // 2]
    scratch = os.path.join(data_dir, "storage-bench")
    flat = os.path.join(scratch, "fact_events_unpartitioned")
    spark = _session()
    try:
        n_files = len(_files(events, ".parquet"))
        # the same rows, round-robin over as many files: each holds every day
        spark.read.parquet(events).repartition(n_files).write.mode("overwrite").parquet(flat)

        def run(name: str) -> tuple[float, list, dict]:
            t0 = time.perf_counter()
            df = spark.read.parquet(flat if name == "unpartitioned" else events)
            if name != "full_scan":
                df = df.where(F.col("event_date") == F.lit(day).cast("date"))
            df = df.agg(F.count(F.lit(1)).alias("events"), F.sum("revenue").alias("revenue"))
            row = df.collect()[0]
            seconds = time.perf_counter() - t0
            return seconds, [row["events"], str(row["revenue"])], _scan_metrics(df)

        times: dict[str, list[float]] = {q: [] for q in QUERIES}
        answers, scans = {}, {}
        for i in range(repeat + 1):  # round 0 warms the session up and is not counted
            for q in QUERIES:
                seconds, answers[q], scans[q] = run(q)
                if i:
                    times[q].append(round(seconds, 3))
        if answers["pruned"] != answers["unpartitioned"]:
            raise SystemExit(f"the pruned query answered {answers['pruned']}, the same query on "
                             f"the unpartitioned copy {answers['unpartitioned']}")
        flat_bytes = sum(map(os.path.getsize, _files(flat, ".parquet")))
    finally:
        spark.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    medians = {q: statistics.median(times[q]) for q in QUERIES}
    return {
        "day": day, "days": len(days), "repeat": repeat,
        "queries": {q: {"seconds": times[q], "median_seconds": medians[q], "answer": answers[q],
                        "scan": scans[q]} for q in QUERIES},
        "unpartitioned_copy_bytes": flat_bytes,
        "pruned_vs_unpartitioned": round(medians["pruned"] / medians["unpartitioned"], 3),
        "pruned_vs_full_scan": round(medians["pruned"] / medians["full_scan"], 3),
    }


def measure(data_dir: str, repeat: int = 5, day: str | None = None) -> dict:
    return {"sizes": sizes(data_dir), "query": queries(data_dir, repeat, day)}


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB" if n >= 2**20 else f"{n / 2**10:,.1f} KB"


def summary(result: dict) -> list[str]:
    """Markdown lines: bytes, then the three queries."""
    s, q = result["sizes"], result["query"]
    lines = ["| table | bytes | files |", "| --- | ---: | ---: |"]
    lines += [f"| raw CSV: {t} | {_mb(b)} | |" for t, b in s["raw_csv_bytes"].items()]
    lines.append(f"| **raw CSV, total** | **{_mb(s['raw_csv_total_bytes'])}** | |")
    lines += [f"| Parquet: {t} | {_mb(p['bytes'])} | {p['files']} |"
              for t, p in s["parquet"].items()]
    lines.append(f"| **warehouse Parquet, total** | **{_mb(s['parquet_total_bytes'])}** | |")
    lines.append("")
    lines.append(f"warehouse / raw CSV: {s['warehouse_to_raw']:.2f}; fact_events / raw events: "
                 f"{s['fact_events_to_raw_events']:.2f}")
    lines.append("")
    lines.append(f"| query on fact_events (median of {q['repeat']}) | seconds | files read | "
                 "partitions read | bytes of files read |")
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    label = {"pruned": f"one day ({q['day']}), partitioned table",
             "unpartitioned": f"one day ({q['day']}), unpartitioned copy",
             "full_scan": f"all {q['days']} days, partitioned table"}
    for name in QUERIES:
        r = q["queries"][name]
        parts = r["scan"]["partitions"] if name != "unpartitioned" else "-"
        lines.append(f"| {label[name]} | {r['median_seconds']:.2f} | {r['scan']['files']} | "
                     f"{parts} | {_mb(r['scan']['bytes'])} |")
    lines.append("")
    lines.append(f"pruned / unpartitioned: {q['pruned_vs_unpartitioned']:.2f}; "
                 f"pruned / full scan: {q['pruned_vs_full_scan']:.2f}")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", help="an `etl run` data folder (raw/ and warehouse/)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--day", default=None, help="the day to query (default: the middle one)")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)
    result = measure(args.data_dir, args.repeat, args.day)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    print("\n".join(summary(result)))


if __name__ == "__main__":
    main(sys.argv[1:])

"""What the clickstream's data-quality checks cost (never a timed test).

1. `etl run` of pipelines/clickstream.yaml as declared (its checks, pandera validating the
   column rules the aggregate pass finds failing: the default), the same with
   ETL_QUALITY_PANDERA=all (pandera validates every column rule, a Spark job each), and a
   temporary copy of the file with every check stripped (`checks:`, `max_malformed:`, the rule
   keys of the sinks' `columns:`), in interleaved rounds on already-landed raw files (the ETL
   alone: no generation, --no-report); medians and the ratios to the run without checks.
2. Over the tables that run published, in one process: each sink's checks split into their
   parts -- the one aggregate pass (every failing-row count) without and with the
   relationships' joins, pandera on every column rule, the queries -- so the README can say
   what each costs.

usage: python bench/quality_bench.py [--repeat 3] [--million | --only-million] [--work DIR]
  --million       also the ~1M-event runs (--var sessions=100000, with and without checks):
                  slow, once each; --only-million: just those
Prints a Markdown table of medians and writes bench/quality_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PIPELINE = os.path.join(ROOT, "pipelines", "clickstream.yaml")
ETL = [sys.executable, "-m", "framework.cli"]
RULE_KEYS = ("not_null", "unique", "accepted_values", "range", "regex", "type")


def stripped_copy() -> str:
    """pipelines/clickstream.yaml without a single check, beside it (its relative references
    resolve the same); the caller removes it."""
    import yaml

    with open(PIPELINE, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    for src in (doc.get("sources") or {}).values():
        src.pop("checks", None)
        src.pop("max_malformed", None)
    for step in doc.get("steps") or []:
        step.pop("checks", None)
    for sink in (doc.get("sinks") or {}).values():
        sink.pop("checks", None)
        for column in (sink.get("columns") or {}).values():
            for key in RULE_KEYS:
                column.pop(key, None)
    fd, path = tempfile.mkstemp(prefix=".quality-bench-", suffix=".yaml",
                                dir=os.path.dirname(PIPELINE))
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    return path


def etl_run(pipeline: str, data_dir: str, pandera: str = "failures",
            extra: tuple[str, ...] = ()) -> dict:
    """Wall seconds of one `etl run`, and its record's check times by engine."""
    env = {**os.environ, "TERM": "dumb", "ETL_QUALITY_PANDERA": pandera}
    t0 = time.monotonic()
    cmd = ETL + ["run", pipeline, "--data-dir", data_dir, "--no-report", *extra]
    proc = subprocess.run(cmd, cwd=ROOT,
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = round(time.monotonic() - t0, 2)
    if proc.returncode:
        raise RuntimeError(f"etl run {pipeline} failed:\n{proc.stderr[-2000:]}")
    record = _last_record(data_dir)
    by_engine: dict[str, float] = {}
    for q in record.get("quality", []):
        by_engine[q["engine"]] = round(by_engine.get(q["engine"], 0) + q["seconds"], 2)
    return {"seconds": seconds, "run_seconds": record["seconds"],
            "checks": len(record.get("quality", [])), "check_seconds_by_engine": by_engine,
            "statuses": sorted({q["status"] for q in record.get("quality", [])})}


def _last_record(data_dir: str) -> dict:
    runs = os.path.join(data_dir, "runs")
    with open(os.path.join(runs, sorted(os.listdir(runs))[-1], "run.json")) as fh:
        return json.load(fh)


VARIANTS = (("checks", "failures"), ("checks, pandera on every rule", "all"),
            ("no checks", "failures"))


def bench_runs(work: str, repeat: int, extra: tuple[str, ...] = (),
               variants: tuple[tuple[str, str], ...] = VARIANTS) -> dict:
    """Each variant in its own data folder, landed once (untimed), then interleaved rounds."""
    bare = stripped_copy()
    try:
        files = {"checks": PIPELINE, "checks, pandera on every rule": PIPELINE,
                 "no checks": bare}
        dirs = {name: os.path.join(work, f"runs-{i}") for i, (name, _) in enumerate(variants)}
        for name, mode in variants:
            shutil.rmtree(dirs[name], ignore_errors=True)
            etl_run(files[name], dirs[name], mode, extra)  # lands the raw files
        runs: dict[str, list[dict]] = {name: [] for name, _ in variants}
        for _ in range(repeat):
            for name, mode in variants:
                runs[name].append(etl_run(files[name], dirs[name], mode, extra))
    finally:
        os.remove(bare)
    medians = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
    base = medians["no checks"]
    return {"runs": runs, "median_seconds": medians,
            "ratio_to_no_checks": {n: round(m / base, 3) for n, m in medians.items()},
            "data_dir": dirs["checks"]}


def bench_parts(data_dir: str, repeat: int) -> dict:
    """Each sink's checks over its published table, by part (medians of `repeat`)."""
    from framework.checks import COLUMN_RULES
    from framework.registry import REGISTRY
    from framework.runtime.io import literal_path
    from framework.runtime.quality import Target, _aggregate, _query, pandera_rules
    from framework.runtime.session import build_session, session_settings
    from framework.validate import load_pipeline

    REGISTRY.load_plugins()
    spec = load_pipeline(PIPELINE, registry=REGISTRY)
    log = os.path.join(data_dir, "quality-bench-spark.log")
    spark = build_session(session_settings(spec.spark, spec.optimizations, "quality-bench", log,
                                           []), log)
    warehouse = os.path.join(data_dir, spec.warehouse.path)

    def table(name: str):
        sink = next((s for s in spec.sinks if s.table == name), None) or next(
            s for s in spec.sinks if s.source == name)
        return spark.read.parquet(literal_path(os.path.realpath(
            os.path.join(warehouse, sink.table))))

    parts: dict[str, dict[str, list[float]]] = {}
    for _ in range(repeat):
        for sink in spec.sinks:
            df = table(sink.table).persist()
            rows = df.count()  # cached before timing, as the run caches the staged table
            target = Target(f"sink:{sink.table}", "sink", sink.table, data_dir, "bench",
                            time.time(), table)
            got = parts.setdefault(sink.table, {"rows": [rows]})
            plain = [c for c in sink.checks if c.rule != "relationship"]
            t0 = time.monotonic()
            _aggregate(df, plain, target)
            got.setdefault("aggregate_pass", []).append(time.monotonic() - t0)
            t0 = time.monotonic()
            _aggregate(df, sink.checks, target)
            got.setdefault("aggregate_pass_with_relationships", []).append(time.monotonic() - t0)
            column = [c for c in sink.checks if c.rule in COLUMN_RULES]
            t0 = time.monotonic()
            for check in column:
                pandera_rules.validate(df, check)
            got.setdefault("pandera_all_column_rules", []).append(time.monotonic() - t0)
            t0 = time.monotonic()
            for check in sink.checks:
                if check.rule == "query":
                    _query(df, check, rows, target)
            got.setdefault("queries", []).append(time.monotonic() - t0)
            got["column_rules"], got["checks"] = [len(column)], [len(sink.checks)]
            df.unpersist()
    spark.stop()
    out = {t: {k: round(statistics.median(v), 3) for k, v in p.items()} for t, p in parts.items()}
    out["total"] = {k: round(sum(p[k] for p in out.values()), 3) for k in
                    ("aggregate_pass", "aggregate_pass_with_relationships",
                     "pandera_all_column_rules", "queries", "column_rules", "checks")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--million", action="store_true", help="also ~1M events (slow)")
    ap.add_argument("--only-million", action="store_true", help="just the ~1M-event runs")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="etl-quality-bench-")
    results = {"repeat": args.repeat, "cpus": os.cpu_count()}
    try:
        if not args.only_million:
            results["default"] = bench_runs(work, args.repeat)
            results["parts"] = bench_parts(results["default"]["data_dir"], args.repeat)
        if args.million or args.only_million:  # pandera on every rule left out: slow enough
            results["million"] = bench_runs(os.path.join(work, "million"), 1,
                                            ("--var", "sessions=100000"),
                                            (VARIANTS[0], VARIANTS[2]))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    out = os.path.join(ROOT, "bench", "quality_results.json")
    if args.only_million and os.path.exists(out):  # keep the default figures beside them
        with open(out) as fh:
            results = {**json.load(fh), "million": results["million"]}
    with open(out, "w") as fh:
        json.dump(results, fh, indent=2)
    _print(results)


def _print(results: dict) -> None:
    print("| scenario | variant | median s | vs no checks | checks | check s by engine |")
    print("|---|---|---|---|---|---|")
    for scenario in ("default", "million"):
        if scenario not in results:
            continue
        r = results[scenario]
        for name in r["runs"]:
            last = r["runs"][name][-1]
            print(f"| {scenario} | {name} | {r['median_seconds'][name]:.1f} | "
                  f"{r['ratio_to_no_checks'][name]:.2f} | {last['checks']} | "
                  f"{last['check_seconds_by_engine']} |")
    if "parts" not in results:
        return
    t = results["parts"]["total"]
    print(f"\nover the published default tables ({int(t['checks'])} sink checks, "
          f"{int(t['column_rules'])} column rules): one aggregate pass per table "
          f"{t['aggregate_pass']:.2f}s in all, {t['aggregate_pass_with_relationships']:.2f}s "
          f"with the relationships' joins; pandera on every column rule "
          f"{t['pandera_all_column_rules']:.2f}s; the queries {t['queries']:.2f}s")


if __name__ == "__main__":
    main()

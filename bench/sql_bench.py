"""Benchmarks of the analysts' SQL (never timed tests): rendering every template for both
dialects without a JVM, then each view and query of clickstream.yaml's sql: section on Spark
(over the default-scale Parquet warehouse) and on PostgreSQL (the same tables, loaded by
`etl run --target postgres`), interleaved, medians of --repeat runs.

usage: PG_DSN=postgresql://127.0.0.1:5432/test python bench/sql_bench.py [--repeat 3] [--work DIR]
Prints a Markdown table and writes bench/sql_results.json.
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
SCHEMA = "etl_bench_sql"


def bench_render(repeat: int) -> dict:
    """Every template of the section rendered for both dialects, in a fresh interpreter each
    time (what `etl sql render` costs besides Python's start), and proof no JVM was needed."""
    code = (
        "import sys, time\n"
        "t0 = time.perf_counter()\n"
        "from framework.registry import REGISTRY\n"
        "from framework.validate import load_pipeline\n"
        "from framework.sqlsection import render_section\n"
        "REGISTRY.load_plugins()\n"
        f"spec = load_pipeline({PIPELINE!r}, registry=REGISTRY)\n"
        "t1 = time.perf_counter()\n"
        "n = sum(len(render_section(spec, d)) for d in ('spark', 'postgres'))\n"
        "t2 = time.perf_counter()\n"
        "print(n, t2 - t1, t2 - t0, 'pyspark.sql' in sys.modules)\n"
    )
    seconds, whole, files, jvm = [], [], 0, False
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                             text=True, check=True)
        n, render, total, loaded = out.stdout.split()
        files, jvm = int(n), jvm or loaded == "True"
        seconds.append(float(render))
        whole.append(float(total))
    return {"files": files, "render_seconds": statistics.median(seconds),
            "load_and_render_seconds": statistics.median(whole), "pyspark_imported": jvm}


def _canonical(rows: list[tuple]) -> list[tuple]:
    """Rows as both engines can be compared: numbers as floats to 9 significant digits,
    timestamps as naive UTC, sorted (a view has no order of its own)."""
    import datetime as dt
    from decimal import Decimal

    def one(v):
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (int, float, Decimal)):
            return float(f"{float(v):.9g}")
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.astimezone(dt.UTC).replace(tzinfo=None)
        return v
    return sorted((tuple(one(v) for v in row) for row in rows), key=repr)


def bench_engines(work: str, repeat: int, dsn: str) -> dict:
    """Each view and query on both engines, interleaved (spark, postgres, spark, ...)."""
    from framework.paths import data_path
    from framework.plan import view_order
    from framework.registry import REGISTRY
    from framework.runtime.pgload import PostgresTarget
    from framework.runtime.session import build_session, session_settings
    from framework.runtime.sqlrun import (
        offered,
        postgres_query,
        spark_query,
        spark_tables,
        spark_views,
    )
    from framework.sqlsection import selected
    from framework.sqltemplates import SqlRenderer
    from framework.validate import load_pipeline

    env = {**os.environ, "PG_DSN": dsn, "PG_SCHEMA": SCHEMA, "TERM": "dumb"}
    subprocess.run([sys.executable, "-m", "framework.cli", "run", PIPELINE, "--target",
                    "postgres", "--data-dir", work], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    REGISTRY.load_plugins()
    spec = load_pipeline(PIPELINE, registry=REGISTRY, env=env, target="postgres")
    settings = session_settings(spec.spark, spec.optimizations, "etl-sql-bench",
                                os.path.join(work, "spark.log"), [])
    spark = build_session(settings, os.path.join(work, "spark.log"))
    spark_sql = SqlRenderer(spec.sql.templates, "spark")
    pg_sql = SqlRenderer(spec.sql.templates, "postgres", schema=SCHEMA)
    spark_tables(spark, data_path(work, spec.warehouse.path), [s.table for s in spec.sinks])
    spark_views(spark, spark_sql, view_order(spec.sql.templates,
                                             [t.name for t in selected(spec.sql, "views")]))
    target = PostgresTarget(spec.warehouse.postgres_dsn, SCHEMA)
    results = {}
    for name, template in offered(spec).items():
        times: dict[str, list[float]] = {"spark": [], "postgres": []}
        rows, answers = {}, {}
        for _ in range(repeat):
            for engine in ("spark", "postgres"):
                t0 = time.perf_counter()
                if engine == "spark":
                    result = spark_query(spark, spark_sql.render(template))
                else:
                    result = postgres_query(target, pg_sql.render(template))
                times[engine].append(time.perf_counter() - t0)
                rows[engine] = len(result.rows)
                answers[engine] = result.rows
        same = _canonical(answers["spark"]) == _canonical(answers["postgres"])
        results[name] = {"rows": rows["spark"], "rows_postgres": rows["postgres"], "same": same,
                         "spark_seconds": statistics.median(times["spark"]),
                         "postgres_seconds": statistics.median(times["postgres"])}
    spark.stop()
    import psycopg2  # the bench's schema goes: nothing of it stays in the database

    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    args = ap.parse_args()
    dsn = os.environ.get("PG_DSN", "postgresql://127.0.0.1:5432/test")
    work = args.work or tempfile.mkdtemp(prefix="etl-sql-bench-")
    render = bench_render(args.repeat)
    engines = bench_engines(work, args.repeat, dsn)
    results = {"render": render, "queries": engines, "repeat": args.repeat,
               "cpus": os.cpu_count(), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(os.path.join(ROOT, "bench", "sql_results.json"), "w") as fh:
        json.dump(results, fh, indent=2)
    print(f"rendering {render['files']} files (both dialects): "
          f"{render['render_seconds'] * 1000:.0f} ms; load + render "
          f"{render['load_and_render_seconds']:.2f} s; pyspark imported: "
          f"{render['pyspark_imported']}")
    print("\n| view or query | rows | same rows | Spark (s) | PostgreSQL (s) |\n"
          "| --- | ---: | --- | ---: | ---: |")
    for name, r in engines.items():
        print(f"| `{name}` | {r['rows']:,} | {'yes' if r['same'] else 'NO'} | "
              f"{r['spark_seconds']:.3f} | {r['postgres_seconds']:.3f} |")
    total_spark = sum(r["spark_seconds"] for r in engines.values())
    total_pg = sum(r["postgres_seconds"] for r in engines.values())
    print(f"| all {len(engines)} | | {total_spark:.2f} | {total_pg:.2f} |")


if __name__ == "__main__":
    main()

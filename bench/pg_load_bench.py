"""Benchmark of the PostgreSQL load (never a timed test): the ~1M-event published warehouse
loaded by the product's loader, per table and as the whole star, against `psql \\copy` of the
same rows (the reference), interleaved, medians of --repeat rounds.

What is timed, each from the published Parquet to a committed table:

* star, empty schema: `framework.runtime.pgload.publish` of all seven tables in one transaction,
  after `DROP SCHEMA ... CASCADE` (tables created from the DDL, keys and indexes built after the
  rows, foreign keys checked as they are added);
* star, rerun: the same into the tables that are there (one TRUNCATE of the seven, keys and
  indexes set aside and built again, COPY FREEZE); each table's share of it (its COPY, its keys
  and indexes) as the load reports it;
* fact_events alone, rerun: its own `publish` (nothing references it, so it can go alone);
* the reference: `psql -c "\\copy <table> from <file> with (format csv)"` of the very rows the
  loader sends (its CSV, written to files beforehand and not timed) into plain tables of the
  same columns, without keys or indexes, one psql process and one transaction per table.

The loader is given the published files as a run's sink task gives them (the version folder,
the columns' types from Spark's schema in the Parquet footer); no Spark runs here.

usage: PG_DSN=postgresql://127.0.0.1:5432/test python bench/pg_load_bench.py [--sessions 87000]
       [--repeat 3] [--work DIR]
Lands and publishes the warehouse first when WORK holds none of that scale (`etl run --var
sessions=N --no-report`: a few minutes); prints a Markdown table and writes
bench/pg_load_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PIPELINE = os.path.join(ROOT, "pipelines", "clickstream.yaml")
SCHEMA, REFERENCE = "etl_bench_pgload", "etl_bench_pgload_copy"
MARK = ".pg_load_bench_sessions"  # which scale the work folder's warehouse was published at


def ensure_warehouse(work: str, sessions: int) -> str:
    """The published warehouse of `sessions` sessions under `work` (landed and published first
    when missing; not timed)."""
    warehouse, mark = os.path.join(work, "warehouse"), os.path.join(work, MARK)
    if os.path.exists(mark) and open(mark).read().strip() == str(sessions):
        return warehouse
    subprocess.run([sys.executable, "-m", "framework.cli", "run", PIPELINE, "--data-dir", work,
                    "--var", f"sessions={sessions}", "--no-report"], cwd=ROOT, check=True,
                   env={**os.environ, "TERM": "dumb", "PYTHONPATH": ROOT})
    with open(mark, "w") as fh:
        fh.write(str(sessions))
    return warehouse


def staged_tables(warehouse: str, dsn: str) -> list:
    """Each published table as a run's sink task stages it for the load."""
    import pyarrow.parquet as pq

    from framework.ddl import published_columns
    from framework.dialects import pg_type
    from framework.runtime.pgcopy import ParquetRows
    from framework.runtime.pgstage import StagedTable
    from framework.runtime.publish import data_files
    from framework.validate import load_pipeline

    spec = load_pipeline(PIPELINE, env={**os.environ, "PG_DSN": dsn}, target="postgres")
    staged = []
    for sink in spec.sinks:
        version = os.path.realpath(os.path.join(warehouse, sink.table))
        columns = tuple((n, pg_type(t)) for n, t in published_columns(version))
        rows = sum(pq.read_metadata(os.path.join(version, f)).num_rows
                   for f in data_files(version))
        staged.append(StagedTable(sink, ParquetRows(version, columns, sink.partition_by), rows))
    return staged


def write_reference_files(staged: list, folder: str) -> dict[str, str]:
    """The CSV the loader sends for each table, in a file (not timed)."""
    from framework.runtime.pgcopy import csv_chunks

    os.makedirs(folder, exist_ok=True)
    paths = {}
    for table in staged:
        paths[table.sink.table] = path = os.path.join(folder, f"{table.sink.table}.csv")
        with open(path, "wb") as fh:
            for chunk, _ in csv_chunks(table.source):
                fh.write(chunk)
    return paths


def sql(dsn: str, statement: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def load(dsn: str, staged: list, fresh: bool) -> tuple[float, dict]:
    """Wall seconds of one `publish` of `staged`, and each table's COPY and keys seconds."""
    from framework.runtime.pgload import PostgresTarget, publish

    if fresh:
        sql(dsn, f'drop schema if exists "{SCHEMA}" cascade')
    t0 = time.monotonic()
    results = publish(PostgresTarget(dsn, SCHEMA), staged)
    wall = time.monotonic() - t0
    return wall, {r.table.rpartition(".")[2]: (r.copy_seconds, r.keys_seconds) for r in results}


def reference_tables(dsn: str, staged: list) -> None:
    """Plain tables of the loaded tables' columns in the reference schema: no keys, no indexes."""
    sql(dsn, f'drop schema if exists "{REFERENCE}" cascade; create schema "{REFERENCE}"')
    for table in staged:
        sql(dsn, f'create table "{REFERENCE}"."{table.sink.table}" '
                 f'(like "{SCHEMA}"."{table.sink.table}")')


def psql_copy(dsn: str, table: str, path: str) -> float:
    sql(dsn, f'truncate "{REFERENCE}"."{table}"')
    t0 = time.monotonic()
    subprocess.run(["psql", dsn, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    f"\\copy \"{REFERENCE}\".\"{table}\" from '{path}' with (format csv)"],
                   check=True)
    return time.monotonic() - t0


def bench(dsn: str, staged: list, files: dict[str, str], repeat: int) -> dict:
    """Rounds of: the star into an empty schema, `\\copy` of each table, the star again into
    its tables, fact_events alone; medians."""
    from framework.ddl import load_order

    by_table = {s.sink.table: s for s in staged}
    order = [s.table for s in load_order([s.sink for s in staged])]
    runs: dict[str, list[float]] = {}

    def note(key: str, seconds: float) -> None:
        runs.setdefault(key, []).append(seconds)

    for round_ in range(repeat):  # interleaved: every kind sees the same machine state
        wall, _ = load(dsn, staged, fresh=True)
        note("star_empty", wall)
        if round_ == 0:
            reference_tables(dsn, staged)
        for table in order:
            note(f"copy:{table}", psql_copy(dsn, table, files[table]))
        wall, parts = load(dsn, staged, fresh=False)
        note("star_rerun", wall)
        for table, (copied, keys) in parts.items():
            note(f"loader_copy:{table}", copied)
            note(f"loader_keys:{table}", keys)
        note("fact_events_alone", load(dsn, [by_table["fact_events"]], fresh=False)[0])
    med = {k: statistics.median(v) for k, v in runs.items()}
    total = sum(s.rows for s in staged)
    copy_total = sum(med[f"copy:{t}"] for t in order)
    tables = {}
    for t in order:
        rows, own = by_table[t].rows, med[f"loader_copy:{t}"] + med[f"loader_keys:{t}"]
        tables[t] = {"rows": rows, "loader_copy_seconds": round(med[f"loader_copy:{t}"], 3),
                     "loader_keys_seconds": round(med[f"loader_keys:{t}"], 3),
                     "loader_rows_per_s": round(rows / own) if own else None,
                     "copy_seconds": round(med[f"copy:{t}"], 3),
                     "copy_rows_per_s": round(rows / med[f"copy:{t}"])}
    whole = {}
    for kind, rows in (("fact_events_alone", by_table["fact_events"].rows),
                       ("star_empty", total), ("star_rerun", total)):
        reference = med["copy:fact_events"] if kind == "fact_events_alone" else copy_total
        whole[kind] = {"rows": rows, "seconds": round(med[kind], 3),
                       "rows_per_s": round(rows / med[kind]),
                       "copy_seconds": round(reference, 3),
                       "copy_rows_per_s": round(rows / reference),
                       "ratio_to_copy": round(med[kind] / reference, 2)}
    return {"rows": total, "tables": tables, "loads": whole,
            "runs": {k: [round(x, 3) for x in v] for k, v in runs.items()}}


def markdown(result: dict) -> str:
    lines = ["| load (Parquet to committed table) | rows | seconds | rows/s | `\\copy` s "
             "| `\\copy` rows/s | ratio |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    labels = {"fact_events_alone": "fact_events alone (rerun)",
              "star_empty": "whole star, empty schema", "star_rerun": "whole star, rerun"}
    for kind, label in labels.items():
        r = result["loads"][kind]
        lines.append(f"| {label} | {r['rows']:,} | {r['seconds']:.2f} | {r['rows_per_s']:,} | "
                     f"{r['copy_seconds']:.2f} | {r['copy_rows_per_s']:,} | "
                     f"{r['ratio_to_copy']} |")
    lines += ["", "| table (in the star rerun) | rows | COPY s | keys and indexes s | rows/s "
                  "| `\\copy` s | `\\copy` rows/s |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for table, r in result["tables"].items():
        lines.append(f"| {table} | {r['rows']:,} | {r['loader_copy_seconds']:.2f} | "
                     f"{r['loader_keys_seconds']:.2f} | {r['loader_rows_per_s'] or 0:,} | "
                     f"{r['copy_seconds']:.2f} | {r['copy_rows_per_s']:,} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sessions", type=int, default=87_000, help="~1M events (11.5 per session)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(ROOT, "data", "pg-load-bench"),
                    help="where the warehouse is landed and kept between runs")
    args = ap.parse_args()
    dsn = os.environ.get("PG_DSN", "postgresql://127.0.0.1:5432/test")
    warehouse = ensure_warehouse(args.work, args.sessions)
    staged = staged_tables(warehouse, dsn)
    files = write_reference_files(staged, os.path.join(args.work, "pg-load-bench-csv"))
    load_before = os.getloadavg()[0]
    result = bench(dsn, staged, files, args.repeat)
    result.update(sessions=args.sessions, repeat=args.repeat,
                  load_average=[round(load_before, 2), round(os.getloadavg()[0], 2)])
    sql(dsn, f'drop schema if exists "{SCHEMA}" cascade; '
             f'drop schema if exists "{REFERENCE}" cascade')
    with open(os.path.join(ROOT, "bench", "pg_load_results.json"), "w") as fh:
        json.dump(result, fh, indent=2)
    print(markdown(result))
    print(f"\nload average before/after: {result['load_average']}")


if __name__ == "__main__":
    main()

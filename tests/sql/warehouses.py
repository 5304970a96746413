"""The two warehouses the SQL templates are proved on, built by the real pipeline in a tmp folder.

- `generated`: pipelines/clickstream.yaml at small scale (the generator's realistic mix).
- `edge`: the same steps and sinks (read from clickstream.yaml, so they never drift) over raw
  events, users and products written by hand below, each row placed for an edge case: NULL
  devices, browsers, referrers, pages, users, categories and prices; ties (equal timestamps in a
  session, equal session starts, equal prices and revenues, equal lifts); zero denominators (a
  day with events but no session start, products never clicked, a purchase of an unknown product
  with no revenue); a session crossing midnight and the new year; one crossing the Sunday ->
  Monday week boundary; an ISO week that starts in the previous year; a user with no sessions;
  an AOV that is exactly half a cent (10.005 -> 10.01 when rounded half up).

Both are then registered as Spark temp views (`<prefix>_<table>`) and loaded into a PostgreSQL
schema with framework.runtime.pgload, the loader runs use.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLICKSTREAM = os.path.join(ROOT, "pipelines", "clickstream.yaml")
TABLES = ("fact_events", "fact_sessions", "fact_daily_metrics", "dim_users", "dim_products",
          "dim_product_metrics", "dim_date")
GENERATED_VARS = {"sessions": "400", "users": "120", "products": "40", "days": "14"}

# session -> (user, device, browser, referrer); '' is an empty CSV field (NULL once cleaned)
SESSIONS = {
    "s01": ("u1", "mobile", "chrome", "search"),
    "s02": ("u1", "desktop", "safari", "direct"),   # crosses midnight and the new year
    "s03": ("u2", "mobile", "", ""),                # NULL browser and referrer
    "s04": ("u2", "tablet", "firefox", "social"),   # Sunday 23:59 -> Monday (week boundary)
    "s05": ("u3", "mobile", "chrome", "search"),    # starts with s06 (tie); AOV of the day 10.005
    "s06": ("u4", "desktop", "chrome", "email"),
    "s07": ("", "mobile", "chrome", "ads"),         # no user; buys a product not in the catalog
    "s08": ("u_ghost", "", "edge", "search"),       # user not in dim_users; one event; no device
    "s09": ("u5", "mobile", "chrome", "search"),    # NULL entry page; NULL price and category
    "s10": ("u1", "mobile", "chrome", "search"),    # makes u1 High Value
    "s11": ("u5", "tablet", "safari", "email"),     # recovers s09's cart within 7 days
    "s12": ("u6", "desktop", "chrome", "direct"),   # u6: 5 sessions, never buys (Engaged)
    "s13": ("u6", "desktop", "chrome", "direct"),
    "s14": ("u6", "desktop", "chrome", "direct"),   # starts with s15, same user (tie)
    "s15": ("u6", "desktop", "chrome", "direct"),
    "s16": ("u6", "mobile", "firefox", "social"),   # abandoned, never recovered
}

# (session, timestamp UTC, event_type, product_id, page_url, quantity)
EVENTS = [
    ("s01", "2025-12-29T10:00:00Z", "page_view", "", "/home", ""),
    ("s01", "2025-12-29T10:01:00Z", "product_click", "p1", "/product/p1", ""),
    ("s01", "2025-12-29T10:02:00Z", "add_to_cart", "p1", "/cart", "1"),
    ("s01", "2025-12-29T10:03:00.123456Z", "purchase", "p1", "/checkout", "1"),
    ("s16", "2025-12-30T05:00:00Z", "page_view", "", "/home", ""),
    ("s16", "2025-12-30T05:01:00Z", "add_to_cart", "p1", "/cart", ""),
    ("s02", "2025-12-31T23:50:00Z", "page_view", "", "/home", ""),
    ("s02", "2025-12-31T23:55:00Z", "product_click", "p3", "/product/p3", ""),
    ("s02", "2025-12-31T23:56:00Z", "product_click", "p8", "/product/p8", ""),
    ("s02", "2026-01-01T00:05:00Z", "add_to_cart", "p3", "/cart", "2"),
    ("s02", "2026-01-01T00:10:00Z", "page_view", "", "/category/electronics", ""),
    ("s03", "2026-01-02T12:00:00Z", "page_view", "", "/home", ""),
    ("s03", "2026-01-02T12:01:00Z", "product_click", "p1", "/product/p1", ""),
    ("s03", "2026-01-02T12:01:00Z", "product_click", "p2", "/product/p2", ""),  # same instant
    ("s03", "2026-01-02T12:02:00Z", "add_to_cart", "p2", "/cart", ""),
    ("s03", "2026-01-02T12:03:00Z", "purchase", "p2", "/checkout", "1"),
    ("s12", "2026-01-03T11:00:00Z", "page_view", "", "/home", ""),
    ("s04", "2026-01-04T23:59:30Z", "page_view", "", "/category/books", ""),
    ("s04", "2026-01-05T00:00:30Z", "product_click", "p1", "/product/p1", ""),
    ("s04", "2026-01-05T00:01:00Z", "product_click", "p2", "/product/p2", ""),
    ("s04", "2026-01-05T00:02:00Z", "add_to_cart", "p1", "/cart", "3"),
    ("s04", "2026-01-05T00:03:00Z", "purchase", "p1", "/checkout", "3"),
    ("s05", "2026-01-06T09:00:00Z", "page_view", "", "/home", ""),
    ("s05", "2026-01-06T09:01:00Z", "product_click", "p8", "/product/p8", ""),
    ("s05", "2026-01-06T09:02:00Z", "add_to_cart", "p8", "/cart", ""),
    ("s05", "2026-01-06T09:03:00Z", "purchase", "p8", "/checkout", "1"),
    ("s06", "2026-01-06T09:00:00Z", "page_view", "", "/home", ""),
    ("s06", "2026-01-06T09:00:30Z", "product_click", "p2", "/product/p2", ""),
    ("s06", "2026-01-06T09:00:40Z", "product_click", "p1", "/product/p1", ""),
    ("s06", "2026-01-06T09:01:00Z", "add_to_cart", "p2", "/cart", ""),
    ("s06", "2026-01-06T09:02:00Z", "purchase", "p2", "/checkout", "1"),
    ("s07", "2026-01-07T15:00:00Z", "page_view", "", "/home", ""),
    ("s07", "2026-01-07T15:01:00Z", "product_click", "p9", "/product/p9", ""),
    ("s07", "2026-01-07T15:02:00Z", "add_to_cart", "p9", "/cart", ""),
    ("s07", "2026-01-07T15:03:00Z", "purchase", "p9", "/checkout", ""),
    ("s08", "2026-01-08T08:00:00Z", "page_view", "", "/home", ""),
    ("s09", "2026-01-08T20:00:00Z", "add_to_cart", "p6", "", ""),
    ("s09", "2026-01-08T20:01:00Z", "add_to_cart", "p5", "/cart", "2"),
    ("s09", "2026-01-08T20:02:00Z", "product_click", "p5", "/product/p5", ""),
    ("s11", "2026-01-09T10:00:00Z", "page_view", "", "/home", ""),
    ("s11", "2026-01-09T10:01:00Z", "product_click", "p1", "/product/p1", ""),
    ("s11", "2026-01-09T10:02:00Z", "add_to_cart", "p1", "/cart", "2"),
    ("s11", "2026-01-09T10:03:00Z", "purchase", "p1", "/checkout", "2"),
    ("s11", "2026-01-09T10:04:00Z", "page_view", "", "/home", ""),
    ("s13", "2026-01-10T11:00:00Z", "page_view", "", "/home", ""),
    ("s14", "2026-01-11T18:30:00Z", "page_view", "", "/category/books", ""),
    ("s15", "2026-01-11T18:30:00Z", "page_view", "", "/home", ""),
    ("s10", "2026-01-12T07:00:00Z", "product_click", "p3", "/product/p3", ""),
    ("s10", "2026-01-12T07:01:00Z", "product_click", "p8", "/product/p8", ""),
    ("s10", "2026-01-12T07:05:00Z", "add_to_cart", "p3", "/cart", "2"),
    ("s10", "2026-01-12T07:10:00Z", "purchase", "p3", "/checkout", "2"),
]

USERS = [  # user_id, signup_date, country, age_group
    ("u1", "2025-06-01", "US", "25-34"),
    ("u2", "2025-07-15", "US", "25-34"),
    ("u3", "2025-12-01", "DE", "35-44"),
    ("u4", "2026-01-06", "", "18-24"),
    ("u5", "2025-11-11", "FR", ""),
    ("u6", "2025-10-01", "DE", "35-44"),
    ("u7", "2025-09-09", "", ""),        # no sessions, no country, no age group
    ("u8", "2025-08-08", "GB", "65+"),   # no sessions
]

PRODUCTS = [  # product_id, product_name, category, price
    ("p1", "Classic Novel", "Books", "10.00"),
    ("p2", "Deluxe Novel", "Books", "10.00"),           # same price as p1
    ("p3", "Smart Watch", "Electronics", "300.00"),
    ("p4", "Olive Oil", "Grocery", "2.50"),             # never clicked
    ("p5", "Mystery Box", "", "5.00"),                  # no category
    ("p6", "Gift Card", "Toys & Games", ""),            # no price
    ("p7", "Luxury Lamp", "Home & Kitchen", "1000.00"),  # never clicked, 250-and-over band
    ("p8", "Basic Tee", "Clothing", "10.01"),
]


@dataclass(frozen=True)
class Warehouse:
    name: str
    path: str       # the published warehouse folder (one Parquet table per sub-folder)
    prefix: str     # Spark temp views are <prefix>_<table>
    pg_schema: str  # PostgreSQL schema holding the same tables

    def spark_view(self, table: str) -> str:
        return f"{self.prefix}_{table}"


def _write_csv(path: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_edge_inputs(folder: str) -> None:
    """raw/events.csv, raw/users.csv and raw/products.csv of the edge-case warehouse."""
    os.makedirs(folder, exist_ok=True)
    events = []
    for number, (session, ts, kind, product, page, qty) in enumerate(EVENTS, start=1):
        user, device, browser, referrer = SESSIONS[session]
        events.append((f"e{number:03d}", session, user, kind, product, ts, device, browser,
                       referrer, page, qty))
    _write_csv(os.path.join(folder, "events.csv"),
               ("event_id", "session_id", "user_id", "event_type", "product_id", "timestamp",
                "device", "browser", "referrer", "page_url", "quantity"), events)
    _write_csv(os.path.join(folder, "users.csv"),
               ("user_id", "signup_date", "country", "age_group"), USERS)
    _write_csv(os.path.join(folder, "products.csv"),
               ("product_id", "product_name", "category", "price"), PRODUCTS)


def edge_pipeline(folder: str) -> str:
    """clickstream.yaml with its generator replaced by the hand-written CSV files (same steps,
    same sinks), written into `folder` beside a copy of its schema files; returns its path."""
    with open(CLICKSTREAM, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    doc.pop("generators", None)
    doc.pop("sql", None)  # the templates are rendered by the tests themselves
    doc.pop("report", None)  # so is no report
    for name in ("events", "users", "products"):
        doc["sources"][name] = {"path": f"raw/{name}.csv", "format": "csv",
                                "schema": f"schemas/{name}.yaml"}
    # the edge rows break on purpose what the pipeline's data-quality checks promise (an event
    # of an unknown product, a session of a user dim_users lacks): the SQL must still answer
    # right on them, so this copy publishes without its checks (proved in tests/e2e)
    for step in doc["steps"]:
        step.pop("checks", None)
    for sink in doc["sinks"].values():
        sink.pop("checks", None)
        for column, known in (sink.get("columns") or {}).items():
            sink["columns"][column] = {"description": known["description"]} \
                if "description" in known else {}
    shutil.copytree(os.path.join(os.path.dirname(CLICKSTREAM), "schemas"),
                    os.path.join(folder, "schemas"), dirs_exist_ok=True)
    path = os.path.join(folder, "edge.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    return path


def run_pipeline_file(path: str, data_dir: str, overrides: dict[str, str] | None = None) -> str:
    """Run a pipeline in this process (the tests' SparkSession is reused, not stopped, and gets
    its SQL settings back afterwards); returns the warehouse folder."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    settings = _sql_settings(spark) if spark else {}
    try:
        _run(path, data_dir, overrides)
    finally:
        if spark:
            _restore(spark, settings)
    return os.path.join(data_dir, "warehouse")


def _sql_settings(spark) -> dict[str, str]:
    """The session's runtime SQL settings (spark.sql.*, the ones a run may change)."""
    return {k: v for k, v in spark.sql("SET").collect()
            if k.startswith("spark.sql.") and "staticConf" not in k}


def _restore(spark, settings: dict[str, str]) -> None:
    """Put back the session's SQL settings as they were (a run sets its own)."""
    for key, value in _sql_settings(spark).items():
        if key not in settings:
            spark.conf.unset(key)
        elif settings[key] != value:
            spark.conf.set(key, settings[key])


def _run(path: str, data_dir: str, overrides: dict[str, str] | None) -> None:
    from framework.console import CapturingConsole
    from framework.plan import build_plan
    from framework.registry import REGISTRY
    from framework.runtime.executor import RunOptions, run_pipeline
    from framework.validate import load_pipeline

    REGISTRY.load_plugins()
    spec = load_pipeline(path, overrides=overrides, registry=REGISTRY)
    plan = build_plan(spec, data_dir)
    run_pipeline(spec, plan, RunOptions(data_dir=data_dir, stop_session=False,
                                        vars=dict(spec.vars)), CapturingConsole(), REGISTRY)


def build_edge(folder: str) -> str:
    write_edge_inputs(os.path.join(folder, "raw"))
    return run_pipeline_file(edge_pipeline(folder), folder)


def register_spark(spark, warehouse: Warehouse) -> None:
    """Each published table as the temp view <prefix>_<table>."""
    for table in TABLES:
        spark.read.parquet(os.path.join(warehouse.path, table)) \
            .createOrReplaceTempView(warehouse.spark_view(table))


def load_postgres(spark, warehouse: Warehouse, dsn: str, staging: str) -> None:
    """Each published table into <pg_schema>.<table>, as a run with postgres targets loads it."""
    from framework.runtime.pgload import PostgresTarget, load_table
    from framework.spec import SinkSpec

    target = PostgresTarget(dsn, warehouse.pg_schema)
    for table in TABLES:
        sink = SinkSpec(table=table, source=table, mode="overwrite", targets=("postgres",))
        load_table(spark.table(warehouse.spark_view(table)), target, sink, staging)

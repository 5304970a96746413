"""The single-node reference: the clickstream warehouse as DuckDB SQL, independent of the framework.

The same steps as `pipelines/clickstream.yaml` (clean, enrich, sessionize, then sessions, users,
products, days and dates), reading the same raw CSV files with explicit column types and writing
the same seven tables as Parquet (fact_events partitioned by event_date); tests/bench/
test_baselines.py checks every column against the warehouse. Two threads (the machine's cores),
insertion order not preserved (DuckDB streams more and holds less), the rest DuckDB's defaults.
DuckDB is a bench dependency (`pip install -e '.[dev]'`), not the product's.

usage: python bench/duckdb_etl.py RAW_DIR OUT_DIR [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

EVENT_TYPES = {"event_id": "VARCHAR", "session_id": "VARCHAR", "user_id": "VARCHAR",
               "event_type": "VARCHAR", "product_id": "VARCHAR", "timestamp": "TIMESTAMPTZ",
               "device": "VARCHAR", "browser": "VARCHAR", "referrer": "VARCHAR",
               "page_url": "VARCHAR", "quantity": "INTEGER"}
USER_TYPES = {"user_id": "VARCHAR", "signup_date": "DATE", "country": "VARCHAR",
              "age_group": "VARCHAR"}
PRODUCT_TYPES = {"product_id": "VARCHAR", "product_name": "VARCHAR", "category": "VARCHAR",
                 "price": "DECIMAL(10,2)"}
MONEY = "DECIMAL(18,2)"


def settings(threads: int = 2) -> dict:
    return {"threads": threads, "preserve_insertion_order": False, "memory_limit": "default",
            "csv_types": "explicit"}


def _csv(raw: str, name: str, types: dict[str, str]) -> str:
    """read_csv of a landed folder with the given column types; rows that do not parse are
    skipped (as the pipeline quarantines them)."""
    cols = ", ".join(f"'{c}': '{t}'" for c, t in types.items())
    path = os.path.join(raw, name, "*.csv").replace("'", "''")
    return (f"read_csv('{path}', header = true, columns = {{{cols}}}, ignore_errors = true, "
            f"auto_detect = false)")


def _text(col: str, lower: bool = False) -> str:
    value = f"lower(trim({col}))" if lower else f"trim({col})"
    return f"nullif({value}, '') AS {col}"


def _mean_seconds(col: str) -> str:
    """The mean of a seconds column summed in whole microseconds, as the pipeline computes it."""
    return (f"CAST(sum(CAST(round({col} * 1000000) AS BIGINT)) AS DOUBLE) "
            f"/ count({col}) / CAST(1000000 AS DOUBLE)")


def _seconds(start: str, end: str) -> str:
    """Seconds from start to end as a double, from whole microseconds."""
    return f"CAST(epoch_us({end}) - epoch_us({start}) AS DOUBLE) / CAST(1000000 AS DOUBLE)"


def statements(raw: str, out: str) -> list[str]:
    ties = ", ".join(f"{c} ASC NULLS LAST" for c in (
        "session_id", "user_id", "event_type", "product_id", "device", "browser", "referrer",
        "page_url", "quantity"))
    count = "count(*) FILTER (WHERE event_type = '{}')"
    return [
        f"CREATE TEMP TABLE products AS SELECT * FROM {_csv(raw, 'products', PRODUCT_TYPES)}",
        f"CREATE TEMP TABLE users AS SELECT * FROM {_csv(raw, 'users', USER_TYPES)}",
        # clean: tidy strings, drop keyless rows, default quantity, one row per event_id
        f"""CREATE TEMP TABLE events_sessionized AS
        WITH tidy AS (
          SELECT {_text('event_id')}, {_text('session_id')}, {_text('user_id')},
                 {_text('event_type', True)}, {_text('product_id')},
                 CAST("timestamp" AS TIMESTAMP) AS event_ts, {_text('device', True)},
                 {_text('browser', True)}, {_text('referrer', True)}, {_text('page_url')},
                 quantity
          FROM {_csv(raw, 'events', EVENT_TYPES)}),
        valid AS (
          SELECT * REPLACE (coalesce(quantity, CASE WHEN event_type IN ('add_to_cart',
                            'purchase') THEN 1 ELSE 0 END) AS quantity)
          FROM tidy
          WHERE event_id IS NOT NULL AND session_id IS NOT NULL AND event_ts IS NOT NULL),
        clean AS (
          SELECT *, CAST(event_ts AS DATE) AS event_date,
                 CAST(hour(event_ts) AS INTEGER) AS event_hour,
                 CAST(isodow(event_ts) AS INTEGER) AS day_of_week,
                 CAST(month(event_ts) AS INTEGER) AS month, isodow(event_ts) >= 6 AS is_weekend
          FROM valid
          QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_ts, {ties}) = 1),
        enriched AS (
          SELECT e.*, p.product_name, p.category, p.price,
                 CAST(CASE WHEN e.event_type = 'purchase'
                           THEN coalesce(p.price * e.quantity, 0) ELSE 0 END AS {MONEY})
                   AS revenue
          FROM clean e LEFT JOIN products p USING (product_id))
        SELECT * EXCLUDE (_n, session_start, session_end), event_sequence = 1 AS is_entry,
               event_sequence = _n AS is_exit,
               session_start, session_end
        FROM (
          SELECT *,
            CAST(row_number() OVER w AS INTEGER) AS event_sequence,
            {_seconds('lag(event_ts) OVER w', 'event_ts')} AS seconds_since_prev,
            count(*) OVER s AS _n,
            min(event_ts) OVER s AS session_start, max(event_ts) OVER s AS session_end
          FROM enriched
          WINDOW w AS (PARTITION BY session_id ORDER BY event_ts, event_id),
                 s AS (PARTITION BY session_id))""",
        f"""CREATE TEMP TABLE sessions AS
        SELECT session_id, user_id, session_start, session_end,
               CAST(session_start AS DATE) AS session_date,
               {_seconds('session_start', 'session_end')} AS duration_seconds,
               num_events, page_views, product_clicks, cart_adds, purchases, revenue,
               purchases > 0 AS converted, cart_adds > 0 AND purchases = 0 AS abandoned_cart,
               entry_page, exit_page, device, browser, referrer
        FROM (
          SELECT session_id,
                 max(user_id) FILTER (WHERE is_entry) AS user_id,
                 max(device) FILTER (WHERE is_entry) AS device,
                 max(browser) FILTER (WHERE is_entry) AS browser,
                 max(referrer) FILTER (WHERE is_entry) AS referrer,
                 min(event_ts) AS session_start, max(event_ts) AS session_end,
                 count(*) AS num_events,
                 {count.format('page_view')} AS page_views,
                 {count.format('product_click')} AS product_clicks,
                 {count.format('add_to_cart')} AS cart_adds,
                 {count.format('purchase')} AS purchases,
                 CAST(coalesce(sum(revenue), 0) AS {MONEY}) AS revenue,
                 max(page_url) FILTER (WHERE is_entry) AS entry_page,
                 max(page_url) FILTER (WHERE is_exit) AS exit_page
          FROM events_sessionized GROUP BY session_id)""",
        _copy("SELECT * EXCLUDE (event_date), event_date FROM events_sessionized",
              out, "fact_events", "PARTITION_BY (event_date)"),
        _copy("SELECT * FROM sessions", out, "fact_sessions"),
        _copy(f"""
        WITH by_events AS (
          SELECT event_date, count(DISTINCT user_id) AS users, count(*) AS events,
                 {count.format('page_view')} AS page_views,
                 {count.format('purchase')} AS purchases,
                 CAST(coalesce(sum(revenue), 0) AS {MONEY}) AS revenue
          FROM events_sessionized GROUP BY event_date),
        by_sessions AS (
          SELECT session_date AS event_date, count(*) AS sessions,
                 count(*) FILTER (WHERE converted) AS converted_sessions,
                 count(*) FILTER (WHERE cart_adds > 0) AS cart_sessions,
                 count(*) FILTER (WHERE abandoned_cart) AS abandoned_sessions,
                 {_mean_seconds('duration_seconds')} AS avg_session_seconds
          FROM sessions GROUP BY session_date),
        days AS (
          SELECT event_date, coalesce(users, 0) AS users, coalesce(sessions, 0) AS sessions,
                 coalesce(events, 0) AS events, coalesce(page_views, 0) AS page_views,
                 coalesce(purchases, 0) AS purchases,
                 coalesce(revenue, CAST(0 AS {MONEY})) AS revenue,
                 coalesce(converted_sessions, 0) AS converted_sessions,
                 coalesce(cart_sessions, 0) AS cart_sessions,
                 coalesce(abandoned_sessions, 0) AS abandoned_sessions, avg_session_seconds
          FROM by_events FULL JOIN by_sessions USING (event_date))
        SELECT event_date, users, sessions, events, page_views, purchases, revenue,
               CAST(converted_sessions AS DOUBLE) / nullif(sessions, 0) AS conversion_rate,
               -- revenue / purchases rounded half up to cents, in exact integer arithmetic
               -- (DuckDB divides decimals in floating point)
               CASE WHEN purchases > 0 THEN CAST(CAST(
                 (2 * CAST(revenue * 100 AS BIGINT) + purchases) // (2 * purchases)
                 AS DECIMAL(18, 0)) * 0.01 AS {MONEY}) END AS aov,
               CAST(abandoned_sessions AS DOUBLE) / nullif(cart_sessions, 0)
                 AS cart_abandonment_rate,
               avg_session_seconds, converted_sessions, cart_sessions, abandoned_sessions
        FROM days ORDER BY event_date""", out, "fact_daily_metrics"),
        _copy(f"""
        WITH per_user AS (
          SELECT user_id, count(*) AS total_sessions, sum(num_events) AS total_events,
                 sum(purchases) AS total_purchases,
                 CAST(sum(revenue) AS {MONEY}) AS lifetime_revenue,
                 {_mean_seconds('duration_seconds')} AS avg_session_seconds,
                 min(session_start) AS first_seen, max(session_end) AS last_seen,
                 count(*) FILTER (WHERE converted) AS converted_sessions
          FROM sessions GROUP BY user_id),
        joined AS (
          SELECT u.*, coalesce(total_sessions, 0) AS total_sessions,
                 CAST(coalesce(total_events, 0) AS BIGINT) AS total_events,
                 CAST(coalesce(total_purchases, 0) AS BIGINT) AS total_purchases,
                 coalesce(lifetime_revenue, CAST(0 AS {MONEY})) AS lifetime_revenue,
                 avg_session_seconds, first_seen, last_seen,
                 coalesce(converted_sessions, 0) AS converted_sessions
          FROM users u LEFT JOIN per_user USING (user_id))
        SELECT *, CASE WHEN lifetime_revenue >= 500 THEN 'High Value'
                       WHEN total_purchases > 0 THEN 'Converted'
                       WHEN total_sessions >= 5 THEN 'Engaged'
                       ELSE 'New/Inactive' END AS segment
        FROM joined""", out, "dim_users"),
        _copy("SELECT * FROM products", out, "dim_products"),
        _copy(f"""
        WITH counts AS (
          SELECT product_id,
                 count(DISTINCT session_id) FILTER (WHERE event_type = 'product_click')
                   AS views,
                 {count.format('product_click')} AS clicks,
                 {count.format('add_to_cart')} AS cart_adds,
                 {count.format('purchase')} AS purchases,
                 sum(quantity) FILTER (WHERE event_type = 'purchase') AS units_sold,
                 CAST(sum(revenue) FILTER (WHERE event_type = 'purchase') AS {MONEY})
                   AS revenue
          FROM events_sessionized WHERE product_id IS NOT NULL GROUP BY product_id),
        joined AS (
          SELECT p.*, coalesce(views, 0) AS views, coalesce(clicks, 0) AS clicks,
                 coalesce(cart_adds, 0) AS cart_adds, coalesce(purchases, 0) AS purchases,
                 CAST(coalesce(units_sold, 0) AS BIGINT) AS units_sold,
                 coalesce(revenue, CAST(0 AS {MONEY})) AS revenue
          FROM products p LEFT JOIN counts USING (product_id))
        SELECT *, CAST(purchases AS DOUBLE) / nullif(clicks, 0) AS conversion_rate,
               CAST(purchases AS DOUBLE) / nullif(cart_adds, 0) AS cart_conversion,
               round(views * 1.0::DOUBLE + clicks * 0.5::DOUBLE + cart_adds * 3.0::DOUBLE
                     + purchases * 5.0::DOUBLE, 2) AS engagement_score
        FROM joined""", out, "dim_product_metrics"),
        _copy("""
        WITH days AS (
          SELECT CAST(d AS DATE) AS date
          FROM (SELECT min(event_date) AS lo, max(event_date) AS hi FROM events_sessionized),
               generate_series(lo, hi, INTERVAL 1 DAY) AS t(d)
          WHERE lo IS NOT NULL)
        SELECT CAST(strftime(date, '%Y%m%d') AS INTEGER) AS date_key, date,
               CAST(year(date) AS INTEGER) AS year, CAST(quarter(date) AS INTEGER) AS quarter,
               CAST(month(date) AS INTEGER) AS month, monthname(date) AS month_name,
               CAST(day(date) AS INTEGER) AS day, CAST(isodow(date) AS INTEGER) AS day_of_week,
               dayname(date) AS day_name, CAST(week(date) AS INTEGER) AS week_of_year,
               isodow(date) >= 6 AS is_weekend
        FROM days ORDER BY date""", out, "dim_date"),
    ]


def _copy(query: str, out: str, table: str, extra: str = "") -> str:
    """COPY a query to a Parquet table: a folder of files, as Spark writes one."""
    target = os.path.join(out, table)
    if not extra:
        target = os.path.join(target, "part-0.parquet")
    options = ", ".join(o for o in ("FORMAT parquet", "COMPRESSION snappy", extra) if o)
    return f"COPY ({query}) TO '{target.replace(chr(39), chr(39) * 2)}' ({options})"


def run(raw: str, out: str, threads: int = 2) -> None:
    import duckdb

    for table in os.listdir(out) if os.path.isdir(out) else ():
        shutil.rmtree(os.path.join(out, table))
    for table in ("fact_sessions", "fact_daily_metrics", "dim_users", "dim_products",
                  "dim_product_metrics", "dim_date"):
        os.makedirs(os.path.join(out, table), exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"SET threads = {int(threads)}")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET TimeZone = 'UTC'")
        for sql in statements(raw, out):
            con.execute(sql)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw", help="folder with events/, users/, products/ CSV folders")
    ap.add_argument("out", help="folder to write the seven Parquet tables into")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    t0 = time.time()
    run(args.raw, args.out, args.threads)
    print(json.dumps({"seconds": round(time.time() - t0, 1), "settings": settings(args.threads)}))


if __name__ == "__main__":
    main(sys.argv[1:])

"""The honest baseline: the clickstream warehouse hand-written in PySpark as a skilled engineer
would write it, independent of the framework (nothing from framework/ or transforms/ is imported).

It publishes the same seven tables, with the same columns and values, as `etl run
pipelines/clickstream.yaml` (tests/bench/test_baselines.py checks every column against the
warehouse), and is tuned the way a person who knows Spark would tune a batch job:
- local[*], adaptive query execution on, shuffle partitions sized to the machine and the input
  (4 per core, at least one per 64 MB of raw CSV), the driver heap sized to the input;
- explicit schemas for the CSV files (no inference pass), malformed rows dropped while parsing;
- the sessionized events, which six of the seven tables are built from, cached once, and the
  session table, which three tables read, cached too;
- the product catalogue broadcast into the event join, the per-product aggregate broadcast into
  the catalogue join;
- fact_events repartitioned by event_date before `partitionBy`, so each day is one file; the small
  tables coalesced into one file each.

usage: python bench/skilled_etl.py RAW_DIR OUT_DIR [--master M] [--shuffle-partitions N]
                                    [--driver-memory SIZE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

SHUFFLE_BYTES = 64 * 2**20  # one shuffle partition per 64 MB of input, at least 4 per core
BIG_INPUT = 2**30  # from 1 GiB of raw CSV the driver (the only JVM in local mode) gets 4 GB
MONEY = "decimal(18,2)"
HIGH_VALUE_REVENUE, ENGAGED_SESSIONS = 500.0, 5
WEIGHTS = {"views": 1.0, "clicks": 0.5, "cart_adds": 3.0, "purchases": 5.0}


def raw_bytes(raw: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(raw)
               for f in files if f.endswith(".csv"))


def settings(raw: str, master: str = "local[*]", shuffle_partitions: int | None = None,
             driver_memory: str | None = None) -> dict:
    """The Spark settings this script uses for RAW_DIR (pure: run_bench records them)."""
    cores = os.cpu_count() or 2
    if master.startswith("local[") and master[6:-1].isdigit():
        cores = int(master[6:-1])
    size = raw_bytes(raw)
    return {
        "master": master,
        "cores": cores,
        "raw_bytes": size,
        "shuffle_partitions": shuffle_partitions or max(4 * cores, math.ceil(size / SHUFFLE_BYTES)),
        "driver_memory": driver_memory or ("4g" if size >= BIG_INPUT else "2g"),
        "adaptive": True,
        "csv_schema": "explicit",
        "cached": ["events_sessionized", "sessions"],
        "broadcast": ["products"],
    }


def session(conf: dict):
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master(conf["master"]).appName("skilled-clickstream-etl")
             .config("spark.driver.memory", conf["driver_memory"])
             .config("spark.sql.shuffle.partitions", str(conf["shuffle_partitions"]))
             .config("spark.sql.adaptive.enabled", "true")
             .config("spark.sql.adaptive.coalescePartitions.enabled", "true")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def schemas():
    from pyspark.sql import types as T

    def struct(*fields):
        return T.StructType([T.StructField(name, dtype) for name, dtype in fields])

    s = T.StringType()
    return {
        "events": struct(("event_id", s), ("session_id", s), ("user_id", s), ("event_type", s),
                         ("product_id", s), ("timestamp", T.TimestampType()), ("device", s),
                         ("browser", s), ("referrer", s), ("page_url", s),
                         ("quantity", T.IntegerType())),
        "users": struct(("user_id", s), ("signup_date", T.DateType()), ("country", s),
                        ("age_group", s)),
        "products": struct(("product_id", s), ("product_name", s), ("category", s),
                           ("price", T.DecimalType(10, 2))),
    }


def read(spark, raw: str) -> dict:
    reader = spark.read.option("header", True).option("mode", "DROPMALFORMED")
    return {name: reader.schema(schema).csv(os.path.join(raw, name))
            for name, schema in schemas().items()}


def clean_events(events):
    """Trimmed strings ('' -> null; the categorical ones lower-cased), rows without an id, a
    session or a time dropped, a missing quantity 1 for cart events and 0 otherwise, one row per
    event_id (the earliest; ties broken by the other columns), calendar columns."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    def text(name: str, lower: bool = False):
        col = F.trim(F.col(name))
        col = F.lower(col) if lower else col
        return F.when(col != "", col).alias(name)

    df = events.select(text("event_id"), text("session_id"), text("user_id"),
                       text("event_type", True), text("product_id"),
                       F.col("timestamp").alias("event_ts"), text("device", True),
                       text("browser", True), text("referrer", True), text("page_url"),
                       "quantity")
    df = df.where(F.col("event_id").isNotNull() & F.col("session_id").isNotNull()
                  & F.col("event_ts").isNotNull())
    unit = F.when(F.col("event_type").isin("add_to_cart", "purchase"), 1).otherwise(0)
    df = df.withColumn("quantity", F.coalesce("quantity", unit))
    ties = [F.col(c).asc_nulls_last() for c in df.columns if c not in ("event_id", "event_ts")]
    first = Window.partitionBy("event_id").orderBy(F.col("event_ts").asc(), *ties)
    df = df.withColumn("_rn", F.row_number().over(first)).where("_rn = 1").drop("_rn")
    iso_dow = F.pmod(F.dayofweek("event_ts") + 5, F.lit(7)) + 1
    return df.select("*", F.to_date("event_ts").alias("event_date"),
                     F.hour("event_ts").alias("event_hour"), iso_dow.alias("day_of_week"),
                     F.month("event_ts").alias("month"), (iso_dow >= 6).alias("is_weekend"))


def enrich(events, products):
    """Product name, category and price by a broadcast join; revenue = price x quantity of a
    purchase, 0 for anything else (and for a purchase of an unknown product)."""
    from pyspark.sql import functions as F

    attrs = products.select("product_id", "product_name", "category", "price")
    out = events.join(F.broadcast(attrs), "product_id", "left")
    revenue = F.when(F.col("event_type") == "purchase", F.col("price") * F.col("quantity"))
    return out.select(*events.columns, "product_name", "category", "price",
                      F.coalesce(revenue, F.lit(0)).cast(MONEY).alias("revenue"))


def sessionize(events):
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ordered = Window.partitionBy("session_id").orderBy("event_ts", "event_id")
    whole = Window.partitionBy("session_id")
    seq = F.row_number().over(ordered)
    gap = (F.unix_micros("event_ts") - F.unix_micros(F.lag("event_ts").over(ordered))) / 1e6
    return (events.select("*", seq.alias("event_sequence"), gap.alias("seconds_since_prev"),
                          F.count(F.lit(1)).over(whole).alias("_n"),
                          F.min("event_ts").over(whole).alias("session_start"),
                          F.max("event_ts").over(whole).alias("session_end"))
            .select(*events.columns, "event_sequence", "seconds_since_prev",
                    (F.col("event_sequence") == 1).alias("is_entry"),
                    (F.col("event_sequence") == F.col("_n")).alias("is_exit"),
                    "session_start", "session_end"))


def _count(cond):
    from pyspark.sql import functions as F

    return F.sum(F.when(cond, 1).otherwise(0)).cast("long")


def _mean_seconds(col: str):
    """Mean of a seconds column, summed in whole microseconds (exact, order-independent)."""
    from pyspark.sql import functions as F

    micros = F.sum(F.round(F.col(col) * 1_000_000).cast("long"))
    return F.try_divide(micros.cast("double"), F.count(col)) / 1_000_000.0


def _ratio(num: str, den: str):
    from pyspark.sql import functions as F

    return F.try_divide(F.col(num).cast("double"), F.col(den).cast("double"))


def sessions_of(events):
    """One row per session; the first event gives user, device, browser, referrer and entry page,
    the last the exit page (is_entry / is_exit mark them: one each per session)."""
    from pyspark.sql import functions as F

    etype = F.col("event_type")

    def at_entry(c):
        return F.max(F.when(F.col("is_entry"), F.col(c))).alias(c)

    out = events.groupBy("session_id").agg(
        at_entry("user_id"), at_entry("device"), at_entry("browser"), at_entry("referrer"),
        F.min("event_ts").alias("session_start"), F.max("event_ts").alias("session_end"),
        F.count(F.lit(1)).alias("num_events"),
        _count(etype == "page_view").alias("page_views"),
        _count(etype == "product_click").alias("product_clicks"),
        _count(etype == "add_to_cart").alias("cart_adds"),
        _count(etype == "purchase").alias("purchases"),
        F.coalesce(F.sum("revenue"), F.lit(0)).cast(MONEY).alias("revenue"),
        F.max(F.when(F.col("is_entry"), F.col("page_url"))).alias("entry_page"),
        F.max(F.when(F.col("is_exit"), F.col("page_url"))).alias("exit_page"))
    return out.select(
        "session_id", "user_id", "session_start", "session_end",
        F.to_date("session_start").alias("session_date"),
        ((F.unix_micros("session_end") - F.unix_micros("session_start")) / 1e6)
        .alias("duration_seconds"),
        "num_events", "page_views", "product_clicks", "cart_adds", "purchases", "revenue",
        (F.col("purchases") > 0).alias("converted"),
        ((F.col("cart_adds") > 0) & (F.col("purchases") == 0)).alias("abandoned_cart"),
        "entry_page", "exit_page", "device", "browser", "referrer")


def users_dim(users, sessions):
    from pyspark.sql import functions as F

    per_user = sessions.groupBy("user_id").agg(
        F.count(F.lit(1)).alias("total_sessions"),
        F.sum("num_events").cast("long").alias("total_events"),
        F.sum("purchases").cast("long").alias("total_purchases"),
        F.sum("revenue").cast(MONEY).alias("lifetime_revenue"),
        _mean_seconds("duration_seconds").alias("avg_session_seconds"),
        F.min("session_start").alias("first_seen"), F.max("session_end").alias("last_seen"),
        _count(F.col("converted")).alias("converted_sessions"))
    out = users.join(per_user, "user_id", "left")

    def zero(c):
        return F.coalesce(c, F.lit(0).cast("long")).alias(c)

    out = out.select(
        *users.columns, zero("total_sessions"), zero("total_events"), zero("total_purchases"),
        F.coalesce("lifetime_revenue", F.lit(0).cast(MONEY)).alias("lifetime_revenue"),
        "avg_session_seconds", "first_seen", "last_seen", zero("converted_sessions"))
    segment = (F.when(F.col("lifetime_revenue") >= HIGH_VALUE_REVENUE, "High Value")
               .when(F.col("total_purchases") > 0, "Converted")
               .when(F.col("total_sessions") >= ENGAGED_SESSIONS, "Engaged")
               .otherwise("New/Inactive"))
    return out.withColumn("segment", segment)


def product_metrics(events, products):
    from pyspark.sql import functions as F

    etype = F.col("event_type")
    click, purchase = etype == "product_click", etype == "purchase"
    counts = events.where(F.col("product_id").isNotNull()).groupBy("product_id").agg(
        F.count_distinct(F.when(click, F.col("session_id"))).alias("views"),
        _count(click).alias("clicks"), _count(etype == "add_to_cart").alias("cart_adds"),
        _count(purchase).alias("purchases"),
        F.sum(F.when(purchase, F.col("quantity"))).cast("long").alias("units_sold"),
        F.sum(F.when(purchase, F.col("revenue"))).cast(MONEY).alias("revenue"))
    out = products.join(F.broadcast(counts), "product_id", "left")
    zeros = [F.coalesce(c, F.lit(0).cast("long")).alias(c)
             for c in ("views", "clicks", "cart_adds", "purchases", "units_sold")]
    out = out.select("product_id", "product_name", "category", "price", *zeros,
                     F.coalesce("revenue", F.lit(0).cast(MONEY)).alias("revenue"))
    score = sum((F.col(c) * w for c, w in WEIGHTS.items()), F.lit(0.0))
    return out.select("*", _ratio("purchases", "clicks").alias("conversion_rate"),
                      _ratio("purchases", "cart_adds").alias("cart_conversion"),
                      F.round(score.cast("double"), 2).alias("engagement_score"))


def daily_metrics(events, sessions):
    """Event measures by the events' day; session measures by the day each session started."""
    from pyspark.sql import functions as F

    etype = F.col("event_type")
    by_events = events.groupBy("event_date").agg(
        F.count_distinct("user_id").alias("users"), F.count(F.lit(1)).alias("events"),
        _count(etype == "page_view").alias("page_views"),
        _count(etype == "purchase").alias("purchases"),
        F.coalesce(F.sum("revenue"), F.lit(0)).cast(MONEY).alias("revenue"))
    by_sessions = sessions.groupBy(F.col("session_date").alias("event_date")).agg(
        F.count(F.lit(1)).alias("sessions"),
        _count(F.col("converted")).alias("converted_sessions"),
        _count(F.col("cart_adds") > 0).alias("cart_sessions"),
        _count(F.col("abandoned_cart")).alias("abandoned_sessions"),
        _mean_seconds("duration_seconds").alias("avg_session_seconds"))
    days = by_events.join(by_sessions, "event_date", "full")

    def zero(c):
        return F.coalesce(c, F.lit(0).cast("long")).alias(c)

    days = days.select(
        "event_date", zero("users"), zero("sessions"), zero("events"), zero("page_views"),
        zero("purchases"), F.coalesce("revenue", F.lit(0).cast(MONEY)).alias("revenue"),
        "avg_session_seconds", zero("converted_sessions"), zero("cart_sessions"),
        zero("abandoned_sessions"))
    aov = F.round(F.try_divide(F.col("revenue"), F.col("purchases")), 2).cast(MONEY)
    return days.select(
        "event_date", "users", "sessions", "events", "page_views", "purchases", "revenue",
        _ratio("converted_sessions", "sessions").alias("conversion_rate"), aov.alias("aov"),
        _ratio("abandoned_sessions", "cart_sessions").alias("cart_abandonment_rate"),
        "avg_session_seconds", "converted_sessions", "cart_sessions", "abandoned_sessions")


def dim_date(events):
    """Every calendar day from the first to the last event date."""
    from pyspark.sql import functions as F

    bounds = events.agg(F.min("event_date").alias("lo"), F.max("event_date").alias("hi"))
    dates = bounds.where("lo is not null").select(F.explode(F.sequence("lo", "hi")).alias("date"))
    dow = F.pmod(F.dayofweek("date") + 5, F.lit(7)) + 1
    return dates.select(
        F.date_format("date", "yyyyMMdd").cast("int").alias("date_key"), "date",
        F.year("date").alias("year"), F.quarter("date").alias("quarter"),
        F.month("date").alias("month"), F.date_format("date", "MMMM").alias("month_name"),
        F.dayofmonth("date").alias("day"), dow.alias("day_of_week"),
        F.date_format("date", "EEEE").alias("day_name"),
        F.weekofyear("date").alias("week_of_year"), (dow >= 6).alias("is_weekend"))


def run(spark, raw: str, out: str) -> None:
    from pyspark import StorageLevel

    src = read(spark, raw)
    events = sessionize(enrich(clean_events(src["events"]), src["products"]))
    events.persist(StorageLevel.MEMORY_AND_DISK)

    def write(df, table: str, one_file: bool = False, sort_by: str | None = None):
        df = df.coalesce(1) if one_file else df
        df = df.sortWithinPartitions(sort_by) if sort_by else df  # one file, in date order
        df.write.mode("overwrite").parquet(os.path.join(out, table))

    # fact_events first: writing it fills the cache every other table reads
    (events.repartition("event_date").write.mode("overwrite").partitionBy("event_date")
     .parquet(os.path.join(out, "fact_events")))
    sessions = sessions_of(events).persist(StorageLevel.MEMORY_AND_DISK)
    write(sessions, "fact_sessions")
    write(daily_metrics(events, sessions), "fact_daily_metrics", True, "event_date")
    write(users_dim(src["users"], sessions), "dim_users")
    write(src["products"], "dim_products", one_file=True)
    write(product_metrics(events, src["products"]), "dim_product_metrics", one_file=True)
    write(dim_date(events), "dim_date", True, "date")
    sessions.unpersist()
    events.unpersist()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw", help="folder with events/, users/, products/ CSV folders")
    ap.add_argument("out", help="folder to write the seven Parquet tables into")
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--shuffle-partitions", type=int, default=None,
                    help="default: 4 per core, at least one per 64 MB of raw CSV")
    ap.add_argument("--driver-memory", default=None,
                    help="default: 2g, 4g from 1 GiB of raw CSV")
    args = ap.parse_args(argv)
    conf = settings(args.raw, args.master, args.shuffle_partitions, args.driver_memory)
    t0 = time.time()
    spark = session(conf)
    try:
        run(spark, args.raw, args.out)
    finally:
        spark.stop()
    print(json.dumps({"seconds": round(time.time() - t0, 1), "settings": conf}))


if __name__ == "__main__":
    main(sys.argv[1:])

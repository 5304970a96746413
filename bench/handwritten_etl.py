"""The baseline: a straightforward hand-written PySpark script of the seed project's ETL steps.

Written the way the seed's `etl_pipeline.py` describes its work: CSV read with header and schema
inference, cleaning, a broadcast join with products, window-function sessionization, session,
user, product and daily aggregates, a date dimension, Parquet written partitioned by event_date,
the sessionized events cached because several tables reuse them. Spark defaults otherwise.

usage: python bench/handwritten_etl.py RAW_DIR OUT_DIR
"""

from __future__ import annotations

import sys
import time

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F


def main(raw: str, out: str) -> None:
    t0 = time.time()
    spark = (SparkSession.builder.appName("handwritten-clickstream-etl")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")

    read = spark.read.option("header", True).option("inferSchema", True)
    events = read.csv(f"{raw}/events")
    users = read.csv(f"{raw}/users")
    products = read.csv(f"{raw}/products")

    # Cleaning: casting, null handling, features.
    events = (events.dropna(subset=["event_id", "session_id", "timestamp"])
              .dropDuplicates(["event_id"])
              .withColumn("event_ts", F.to_timestamp("timestamp"))
              .withColumn("quantity", F.coalesce(F.col("quantity").cast("int"), F.lit(1)))
              .withColumn("event_date", F.to_date("event_ts"))
              .withColumn("event_hour", F.hour("event_ts"))
              .withColumn("day_of_week", F.dayofweek("event_ts"))
              .withColumn("month", F.month("event_ts")))

    # Enrichment with the product catalogue (broadcast join), revenue.
    events = (events.join(F.broadcast(products.select("product_id", "category", "price")),
                          "product_id", "left")
              .withColumn("revenue", F.when(F.col("event_type") == "purchase",
                                            F.col("price") * F.col("quantity")).otherwise(0.0)))

    # Sessionization with window functions.
    w = Window.partitionBy("session_id").orderBy("event_ts")
    wall = Window.partitionBy("session_id")
    events = (events.withColumn("event_sequence", F.row_number().over(w))
              .withColumn("prev_ts", F.lag("event_ts").over(w))
              .withColumn("seconds_since_prev",
                          F.unix_timestamp("event_ts") - F.unix_timestamp("prev_ts"))
              .withColumn("session_start", F.min("event_ts").over(wall))
              .withColumn("session_end", F.max("event_ts").over(wall))
              .drop("prev_ts"))
    events.cache()

    events.write.mode("overwrite").partitionBy("event_date").parquet(f"{out}/fact_events")

    is_type = lambda t: F.when(F.col("event_type") == t, 1).otherwise(0)  # noqa: E731
    sessions = events.groupBy("session_id", "user_id").agg(
        F.min("event_ts").alias("session_start"), F.max("event_ts").alias("session_end"),
        F.count("*").alias("num_events"), F.sum(is_type("page_view")).alias("page_views"),
        F.sum(is_type("add_to_cart")).alias("cart_adds"),
        F.sum(is_type("purchase")).alias("purchases"), F.sum("revenue").alias("revenue"),
        F.first("device").alias("device"),
    ).withColumn("duration_seconds",
                 F.unix_timestamp("session_end") - F.unix_timestamp("session_start")) \
     .withColumn("session_date", F.to_date("session_start"))
    sessions.write.mode("overwrite").parquet(f"{out}/fact_sessions")

    daily = events.groupBy("event_date").agg(
        F.countDistinct("user_id").alias("users"), F.countDistinct("session_id").alias("sessions"),
        F.count("*").alias("events"), F.sum(is_type("purchase")).alias("purchases"),
        F.sum("revenue").alias("revenue"))
    conv = sessions.groupBy("session_date").agg(
        (F.sum(F.when(F.col("purchases") > 0, 1).otherwise(0)) / F.count("*"))
        .alias("conversion_rate"))
    daily = daily.join(conv, daily.event_date == conv.session_date, "left").drop("session_date")
    daily.write.mode("overwrite").parquet(f"{out}/fact_daily_metrics")

    ltv = sessions.groupBy("user_id").agg(
        F.count("*").alias("total_sessions"), F.sum("purchases").alias("total_purchases"),
        F.sum("revenue").alias("lifetime_revenue"))
    dim_users = users.join(ltv, "user_id", "left").withColumn(
        "segment",
        F.when(F.col("lifetime_revenue") >= 500, "High Value")
        .when(F.col("total_purchases") > 0, "Converted")
        .when(F.col("total_sessions") >= 5, "Engaged").otherwise("New/Inactive"))
    dim_users.write.mode("overwrite").parquet(f"{out}/dim_users")

    products.write.mode("overwrite").parquet(f"{out}/dim_products")
    pm = events.where(F.col("product_id").isNotNull()).groupBy("product_id").agg(
        F.sum(is_type("product_click")).alias("clicks"),
        F.sum(is_type("add_to_cart")).alias("cart_adds"),
        F.sum(is_type("purchase")).alias("purchases"), F.sum("revenue").alias("revenue"))
    products.join(pm, "product_id", "left").write.mode("overwrite") \
        .parquet(f"{out}/dim_product_metrics")

    bounds = events.agg(F.min("event_date").alias("lo"), F.max("event_date").alias("hi"))
    dates = bounds.select(F.explode(F.sequence("lo", "hi")).alias("date")).select(
        (F.year("date") * 10000 + F.month("date") * 100 + F.dayofmonth("date")).alias("date_key"),
        "date", F.year("date").alias("year"), F.month("date").alias("month"),
        F.dayofweek("date").alias("day_of_week"))
    dates.write.mode("overwrite").parquet(f"{out}/dim_date")
    spark.stop()
    print(f"handwritten ETL finished in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

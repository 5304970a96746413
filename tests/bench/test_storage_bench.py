"""bench/storage_bench.py counts what it claims: Parquet and CSV bytes of a data folder (published
tables through their symlinks, no checksum files), and the files and partitions a query's scan
read, from Spark's metrics through adaptive execution's query stages."""

from __future__ import annotations

import os

import pytest
from e2e.helpers import bench_script

storage_bench = bench_script("storage_bench")


def _write(path, size: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"x" * size)


def test_sizes_count_data_files_through_the_published_symlinks(tmp_path):
    raw, wh = tmp_path / "raw", tmp_path / "warehouse"
    _write(raw / "events" / "part-0.csv", 1000)
    _write(raw / "events" / "part-1.csv", 500)
    _write(raw / "events" / "_SUCCESS", 7)
    _write(raw / "users" / "part-0.csv", 100)
    _write(raw / "products" / "part-0.csv", 50)
    for table in storage_bench.WAREHOUSE_TABLES:
        version = wh / ".versions" / table / "000001"
        _write(version / "part-0.snappy.parquet", 10)
        _write(version / ".part-0.snappy.parquet.crc", 3)
        os.symlink(version, wh / table)
    _write(wh / ".versions" / "fact_events" / "000001" / "event_date=2026-01-02" / "p.parquet", 290)
    _write(wh / ".versions" / "fact_events" / "000000" / "old.parquet", 9999)  # not published

    s = storage_bench.sizes(str(tmp_path))
    assert s["raw_csv_bytes"] == {"events": 1500, "users": 100, "products": 50}
    assert s["raw_csv_total_bytes"] == 1650
    assert s["parquet"]["fact_events"] == {"bytes": 300, "files": 2}
    assert s["parquet"]["dim_date"] == {"bytes": 10, "files": 1}
    assert s["parquet_total_bytes"] == 300 + 6 * 10
    assert s["fact_events_to_raw_events"] == 0.2
    assert s["warehouse_to_raw"] == round(360 / 1650, 4)


@pytest.mark.spark
def test_scan_metrics_count_the_files_a_pruned_query_reads(spark, tmp_path):
    from pyspark.sql import functions as F

    path = str(tmp_path / "events")
    rows = [(i, f"2026-01-0{1 + i % 3}") for i in range(30)]
    (spark.createDataFrame(rows, "n long, day string")
     .withColumn("event_date", F.to_date("day")).drop("day")
     .repartition("event_date").write.partitionBy("event_date").parquet(path))

    def run(day: str | None):
        df = spark.read.parquet(path)
        if day:
            df = df.where(F.col("event_date") == F.lit(day).cast("date"))
        df = df.agg(F.count(F.lit(1)).alias("rows"), F.sum("n").alias("total"))
        return df.collect()[0], storage_bench._scan_metrics(df)

    row, one_day = run("2026-01-02")
    assert row["rows"] == 10 and row["total"] == sum(i for i in range(30) if i % 3 == 1)
    assert (one_day["files"], one_day["partitions"]) == (1, 1)
    assert one_day["bytes"] > 0
    _, every_day = run(None)
    assert (every_day["files"], every_day["partitions"]) == (3, 3)
    assert every_day["bytes"] > one_day["bytes"]

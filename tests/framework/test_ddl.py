"""DDL from the sinks, without a JVM: `etl sql render`'s ddl/<table>.sql for both dialects."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

from framework.ddl import SPARK_ROW_METADATA, published_columns, statements
from framework.sqlsection import render_section
from framework.validate import load_pipeline

CLICKSTREAM = os.path.join(os.path.dirname(__file__), "..", "..", "pipelines", "clickstream.yaml")


def _spark_table(folder: str) -> None:
    """A table as Spark writes it: its schema in the footer, a partition column in the path."""
    spark_schema = {"type": "struct", "fields": [
        {"name": "user_id", "type": "string", "nullable": True, "metadata": {}},
        {"name": "lifetime_revenue", "type": "decimal(18,2)", "nullable": True, "metadata": {}},
        {"name": "n", "type": "long", "nullable": True, "metadata": {}}]}
    table = pa.table({"user_id": ["u1"], "lifetime_revenue": pa.array([1], pa.decimal128(18, 2)),
                      "n": [1]}).replace_schema_metadata(
        {SPARK_ROW_METADATA: json.dumps(spark_schema)})
    os.makedirs(os.path.join(folder, "day=2026-01-01"))
    pq.write_table(table, os.path.join(folder, "day=2026-01-01", "part-0.parquet"))


def test_published_columns_come_from_spark_footer_and_partition_folders(tmp_path):
    _spark_table(str(tmp_path / "t"))
    assert published_columns(str(tmp_path / "t")) == [
        ("user_id", "string"), ("lifetime_revenue", "decimal(18,2)"), ("n", "bigint"),
        ("day", "date")]
    assert published_columns(str(tmp_path / "missing")) is None


def test_render_writes_one_ddl_per_sink_for_both_dialects(tmp_path):
    spec = load_pipeline(CLICKSTREAM, env={})
    _spark_table(str(tmp_path / "warehouse" / "dim_users"))
    pg = render_section(spec, "postgres", str(tmp_path))
    assert [k for k in pg if k.startswith("ddl/")] == [f"ddl/{s.table}.sql" for s in spec.sinks]
    users = pg["ddl/dim_users.sql"]
    assert '"lifetime_revenue" numeric(18,2)' in users and '"day" date' in users
    assert 'CONSTRAINT "dim_users_pkey" PRIMARY KEY ("user_id")' in users
    assert "COMMENT ON TABLE" in users
    events = pg["ddl/fact_events.sql"]  # not published here: declared columns, types unknown
    assert "type unknown" in events and "DEFERRABLE INITIALLY DEFERRED" in events
    assert 'REFERENCES "public"."dim_users" ("user_id")' in events
    spark = render_section(spec, "spark", str(tmp_path))["ddl/dim_users.sql"]
    assert "USING PARQUET" in spark and "PARTITIONED BY" not in spark
    assert "`lifetime_revenue` DECIMAL(18,2)" in spark and "FOREIGN KEY" not in spark


def test_statements_split_at_semicolons_outside_quotes():
    assert statements("-- head\nCREATE TABLE a (x int);\nCOMMENT ON TABLE a IS 'x; y''s';\n") \
        == ["CREATE TABLE a (x int)", "COMMENT ON TABLE a IS 'x; y''s'"]

"""Atomic publishing: modes checked by reading the table back with pyarrow, failures, cleanup."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from framework.errors import EtlError
from framework.runtime.publish import cleanup, current_version_dir, publish_table
from framework.spec import Repartition, SinkSpec

pytestmark = pytest.mark.spark

DDL = "id int, day string, amount double"
DAY1 = [(1, "d1", 1.0), (2, "d1", 2.0)]
DAY2 = [(3, "d2", 3.0)]
DAY2_NEW = [(30, "d2", 30.0), (31, "d2", 31.0)]
DAY3 = [(40, "d3", 40.0)]


def table_rows(path: str | Path, partitioned: bool = True) -> list[tuple]:
    """The table as a reader sees it, read with pyarrow (not Spark): sorted (id, day, amount)."""
    data = ds.dataset(str(path), format="parquet",
                      partitioning="hive" if partitioned else None).to_table()
    cols = data.to_pydict()
    return sorted(zip(cols["id"], map(str, cols["day"]), cols["amount"], strict=True))


def sink(mode: str = "overwrite", **kw) -> SinkSpec:
    kw.setdefault("partition_by", ("day",))
    return SinkSpec(table="fact_orders", source="orders", mode=mode, **kw)


@pytest.fixture
def publish(spark, tmp_path):
    warehouse = str(tmp_path / "wh")

    def run(rows, mode="overwrite", run_id="r1", compression="snappy", **kw):
        df = spark.createDataFrame(rows, DDL)
        return publish_table(df, warehouse, sink(mode, **kw), compression, run_id)

    run.warehouse = warehouse
    return run


def test_overwrite_publishes_a_symlinked_version(publish):
    first = publish(DAY1 + DAY2)
    link = Path(publish.warehouse) / "fact_orders"
    assert link.is_symlink() and first.path == str(link)
    assert table_rows(link) == sorted(DAY1 + DAY2)
    assert (first.rows, first.version) == (3, "000001-r1")
    assert sorted(p.name for p in link.iterdir() if p.is_dir()) == ["day=d1", "day=d2"]
    second = publish(DAY3, run_id="r2")
    assert table_rows(link) == DAY3 and second.version == "000002-r2" and second.rows == 1


def test_result_counts_rows_files_and_bytes_of_the_version(publish):
    res = publish(DAY1 + DAY2 + DAY3, repartition=Repartition(num=1, coalesce=True))
    files = sorted(Path(publish.warehouse, "fact_orders").rglob("*.parquet"))
    assert res.files == len(files) == 3  # one file per partition after coalesce(1)
    assert res.bytes == sum(f.stat().st_size for f in files)
    assert res.rows == sum(pq.read_metadata(f).num_rows for f in files) == 4


def test_unpartitioned_repartition_sets_the_file_count(publish):
    res = publish(DAY1 + DAY2 + DAY3, partition_by=(), repartition=Repartition(num=2))
    assert res.files == 2
    assert table_rows(res.path, partitioned=False) == sorted(DAY1 + DAY2 + DAY3)


def test_compression_is_applied(publish):
    res = publish(DAY1, compression="zstd")
    f = next(Path(res.path).rglob("*.parquet"))
    assert pq.read_metadata(f).row_group(0).column(0).compression == "ZSTD"


def test_append_adds_rows_and_shares_old_files(publish):
    publish(DAY1)
    old_dir = current_version_dir(publish.warehouse, "fact_orders")
    res = publish(DAY2 + DAY3, mode="append", run_id="r2")
    assert table_rows(res.path) == sorted(DAY1 + DAY2 + DAY3) and res.rows == 4
    assert table_rows(old_dir) == sorted(DAY1)  # the previous version is untouched
    old_inodes = {f.stat().st_ino for f in Path(old_dir).rglob("*.parquet")}
    new_inodes = {f.stat().st_ino for f in Path(res.path).rglob("*.parquet")}
    assert old_inodes < new_inodes  # hard links, not copies


def test_append_onto_nothing_is_a_plain_write(publish):
    res = publish(DAY1, mode="append")
    assert table_rows(res.path) == sorted(DAY1)


def test_overwrite_partitions_replaces_only_the_partitions_present(publish):
    publish(DAY1 + DAY2)
    res = publish(DAY2_NEW + DAY3, mode="overwrite_partitions", run_id="r2")
    assert table_rows(res.path) == sorted(DAY1 + DAY2_NEW + DAY3)
    assert res.rows == len(DAY1 + DAY2_NEW + DAY3)


def test_overwrite_partitions_is_repeatable(publish):
    publish(DAY1 + DAY2)
    publish(DAY2_NEW, mode="overwrite_partitions", run_id="r2")
    publish(DAY2_NEW, mode="overwrite_partitions", run_id="r3")
    assert table_rows(Path(publish.warehouse) / "fact_orders") == sorted(DAY1 + DAY2_NEW)


def test_rerun_with_same_input_gives_same_table(publish):
    publish(DAY1 + DAY2)
    before = table_rows(Path(publish.warehouse) / "fact_orders")
    publish(DAY1 + DAY2, run_id="r2")
    assert table_rows(Path(publish.warehouse) / "fact_orders") == before == sorted(DAY1 + DAY2)


def test_failure_mid_write_leaves_the_old_table(spark, publish):
    publish(DAY1)
    link = Path(publish.warehouse) / "fact_orders"
    target = os.readlink(link)
    failing = spark.createDataFrame(DAY2 + DAY3, DDL).selectExpr(
        "if(id = 40, raise_error('injected failure'), id) as id", "day", "amount")
    with pytest.raises(Exception, match="injected failure"):
        publish_table(failing, publish.warehouse, sink(), "snappy", "r2")
    assert os.readlink(link) == target and table_rows(link) == sorted(DAY1)
    assert os.listdir(Path(publish.warehouse) / ".staging") == []
    assert os.listdir(Path(publish.warehouse) / ".versions" / "fact_orders") == ["000001-r1"]


def test_append_with_different_columns_is_refused(spark, publish):
    publish(DAY1)
    other = spark.createDataFrame([(9, "d9", "x")], "id int, day string, note string")
    with pytest.raises(EtlError, match="different columns") as err:
        publish_table(other, publish.warehouse, sink("append"), "snappy", "r2")
    assert "mode: overwrite" in err.value.hint
    assert table_rows(Path(publish.warehouse) / "fact_orders") == sorted(DAY1)


def test_append_with_other_partitioning_is_refused(publish):
    publish(DAY1)
    with pytest.raises(EtlError, match="partitioned by"):
        publish(DAY2, mode="append", partition_by=())


def test_overwrite_partitions_needs_partition_by(publish):
    with pytest.raises(EtlError, match="needs partition_by"):
        publish(DAY1, mode="overwrite_partitions", partition_by=())


def test_a_foreign_directory_is_not_overwritten(publish):
    foreign = Path(publish.warehouse) / "fact_orders"
    foreign.mkdir(parents=True)
    (foreign / "precious.parquet").write_text("mine")
    with pytest.raises(EtlError, match="not a table this warehouse published") as err:
        publish(DAY1)
    assert "move or delete" in err.value.hint
    assert (foreign / "precious.parquet").read_text() == "mine"


def test_bad_table_name_is_refused(spark, tmp_path):
    df = spark.createDataFrame(DAY1, DDL)
    bad = SinkSpec(table="../escape", source="x")
    with pytest.raises(EtlError, match="identifier"):
        publish_table(df, str(tmp_path), bad, "snappy", "r1")


def test_cleanup_keeps_current_and_previous(publish):
    for n in range(1, 5):
        publish([(n, "d1", float(n))], run_id=f"r{n}")
    versions = Path(publish.warehouse) / ".versions" / "fact_orders"
    assert len(list(versions.iterdir())) == 4
    removed = cleanup(publish.warehouse, keep=1)
    assert sorted(p.name for p in versions.iterdir()) == ["000003-r3", "000004-r4"]
    assert len(removed) == 2
    cleanup(publish.warehouse, keep=0)
    assert [p.name for p in versions.iterdir()] == ["000004-r4"]
    assert table_rows(Path(publish.warehouse) / "fact_orders") == [(4, "d1", 4.0)]


def test_cleanup_removes_what_a_killed_run_left(publish):
    publish(DAY1)
    wh = Path(publish.warehouse)
    staging = wh / ".staging" / "fact_orders-000002-dead"
    (staging / "day=d1").mkdir(parents=True)
    (staging / "day=d1" / "part-0.parquet").write_bytes(b"PAR1 truncated")
    unswapped = wh / ".versions" / "fact_orders" / "000002-dead"  # written, never swapped in
    unswapped.mkdir()
    os.symlink(".versions/fact_orders/000002-dead", wh / ".fact_orders.link-abc")
    removed = cleanup(str(wh))
    assert {str(staging), str(unswapped), str(wh / ".fact_orders.link-abc")} <= set(removed)
    assert sorted(os.listdir(wh)) == [".staging", ".versions", "fact_orders"]
    assert table_rows(wh / "fact_orders") == sorted(DAY1)
    res = publish(DAY2, run_id="r2")  # and the next publish goes on normally
    assert res.version == "000002-r2" and table_rows(res.path) == DAY2


def test_cleanup_of_a_missing_warehouse_is_a_no_op(tmp_path):
    assert cleanup(str(tmp_path / "nothing")) == []


def test_two_publishes_in_a_row_keep_a_readable_table(spark, publish):
    publish(DAY1)
    publish(DAY2, run_id="r2")
    link = Path(publish.warehouse) / "fact_orders"
    assert table_rows(link) == DAY2
    back = spark.read.parquet(str(link))
    assert sorted((r["id"], r["day"]) for r in back.collect()) == [(3, "d2")]
    assert not [n for n in os.listdir(publish.warehouse) if ".link-" in n]


def _top_level_files(path: str | Path) -> list[str]:
    return sorted(p.name for p in Path(path).iterdir() if p.suffix == ".parquet")


def test_an_empty_partitioned_table_can_be_read_back_with_its_columns(spark, publish):
    res = publish([])
    assert res.rows == 0 and res.files == 1
    back = spark.read.parquet(res.path)
    assert back.count() == 0
    assert [(f.name, f.dataType.simpleString()) for f in back.schema.fields] == [
        ("id", "int"), ("day", "string"), ("amount", "double")]
    assert table_rows(res.path) == []  # pyarrow, with hive partitioning, reads it too


def test_rows_published_onto_an_empty_partitioned_table_replace_its_placeholder(publish):
    publish([])
    res = publish(DAY1, mode="append", run_id="r2")
    assert table_rows(res.path) == sorted(DAY1) and res.rows == 2
    assert _top_level_files(res.path) == []  # only day=... folders: Spark can read it
    again = publish([], mode="overwrite_partitions", run_id="r3")
    assert table_rows(again.path) == sorted(DAY1) and _top_level_files(again.path) == []


def test_appending_nothing_keeps_a_partitioned_table_as_it_was(spark, publish):
    publish(DAY1 + DAY2)
    res = publish([], mode="append", run_id="r2")
    assert table_rows(res.path) == sorted(DAY1 + DAY2) and _top_level_files(res.path) == []
    assert spark.read.parquet(res.path).count() == 3


def test_one_run_at_a_time_holds_the_warehouse(tmp_path):
    from framework.runtime.publish import WarehouseLock

    first, second = WarehouseLock(str(tmp_path), "run-A"), WarehouseLock(str(tmp_path), "run-B")
    first.acquire()
    with pytest.raises(EtlError) as info:
        second.acquire()
    assert "run run-A" in info.value.message and f"pid {os.getpid()}" in info.value.message
    assert "--data-dir" in info.value.hint
    first.release()
    second.acquire()  # free again once the holder lets go
    second.release()


def test_a_dangling_table_link_says_which_version_to_point_it_back_at(publish):
    import shutil

    wh = publish.warehouse
    publish(DAY1, run_id="r1")
    first = current_version_dir(wh, "fact_orders")
    publish(DAY2, run_id="r2")
    shutil.rmtree(current_version_dir(wh, "fact_orders"))  # the newest lost, the older kept
    with pytest.raises(EtlError) as info:
        current_version_dir(wh, "fact_orders")
    assert f"ln -sfn .versions/fact_orders/{os.path.basename(first)}" in info.value.hint


@pytest.mark.parametrize("mode", ["overwrite", "append"])
def test_an_empty_string_partition_value_is_refused_and_the_old_table_kept(publish, mode):
    """Spark writes '' and null alike as __HIVE_DEFAULT_PARTITION__: '' would read back null."""
    publish(DAY1)
    link = Path(publish.warehouse) / "fact_orders"
    target = os.readlink(link)
    with pytest.raises(EtlError) as err:
        publish(DAY2 + [(7, "", 7.0), (8, "", 8.0), (9, None, 9.0)], mode=mode, run_id="r2")
    assert "2 row(s) have an empty string in partition column 'day'" in err.value.message
    assert "nullif(day, '')" in err.value.hint
    assert os.readlink(link) == target and table_rows(link) == sorted(DAY1)
    assert os.listdir(Path(publish.warehouse) / ".staging") == []


def test_a_null_partition_value_is_still_published(publish):
    res = publish(DAY1 + [(9, None, 9.0)])
    assert res.rows == 3
    assert sorted(r[0] for r in table_rows(res.path)) == [1, 2, 9]

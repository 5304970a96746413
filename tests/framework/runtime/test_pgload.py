"""Loading tables into a real PostgreSQL: types, modes, views kept across a swap, all or nothing.

Every expectation is the input rows themselves (plain Python), read back with psycopg2."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal

import pytest

from framework.errors import EnvironmentProblem, EtlError
from framework.runtime.pgload import PostgresTarget, check_connection, load_table, publish
from framework.runtime.pgstage import stage_published
from framework.spec import SinkSpec
from tests.conftest import pg_query

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

DDL = ("id int, name string, amount decimal(18,2), ratio double, flag boolean, day date, "
       "ts timestamp, tags array<string>, attrs map<string,int>, blob binary")
UTC = dt.UTC
ROWS = [
    (1, "plain", Decimal("10.50"), 0.25, True, dt.date(2026, 1, 1),
     dt.datetime(2026, 1, 1, 10, 0, 0, 123456), ["a", "b"], {"k": 1}, b"\x00\xff"),
    (2, "", Decimal("0.00"), float("nan"), False, dt.date(2026, 1, 2),
     dt.datetime(2026, 1, 2, 23, 59, 59), [], {}, b""),
    (3, None, None, None, None, None, None, None, None, None),
    (4, 'comma, "quote"\nand a new line; ünïcödé', Decimal("-1.25"), float("inf"), True,
     dt.date(2026, 1, 3), dt.datetime(2026, 1, 3, 0, 0), ["x,y"], {"a b": 2}, b"bin"),
    (5, "  padded \t", None, None, None, None, None, None, None, None),
    (6, "   ", None, None, None, None, None, None, None, None),
    (7, "\\.", None, None, None, None, None, None, None, None),
]


def _sink(table: str = "orders", mode: str = "overwrite", **kw) -> SinkSpec:
    return SinkSpec(table=table, source="x", mode=mode, targets=("postgres",), **kw)


@pytest.fixture
def load(spark, pg_dsn, pg_schema, tmp_path):
    target = PostgresTarget(pg_dsn, pg_schema)

    def run(rows, ddl=DDL, table="orders", mode="overwrite", expected=None, **kw):
        df = spark.createDataFrame(rows, ddl)
        return load_table(df, target, _sink(table, mode, **kw), str(tmp_path / "staging"),
                          expected)

    run.target = target
    run.staging = tmp_path / "staging"
    return run


def _rows(dsn: str, query: str) -> list[tuple]:
    return pg_query(dsn, query)


def test_rows_and_types_arrive_as_they_were(load, pg_dsn, pg_schema):
    result = load(ROWS)
    assert result.rows == len(ROWS) and result.table == f"{pg_schema}.orders"
    types = pg_query(pg_dsn, "select attname, format_type(atttypid, atttypmod) from pg_attribute "
                             "where attrelid = %s::regclass and attnum > 0 and not attisdropped "
                             "order by attnum", (f'"{pg_schema}".orders',))
    assert types == [("id", "integer"), ("name", "text"), ("amount", "numeric(18,2)"),
                     ("ratio", "double precision"), ("flag", "boolean"), ("day", "date"),
                     ("ts", "timestamp with time zone"), ("tags", "jsonb"), ("attrs", "jsonb"),
                     ("blob", "bytea")]
    got = {r[0]: r for r in _rows(pg_dsn, f'select * from "{pg_schema}".orders')}
    assert set(got) == {r[0] for r in ROWS}
    for want in ROWS:
        have = got[want[0]]
        assert have[1] == want[1]  # None stays NULL, '' stays '', quotes and new lines kept
        assert have[2] == want[2] and have[4] == want[4] and have[5] == want[5]
        if want[3] is None or want[3] != want[3]:  # NULL, NaN
            assert (have[3] is None) if want[3] is None else have[3] != have[3]
        else:
            assert have[3] == want[3]
        assert have[6] == (want[6].replace(tzinfo=UTC) if want[6] else None)  # UTC instants
        assert have[7] == want[7] and have[8] == want[8]  # jsonb: lists and dicts again
        assert (bytes(have[9]) if have[9] is not None else None) == want[9]


def _views_on_orders(dsn: str, schema: str) -> None:
    pg_query(dsn, f'create view "{schema}".named as '
                  f'select id, name from "{schema}".orders where name is not null')
    pg_query(dsn, f'create view "{schema}".named_count as '
                  f'select count(*) as n from "{schema}".named')


def test_overwrite_with_the_same_columns_keeps_table_and_views_and_replaces_rows(
        load, pg_dsn, pg_schema):
    load(ROWS)
    _views_on_orders(pg_dsn, pg_schema)
    pg_query(pg_dsn, f'create index orders_name on "{pg_schema}".orders (name)')
    pg_query(pg_dsn, f'comment on table "{pg_schema}".orders is \'kept\'')
    result = load([(10, "new", None, None, None, None, None, None, None, None)])
    assert result.views == ()  # nothing had to be created again
    assert _rows(pg_dsn, f'select * from "{pg_schema}".named') == [(10, "new")]
    assert _rows(pg_dsn, f'select n from "{pg_schema}".named_count') == [(1,)]
    assert pg_query(pg_dsn, "select obj_description(%s::regclass)",
                    (f"{pg_schema}.orders",)) == [("kept",)]
    assert _rows(pg_dsn, f"select count(*) from pg_indexes where schemaname = '{pg_schema}' "
                         "and indexname = 'orders_name'") == [(1,)]


def test_overwrite_with_other_columns_replaces_the_table_and_recreates_its_views(
        load, pg_dsn, pg_schema):
    load(ROWS)
    _views_on_orders(pg_dsn, pg_schema)
    result = load([(10, "new", 2.5)], ddl="id int, name string, score double")
    assert sorted(result.views) == sorted([f"{pg_schema}.named", f"{pg_schema}.named_count"])
    assert _rows(pg_dsn, f'select * from "{pg_schema}".named') == [(10, "new")]
    assert _rows(pg_dsn, f'select n from "{pg_schema}".named_count') == [(1,)]
    assert _rows(pg_dsn, f'select score from "{pg_schema}".orders') == [(2.5,)]


def test_a_view_the_new_table_cannot_carry_leaves_everything_as_it_was(load, pg_dsn, pg_schema):
    load(ROWS)
    pg_query(pg_dsn, f'create view "{pg_schema}".names as select name from "{pg_schema}".orders')
    with pytest.raises(EtlError) as info:
        load([(1, 2.0)], ddl="id int, other double")  # no `name` column any more
    assert f"{pg_schema}.names" in info.value.message
    assert len(_rows(pg_dsn, f'select * from "{pg_schema}".names')) == len(ROWS)
    _assert_no_staging_left(pg_dsn, pg_schema, load.staging)


def test_an_object_that_is_not_a_view_stops_the_swap_instead_of_being_dropped(load, pg_dsn,
                                                                               pg_schema):
    load(ROWS)
    pg_query(pg_dsn, f'alter table "{pg_schema}".orders add primary key (id)')
    pg_query(pg_dsn, f'create table "{pg_schema}".refs (order_id int references '
                     f'"{pg_schema}".orders (id))')
    for rows, ddl in (([(10, "new", None, None, None, None, None, None, None, None)], DDL),
                      ([(10, 1.0)], "id int, other double")):  # kept table, then replaced one
        with pytest.raises(EtlError) as info:
            load(rows, ddl=ddl)
        assert "foreign key" in info.value.message or "depend" in info.value.message
        assert "as they were" in info.value.hint
    assert len(_rows(pg_dsn, f'select * from "{pg_schema}".orders')) == len(ROWS)


def test_a_row_postgres_refuses_rolls_the_whole_load_back(load, pg_dsn, pg_schema):
    load(ROWS)
    bad = [(20, "fine", None, None, None, None, None, None, None, None),
           (21, "nul \x00 byte", None, None, None, None, None, None, None, None)]
    with pytest.raises(EtlError) as info:
        load(bad)
    assert "as they were" in info.value.hint
    assert sorted(r[0] for r in _rows(pg_dsn, f'select id from "{pg_schema}".orders')) == [
        r[0] for r in ROWS]
    _assert_no_staging_left(pg_dsn, pg_schema, load.staging)


def test_append_adds_rows_and_refuses_other_columns(load, pg_dsn, pg_schema):
    ddl = "id int, day string"
    load([(1, "d1")], ddl=ddl, mode="append")  # onto nothing: creates the table
    load([(2, "d1"), (3, "d2")], ddl=ddl, mode="append")
    assert sorted(_rows(pg_dsn, f'select id, day from "{pg_schema}".orders')) == [
        (1, "d1"), (2, "d1"), (3, "d2")]
    with pytest.raises(EtlError) as info:
        load([(4, 1.0)], ddl="id int, amount double", mode="append")
    assert "columns" in info.value.message and "overwrite" in info.value.hint
    with pytest.raises(EtlError) as info:  # same names, another type: no silent cast
        load([(4, 5)], ddl="id int, day int", mode="append")
    assert "day integer" in info.value.message and "day text" in info.value.message
    assert len(_rows(pg_dsn, f'select * from "{pg_schema}".orders')) == 3


def test_overwrite_partitions_replaces_only_the_partitions_present(load, pg_dsn, pg_schema):
    ddl, kw = "id int, day string", {"mode": "overwrite_partitions", "partition_by": ("day",)}
    load([(1, "d1"), (2, "d2"), (3, None)], ddl=ddl, **kw)
    load([(20, "d2"), (30, None)], ddl=ddl, **kw)  # d2 and the null partition are replaced
    assert sorted(_rows(pg_dsn, f'select id, day from "{pg_schema}".orders'),
                  key=lambda r: r[0]) == [(1, "d1"), (20, "d2"), (30, None)]


def test_a_staged_row_count_other_than_expected_is_refused_before_postgres(load, pg_dsn,
                                                                            pg_schema):
    with pytest.raises(EtlError, match="1 rows staged"):
        load([(1, "a")], ddl="id int, name string", expected=2)
    assert pg_query(pg_dsn, "select to_regclass(%s)", (f'"{pg_schema}".orders',)) == [(None,)]


def test_column_names_postgres_would_cut_are_refused_before_anything_is_loaded(load, pg_dsn,
                                                                               pg_schema):
    load([(1, "kept")], ddl="id int, name string")
    prefix = "a_rather_long_column_name_" + "x" * 37  # 63 bytes: all PostgreSQL keeps
    assert len(prefix.encode()) == 63
    ddl = f"id int, {prefix}_first string, {prefix}_second string"  # one column once cut
    with pytest.raises(EtlError) as err:
        load([(2, "a", "b")], ddl=ddl)
    assert "'orders'" in err.value.message and f"{prefix}_first" in err.value.message
    assert "rename" in err.value.hint
    assert pg_query(pg_dsn, f'select id, name from "{pg_schema}".orders') == [(1, "kept")]
    assert not load.staging.exists() or not any(load.staging.iterdir())  # nothing staged
    with pytest.raises(EtlError, match="é"):  # one name, 64 bytes in UTF-8, 63 characters
        load([(3, "c")], ddl=f"id int, `{'é' + 'y' * 62}` string")
    assert pg_query(pg_dsn, f'select id, name from "{pg_schema}".orders') == [(1, "kept")]


def test_a_server_that_cannot_be_reached_is_named_without_its_password():
    target = PostgresTarget("postgresql://etl:s3cret@127.0.0.1:1/test", "public")
    with pytest.raises(EnvironmentProblem) as info:
        check_connection(target)
    assert "s3cret" not in info.value.message and "***" in info.value.message
    assert "warehouse.postgres.dsn" in info.value.hint


def _assert_no_staging_left(dsn: str, schema: str, folder) -> None:
    left = pg_query(dsn, "select tablename from pg_tables where schemaname = %s "
                         "and tablename like '\\_etl\\_%%'", (schema,))
    assert left == []
    assert not folder.exists() or os.listdir(folder) == []


def test_jsonb_values_keep_null_fields_and_microseconds(load, pg_dsn, pg_schema):
    ts = dt.datetime(2026, 1, 1, 10, 0, 0, 123456)
    load([(1, ["a", None], {"k": None}, (None, 1, ts))],
         ddl="id int, tags array<string>, m map<string,int>, s struct<a:string,b:int,t:timestamp>")
    (tags, m, st), = _rows(pg_dsn, f'select tags::text, m::text, s::text from "{pg_schema}".orders')
    assert json.loads(tags) == ["a", None] and json.loads(m) == {"k": None}
    assert json.loads(st) == {"a": None, "b": 1, "t": "2026-01-01T10:00:00.123456Z"}


def test_a_single_column_table_with_null_rows_loads_every_row(load, pg_dsn, pg_schema):
    load([("a",), (None,), ("\\.",), ("b",)], ddl="v string")
    assert sorted(_rows(pg_dsn, f'select v from "{pg_schema}".orders'),
                  key=lambda r: (r[0] is None, r[0] or "")) == [("\\.",), ("a",), ("b",), (None,)]


def test_loads_from_threads_into_tables_a_view_joins_never_deadlock(spark, pg_dsn, pg_schema,
                                                                     tmp_path, monkeypatch):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from framework.runtime import pgload

    inside, most, guard = [0], [0], threading.Lock()
    real_load = pgload._load

    def counted(*args, **kw):  # how many load transactions are open at once
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.2)  # widen the window two transactions would share
            return real_load(*args, **kw)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(pgload, "_load", counted)
    target = PostgresTarget(pg_dsn, pg_schema)
    check_connection(target)  # what a run does first: the schema exists before the threads

    def run(table: str, rows, ddl="id int, v string"):
        load_table(spark.createDataFrame(rows, ddl), target, _sink(table),
                   str(tmp_path / table))

    run("a", [(1, "x")])
    run("b", [(1, "y")])
    pg_query(pg_dsn, f'create view "{pg_schema}".ab as select a.id, a.v as av, b.v as bv '
                     f'from "{pg_schema}".a join "{pg_schema}".b using (id)')
    for i in range(3):  # other columns each time: both swaps drop and recreate the view
        ddl = f"id int, v string, n{i} int"
        with ThreadPoolExecutor(2) as pool:
            done = [pool.submit(run, t, [(1, t, i)], ddl) for t in ("a", "b")]
            for future in done:
                future.result()
    assert _rows(pg_dsn, f'select * from "{pg_schema}".ab') == [(1, "a", "b")]
    assert most[0] == 1  # one transaction at a time: two swaps never lock each other's views


def test_a_password_a_driver_quotes_is_still_masked():
    for dsn in ("postgresql://:s3cret@127.0.0.1:1/test",  # no user
                "postgresql://u:s3%zzcret@127.0.0.1:1/test"):  # a percent code libpq rejects
        with pytest.raises(EnvironmentProblem) as info:
            check_connection(PostgresTarget(dsn, "public"))
        assert "s3cret" not in info.value.message and "s3%zzcret" not in info.value.message


# -- from the published Parquet version: pyarrow reads it as it is, Spark copies what it cannot ---

FLAT = ("id int, name string, amount decimal(18,2), ratio double, small float, flag boolean, "
        "day date, ts timestamp, ntz timestamp_ntz, blob binary, part string")
FLAT_ROWS = [
    (1, "plain", Decimal("10.50"), 0.1, 0.1, True, dt.date(1, 1, 1),
     dt.datetime(1, 1, 1, 0, 0, 0, 1), dt.datetime(2026, 1, 1, 10, 0, 0, 123456), b"\x00\xff",
     "late: 50% off"),
    (2, "", Decimal("0.00"), float("nan"), float("-inf"), False, dt.date(9999, 12, 31),
     dt.datetime(9999, 12, 31, 23, 59, 59, 999999), dt.datetime(1, 1, 1), b"", "late: 50% off"),
    (3, None, None, None, None, None, None, None, None, None, None),
    (4, 'comma, "quote"\nand a new line; ünïcödé', Decimal("-1.25"), -0.0, 1e-45, True,
     dt.date(1582, 10, 4), dt.datetime(1899, 12, 31, 23, 59, 59), None, b"bin", "a/b=c"),
    (5, "\\.", Decimal("99999999999999.99"), 5e-324, 3.4e38, None, None, None, None, None, None),
]


def _published(spark, tmp_path, rows, ddl, sink):
    """`rows` published to Parquet as a sink task publishes them, then staged from there."""
    from framework.runtime.publish import publish_table

    df = spark.createDataFrame(rows, ddl)
    result = publish_table(df, str(tmp_path / "warehouse"), sink, "snappy", "run-1")
    return stage_published(spark, df, result, sink, str(tmp_path / "staging"))


def _float32(value):
    import struct

    return None if value is None else struct.unpack(">f", struct.pack(">f", value))[0]


def test_the_published_version_is_loaded_as_it_is_with_every_value_kept(spark, pg_dsn,
                                                                         pg_schema, tmp_path):
    import struct

    sink = SinkSpec(table="flat", source="x", partition_by=("part",),
                    targets=("parquet", "postgres"))
    staged = _published(spark, tmp_path, FLAT_ROWS, FLAT, sink)
    assert not staged.source.scratch  # no Spark copy: the published files themselves
    assert staged.source.folder.startswith(str(tmp_path / "warehouse" / ".versions"))
    assert not (tmp_path / "staging").exists() or not any((tmp_path / "staging").iterdir())
    publish(PostgresTarget(pg_dsn, pg_schema), [staged])
    got = {r[0]: r for r in pg_query(pg_dsn, f'select id, name, amount, ratio, small, flag, day, '
                                              f'ts, ntz, blob, part from "{pg_schema}".flat')}
    assert set(got) == {r[0] for r in FLAT_ROWS}
    for want in FLAT_ROWS:
        have = got[want[0]]
        assert have[1] == want[1] and have[2] == want[2] and have[5] == want[5], want[0]
        for at, bits in ((3, 64), (4, 32)):
            expected = want[at] if bits == 64 else _float32(want[at])
            if expected is None or have[at] is None:
                assert have[at] is expected is None
            elif expected != expected:
                assert have[at] != have[at]  # NaN
            else:
                fmt = ">d" if bits == 64 else ">f"  # -0.0 stays -0.0
                assert struct.pack(fmt, have[at]) == struct.pack(fmt, expected), want[0]
        assert have[6] == want[6] and have[8] == want[8], want[0]
        assert have[7] == (want[7].replace(tzinfo=UTC) if want[7] else None), want[0]
        assert (bytes(have[9]) if have[9] is not None else None) == want[9], want[0]
        assert have[10] == want[10], want[0]  # from the escaped folder name


@pytest.mark.parametrize("case", ["nested", "timestamp partition", "legacy calendar"])
def test_what_pyarrow_cannot_read_as_spark_means_it_is_copied_by_spark(spark, pg_dsn, pg_schema,
                                                                       tmp_path, case):
    ts = dt.datetime(2026, 1, 1, 10, 0, 0, 123456)
    ddl, rows, part = "id int, ts timestamp, v string", [(1, ts, "a"), (2, None, None)], ()
    if case == "nested":
        ddl, rows = "id int, ts timestamp, v array<string>", [(1, ts, ["a", None]), (2, None, [])]
    elif case == "timestamp partition":
        part = ("ts",)
    key = "spark.sql.parquet.datetimeRebaseModeInWrite"
    before = spark.conf.get(key)
    if case == "legacy calendar":
        spark.conf.set(key, "LEGACY")
    try:
        staged = _published(spark, tmp_path, rows, ddl, SinkSpec(
            table="odd", source="x", partition_by=part, targets=("parquet", "postgres")))
    finally:
        spark.conf.set(key, before)
    assert staged.source.scratch and os.path.isdir(staged.source.folder)
    publish(PostgresTarget(pg_dsn, pg_schema), [staged])
    assert not os.path.exists(staged.source.folder)  # removed after the load
    got = sorted(pg_query(pg_dsn, f'select id, ts, v from "{pg_schema}".odd'))
    want_v = (["a", None], []) if case == "nested" else ("a", None)
    assert got == [(1, ts.replace(tzinfo=UTC), want_v[0]), (2, None, want_v[1])]


# -- what a run loads: both stores end with the same rows ------------------------------------------

MODES_PIPELINE = """
pipeline: pg_modes
sources:
  orders:
    path: input/orders.csv
    format: csv
    schema: {columns: {order_id: string, day: string, amount: double}}
sinks:
  orders: {from: orders, mode: MODE, partition_by: [day], targets: [parquet, postgres]}
warehouse:
  postgres: {dsn: "${ETL_TEST_PG_DSN}", schema: SCHEMA}
"""


def _run_with(tmp_path, data_dir, mode: str, schema: str, rows: list[tuple]):
    """One run of a pipeline publishing `rows` (order_id, day, amount) to Parquet and
    PostgreSQL with `mode`; the run record."""
    from framework.console import CapturingConsole
    from framework.plan import build_plan
    from framework.registry import REGISTRY
    from framework.runtime.executor import RunOptions, run_pipeline
    from framework.validate import load_pipeline

    os.makedirs(os.path.join(data_dir, "input"), exist_ok=True)
    with open(os.path.join(data_dir, "input", "orders.csv"), "w") as fh:
        fh.write("order_id,day,amount\n" + "".join(f"{o},{d},{a}\n" for o, d, a in rows))
    path = tmp_path / "p.yaml"
    path.write_text(MODES_PIPELINE.replace("MODE", mode).replace("SCHEMA", schema))
    spec = load_pipeline(str(path), registry=REGISTRY)
    options = RunOptions(data_dir=data_dir, stop_session=False)
    return run_pipeline(spec, build_plan(spec, data_dir), options, CapturingConsole(), REGISTRY)


def _both_stores(data_dir: str, dsn: str, schema: str) -> tuple[list, list]:
    import pyarrow.dataset as ds

    table = ds.dataset(os.path.join(data_dir, "warehouse", "orders"), format="parquet",
                       partitioning="hive").to_table().to_pylist()
    parquet = sorted((r["order_id"], str(r["day"]), r["amount"]) for r in table)
    loaded = sorted(pg_query(dsn, f'select order_id, day, amount from "{schema}".orders'))
    return parquet, loaded


@pytest.mark.postgres
def test_append_loads_only_the_rows_each_run_appended(tmp_path, pg_dsn, pg_schema, monkeypatch):
    monkeypatch.setenv("ETL_TEST_PG_DSN", pg_dsn)
    data_dir = str(tmp_path / "data [x]")  # a folder Spark would take as a glob pattern
    want: list[tuple] = []
    for run in range(3):
        days = ("2026-01-01", "late: 50% off")  # a partition folder Spark escapes
        rows = [(f"r{run}-{i}", days[i % 2], float(10 * run + i)) for i in range(3)]
        record = _run_with(tmp_path, data_dir, "append", pg_schema, rows)
        want = sorted(want + rows)
        parquet, loaded = _both_stores(data_dir, pg_dsn, pg_schema)
        assert parquet == want and loaded == want, f"after run {run + 1}"
        sink = record.task("sink:orders")
        assert (sink.rows, sink.postgres["rows"]) == (3 * (run + 1), 3)


@pytest.mark.postgres
def test_overwrite_partitions_loads_just_the_partitions_the_run_wrote(tmp_path, pg_dsn, pg_schema,
                                                                      monkeypatch):
    monkeypatch.setenv("ETL_TEST_PG_DSN", pg_dsn)
    data_dir = str(tmp_path / "data")
    first = [("a", "2026-01-01", 1.0), ("b", "2026-01-02", 2.0), ("c", "2026-01-02", 3.0)]
    _run_with(tmp_path, data_dir, "overwrite_partitions", pg_schema, first)
    second = [("d", "2026-01-02", 4.0), ("e", "2026-01-03", 5.0)]
    record = _run_with(tmp_path, data_dir, "overwrite_partitions", pg_schema, second)
    want = sorted([first[0], *second])  # 01-01 kept, 01-02 replaced, 01-03 new
    parquet, loaded = _both_stores(data_dir, pg_dsn, pg_schema)
    assert parquet == want and loaded == want
    assert record.task("sink:orders").postgres["rows"] == 2  # the kept partition was not reloaded

"""Loading tables into a real PostgreSQL: types, modes, views kept across a swap, all or nothing.

Every expectation is the input rows themselves (plain Python), read back with psycopg2."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal

import pytest

from framework.errors import EnvironmentProblem, EtlError
from framework.runtime.pgload import PostgresTarget, check_connection, load_table
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
    types = dict(pg_query(pg_dsn, "select column_name, data_type from information_schema.columns "
                                  "where table_schema = %s and table_name = 'orders'",
                          (pg_schema,)))
    assert types == {"id": "integer", "name": "text", "amount": "numeric",
                     "ratio": "double precision", "flag": "boolean", "day": "date",
                     "ts": "timestamp with time zone", "tags": "jsonb", "attrs": "jsonb",
                     "blob": "bytea"}
    got = {r[0]: r for r in _rows(pg_dsn, f'select * from "{pg_schema}".orders')}
    assert set(got) == {1, 2, 3, 4}
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


def test_overwrite_replaces_the_table_and_recreates_the_views_on_it(load, pg_dsn, pg_schema):
    load(ROWS)
    pg_query(pg_dsn, f'create view "{pg_schema}".named as '
                     f'select id, name from "{pg_schema}".orders where name is not null')
    pg_query(pg_dsn, f'create view "{pg_schema}".named_count as '
                     f'select count(*) as n from "{pg_schema}".named')
    result = load([(10, "new", None, None, None, None, None, None, None, None)])
    assert sorted(result.views) == sorted([f"{pg_schema}.named", f"{pg_schema}.named_count"])
    assert _rows(pg_dsn, f'select * from "{pg_schema}".named') == [(10, "new")]
    assert _rows(pg_dsn, f'select n from "{pg_schema}".named_count') == [(1,)]


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
    with pytest.raises(EtlError) as info:
        load([(10, "new", None, None, None, None, None, None, None, None)])
    assert "depend" in info.value.message and "as they were" in info.value.hint
    assert len(_rows(pg_dsn, f'select * from "{pg_schema}".orders')) == len(ROWS)


def test_a_row_postgres_refuses_rolls_the_whole_load_back(load, pg_dsn, pg_schema):
    load(ROWS)
    bad = [(20, "fine", None, None, None, None, None, None, None, None),
           (21, "nul \x00 byte", None, None, None, None, None, None, None, None)]
    with pytest.raises(EtlError) as info:
        load(bad)
    assert "as they were" in info.value.hint
    assert sorted(r[0] for r in _rows(pg_dsn, f'select id from "{pg_schema}".orders')) == [
        1, 2, 3, 4]
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


def test_a_server_that_cannot_be_reached_is_named_without_its_password():
    target = PostgresTarget("postgresql://etl:s3cret@127.0.0.1:1/test", "public")
    with pytest.raises(EnvironmentProblem) as info:
        check_connection(target)
    assert "s3cret" not in info.value.message and "***" in info.value.message
    assert "warehouse.postgres.dsn" in info.value.hint


def _assert_no_staging_left(dsn: str, schema: str, folder) -> None:
    left = pg_query(dsn, "select tablename from pg_tables where schemaname = %s "
                         "and tablename like '\\_etl\\_load%%'", (schema,))
    assert left == []
    assert not folder.exists() or os.listdir(folder) == []


def test_jsonb_values_are_the_json_spark_wrote(load, pg_dsn, pg_schema):
    load([(1, ["a", None], {"k": None})], ddl="id int, tags array<string>, m map<string,int>")
    (tags, m), = _rows(pg_dsn, f'select tags::text, m::text from "{pg_schema}".orders')
    assert json.loads(tags) == ["a", None] and json.loads(m) == {"k": None}

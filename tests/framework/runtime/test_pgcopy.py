"""Rows streamed from Parquet into a real PostgreSQL's COPY (framework.runtime.pgcopy), no Spark.

Each table is written with pyarrow from plain Python values full of what a CSV path gets wrong
(quotes, commas, new lines, backslashes, `\\.`, empty text and NULL, unicode, NaN and the
infinities, the smallest and largest doubles, decimals at both ends of their scale, the first
and last microsecond Spark knows, every byte value); what psycopg2 reads back must be those very
values."""

from __future__ import annotations

import datetime as dt
import math
import os
import struct
from decimal import Decimal

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from psycopg2 import sql

from framework.errors import EtlError
from framework.runtime.pgcopy import ParquetRows, bytea_hex, copy_rows, partition_values

pytestmark = pytest.mark.postgres

UTC = dt.UTC
TEXTS = ['plain', '', None, 'say "hi"', 'a,b', 'line\nbreak', 'cr\r\nlf', 'back\\slash',
         '\\.', '\\N', ' padded \t', '"', '""', ',', 'ünïcödé 日本 🎉', 'e\u0301', 'NULL', '\\x00']
DOUBLES = [0.1, 0.1 + 0.2, float("nan"), float("inf"), float("-inf"), -0.0, 5e-324,
           1.7976931348623157e308, None, 1e20, -123456.789, 2.2250738585072014e-308, 1.0,
           3.141592653589793, 1e-7, 100.0, 2 ** 53 + 2.0, 0.0]
REALS = [0.1, 1 / 3, float("nan"), float("-inf"), -0.0, 1e-45, 3.4028234663852886e38, None,
         16777216.0, 0.5, 1.0, 7.0e-3, 2.0, 1e10, 123.456, 0.0, 9.99, 1.5]
DECIMALS = [Decimal("0.0000000001"), Decimal("-0.0000000001"), Decimal("0E-10"), None,
            Decimal("9999999999999999999999999999.9999999999"), Decimal("-1.5000000000"),
            Decimal("1E+20"), Decimal("12.3400000000"), Decimal("1"), Decimal("-0.0000000000"),
            Decimal("0.5"), Decimal("100"), Decimal("3.14"), Decimal("2.71"), Decimal("42"),
            Decimal("7"), Decimal("8"), Decimal("9")]
INTS = [0, -1, 2 ** 63 - 1, -2 ** 63, None, 42, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]
DATES = [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1582, 10, 4), dt.date(1582, 10, 15),
         dt.date(1900, 2, 28), None, dt.date(2000, 2, 29), dt.date(1970, 1, 1),
         dt.date(2026, 1, 31)] * 2
INSTANTS = [dt.datetime(1, 1, 1, 0, 0, 0, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
            dt.datetime(1899, 12, 31, 23, 59, 59), dt.datetime(1969, 12, 31, 23, 59, 59, 500000),
            None, dt.datetime(2026, 1, 1, 10, 0, 0, 123456), dt.datetime(2026, 3, 29, 2, 30),
            dt.datetime(1970, 1, 1), dt.datetime(2000, 1, 1, 0, 0, 0, 999999)] * 2
BLOBS = [bytes(range(256)), b"", None, b"\x00", b'"', b"\\x", b"\n", b",", b"\xff\xfe"] * 2
BOOLS = [True, False, None] * 6

COLUMNS = (("t", "text"), ("d", "double precision"), ("r", "real"), ("n", "numeric(38,10)"),
           ("i", "bigint"), ("day", "date"), ("ts", "timestamp with time zone"),
           ("ntz", "timestamp without time zone"), ("b", "bytea"), ("flag", "boolean"))


def _arrow_table(int96: bool = False) -> pa.Table:
    return pa.table({
        "t": pa.array(TEXTS, pa.string()), "d": pa.array(DOUBLES, pa.float64()),
        "r": pa.array(REALS, pa.float32()), "n": pa.array(DECIMALS, pa.decimal128(38, 10)),
        "i": pa.array(INTS, pa.int64()), "day": pa.array(DATES, pa.date32()),
        "ts": pa.array(INSTANTS, pa.timestamp("us", tz=None if int96 else "UTC")),
        "ntz": pa.array(INSTANTS, pa.timestamp("us")), "b": pa.array(BLOBS, pa.binary()),
        "flag": pa.array(BOOLS, pa.bool_()),
    })


@pytest.fixture
def pg(pg_dsn, pg_schema):
    """A cursor in a transaction (the load's settings: UTF-8, UTC), rolled back at the end."""
    conn = psycopg2.connect(pg_dsn)
    conn.set_client_encoding("UTF8")
    cur = conn.cursor()
    cur.execute("set local timezone = 'UTC'")
    cur.execute(sql.SQL("create schema {}").format(sql.Identifier(pg_schema)))
    yield cur
    conn.rollback()
    conn.close()


def _copy(cur, schema: str, rows: ParquetRows, table: str = "t") -> tuple[int, int]:
    ident = sql.Identifier(schema, table)
    cur.execute(sql.SQL("create table {} ({})").format(ident, sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(k)) for n, k in rows.columns)))
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in rows.columns)
    return copy_rows(cur, sql.SQL("copy {} ({}) from stdin with (format csv)").format(
        ident, names), rows)


def _as_real(value: float) -> float:
    return struct.unpack(">f", struct.pack(">f", value))[0]  # the nearest float32


def _same_float(have, want, bits: int) -> bool:
    if want is None or have is None:
        return have is want
    if math.isnan(want):
        return math.isnan(have)
    fmt = ">d" if bits == 64 else ">f"
    return struct.pack(fmt, have) == struct.pack(fmt, want)  # -0.0 is not 0.0


@pytest.mark.parametrize("int96", [False, True], ids=["micros", "int96"])
def test_every_value_arrives_as_parquet_holds_it(pg, pg_schema, tmp_path, int96):
    pq.write_table(_arrow_table(int96), tmp_path / "part-0.parquet",
                   use_deprecated_int96_timestamps=int96)
    took, written = _copy(pg, pg_schema, ParquetRows(str(tmp_path), COLUMNS))
    assert took == written == len(TEXTS)
    pg.execute(sql.SQL("select * from {}").format(sql.Identifier(pg_schema, "t")))
    got = pg.fetchall()
    assert len(got) == len(TEXTS)
    for k, row in enumerate(got):  # COPY keeps the order of its input
        t, d, r, n, i, day, ts, ntz, b, flag = row
        assert t == TEXTS[k], k  # byte for byte; None stays NULL, '' stays ''
        assert _same_float(d, DOUBLES[k], 64), (k, d)
        want_real = None if REALS[k] is None else _as_real(REALS[k])
        assert _same_float(r, want_real, 32), (k, r)
        assert n == DECIMALS[k] and i == INTS[k] and day == DATES[k] and flag == BOOLS[k], k
        want_ts = INSTANTS[k]
        assert ts == (want_ts.replace(tzinfo=UTC) if want_ts else None), k
        assert ntz == want_ts, k
        assert (bytes(b) if b is not None else None) == BLOBS[k], k


def test_a_one_column_table_of_nulls_and_empty_text_keeps_them_apart(pg, pg_schema, tmp_path):
    values = [None, "", None, "\\.", ""]
    pq.write_table(pa.table({"v": pa.array(values, pa.string())}), tmp_path / "p.parquet")
    assert _copy(pg, pg_schema, ParquetRows(str(tmp_path), (("v", "text"),))) == (5, 5)
    pg.execute(sql.SQL("select v from {}").format(sql.Identifier(pg_schema, "t")))
    assert [r[0] for r in pg.fetchall()] == values


def test_partition_values_come_from_the_folder_names_as_spark_escapes_them(pg, pg_schema,
                                                                           tmp_path):
    folders = {"late%3A 50%25 off%2Fx%3Dy": "late: 50% off/x=y", "__HIVE_DEFAULT_PARTITION__": None,
               "ü é%09%23%7B}%5B%5D%2A%3F%5C": "ü é\t#{}[]*?\\", "plain": "plain"}
    for n, folder in enumerate(folders):
        path = tmp_path / f"s={folder}" / f"day=2026-01-0{n + 1}"
        path.mkdir(parents=True)
        pq.write_table(pa.table({"id": pa.array([n, n + 10], pa.int32())}),
                       path / "part-0.parquet")
    pq.write_table(pa.table({"id": pa.array([], pa.int32())}), tmp_path / "part-empty.parquet")
    (tmp_path / "_SUCCESS").write_text("")
    rows = ParquetRows(str(tmp_path), (("id", "integer"), ("s", "text"), ("day", "date")),
                       ("s", "day"))
    assert _copy(pg, pg_schema, rows) == (8, 8)
    pg.execute(sql.SQL("select id, s, day from {} order by id").format(
        sql.Identifier(pg_schema, "t")))
    want = sorted((n + extra, value, dt.date(2026, 1, n + 1))
                  for n, value in enumerate(folders.values()) for extra in (0, 10))
    assert pg.fetchall() == want


def test_only_the_files_named_are_read(pg, pg_schema, tmp_path):
    for name, ids in (("a.parquet", [1, 2]), ("b.parquet", [3])):
        pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), tmp_path / name)
    assert _copy(pg, pg_schema, ParquetRows(str(tmp_path), (("id", "bigint"),),
                                            files=("b.parquet",))) == (1, 1)
    rows = ParquetRows(str(tmp_path), (("id", "bigint"),), files=())
    assert _copy(pg, pg_schema, rows, table="none") == (0, 0)


def test_a_damaged_file_stops_the_copy_and_names_the_file(pg, pg_schema, tmp_path):
    big = pa.table({"id": pa.array(range(200_000), pa.int64())})
    pq.write_table(big, tmp_path / "a.parquet")
    (tmp_path / "b.parquet").write_bytes(b"PAR1 not really parquet")
    with pytest.raises(EtlError) as info:
        _copy(pg, pg_schema, ParquetRows(str(tmp_path), (("id", "bigint"),)))
    assert "b.parquet" in info.value.message and "rerun the sink" in info.value.hint


def test_a_value_postgres_refuses_fails_the_copy_without_hanging_the_writer(pg, pg_schema,
                                                                            tmp_path):
    import threading

    rows = 300_000  # many pipe-fulls: the writer is still writing when COPY fails
    texts = pa.array(["fine"] * 10 + ["nul \x00 byte"] + ["x" * 50] * (rows - 11))
    pq.write_table(pa.table({"v": texts}), tmp_path / "p.parquet")
    with pytest.raises(psycopg2.Error, match="0x00"):
        _copy(pg, pg_schema, ParquetRows(str(tmp_path), (("v", "text"),)))
    assert not [t for t in threading.enumerate() if t.name == "pgcopy-writer"]


def test_bytea_hex_spells_each_byte_and_keeps_nulls():
    values = [b"\x00\xff", None, b"", bytes(range(256)), b"bin"]
    want = [None if v is None else "\\x" + v.hex() for v in values]
    assert bytea_hex(pa.array(values, pa.binary())).to_pylist() == want
    assert bytea_hex(pa.array(values, pa.binary()).slice(1, 3)).to_pylist() == want[1:4]
    assert bytea_hex(pa.array([None, None], pa.binary())).to_pylist() == [None, None]


def test_partition_values_decode_spark_escapes_and_the_null_folder():
    rel = os.path.join("k%3Dey=a%2Fb", "d=__HIVE_DEFAULT_PARTITION__", "part-0.parquet")
    assert partition_values(rel, ("k=ey", "d", "missing")) == {"k=ey": "a/b", "d": None,
                                                               "missing": None}
    assert partition_values("part-0.parquet", ("d",)) == {"d": None}
    assert partition_values("d=50%/part-0.parquet", ("d",)) == {"d": "50%"}  # not an escape

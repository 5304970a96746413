"""Names and types as Spark SQL and PostgreSQL spell them: each quoted name reads back as itself
in a real Spark session and a real PostgreSQL, and every Spark type has its PostgreSQL type."""

from __future__ import annotations

import pytest
from pyspark.sql import types as T

from framework.dialects import PG_TYPES, pg_ident, pg_type, spark_ident
from framework.errors import EtlError

AWKWARD = ["plain", "we`ird", "`", "``", "`lead", "trail`", "a.b", "x y", "Mixed Case", "é ü",
           "select", "1x", 'quote"d', "'single'", "semi;colon", "-- comment", "y" * 63]


def test_spark_ident_uses_backticks_and_doubles_them() -> None:
    assert spark_ident("events") == "`events`"
    assert spark_ident("we`ird") == "`we``ird`"
    assert spark_ident("`") == "````"
    assert spark_ident('a"b.c') == '`a"b.c`'
    assert spark_ident("") == "``"  # Spark's empty name, as the engine quoted it before


def test_pg_ident_uses_double_quotes_and_doubles_them() -> None:
    assert pg_ident("events") == '"events"'
    assert pg_ident('we"ird') == '"we""ird"'
    assert pg_ident('"') == '""""'
    assert pg_ident("Mixed`Case") == '"Mixed`Case"'


@pytest.mark.spark
def test_spark_reads_every_quoted_name_back_as_itself(spark) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    for name in [*AWKWARD, ""]:
        assert spark.sql(f"select 1 as {spark_ident(name)}").columns == [name]
    # what the engine does with a quoted name: F.col, select by string, and a DDL schema
    df = spark.sql("select " + ", ".join(f"{i} as {spark_ident(n)}"
                                         for i, n in enumerate(AWKWARD)))
    assert df.select(*[F.col(spark_ident(n)) for n in AWKWARD]).columns == AWKWARD
    assert df.select(*[spark_ident(n) for n in AWKWARD]).first() == tuple(range(len(AWKWARD)))
    ddl = ", ".join(f"{spark_ident(n)} int" for n in AWKWARD)
    assert StructType.fromDDL(ddl).names == AWKWARD


@pytest.mark.postgres
def test_postgres_reads_every_quoted_name_back_as_itself(pg_dsn) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(pg_dsn)
    try:
        with conn.cursor() as cur:
            for name in AWKWARD:
                assert pg_ident(name) == sql.Identifier(name).as_string(conn)
                cur.execute(f"select 1 as {pg_ident(name)}")
                assert [c.name for c in cur.description] == [name]
    finally:
        conn.close()


SPARK_TO_PG = [
    (T.BooleanType(), "boolean"), (T.ByteType(), "smallint"), (T.ShortType(), "smallint"),
    (T.IntegerType(), "integer"), (T.LongType(), "bigint"), (T.FloatType(), "real"),
    (T.DoubleType(), "double precision"), (T.DateType(), "date"),
    (T.TimestampNTZType(), "timestamp"), (T.TimestampType(), "timestamptz"),
    (T.BinaryType(), "bytea"), (T.StringType(), "text"), (T.StringType("UTF8_LCASE"), "text"),
    (T.VarcharType(5), "text"), (T.CharType(3), "text"),
    (T.DecimalType(18, 2), "numeric(18,2)"), (T.DecimalType(), "numeric(10,0)"),
    (T.ArrayType(T.StringType()), "jsonb"), (T.MapType(T.StringType(), T.IntegerType()), "jsonb"),
    (T.StructType([T.StructField("a", T.IntegerType())]), "jsonb"), (T.StructType([]), "jsonb"),
]
NO_PG_TYPE = [T.NullType(), T.DayTimeIntervalType(), T.YearMonthIntervalType(),
              T.CalendarIntervalType(), T.VariantType()]


@pytest.mark.parametrize(("dtype", "expected"), SPARK_TO_PG, ids=str)
def test_every_spark_type_has_its_postgres_type(dtype: T.DataType, expected: str) -> None:
    assert pg_type(dtype) == expected
    assert pg_type(dtype.simpleString()) == expected  # the name alone says as much
    if not isinstance(dtype, T.DecimalType):  # its typeName drops the precision
        assert pg_type(dtype.typeName()) == expected


@pytest.mark.parametrize("dtype", NO_PG_TYPE, ids=str)
def test_a_type_postgres_has_no_column_for_is_refused(dtype: T.DataType) -> None:
    with pytest.raises(EtlError, match=f"for Spark type {dtype.simpleString()}$"):
        pg_type(dtype)


def test_type_names_as_ddl_spells_them() -> None:
    assert pg_type("decimal") == "numeric(10,0)"
    assert pg_type("decimal(5)") == "numeric(5,0)"
    assert pg_type("DECIMAL( 7, 3 )") == "numeric(7,3)"
    assert pg_type("array<decimal(10,2)>") == "jsonb"
    with pytest.raises(EtlError, match="interval day to second"):
        pg_type("interval day to second")


@pytest.mark.postgres
def test_every_postgres_type_in_the_table_exists(pg_dsn) -> None:
    from tests.conftest import pg_query

    for pg in sorted(set(PG_TYPES.values())) + ["numeric(18,2)"]:
        assert pg_query(pg_dsn, f"select null::{pg}") == [(None,)]

"""A keyed star loaded into the real PostgreSQL: tables created from framework/sql/ddl with their
keys, indexes and comments; reruns replace every table in one transaction; a fact whose key is
missing from its dimension fails the load and leaves every table as it was."""

from __future__ import annotations

import pytest

from framework.errors import EtlError
from framework.runtime.pgload import PostgresTarget, publish
from framework.runtime.pgstage import stage_table
from framework.spec import SinkSpec
from tests.conftest import pg_query

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

USERS = SinkSpec(table="dim_users", source="x", targets=("postgres",), primary_key=("user_id",),
                 description="one user", columns={"user_id": {"description": "the user's id"}})
FACTS = SinkSpec(table="fact_sessions", source="x", targets=("postgres",),
                 primary_key=("session_id",), references={"user_id": "dim_users.user_id"},
                 indexes=(("user_id",),), description="one session")


@pytest.fixture
def star(spark, pg_dsn, pg_schema, tmp_path):
    target = PostgresTarget(pg_dsn, pg_schema)

    def load(users, sessions, user_cols="user_id string, country string"):
        staged = [stage_table(spark.createDataFrame(sessions, "session_id string, user_id string"),
                              FACTS, str(tmp_path)),  # facts first: publish reorders
                  stage_table(spark.createDataFrame(users, user_cols), USERS, str(tmp_path))]
        return publish(target, staged)

    return load


def _count(dsn: str, schema: str, table: str) -> int:
    return pg_query(dsn, f'select count(*) from "{schema}"."{table}"')[0][0]


def test_keys_indexes_and_comments_come_from_the_ddl(star, pg_dsn, pg_schema):
    results = star([("u1", "FR"), ("u2", "DE")], [("s1", "u1"), ("s2", "u2"), ("s3", None)])
    assert [r.table for r in results] == [f"{pg_schema}.dim_users", f"{pg_schema}.fact_sessions"]
    keys = pg_query(pg_dsn, "select conname, contype, condeferrable, condeferred, "
                            "pg_get_constraintdef(oid) from pg_constraint where connamespace = "
                            "to_regnamespace(%s) order by conname", (f'"{pg_schema}"',))
    assert [(k[0], k[1]) for k in keys] == [("dim_users_pkey", "p"),
                                            ("fact_sessions_pkey", "p"),
                                            ("fact_sessions_user_id_fkey", "f")]
    assert keys[2][2:4] == (True, True) and "REFERENCES" in keys[2][4]
    indexes = {r[0] for r in pg_query(pg_dsn, "select indexname from pg_indexes where "
                                              "schemaname = %s", (pg_schema,))}
    assert "fact_sessions_user_id_idx" in indexes
    comments = pg_query(pg_dsn, "select obj_description(%s::regclass), "
                                "col_description(%s::regclass, 1)", (f"{pg_schema}.dim_users",) * 2)
    assert comments == [("one user", "the user's id")]
    left = pg_query(pg_dsn, "select tablename from pg_tables where schemaname = %s and "
                            "tablename like '\\_etl\\_%%'", (pg_schema,))
    assert left == []


def test_a_rerun_replaces_the_whole_star_and_a_changed_dimension_too(star, pg_dsn, pg_schema):
    star([("u1", "FR")], [("s1", "u1")])
    pg_query(pg_dsn, f'create view "{pg_schema}".v as select s.session_id, u.user_id '
                     f'from "{pg_schema}".fact_sessions s join "{pg_schema}".dim_users u '
                     'using (user_id)')
    star([("u2", "DE"), ("u3", "IT")], [("s2", "u2"), ("s3", "u3")])  # same columns: TRUNCATE
    assert _count(pg_dsn, pg_schema, "v") == 2
    results = star([("u4", 30)], [("s4", "u4")], user_cols="user_id string, age int")
    assert results[0].views == (f"{pg_schema}.v",)  # dim created again, FK and view kept
    assert pg_query(pg_dsn, f'select * from "{pg_schema}".v') == [("s4", "u4")]
    assert pg_query(pg_dsn, "select count(*) from pg_constraint where conname = "
                            "'fact_sessions_user_id_fkey' and connamespace = "
                            "to_regnamespace(%s)", (f'"{pg_schema}"',)) == [(1,)]


def test_a_fact_without_its_dimension_row_leaves_every_table_as_it_was(star, pg_dsn, pg_schema):
    star([("u1", "FR"), ("u2", "DE")], [("s1", "u1")])
    with pytest.raises(EtlError) as info:
        star([("u9", "FR")], [("s1", "u1"), ("s2", "u9")])  # u1 is gone from the new dimension
    assert "foreign key" in info.value.message and "as they were" in info.value.hint
    assert (_count(pg_dsn, pg_schema, "dim_users"),
            _count(pg_dsn, pg_schema, "fact_sessions")) == (2, 1)
    left = pg_query(pg_dsn, "select tablename from pg_tables where schemaname = %s and "
                            "tablename like '\\_etl\\_%%'", (pg_schema,))
    assert left == []


def _definitions(dsn: str, schema: str) -> dict[str, str]:
    """Every constraint and index of the schema: name -> its definition as PostgreSQL prints it
    (a foreign key's DEFERRABLE INITIALLY DEFERRED included)."""
    keys = pg_query(dsn, "select conname, pg_get_constraintdef(oid) from pg_constraint "
                         "where connamespace = to_regnamespace(%s)", (f'"{schema}"',))
    indexes = pg_query(dsn, "select indexname, indexdef from pg_indexes where schemaname = %s",
                       (schema,))
    return dict(keys + indexes)


def test_a_rerun_puts_back_every_key_and_index_as_it_was_and_keeps_a_hand_made_index(
        star, pg_dsn, pg_schema):
    star([("u1", "FR"), ("u2", "DE")], [("s1", "u1"), ("s2", "u2")])
    pg_query(pg_dsn, f'create index by_hand on "{pg_schema}".fact_sessions (session_id, user_id)')
    before = _definitions(pg_dsn, pg_schema)
    assert {"dim_users_pkey", "fact_sessions_pkey", "fact_sessions_user_id_fkey",
            "fact_sessions_user_id_idx", "by_hand"} <= set(before)
    assert "DEFERRABLE INITIALLY DEFERRED" in before["fact_sessions_user_id_fkey"]
    star([("u3", "IT")], [("s3", "u3"), ("s4", "u3"), ("s5", None)])  # kept tables: TRUNCATE
    assert _definitions(pg_dsn, pg_schema) == before
    assert sorted(pg_query(pg_dsn, f'select session_id, user_id from "{pg_schema}".fact_sessions'
                           )) == [("s3", "u3"), ("s4", "u3"), ("s5", None)]
    with pytest.raises(EtlError, match="fact_sessions_pkey"):  # the primary key is back, checked
        star([("u3", "IT")], [("s3", "u3"), ("s3", "u3")])
    assert _count(pg_dsn, pg_schema, "fact_sessions") == 3
    assert _definitions(pg_dsn, pg_schema) == before


def test_a_row_postgres_refuses_in_the_second_table_leaves_both_and_their_keys_as_they_were(
        star, pg_dsn, pg_schema):
    star([("u1", "FR")], [("s1", "u1")])
    before = _definitions(pg_dsn, pg_schema)
    with pytest.raises(EtlError) as info:  # the dimension is loaded first, then this fails
        star([("u2", "DE")], [("s2", "u2"), ("nul \x00 byte", "u2")])
    assert "as they were" in info.value.hint
    assert pg_query(pg_dsn, f'select user_id from "{pg_schema}".dim_users') == [("u1",)]
    assert pg_query(pg_dsn, f'select session_id from "{pg_schema}".fact_sessions') == [("s1",)]
    assert _definitions(pg_dsn, pg_schema) == before


def test_appended_rows_are_checked_against_the_keys_at_the_commit(spark, pg_dsn, pg_schema,
                                                                   tmp_path):
    target = PostgresTarget(pg_dsn, pg_schema)
    facts = SinkSpec(table="fact_sessions", source="x", mode="append", targets=("postgres",),
                     primary_key=("session_id",), references={"user_id": "dim_users.user_id"})

    def load(users, sessions):
        publish(target, [stage_table(spark.createDataFrame(users, "user_id string, c string"),
                                     USERS, str(tmp_path)),
                         stage_table(spark.createDataFrame(sessions, "session_id string, "
                                                                     "user_id string"),
                                     facts, str(tmp_path))])

    load([("u1", "FR")], [("s1", "u1")])  # created: keys added after the rows
    load([("u1", "FR"), ("u2", "DE")], [("s2", "u2")])  # appended onto the kept table
    assert sorted(pg_query(pg_dsn, f'select session_id from "{pg_schema}".fact_sessions')) == [
        ("s1",), ("s2",)]
    with pytest.raises(EtlError, match="foreign key"):
        load([("u1", "FR"), ("u2", "DE")], [("s3", "u9")])  # u9 is nowhere
    with pytest.raises(EtlError, match="duplicate key"):
        load([("u1", "FR"), ("u2", "DE")], [("s1", "u1")])  # s1 is there already
    assert _count(pg_dsn, pg_schema, "fact_sessions") == 2

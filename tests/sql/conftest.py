"""The warehouses the SQL templates run on, built once per test session: the generated one and
the hand-made edge-case one, each as Spark temp views and as a PostgreSQL schema."""

from __future__ import annotations

import os
import secrets

import pytest
from sql.results import Engines
from sql.warehouses import (
    Warehouse,
    build_edge,
    load_postgres,
    register_spark,
)


@pytest.fixture(scope="session")
def sql_warehouses(spark, generated_clickstream, tmp_path_factory) -> dict[str, Warehouse]:
    """name -> Warehouse, published by the real pipeline and registered in Spark (the generated
    one is the session's `generated_clickstream` run, tests/conftest.py)."""
    token = secrets.token_hex(3)
    built = {}
    paths = {"generated": os.path.join(generated_clickstream, "warehouse"),
             "edge": build_edge(str(tmp_path_factory.mktemp("sql-edge")))}
    for name, path in paths.items():
        warehouse = Warehouse(name, path, f"sqlt_{name}", f"sqlt_{token}_{name}")
        register_spark(spark, warehouse)
        built[name] = warehouse
    return built


@pytest.fixture(scope="session")
def pg_conn(spark, pg_dsn, sql_warehouses, tmp_path_factory):
    """One autocommit connection in UTC, with every warehouse loaded into its own schema
    (dropped at the end)."""
    import psycopg2

    staging = str(tmp_path_factory.mktemp("sql-pg-staging"))
    conn = psycopg2.connect(pg_dsn)
    conn.autocommit = True
    try:
        for warehouse in sql_warehouses.values():
            load_postgres(spark, warehouse, pg_dsn, staging)
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        yield conn
    finally:
        with conn.cursor() as cur:
            for warehouse in sql_warehouses.values():
                cur.execute(f'DROP SCHEMA IF EXISTS "{warehouse.pg_schema}" CASCADE')
        conn.close()


@pytest.fixture(scope="session")
def engines(spark, pg_conn, sql_warehouses) -> dict[str, Engines]:
    """warehouse name -> that warehouse on both engines."""
    return {name: Engines(spark, pg_conn, w) for name, w in sql_warehouses.items()}

"""The warehouses the SQL templates run on, built once per test session: the generated one and
the hand-made edge-case one, each as Spark temp views and as a PostgreSQL schema."""

from __future__ import annotations

import secrets

import pytest
from sql.results import Engines
from sql.warehouses import (
    Warehouse,
    build_edge,
    build_generated,
    load_postgres,
    register_spark,
)

BUILDERS = {"generated": build_generated, "edge": build_edge}


@pytest.fixture(scope="session")
def sql_warehouses(spark, tmp_path_factory) -> dict[str, Warehouse]:
    """name -> Warehouse, published by the real pipeline and registered in Spark."""
    token = secrets.token_hex(3)
    built = {}
    for name, build in BUILDERS.items():
        path = build(str(tmp_path_factory.mktemp(f"sql-{name}")))
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

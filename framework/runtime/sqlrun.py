"""The analysts' SQL on both engines: the published Parquet tables as Spark views, the pipeline's
views created over them (Spark) or in the loaded schema (PostgreSQL), and one query's rows.

Spark reads each table from the version its symlink points at when the views are made, so a
publish during a query does not change what it reads. PostgreSQL views are created in one
transaction, the views a view reads first: readers see the old set or the new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from framework.errors import EtlError


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    sql: str


def spark_tables(spark: Any, warehouse: str, tables: Iterable[str]) -> list[str]:
    """Each published table of `tables` as a temporary view of its own name; the tables not
    published yet are left out (returned: the ones registered)."""
    from framework.runtime.publish import current_version_dir

    registered = []
    for table in tables:
        folder = current_version_dir(warehouse, table)
        if folder is None:
            continue
        spark.read.parquet(folder).createOrReplaceTempView(table)
        registered.append(table)
    return registered


def views_over(folder: str, views: Sequence[str], tables: Iterable[str]) -> list[str]:
    """The views of `views` (in their order) whose every `rel()` is one of `tables` or a view
    kept before it: a run that publishes some tables of a new warehouse (`--select`) defines
    only the views those tables can carry."""
    from framework.sqltemplates import find_rels, list_templates

    paths = {t.name: t.path for t in list_templates(folder, "views")}
    kept: list[str] = []
    have = set(tables)
    for name in views:
        if all(r in have for r in find_rels(paths[name].read_text(encoding="utf-8"))):
            kept.append(name)
            have.add(name)
    return kept


def postgres_tables(target: Any) -> list[str]:
    """The tables of `target.schema` (none when it does not exist)."""
    from framework.runtime.pgload import connect

    with connect(target) as conn, conn.cursor() as cur:
        cur.execute("select table_name from information_schema.tables "
                    "where table_schema = %s and table_type = 'BASE TABLE'", (target.schema,))
        return [r[0] for r in cur.fetchall()]


def spark_views(spark: Any, renderer: Any, views: Sequence[str]) -> None:
    """The views rendered for Spark and defined as temporary views, in order: Spark analyses
    each one now, so a column or table the published warehouse lacks fails here, named."""
    for name in views:
        sql = renderer.render(f"views/{name}")
        try:
            spark.sql(sql).createOrReplaceTempView(name)
        except Exception as exc:  # pyspark's AnalysisException and parse errors
            raise EtlError(f"view {name!r} does not run on Spark over the published tables: "
                           f"{_first_line(exc)}",
                           hint=f"fix {renderer.folder}/views/{name}.sql; `etl sql render "
                                f"--dialect spark` shows the SQL as rendered") from exc


def postgres_views(target: Any, renderer: Any, views: Sequence[str]) -> None:
    """The views rendered for PostgreSQL and created in `target.schema`, in one transaction:
    each old one dropped (never with CASCADE: a view someone else built on it stops the
    change) in reverse order, then each created."""
    from psycopg2 import sql as pgsql

    from framework.runtime.pgload import connect

    rendered = [(name, renderer.render(f"views/{name}")) for name in views]
    with connect(target) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL TIME ZONE 'UTC'")
        for name, _ in reversed(rendered):
            cur.execute(pgsql.SQL("DROP VIEW IF EXISTS {}.{}").format(
                pgsql.Identifier(target.schema), pgsql.Identifier(name)))
        for name, text in rendered:
            try:
                cur.execute(pgsql.SQL("CREATE VIEW {}.{} AS ").format(
                    pgsql.Identifier(target.schema), pgsql.Identifier(name))
                    + pgsql.SQL(text.rstrip().rstrip(";")))
            except Exception as exc:
                raise EtlError(f"view {name!r} cannot be created in PostgreSQL: "
                               f"{_first_line(exc)}",
                               hint=f"fix {renderer.folder}/views/{name}.sql; `etl sql render "
                                    f"--dialect postgres` shows the SQL as rendered") from exc


def spark_query(spark: Any, sql: str) -> QueryResult:
    df = spark.sql(sql)
    rows = [tuple(r) for r in df.collect()]
    return QueryResult(tuple(df.columns), rows, sql)


def postgres_query(target: Any, sql: str) -> QueryResult:
    from framework.runtime.pgload import connect

    with connect(target) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL TIME ZONE 'UTC'")
        cur.execute(sql)
        columns = tuple(d.name for d in cur.description)
        return QueryResult(columns, [tuple(r) for r in cur.fetchall()], sql)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:400]


def offered(spec: Any) -> dict[str, str]:
    """The names `etl sql run` takes: each query and view of the `sql:` section -> its template
    ('queries/x', 'views/v')."""
    from framework.sqlsection import selected

    if spec.sql is None or not spec.sql.templates:
        return {}
    return {t.name: f"{kind}/{t.name}" for kind in ("queries", "views")
            for t in selected(spec.sql, kind)}


def run_query(spec: Any, template: str, target: str, data_dir: str,
              log_folder: str) -> QueryResult:
    """One query (or view) of the `sql:` section on `target` (see `run_queries`)."""
    return run_queries(spec, [template], target, data_dir, log_folder)[0]


def run_queries(spec: Any, templates: Sequence[str], target: str, data_dir: str,
                log_folder: str, spark: Any = None) -> list[QueryResult]:
    """Queries (or views) of the `sql:` section on `target`, each once: Spark over the
    published Parquet tables of `data_dir` (the section's views defined first; `spark`: a
    running session to use, else one is started here and stopped after), or the PostgreSQL
    schema a run with `--target postgres` loaded (its views created there by that run)."""
    from framework.paths import data_path
    from framework.plan import view_order
    from framework.sqlsection import selected
    from framework.sqltemplates import SqlRenderer

    if target == "postgres":
        from framework.runtime.pgload import PostgresTarget

        wh = spec.warehouse
        if not wh.postgres_dsn:
            raise EtlError("the pipeline names no PostgreSQL database",
                           hint="export PG_DSN and run `etl run FILE --target postgres` first, "
                                "or declare warehouse.postgres.dsn")
        renderer = SqlRenderer(spec.sql.templates, "postgres", schema=wh.postgres_schema)
        target_db = PostgresTarget(wh.postgres_dsn, wh.postgres_schema)
        return [postgres_query(target_db, renderer.render(t)) for t in templates]
    own = spark is None
    if own:
        import os

        from framework.runtime import classarchive
        from framework.runtime.session import build_session, session_settings

        log_file = os.path.join(log_folder, "spark.log")
        settings = session_settings(spec.spark, spec.optimizations, f"etl-sql-{spec.name}",
                                    log_file, classarchive.runtime_options())
        spark = build_session(settings, log_file)
    try:
        warehouse = data_path(data_dir, spec.warehouse.path)
        if not spark_tables(spark, warehouse, [s.table for s in spec.sinks]):
            raise EtlError(f"no published table of pipeline {spec.name!r} under {warehouse}",
                           hint="run the pipeline first (etl run FILE), or pass the --data-dir "
                                "it ran with")
        renderer = SqlRenderer(spec.sql.templates, "spark")
        names = [t.name for t in selected(spec.sql, "views")]
        spark_views(spark, renderer, view_order(spec.sql.templates, names))
        return [spark_query(spark, renderer.render(t)) for t in templates]
    finally:
        if own:
            spark.stop()

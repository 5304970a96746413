"""Running rendered SQL on Spark and PostgreSQL, and comparing what comes back.

`Engines` is one warehouse on both engines: it renders a template per dialect (Spark's rel()
naming the warehouse's temp views), creates views, and returns each engine's columns and rows.

Values are normalised so that the two engines' Python types meet: a timestamp becomes a naive
UTC datetime (Spark collects naive local times, psycopg2 aware ones), a Decimal a float only when
the other side is a float. Equality: NULL equals NULL; whole numbers (int, Decimal) exactly;
anything with a float to 1e-9 relative; everything else (text, dates, booleans) exactly and of
the same type (True is not 1).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from sql.warehouses import ROOT, TABLES, Warehouse

from framework.dialects import spark_ident
from framework.sqltemplates import SqlRenderer, SqlTemplate, find_rels, list_templates

REL_TOL = 1e-9


def normalise(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def spark_rows(spark, sql: str) -> tuple[list[str], list[tuple]]:
    df = spark.sql(sql)
    return df.columns, [tuple(normalise(v) for v in row) for row in df.collect()]


def pg_rows(conn, sql: str) -> tuple[list[str], list[tuple]]:
    with conn.cursor() as cur:
        cur.execute(sql)
        columns = [d[0] for d in cur.description]
        return columns, [tuple(normalise(v) for v in row) for row in cur.fetchall()]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if _number(a) and _number(b):
        if isinstance(a, float) or isinstance(b, float):
            a, b = float(a), float(b)
            if math.isnan(a) or math.isnan(b):
                return math.isnan(a) and math.isnan(b)
            return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)
        return a == b
    return type(a) is type(b) and a == b


def sort_key(row: tuple) -> tuple:
    """A key that sorts rows of mixed NULLs and values; floats to 9 digits, so values that
    differ in the last bits sort together."""
    key = []
    for v in row:
        if v is None:
            key.append((1, "", 0))
        elif _number(v):
            key.append((0, "number", float(f"{float(v):.9g}")))
        else:
            key.append((0, type(v).__name__, v))
    return tuple(key)


def differences(left: list[tuple], right: list[tuple], names: tuple[str, str] = (
        "spark", "postgres"), limit: int = 5) -> list[str]:
    """What differs, row for row: at most `limit` lines."""
    out = []
    if len(left) != len(right):
        out.append(f"{len(left)} rows from {names[0]}, {len(right)} from {names[1]}")
    width = max(map(len, names))
    for i, (a, b) in enumerate(zip(left, right, strict=False)):
        if len(a) != len(b) or not all(same_value(x, y) for x, y in zip(a, b, strict=True)):
            out.append(f"row {i}:\n  {names[0]:<{width}} {a}\n  {names[1]:<{width}} {b}")
            if len(out) >= limit:
                break
    return out


Result = tuple[list[str], list[tuple]]


class Engines:
    """One warehouse on both engines: renders, creates views (those they read first), runs."""

    def __init__(self, spark, conn, warehouse: Warehouse):
        self.spark, self.conn, self.warehouse = spark, conn, warehouse
        self.templates = {t.template: t for kind in ("views", "queries")
                          for t in list_templates(ROOT, kind)}
        self.views = {t.name: t for t in self.templates.values() if t.kind == "views"}
        relations = {n: spark_ident(warehouse.spark_view(n)) for n in [*TABLES, *self.views]}
        self.spark_sql = SqlRenderer(ROOT, "spark", relations=relations)
        self.pg_sql = SqlRenderer(ROOT, "postgres", schema=warehouse.pg_schema)
        self.created: set[str] = set()

    def create_view(self, name: str) -> tuple[str, str]:
        """The view on both engines (after the views it reads); its relation on each."""
        template = self.views[name]
        spark_rel = spark_ident(self.warehouse.spark_view(name))
        pg_rel = f'"{self.warehouse.pg_schema}"."{name}"'
        if name not in self.created:
            for used in find_rels(template.path.read_text(encoding="utf-8")):
                if used in self.views:
                    self.create_view(used)
            self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {spark_rel} AS\n"
                           f"{self.spark_sql.render(template.template)}")
            with self.conn.cursor() as cur:
                cur.execute(f"CREATE VIEW {pg_rel} AS\n{self.pg_sql.render(template.template)}")
            self.created.add(name)
        return spark_rel, pg_rel

    def results(self, template: SqlTemplate | str) -> tuple[Result, Result]:
        """(Spark's, PostgreSQL's) columns and rows of a view (all of it) or a query."""
        if isinstance(template, str):
            template = self.templates[template]
        if template.kind == "views":
            spark_rel, pg_rel = self.create_view(template.name)
            return (spark_rows(self.spark, f"SELECT * FROM {spark_rel}"),
                    pg_rows(self.conn, f"SELECT * FROM {pg_rel}"))
        return (spark_rows(self.spark, self.spark_sql.render(template.template)),
                pg_rows(self.conn, self.pg_sql.render(template.template)))

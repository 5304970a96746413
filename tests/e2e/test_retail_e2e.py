"""The retail example end to end, as its README line runs it: `etl run pipelines/retail.yaml`
from another folder with the default data dir. Every published table is recomputed with plain
Python and pandas from the sample CSV files (an independent computation: no code under test is
reused), the deliberately messy rows are quarantined, dropped or warned about and counted, the
checks pass, the views and queries give the same rows on Spark and on PostgreSQL after a
`--target postgres` run (and agree with pandas where recomputed), and the report bundle is
built. One run (and one PostgreSQL run) shared by every test of the module.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import secrets
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from e2e.helpers import ROOT, fingerprint, read_table, run_etl
from sql.results import differences, sort_key

from framework.runtime.sqlrun import offered, run_queries
from framework.validate import load_pipeline
from tests.conftest import pg_query

pytestmark = [pytest.mark.spark, pytest.mark.slow]

RETAIL = os.path.join(ROOT, "pipelines", "retail.yaml")
SAMPLE = Path(ROOT) / "pipelines" / "retail" / "sample"
TABLES = ("fact_orders", "fact_order_lines", "fact_payments", "fact_inventory",
          "dim_customers", "dim_products", "dim_date")
SCHEMAS = {
    "customers": {"customer_id": "string", "email": "string", "country": "string",
                  "signup_date": "date", "marketing_opt_in": "boolean"},
    "products": {"sku": "string", "product_name": "string", "category": "string",
                 "unit_cost": "decimal", "list_price": "decimal", "active": "boolean"},
    "orders": {"order_id": "string", "customer_id": "string", "order_ts": "timestamp",
               "channel": "string", "status": "string", "ship_country": "string"},
    "order_lines": {"order_id": "string", "line_no": "int", "sku": "string", "quantity": "int",
                    "unit_price": "decimal", "discount": "decimal"},
    "payments": {"payment_id": "string", "order_id": "string", "paid_at": "timestamp",
                 "method": "string", "amount": "decimal", "status": "string",
                 "updated_at": "timestamp"},
    "inventory": {"snapshot_date": "date", "warehouse": "string", "sku": "string",
                  "qty_on_hand": "int", "reorder_point": "int"},
}


# -- the run ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """`etl run pipelines/retail.yaml` in an empty folder, no --data-dir: ./data there."""
    cwd = tmp_path_factory.mktemp("retail")
    env = {k: v for k, v in os.environ.items() if k not in ("ETL_DATA_DIR", "PG_DSN")}
    env.update(TERM="dumb", ETL_SPARK_MASTER="local[2]", PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-m", "framework.cli", "run", RETAIL], cwd=cwd,
                         env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    data_dir = str(cwd / "data")
    (run_id,) = os.listdir(os.path.join(data_dir, "runs"))
    with open(os.path.join(data_dir, "runs", run_id, "run.json")) as fh:
        record = json.load(fh)
    warehouse = os.path.join(data_dir, "retail", "warehouse")
    tables = {t: read_table(warehouse, t) for t in TABLES}
    return data_dir, record, tables, out.stdout


def _value(text: str, kind: str):
    """A CSV field as Spark reads it with the declared type; ValueError when it cannot."""
    if text == "":
        return None
    if kind == "int":
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError(text)
        return int(text)
    if kind == "decimal":
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise ValueError(text)
        return Decimal(text)
    if kind == "date":
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d\d-\d\d", text) \
            else _fail(text)
    if kind == "timestamp":
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    if kind == "boolean":
        return {"true": True, "false": False}[text.lower()] if text.lower() in (
            "true", "false") else _fail(text)
    return text


def _fail(text: str):
    raise ValueError(text)


def _parse(name: str) -> tuple[list[dict], int]:
    """The rows of a sample file that parse with its declared types, and how many do not."""
    types = SCHEMAS[name]
    with open(SAMPLE / f"{name}.csv", newline="", encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    assert header == list(types)
    good, bad = [], 0
    for row in rows:
        try:
            if len(row) != len(types):
                raise ValueError(row)
            good.append({c: _value(v, types[c]) for (c, v) in zip(types, row, strict=True)})
        except ValueError:
            bad += 1
    return good, bad


def _tidy(text: str | None, case) -> str | None:
    return None if text is None else case(text.strip(" "))


def _unique(rows: list[dict]) -> list[dict]:
    """Exact repeats dropped (the first kept)."""
    seen, out = set(), []
    for row in rows:
        key = tuple(row.items())
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


@pytest.fixture(scope="module")
def expected():
    """Every table of the warehouse recomputed from the sample files, plus what was set aside."""
    parsed = {name: _parse(name) for name in SCHEMAS}
    malformed = {name: bad for name, (_, bad) in parsed.items()}
    customers = _unique([{**r, "email": _tidy(r["email"], str.lower),
                          "country": _tidy(r["country"], str.upper)}
                         for r in parsed["customers"][0]])
    products = [{**r, "product_name": _tidy(r["product_name"], str),
                 "category": _tidy(r["category"], str)} for r in parsed["products"][0]]
    cost = {p["sku"]: p["unit_cost"] for p in products}
    orders = _unique([{**r, "channel": _tidy(r["channel"], str.lower),
                       "status": _tidy(r["status"], str.lower),
                       "ship_country": _tidy(r["ship_country"], str.upper),
                       "order_date": r["order_ts"].date()} for r in parsed["orders"][0]])
    by_id = {o["order_id"]: o for o in orders}
    positive = [r for r in parsed["order_lines"][0] if r["quantity"] > 0]
    of_orders = [r for r in positive if r["order_id"] in by_id]
    lines = [{"order_id": r["order_id"], "line_no": r["line_no"], "sku": r["sku"],
              "order_date": by_id[r["order_id"]]["order_date"], "quantity": r["quantity"],
              "unit_price": r["unit_price"], "discount": r["discount"],
              "line_gross": r["quantity"] * r["unit_price"],
              "line_net": r["quantity"] * r["unit_price"] - r["discount"],
              "line_cost": r["quantity"] * cost[r["sku"]],
              "line_margin": r["quantity"] * (r["unit_price"] - cost[r["sku"]]) - r["discount"]}
             for r in of_orders if r["sku"] in cost]
    latest: dict[str, dict] = {}
    for r in parsed["payments"][0]:
        if r["payment_id"] not in latest or r["updated_at"] > latest[r["payment_id"]]["updated_at"]:
            latest[r["payment_id"]] = r
    payments = [{**r, "method": _tidy(r["method"], str.lower),
                 "status": _tidy(r["status"], str.lower), "paid_date": r["paid_at"].date()}
                for r in latest.values() if r["order_id"] in by_id]
    facts = _orders_fact(orders, lines, payments)
    stock = _unique([r for r in parsed["inventory"][0] if r["qty_on_hand"] >= 0])
    inventory = [{"snapshot_date": r["snapshot_date"], "warehouse": r["warehouse"],
                  "sku": r["sku"], "on_hand": r["qty_on_hand"],
                  "reorder_point": r["reorder_point"],
                  "below_reorder": r["qty_on_hand"] < r["reorder_point"],
                  "unit_cost": cost[r["sku"]], "stock_value": r["qty_on_hand"] * cost[r["sku"]]}
                 for r in stock if r["sku"] in cost]
    days = [o["order_date"] for o in facts] + [p["paid_date"] for p in payments] + \
        [i["snapshot_date"] for i in inventory]
    return {
        "malformed": malformed,
        "zero_quantity": len(parsed["order_lines"][0]) - len(positive),
        "unknown_sku": len([r for r in of_orders if r["sku"] not in cost]),
        "negative_stock": len([r for r in parsed["inventory"][0] if r["qty_on_hand"] < 0]),
        "tables": {
            "fact_orders": facts, "fact_order_lines": lines, "fact_payments": payments,
            "fact_inventory": inventory, "dim_customers": _customers_dim(customers, facts),
            "dim_products": products, "dim_date": _dates(min(days), max(days)),
        },
    }


def _orders_fact(orders: list[dict], lines: list[dict], payments: list[dict]) -> list[dict]:
    seq: dict[str, int] = {}  # the customer's 1st, 2nd, ... order by time, then id
    placed: dict[str, int] = {}
    for o in sorted(orders, key=lambda o: (o["order_ts"], o["order_id"])):
        if o["customer_id"] is not None:
            placed[o["customer_id"]] = placed.get(o["customer_id"], 0) + 1
            seq[o["order_id"]] = placed[o["customer_id"]]
    out = []
    for o in orders:
        mine = [line for line in lines if line["order_id"] == o["order_id"]]
        paid = [p for p in payments if p["order_id"] == o["order_id"]]
        net = sum((line["line_net"] for line in mine), Decimal(0))
        captured = sum((p["amount"] for p in paid if p["status"] == "captured"), Decimal(0))
        refunded = sum((p["amount"] for p in paid if p["status"] == "refunded"), Decimal(0))
        if refunded > 0 and captured == 0:
            state = "refunded"
        elif captured >= net:
            state = "paid"
        elif captured > 0:
            state = "partially_paid"
        else:
            state = "unpaid"
        out.append({
            "order_id": o["order_id"], "customer_id": o["customer_id"],
            "order_ts": o["order_ts"], "order_date": o["order_date"],
            "channel": o["channel"], "status": o["status"], "ship_country": o["ship_country"],
            "is_guest": o["customer_id"] is None, "customer_order_seq": seq.get(o["order_id"]),
            "lines": len(mine), "items": sum(line["quantity"] for line in mine),
            "gross_amount": sum((line["line_gross"] for line in mine), Decimal(0)),
            "discount_amount": sum((line["discount"] for line in mine), Decimal(0)),
            "net_amount": net,
            "cost_amount": sum((line["line_cost"] for line in mine), Decimal(0)),
            "paid_amount": captured, "refunded_amount": refunded, "payment_status": state,
            "is_revenue": o["status"] not in ("cancelled", "returned")})
    return out


def _customers_dim(customers: list[dict], facts: list[dict]) -> list[dict]:
    out = []
    for c in customers:
        mine = [o for o in facts if o["customer_id"] == c["customer_id"] and o["is_revenue"]]
        n = len(mine)
        out.append({**c, "orders": n,
                    "first_order_date": min((o["order_date"] for o in mine), default=None),
                    "last_order_date": max((o["order_date"] for o in mine), default=None),
                    "lifetime_value": sum((o["net_amount"] for o in mine), Decimal(0)),
                    "segment": "repeat" if n >= 2 else "one-time" if n == 1 else "prospect"})
    return out


def _dates(first: dt.date, last: dt.date) -> list[dict]:
    out = []
    for k in range((last - first).days + 1):
        d = first + dt.timedelta(days=k)
        out.append({"date_key": int(d.strftime("%Y%m%d")), "date": d, "year": d.year,
                    "quarter": (d.month - 1) // 3 + 1, "month": d.month,
                    "month_name": d.strftime("%B"), "day_of_week": d.isoweekday(),
                    "day_name": d.strftime("%A"), "iso_week": d.isocalendar()[1],
                    "is_weekend": d.isoweekday() >= 6})
    return out


def _plain(value):
    """A published value as plain Python: NULL None, whole floats int, timestamps naive UTC."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").tz_localize(None).to_pydatetime() if value.tzinfo \
            else value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return sorted((tuple(_plain(v) for v in row) for row in
                   frame[columns].astype(object).itertuples(index=False, name=None)),
                  key=sort_key)


# -- the tables ---------------------------------------------------------------------------------
@pytest.mark.parametrize("table", TABLES)
def test_every_table_holds_exactly_the_rows_recomputed_from_the_sample(published, expected,
                                                                       table):
    got = published[2][table]
    if table == "fact_inventory":  # the partition column comes back as its folder's text
        got = got.assign(snapshot_date=pd.to_datetime(got["snapshot_date"]).dt.date)
    want = pd.DataFrame(expected["tables"][table])
    assert sorted(got.columns) == sorted(want.columns)
    columns = list(want.columns)
    mine, theirs = _rows(got, columns), _rows(want, columns)
    assert len(mine) == len(theirs) > 0
    assert not differences(mine, theirs, ("published", "pandas")), table


def test_the_messy_rows_are_quarantined_dropped_or_warned_and_counted(published, expected):
    data_dir, record, tables, _ = published
    bad = expected["malformed"]
    assert bad == {"customers": 1, "products": 1, "orders": 2, "order_lines": 1,
                   "payments": 1, "inventory": 1}  # what the sample script writes
    for source, count in bad.items():
        task = next(t for t in record["tasks"] if t["key"] == f"source:{source}")
        assert task["malformed"] == count, source
        folder = os.path.join(data_dir, "quarantine", source, record["run_id"])
        quarantined = [json.loads(line) for f in sorted(os.listdir(folder))
                       if f.endswith(".json") and not f.startswith(".")
                       for line in open(os.path.join(folder, f)) if line.strip()]
        assert len(quarantined) == count, source
        assert all(q["source"] == source and q["reason"] for q in quarantined)
    # the lines and payments of the two quarantined orders are held back, not published
    assert expected["zero_quantity"] > 0 and expected["unknown_sku"] > 0
    warned = {q["check"]: q for q in record["quality"] if q["status"] == "warned"}
    assert sorted(warned) == ["lines name a known product", "stock counts are not negative"]
    assert warned["lines name a known product"]["failing"] == expected["unknown_sku"]
    assert warned["stock counts are not negative"]["failing"] == expected["negative_stock"]
    assert not set(tables["fact_order_lines"]["sku"]) - set(tables["dim_products"]["sku"])


def test_every_check_ran_and_only_the_two_warnings_did_not_pass(published):
    record, stdout = published[1], published[3]
    statuses = [q["status"] for q in record["quality"]]
    assert len(statuses) == 70 and statuses.count("passed") == 68
    assert statuses.count("warned") == 2 and "failed" not in statuses
    assert "70 checks: 68 passed, 2 warned, 0 failed" in stdout
    assert record["status"] == "succeeded"


def test_the_sample_is_read_beside_the_pipeline_and_the_tables_land_in_the_data_dir(published):
    data_dir, record = published[0], published[1]
    for source in SCHEMAS:
        task = next(t for t in record["tasks"] if t["key"] == f"source:{source}")
        assert task["path"] == str(SAMPLE / f"{source}.csv")
    for table in TABLES:
        task = next(t for t in record["tasks"] if t["key"] == f"sink:{table}")
        assert task["path"].startswith(os.path.join(data_dir, "retail", "warehouse", ""))


def test_the_run_builds_the_retail_report(published):
    data_dir, record, _, stdout = published
    folder = os.path.join(data_dir, "reports", record["run_id"])
    assert f"report: {os.path.join(folder, 'index.html')} (12 charts, 12 sections" in stdout
    with open(os.path.join(folder, "run.json")) as fh:
        assert json.load(fh) == record
    charts = sorted(f for f in os.listdir(os.path.join(folder, "charts")) if f.endswith(".png"))
    assert len(charts) == 12
    tables = sorted(os.listdir(os.path.join(folder, "tables")))
    assert len(tables) == 12 and "receivables.csv" in tables
    page = open(os.path.join(folder, "index.html"), encoding="utf-8").read()
    assert "Retail report" in page and page.count('<img src="data:image/svg+xml;base64,') == 12


# -- the analysts' SQL on both engines -----------------------------------------------------------
@pytest.fixture(scope="module")
def answers(published, spark, tmp_path_factory, pg_dsn):
    """Every view and query of the sql: section on Spark over the published Parquet tables,
    and on PostgreSQL after `etl run --target postgres` into a schema of its own."""
    data_dir = published[0]
    warehouse = os.path.join(data_dir, "retail", "warehouse")
    before = {t: fingerprint(warehouse, t) for t in TABLES}
    schema = f"etl_retail_{secrets.token_hex(4)}"
    env = {"PG_DSN": pg_dsn, "PG_SCHEMA": schema}
    try:
        run_etl("run", RETAIL, "--target", "postgres", "--data-dir", data_dir, "--no-report",
                env=env)
        spec = load_pipeline(RETAIL, env={**os.environ, **env}, target="postgres")
        names = offered(spec)
        logs = str(tmp_path_factory.mktemp("retail-sql"))
        templates = [names[n] for n in sorted(names)]
        on_spark = run_queries(spec, templates, "spark", data_dir, logs, spark=spark)
        on_pg = run_queries(spec, templates, "postgres", data_dir, logs)
        cli = {target: run_etl("sql", "run", RETAIL, "v_daily_sales", "--target", target,
                               "--format", "json", "--data-dir", data_dir, env=env).stdout
               for target in ("spark", "postgres")}
        counts = {t: pg_query(pg_dsn, f'select count(*) from "{schema}"."{t}"')[0][0]
                  for t in TABLES}
    finally:
        pg_query(pg_dsn, f'drop schema if exists "{schema}" cascade')
    after = {t: fingerprint(warehouse, t) for t in TABLES}
    return {"names": sorted(names), "spark": dict(zip(sorted(names), on_spark, strict=True)),
            "postgres": dict(zip(sorted(names), on_pg, strict=True)), "cli": cli,
            "counts": counts, "same_tables": before == after}


def test_a_rerun_loading_postgres_publishes_the_same_tables_and_loads_every_row(published,
                                                                                answers):
    assert answers["same_tables"]
    assert answers["counts"] == {t: len(published[2][t]) for t in TABLES}


def test_views_and_queries_give_the_same_rows_on_spark_and_postgres(answers):
    assert answers["names"] == sorted(
        ["v_daily_sales", "v_category_sales", "v_customer_segments", "v_stock_health",
         "revenue_by_channel", "weekly_revenue", "top_products", "payment_methods",
         "receivables", "first_vs_repeat_orders", "reorder_list", "order_value_percentiles"])
    for name in answers["names"]:
        spark, pg = answers["spark"][name], answers["postgres"][name]
        assert spark.columns == pg.columns, name
        assert spark.rows, f"{name} gives no rows: nothing proved"
        left, right = spark.rows, pg.rows
        if name.startswith("v_"):  # a view has no order of its own
            left, right = sorted(left, key=sort_key), sorted(right, key=sort_key)
        assert not differences(left, right), name


def test_etl_sql_run_prints_the_same_view_on_both_targets(answers):
    rows = {t: sorted(json.loads(out), key=lambda r: r["order_date"])
            for t, out in answers["cli"].items()}
    assert len(rows["spark"]) == len(rows["postgres"]) == 42
    for a, b in zip(rows["spark"], rows["postgres"], strict=True):
        assert a["order_date"] == b["order_date"] and a["orders"] == b["orders"]
        assert float(a["net_revenue"]) == pytest.approx(float(b["net_revenue"]), abs=0.005)


def _result(answers, name: str) -> list[dict]:
    result = answers["postgres"][name]
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def test_the_sql_answers_agree_with_pandas(answers, expected):
    facts = pd.DataFrame(expected["tables"]["fact_orders"])
    revenue = facts[facts["is_revenue"]]
    # revenue_by_channel: orders, net revenue and AOV per channel, most revenue first
    by_channel = {r["channel"]: r for r in _result(answers, "revenue_by_channel")}
    for channel, group in facts.groupby("channel"):
        mine = revenue[revenue["channel"] == channel]
        row = by_channel[channel]
        assert row["orders"] == len(group) and row["revenue_orders"] == len(mine)
        assert row["net_revenue"] == sum(mine["net_amount"], Decimal(0))
        assert row["aov"] == pytest.approx(float(sum(mine["net_amount"])) / len(mine), abs=0.005)
    shown = [r["net_revenue"] for r in _result(answers, "revenue_by_channel")]
    assert shown == sorted(shown, reverse=True)
    # v_daily_sales: one row per day with orders
    daily = {r["order_date"]: r for r in _result(answers, "v_daily_sales")}
    assert sorted(daily) == sorted(facts["order_date"].unique())
    for day, group in facts.groupby("order_date"):
        mine = group[group["is_revenue"]]
        assert daily[day]["orders"] == len(group)
        assert daily[day]["net_revenue"] == sum(mine["net_amount"], Decimal(0))
        assert daily[day]["customers"] == mine["customer_id"].dropna().nunique()
    # payment_methods: the latest state of each payment, counted per method
    pays = pd.DataFrame(expected["tables"]["fact_payments"])
    for row in _result(answers, "payment_methods"):
        mine = pays[pays["method"] == row["method"]]
        assert row["payments"] == len(mine)
        assert row["refunded"] == (mine["status"] == "refunded").sum()
        assert row["captured_amount"] == sum(mine[mine["status"] == "captured"]["amount"],
                                             Decimal(0))
    # receivables: what revenue orders still owe
    owed = {r["payment_status"]: r["outstanding"] for r in _result(answers, "receivables")}
    for state, group in revenue.groupby("payment_status"):
        gap = sum((n - p for n, p in zip(group["net_amount"], group["paid_amount"], strict=True)
                   if n > p), Decimal(0))
        assert owed[state] == gap
    assert owed.get("partially_paid", 0) > 0 and owed.get("unpaid", 0) > 0

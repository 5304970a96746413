"""The whole clickstream pipeline at small scale, checked against pandas computed from the raw
files the generator landed (an independent computation: no code under test is reused)."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from e2e.helpers import CLICKSTREAM, TABLES, WEEK_MALFORMED, read_table, run_etl

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def published(week_clickstream):
    """The session's `week_clickstream` run (tests/conftest.py): 300 sessions over seven days,
    2% of the event rows malformed, the report built."""
    data_dir, stdout = week_clickstream
    (run_id,) = os.listdir(os.path.join(data_dir, "runs"))
    with open(os.path.join(data_dir, "runs", run_id, "run.json")) as fh:
        record = json.load(fh)
    warehouse = os.path.join(data_dir, "warehouse")
    tables = {t: read_table(warehouse, t) for t in TABLES}
    return data_dir, record, tables, stdout


def _raw(data_dir: str, table: str) -> pd.DataFrame:
    folder = os.path.join(data_dir, "raw", table)
    parts = [pd.read_csv(os.path.join(folder, f), dtype=str, keep_default_na=False)
             for f in sorted(os.listdir(folder)) if f.endswith(".csv")]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def expected(published):
    """Everything recomputed with pandas from the raw CSV files."""
    data_dir = published[0]
    ev = _raw(data_dir, "events")
    ts = pd.to_datetime(ev["timestamp"], utc=True, errors="coerce", format="ISO8601")
    qty = pd.to_numeric(ev["quantity"], errors="coerce")
    broken = ts.isna() | (qty.isna() & (ev["quantity"] != ""))
    ev = ev[~broken].copy()
    ev["ts"], ev["qty"] = ts[~broken], qty[~broken]
    products = _raw(data_dir, "products")
    products["price"] = products["price"].astype(float)
    ev = ev.merge(products[["product_id", "price"]], on="product_id", how="left")
    is_purchase = ev["event_type"] == "purchase"
    ev["revenue"] = np.where(is_purchase, ev["price"] * ev["qty"].fillna(1), 0.0)
    ev["date"] = ev["ts"].dt.date
    sessions = ev.groupby("session_id").agg(
        user_id=("user_id", "first"), start=("ts", "min"), end=("ts", "max"),
        events=("event_id", "count"), revenue=("revenue", "sum"),
        purchases=("event_type", lambda s: (s == "purchase").sum()),
        carts=("event_type", lambda s: (s == "add_to_cart").sum()))
    sessions["date"] = sessions["start"].dt.date
    return {"broken": int(broken.sum()), "events": ev, "sessions": sessions,
            "users": _raw(data_dir, "users"), "products": products}


def test_malformed_rows_are_quarantined_and_counted(published, expected):
    data_dir, record, tables, _ = published
    source = next(t for t in record["tasks"] if t["key"] == "source:events")
    assert expected["broken"] > 0
    assert source["malformed"] == expected["broken"]
    quarantine = os.path.join(data_dir, "quarantine", "events")
    assert os.path.isdir(quarantine)
    assert len(tables["fact_events"]) == len(expected["events"])
    clean = next(t for t in record["tasks"] if t["key"] == "step:events_clean")
    assert clean["metrics"]["input"]["rows"] == len(expected["events"])  # counted, not lost
    assert clean["metrics"]["output"]["rows"] == len(expected["events"])
    assert "dropped 0 of" in clean["note"]


def test_row_counts_of_every_table(published, expected):
    tables = published[2]
    assert len(tables["fact_sessions"]) == len(expected["sessions"])
    assert len(tables["dim_users"]) == len(expected["users"])
    assert len(tables["dim_products"]) == len(expected["products"])
    assert len(tables["dim_product_metrics"]) == len(expected["products"])
    dates = expected["events"]["date"]
    span = (max(dates) - min(dates)).days + 1
    assert len(tables["dim_date"]) == span
    assert len(tables["fact_daily_metrics"]) == dates.nunique()


def test_revenue_totals_agree_everywhere(published, expected):
    tables = published[2]
    total = expected["events"]["revenue"].sum()
    assert total > 0
    for table, column in [("fact_events", "revenue"), ("fact_sessions", "revenue"),
                          ("fact_daily_metrics", "revenue"), ("dim_users", "lifetime_revenue"),
                          ("dim_product_metrics", "revenue")]:
        got = tables[table][column].astype(float).sum()
        assert got == pytest.approx(total, abs=0.01), table


def test_sessions_match_durations_and_conversion(published, expected):
    got = published[2]["fact_sessions"].set_index("session_id").sort_index()
    exp = expected["sessions"].sort_index()
    assert list(got.index) == list(exp.index)
    duration = (exp["end"] - exp["start"]).dt.total_seconds()
    assert np.allclose(got["duration_seconds"].astype(float), duration)
    assert (got["num_events"].astype(int) == exp["events"]).all()
    assert (got["converted"].astype(bool) == (exp["purchases"] > 0)).all()
    assert (got["abandoned_cart"].astype(bool) == ((exp["carts"] > 0)
                                                    & (exp["purchases"] == 0))).all()


def test_daily_numbers(published, expected):
    daily = published[2]["fact_daily_metrics"].copy()
    daily["event_date"] = pd.to_datetime(daily["event_date"]).dt.date
    daily = daily.set_index("event_date").sort_index()
    ev, ses = expected["events"], expected["sessions"]
    by_day = ev.groupby("date")
    assert (daily["events"].astype(int) == by_day.size()).all()
    assert (daily["users"].astype(int) == by_day["user_id"].nunique()).all()
    assert np.allclose(daily["revenue"].astype(float), by_day["revenue"].sum())
    per_day = ses.groupby("date")
    conversion = per_day["purchases"].apply(lambda p: (p > 0).mean())
    assert np.allclose(daily["conversion_rate"].astype(float), conversion.reindex(daily.index))
    carts = ses[ses["carts"] > 0].groupby("date")["purchases"].apply(lambda p: (p == 0).mean())
    got = daily["cart_abandonment_rate"].astype(float).reindex(carts.index)
    assert np.allclose(got, carts)
    purchases = by_day["event_type"].apply(lambda s: (s == "purchase").sum())
    aov = (by_day["revenue"].sum() / purchases.replace(0, np.nan)).dropna()
    assert np.allclose(daily["aov"].astype(float).reindex(aov.index), aov, atol=0.005)  # cents


def test_segments_follow_the_documented_thresholds(published, expected):
    users = published[2]["dim_users"].set_index("user_id")
    ses = expected["sessions"]
    per_user = ses.groupby("user_id").agg(ltv=("revenue", "sum"), n=("events", "size"),
                                          purchases=("purchases", "sum"))
    per_user = per_user.reindex(expected["users"]["user_id"]).fillna(0)
    segment = np.select(
        [per_user["ltv"] >= 500, per_user["purchases"] > 0, per_user["n"] >= 5],
        ["High Value", "Converted", "Engaged"], "New/Inactive")
    want = pd.Series(segment, index=per_user.index).value_counts().sort_index()
    got = users["segment"].value_counts().sort_index()
    assert got.to_dict() == want.to_dict()
    assert np.allclose(users.loc[per_user.index, "lifetime_revenue"].astype(float).fillna(0),
                       per_user["ltv"])


def test_a_rerun_with_the_same_inputs_publishes_the_same_tables(published, tmp_path):
    from e2e.helpers import fingerprint

    data_dir = str(tmp_path / "data")  # a copy: the session's run stays as it was published
    shutil.copytree(published[0], data_dir, symlinks=True)
    warehouse = os.path.join(data_dir, "warehouse")
    before = {t: fingerprint(warehouse, t) for t in TABLES}
    reports = set(os.listdir(os.path.join(data_dir, "reports")))
    out = run_etl("run", CLICKSTREAM, "--data-dir", data_dir, *WEEK_MALFORMED, "--no-report")
    assert "already landed" in out.stdout  # the raw layer is not generated twice
    assert {t: fingerprint(warehouse, t) for t in TABLES} == before
    assert set(os.listdir(os.path.join(data_dir, "reports"))) == reports  # --no-report
    assert "report:" not in out.stdout


def test_the_run_builds_the_report_its_pipeline_names(published):
    """`etl run` ends with the bundle of this very run: its finished record inside, every
    chart drawn, and the page's path said."""
    data_dir, record, _, stdout = published
    folder = os.path.join(data_dir, "reports", record["run_id"])
    assert f"report: {os.path.join(folder, 'index.html')} (" in stdout  # on one line
    with open(os.path.join(folder, "run.json")) as fh:
        assert json.load(fh) == record  # the finished record, not a running one
    assert record["status"] == "succeeded"
    pngs = [f for f in os.listdir(os.path.join(folder, "charts")) if f.endswith(".png")]
    assert len(pngs) >= 12
    with open(os.path.join(folder, "index.html"), encoding="utf-8") as fh:
        page = fh.read()
    assert record["run_id"] in page
    assert page.count('<img src="data:image/svg+xml;base64,') == len(pngs)  # each inline

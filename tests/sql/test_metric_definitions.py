"""The metric details the transforms and the SQL share (README "Metric definitions"), checked on
the published tables of both warehouses against pandas recomputed from fact_events:

- AOV = revenue / purchase events, rounded half up to cents (NULL without purchases);
- fact_daily_metrics.users = distinct users with an event that day;
- entry and exit pages = the pages of a session's first and last events (by event_ts, then
  event_id, the order event_sequence gives).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pyarrow.dataset as ds
import pytest

pytestmark = pytest.mark.spark

WAREHOUSES = ("generated", "edge")


def _table(path: str, name: str) -> pd.DataFrame:
    frame = ds.dataset(os.path.join(path, name), format="parquet",
                       partitioning="hive").to_table().to_pandas()
    if name == "fact_events":
        frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
    return frame


@pytest.fixture(scope="module")
def tables(sql_warehouses) -> dict[str, dict[str, pd.DataFrame]]:
    return {name: {t: _table(w.path, t) for t in ("fact_events", "fact_sessions",
                                                  "fact_daily_metrics")}
            for name, w in sql_warehouses.items()}


def _none(value):
    return None if value is None or (isinstance(value, float) and value != value) else value


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_aov_is_revenue_per_purchase_event_rounded_half_up_to_cents(tables, warehouse):
    events, daily = tables[warehouse]["fact_events"], tables[warehouse]["fact_daily_metrics"]
    purchases = events[events["event_type"] == "purchase"]
    for row in daily.itertuples():
        bought = purchases[purchases["event_date"] == row.event_date]
        revenue = sum(bought["revenue"], Decimal(0))
        want = (revenue / len(bought)).quantize(Decimal("0.01"), ROUND_HALF_UP) \
            if len(bought) else None
        assert (row.purchases, row.revenue) == (len(bought), revenue)
        assert _none(row.aov) == want, row.event_date


def test_half_a_cent_rounds_up(tables):
    """2026-01-06 of the edge warehouse: 10.01 + 10.00 over two purchases = 10.005 -> 10.01
    (half to even would give 10.00)."""
    daily = tables["edge"]["fact_daily_metrics"].set_index("event_date")
    day = daily.loc[dt.date(2026, 1, 6)]
    assert (day["revenue"], day["purchases"], day["aov"]) == (Decimal("20.01"), 2,
                                                              Decimal("10.01"))


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_daily_users_are_distinct_users_with_an_event_that_day(tables, warehouse):
    events, daily = tables[warehouse]["fact_events"], tables[warehouse]["fact_daily_metrics"]
    want = events.groupby("event_date")["user_id"].nunique()  # NULL users are not users
    got = daily.set_index("event_date")["users"]
    assert got.sort_index().to_dict() == want.sort_index().to_dict()


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_entry_and_exit_pages_are_those_of_the_first_and_last_events(tables, warehouse):
    events, sessions = tables[warehouse]["fact_events"], tables[warehouse]["fact_sessions"]
    ordered = events.sort_values(["session_id", "event_ts", "event_id"])
    first = ordered.groupby("session_id").head(1).set_index("session_id")["page_url"]
    last = ordered.groupby("session_id").tail(1).set_index("session_id")["page_url"]
    want = {s: (_none(first[s]), _none(last[s])) for s in first.index}
    got = {r.session_id: (_none(r.entry_page), _none(r.exit_page))
           for r in sessions.itertuples()}
    assert got == want
    flags = ordered.groupby("session_id").agg(entry=("is_entry", "first"), exit=("is_exit", "last"))
    assert flags["entry"].all() and flags["exit"].all()

"""The funnel, product affinity and cohort retention SQL against pandas, on both warehouses.

Both engines agreeing proves the dialects, not the answer: here each answer is computed again
from the raw rows of fact_events alone (read with pyarrow; sessions, their start day and their
user are rebuilt from the events, not taken from fact_sessions) with plain pandas and Python, and
both engines' rows must equal it. Percentages are rounded as the `pct` macro says it rounds: the
double 100 * (a / b), its shortest digits, half up.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pyarrow.dataset as ds
import pytest
from sql.results import differences, sort_key

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

WAREHOUSES = ("generated", "edge")
STEPS = ("page_view", "product_click", "add_to_cart", "purchase")


def _pct(num: int, den: int) -> float | None:
    if not den:
        return None
    return float(Decimal(repr(100 * (num / den))).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _events(path: str) -> pd.DataFrame:
    table = ds.dataset(os.path.join(path, "fact_events"), format="parquet",
                       partitioning="hive").to_table(
        columns=["event_id", "session_id", "user_id", "event_type", "product_id", "event_ts"])
    events = table.to_pandas()
    ts = events["event_ts"]
    events["event_ts"] = ts.dt.tz_convert("UTC").dt.tz_localize(None) if ts.dt.tz else ts
    return events


def _sessions(events: pd.DataFrame) -> pd.DataFrame:
    """One row per session: its user (of its first event), start and start day."""
    first = events.sort_values(["session_id", "event_ts", "event_id"]).groupby("session_id").head(1)
    sessions = first[["session_id", "user_id", "event_ts"]].rename(columns={"event_ts": "start"})
    sessions["day"] = sessions["start"].dt.date
    return sessions.reset_index(drop=True)


@pytest.fixture(scope="module")
def events(sql_warehouses) -> dict[str, pd.DataFrame]:
    return {name: _events(w.path) for name, w in sql_warehouses.items()}


def _check(engines, warehouse: str, template: str, expected: list[dict], ordered: bool) -> None:
    """Both engines' rows of `template`, on the columns `expected` names, equal `expected`."""
    want_columns = list(expected[0]) if expected else []
    want = [tuple(row[c] for c in want_columns) for row in expected]
    for engine, (columns, rows) in zip(("spark", "postgres"), engines[warehouse].results(template),
                                       strict=True):
        assert set(want_columns) <= set(columns), f"{template}: columns {columns}"
        index = [columns.index(c) for c in want_columns]
        got = [tuple(row[i] for i in index) for row in rows]
        if not ordered:
            got, want_sorted = sorted(got, key=sort_key), sorted(want, key=sort_key)
        else:
            want_sorted = want
        problems = differences(got, want_sorted, (engine, "pandas"))
        assert not problems, f"{template} on {engine}, {warehouse} warehouse " \
            f"(columns {want_columns}):\n" + "\n".join(problems)


# ---- funnel ----------------------------------------------------------------------------------
def _funnel(events: pd.DataFrame) -> list[dict]:
    total = events["session_id"].nunique()
    reached = [events.loc[events["event_type"] == s, "session_id"].nunique() for s in STEPS]
    previous = [total, *reached[:-1]]
    return [{"step_number": i + 1, "step_name": step, "sessions": n,
             "dropped_sessions": prev - n, "pct_of_sessions": _pct(n, total),
             "pct_of_previous_step": _pct(n, prev)}
            for i, (step, n, prev) in enumerate(zip(STEPS, reached, previous, strict=True))]


def _daily_funnel(events: pd.DataFrame) -> list[dict]:
    day = _sessions(events).set_index("session_id")["day"]
    rows = []
    for session_date, group in events.assign(day=events["session_id"].map(day)).groupby("day"):
        for row in _funnel(group):
            rows.append({"session_date": session_date, **row,
                         "total_sessions": group["session_id"].nunique()})
    return rows


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_conversion_funnel_is_what_pandas_counts(engines, events, warehouse):
    _check(engines, warehouse, "queries/conversion_funnel.sql", _funnel(events[warehouse]),
           ordered=True)


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_daily_journey_funnel_view_is_what_pandas_counts(engines, events, warehouse):
    _check(engines, warehouse, "views/v_journey_funnel.sql", _daily_funnel(events[warehouse]),
           ordered=False)


# ---- product affinity ------------------------------------------------------------------------
def _affinity(events: pd.DataFrame, min_pair: int = 2) -> list[dict]:
    baskets = events.loc[events["product_id"].notna(), ["session_id", "product_id"]] \
        .drop_duplicates()
    total = baskets["session_id"].nunique()
    per_product = baskets.groupby("product_id")["session_id"].nunique().to_dict()
    pairs: dict[tuple[str, str], int] = {}
    for _, products in baskets.groupby("session_id")["product_id"]:
        for a in products:
            for b in products:
                if a != b:
                    pairs[(a, b)] = pairs.get((a, b), 0) + 1
    rows = []
    for (a, b), n in pairs.items():
        if n < min_pair:
            continue
        sa, sb = per_product[a], per_product[b]
        rows.append({"antecedent_id": a, "consequent_id": b, "pair_baskets": n,
                     "antecedent_baskets": sa, "consequent_baskets": sb, "total_baskets": total,
                     "support": n / total, "confidence": n / sa, "lift": (n * total) / (sa * sb)})
    rows.sort(key=lambda r: (-r["lift"], -r["pair_baskets"], r["antecedent_id"],
                             r["consequent_id"]))
    return rows


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_product_affinity_is_what_pandas_counts(engines, events, warehouse):
    expected = _affinity(events[warehouse])
    assert expected, "the warehouse has pairs seen together twice"
    _check(engines, warehouse, "queries/product_affinity.sql", expected, ordered=True)


# ---- cohort retention ------------------------------------------------------------------------
def _retention(events: pd.DataFrame, period) -> pd.DataFrame:
    """(user, cohort period, activity period) of every user's active periods."""
    sessions = _sessions(events).dropna(subset=["user_id"])
    activity = pd.DataFrame({"user_id": sessions["user_id"],
                             "period": sessions["day"].map(period)}).drop_duplicates()
    cohort = activity.groupby("user_id")["period"].min().rename("cohort")
    return activity.join(cohort, on="user_id")


def _week(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _weekly_retention(events: pd.DataFrame) -> list[dict]:
    active = _retention(events, _week)
    sizes = active.drop_duplicates("user_id").groupby("cohort").size()
    rows = []
    for (cohort, period), group in active.groupby(["cohort", "period"]):
        n = group["user_id"].nunique()
        rows.append({"cohort_week": cohort, "weeks_since_first": (period - cohort).days // 7,
                     "cohort_users": int(sizes[cohort]), "active_users": n,
                     "retention_pct": _pct(n, int(sizes[cohort]))})
    return sorted(rows, key=lambda r: (r["cohort_week"], r["weeks_since_first"]))


def _monthly_retention(events: pd.DataFrame) -> list[dict]:
    active = _retention(events, _month)
    sizes = active.drop_duplicates("user_id").groupby("cohort").size()
    rows = []
    for (cohort, period), group in active.groupby(["cohort", "period"]):
        n, size = group["user_id"].nunique(), int(sizes[cohort])
        months = (period.year * 12 + period.month) - (cohort.year * 12 + cohort.month)
        rows.append({"cohort_month": cohort, "months_since_first": months,
                     "activity_month": period, "cohort_users": size, "active_users": n,
                     "retention_rate": n / size})
    return rows


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_weekly_cohort_retention_is_what_pandas_counts(engines, events, warehouse):
    expected = _weekly_retention(events[warehouse])
    assert any(r["weeks_since_first"] > 0 for r in expected), "someone comes back"
    _check(engines, warehouse, "queries/cohort_retention.sql", expected, ordered=True)


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_monthly_cohort_retention_view_is_what_pandas_counts(engines, events, warehouse):
    _check(engines, warehouse, "views/v_cohort_retention.sql",
           _monthly_retention(events[warehouse]), ordered=False)


def test_the_edge_warehouse_crosses_a_month_and_a_week_boundary(events):
    """The retention checks above see a returning user across both boundaries."""
    monthly = _monthly_retention(events["edge"])
    assert any(r["months_since_first"] == 1 for r in monthly)
    weekly = _weekly_retention(events["edge"])
    assert {r["cohort_week"] for r in weekly} >= {dt.date(2025, 12, 29), dt.date(2026, 1, 5)}

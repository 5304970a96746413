"""Tests for the clickstream transforms on small hand-written frames.

Every expected value below was worked out by hand from the input rows (the arithmetic is spelled
out next to it) or with Python's own calendar functions, never by running the code under test.
"""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import yaml

from transforms import clickstream as cs

pytestmark = pytest.mark.spark

RAW_DDL = ("event_id string, session_id string, user_id string, event_type string, "
           "product_id string, timestamp timestamp, device string, browser string, "
           "referrer string, page_url string, quantity int")
CLEAN_COLUMNS = ["event_id", "session_id", "user_id", "event_type", "product_id", "event_ts",
                 "device", "browser", "referrer", "page_url", "quantity", "event_date",
                 "event_hour", "day_of_week", "month", "is_weekend"]


def T(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DD HH:MM:SS'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def utc(value: datetime | None) -> datetime | None:
    """Collected timestamps are naive local times; make them comparable with T()."""
    return None if value is None else value.astimezone(UTC)


def D(text: str) -> date:
    return date.fromisoformat(text)


def M(text: str) -> Decimal:
    return Decimal(text)


def by_key(df, key: str) -> dict:
    return {r[key]: r.asDict() for r in df.collect()}


def plan_of(df) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        df.explain()
    return buf.getvalue()


@pytest.fixture
def console():
    from framework.console import CapturingConsole

    return CapturingConsole()


@pytest.fixture
def cctx(spark, console):
    from framework.runtime.context import TransformContext

    return TransformContext(spark=spark, step_id="t", console=console)


def _observed_messages(ctx) -> list[str]:
    """The counts a transform observed, once the data was computed (by the test's collect)."""
    from framework.runtime.context import collect_observed

    return [msg for _, _, msg in collect_observed(ctx.observations, ctx.summaries) if msg]


@pytest.fixture
def no_auto_broadcast(spark):
    old = spark.conf.get("spark.sql.autoBroadcastJoinThreshold")
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
    yield
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", old)


# ------------------------------------------------------------------ registration
@pytest.mark.parametrize("name,lo,hi,broadcastable", [
    ("clean_events", 1, 1, False), ("enrich_events", 2, 2, True), ("sessionize", 1, 1, False),
    ("session_metrics", 1, 1, False), ("user_metrics", 2, 2, False),
    ("product_metrics", 2, 2, True), ("daily_metrics", 2, 2, False), ("dim_date", 0, 1, False),
])
def test_registered_with_inputs_docs_and_yaml_example(name, lo, hi, broadcastable):
    from framework.registry import REGISTRY

    tdef = REGISTRY.transforms[name]
    assert (tdef.min_inputs, tdef.max_inputs, tdef.broadcastable) == (lo, hi, broadcastable)
    assert tdef.summary and tdef.params["additionalProperties"] is False
    steps = yaml.safe_load(tdef.example)
    assert isinstance(steps, list) and steps[0]["transform"] == name


# ------------------------------------------------------------------ clean_events
RAW_ROWS = [
    ("e1", "s1", " u1 ", " Page_View ", "", T("2026-01-03 10:00:00"), " Mobile", "Chrome ",
     "Direct", "/home", None),
    ("e2", "s1", "u1", "ADD_TO_CART", "P1", T("2026-01-03 10:01:00"), "mobile", "chrome", "direct",
     "/cart", None),
    ("e2", "s1", "u1", "add_to_cart", "P1", T("2026-01-03 10:05:00"), "mobile", "chrome", "direct",
     "/cart", 3),  # duplicate event id, later: dropped
    ("e3", "s1", "u1", "purchase", "P1", T("2026-01-03 10:02:00"), "mobile", "chrome", "direct",
     "/checkout", 2),
    ("e4", "s2", "u2", "product_click", "P2", T("2026-01-05 23:30:00"), "DESKTOP", "Firefox",
     "search", "/product/P2", None),
    ("e5", "s2", "u2", "page_view", None, None, "desktop", "firefox", "search", "/home", None),
    ("", "s2", "u2", "page_view", None, T("2026-01-05 23:31:00"), "desktop", "firefox", "search",
     "/home", None),
    ("e6", "  ", "u3", "page_view", None, T("2026-01-05 23:32:00"), "desktop", "firefox", "search",
     "/home", None),
]


def test_clean_events_tidies_dedupes_and_derives(spark, cctx, console):
    raw = spark.createDataFrame(RAW_ROWS, RAW_DDL)
    out = cs.clean_events(cctx, {"events": raw}, {})
    assert out.columns == CLEAN_COLUMNS
    rows = by_key(out, "event_id")
    assert set(rows) == {"e1", "e2", "e3", "e4"}
    e1 = rows["e1"]
    assert (e1["user_id"], e1["event_type"], e1["product_id"]) == ("u1", "page_view", None)
    assert (e1["device"], e1["browser"], e1["referrer"]) == ("mobile", "chrome", "direct")
    # 2026-01-03 is a Saturday: ISO day 6, weekend
    assert (e1["event_date"], e1["event_hour"], e1["day_of_week"], e1["month"],
            e1["is_weekend"]) == (D("2026-01-03"), 10, 6, 1, True)
    assert utc(rows["e2"]["event_ts"]) == T("2026-01-03 10:01:00")  # the earlier duplicate
    # quantity: null cart -> 1, given purchase kept, null view/click -> 0
    assert {k: r["quantity"] for k, r in rows.items()} == {"e1": 0, "e2": 1, "e3": 2, "e4": 0}
    e4 = rows["e4"]  # 2026-01-05 is a Monday
    assert (e4["device"], e4["browser"], e4["day_of_week"], e4["is_weekend"], e4["event_hour"]) \
        == ("desktop", "firefox", 1, False, 23)
    messages = _observed_messages(cctx)
    assert any("dropped 3 of 8 rows" in m and "1 duplicate" in m for m in messages), messages


def test_clean_events_parses_string_timestamps_and_quantities(spark, cctx, console):
    ddl = RAW_DDL.replace("timestamp timestamp", "timestamp string").replace("quantity int",
                                                                              "quantity string")
    raw = spark.createDataFrame([
        ("a", "s", "u", "purchase", "P1", "2026-01-03T10:00:00.000Z", "mobile", "x", "ads", "/c",
         "2"),
        ("b", "s", "u", "add_to_cart", "P1", "2026-01-03T09:59:00.000Z", "mobile", "x", "ads",
         "/c", "two"),
        ("c", "s", "u", "page_view", None, "not-a-timestamp", "mobile", "x", "ads", "/", None),
    ], ddl)
    rows = by_key(cs.clean_events(cctx, {"events": raw}, {}), "event_id")
    assert set(rows) == {"a", "b"}
    assert utc(rows["a"]["event_ts"]) == T("2026-01-03 10:00:00")
    assert (rows["a"]["quantity"], rows["b"]["quantity"]) == (2, 1)  # "two" -> null -> cart 1
    assert any("dropped 1 of 3" in m for m in _observed_messages(cctx))


# ------------------------------------------------------------------ enrich_events
EV_DDL = "event_id string, session_id string, event_type string, product_id string, quantity int"
EVENTS = [
    ("a1", "s1", "page_view", None, 0),
    ("a2", "s1", "product_click", "P1", 0),
    ("a3", "s1", "add_to_cart", "P1", 2),
    ("a4", "s1", "purchase", "P1", 2),
    ("a5", "s2", "purchase", "P9", 1),  # product not in the catalogue
    ("a6", "s2", "purchase", "P2", 3),
]
PRODUCTS_DDL = "product_id string, product_name string, category string, price decimal(10,2)"
PRODUCTS = [("P1", "Mug", "Home", M("19.99")), ("P2", "Pen", "Office", M("5.50")),
            ("P3", "Lamp", "Home", M("30.00"))]


def _enrich(spark, ctx):
    events = spark.createDataFrame(EVENTS, EV_DDL)
    products = spark.createDataFrame(PRODUCTS, PRODUCTS_DDL)
    return cs.enrich_events(ctx, {"events_clean": events, "products": products}, {})


def test_enrich_events_joins_products_and_prices_purchases(spark, ctx):
    out = _enrich(spark, ctx)
    assert out.columns == ["event_id", "session_id", "event_type", "product_id", "quantity",
                           "product_name", "category", "price", "revenue"]
    assert dict(out.dtypes)["revenue"] == "decimal(18,2)"
    rows = by_key(out, "event_id")
    assert len(rows) == 6
    assert {k: r["revenue"] for k, r in rows.items()} == {
        "a1": M("0"), "a2": M("0"), "a3": M("0"),  # only purchases earn revenue
        "a4": M("39.98"),  # 2 x 19.99
        "a5": M("0"),  # unknown product: no price
        "a6": M("16.50"),  # 3 x 5.50
    }
    assert (rows["a2"]["product_name"], rows["a2"]["category"], rows["a2"]["price"]) == (
        "Mug", "Home", M("19.99"))
    assert rows["a1"]["category"] is None and rows["a5"]["price"] is None


def test_enrich_events_honours_broadcast_hint(spark, ctx, no_auto_broadcast):
    assert "BroadcastHashJoin" not in plan_of(_enrich(spark, ctx))
    ctx.broadcast = ("products",)
    assert "BroadcastHashJoin" in plan_of(_enrich(spark, ctx))


# ------------------------------------------------------------------ sessionize
SESS_DDL = "event_id string, session_id string, user_id string, event_ts timestamp"


def test_sessionize_orders_events_and_marks_entry_exit(spark, ctx):
    df = spark.createDataFrame([
        ("x4", "s1", "u1", T("2026-01-03 10:02:00")),
        ("x3", "s1", "u1", T("2026-01-03 10:00:30")),
        ("x1", "s1", "u1", T("2026-01-03 10:00:00")),
        ("x2", "s1", "u1", T("2026-01-03 10:00:30")),  # same time as x3: event_id breaks the tie
        ("y1", "s2", "u2", T("2026-01-04 08:00:00")),  # a one-event session
    ], SESS_DDL)
    out = cs.sessionize(ctx, {"events": df}, {})
    assert out.columns[:4] == ["event_id", "session_id", "user_id", "event_ts"]
    rows = by_key(out, "event_id")
    got = {k: (r["event_sequence"], r["seconds_since_prev"], r["is_entry"], r["is_exit"])
           for k, r in rows.items()}
    assert got == {
        "x1": (1, None, True, False),
        "x2": (2, 30.0, False, False),
        "x3": (3, 0.0, False, False),
        "x4": (4, 90.0, False, True),
        "y1": (1, None, True, True),
    }
    assert {(utc(r["session_start"]), utc(r["session_end"])) for k, r in rows.items()
            if k.startswith("x")} == {(T("2026-01-03 10:00:00"), T("2026-01-03 10:02:00"))}
    assert utc(rows["y1"]["session_start"]) == utc(rows["y1"]["session_end"])


GAP_ROWS = [
    ("g1", "orig", "u1", T("2026-01-03 10:00:00")),
    ("g2", "orig", "u1", T("2026-01-03 10:10:00")),
    ("g3", "orig", "u1", T("2026-01-03 10:45:00")),  # 35 min of silence: new session at 30
    ("g4", "orig", "u1", T("2026-01-03 11:15:00")),  # exactly 30 min: same session
    ("g5", "orig", "u1", T("2026-01-04 09:00:00")),
    ("h1", "orig", "u2", T("2026-01-03 10:05:00")),
]


def test_sessionize_gap_based_when_gap_minutes_set(spark, ctx):
    df = spark.createDataFrame(GAP_ROWS, SESS_DDL)
    rows = by_key(cs.sessionize(ctx, {"events": df}, {"gap_minutes": 30}), "event_id")
    assert {k: r["session_id"] for k, r in rows.items()} == {
        "g1": "u1-1", "g2": "u1-1", "g3": "u1-2", "g4": "u1-2", "g5": "u1-3", "h1": "u2-1"}
    assert {r["source_session_id"] for r in rows.values()} == {"orig"}
    assert (rows["g3"]["event_sequence"], rows["g3"]["is_entry"], rows["g4"]["is_exit"]) == (
        1, True, True)
    assert rows["g4"]["seconds_since_prev"] == 1800.0

    wider = by_key(cs.sessionize(ctx, {"events": df}, {"gap_minutes": 60}), "event_id")
    assert {k: r["session_id"] for k, r in wider.items()} == {
        "g1": "u1-1", "g2": "u1-1", "g3": "u1-1", "g4": "u1-1", "g5": "u1-2", "h1": "u2-1"}


def test_sessionize_without_session_column_uses_default_gap(spark, ctx):
    df = spark.createDataFrame(GAP_ROWS, SESS_DDL).drop("session_id")
    out = cs.sessionize(ctx, {"events": df}, {})
    assert "source_session_id" not in out.columns
    rows = by_key(out, "event_id")
    assert {k: r["session_id"] for k, r in rows.items()} == {
        "g1": "u1-1", "g2": "u1-1", "g3": "u1-2", "g4": "u1-2", "g5": "u1-3", "h1": "u2-1"}


# ------------------------------------------------------------------ session_metrics
SM_DDL = ("session_id string, user_id string, event_id string, event_ts timestamp, "
          "event_type string, page_url string, device string, browser string, referrer string, "
          "revenue decimal(18,2)")
SM_ROWS = [  # deliberately out of order
    ("A", "u1", "a4", T("2026-01-03 10:04:30"), "purchase", "/checkout", "mobile", "chrome",
     "search", M("39.98")),
    ("A", "u1", "a1", T("2026-01-03 10:00:00"), "page_view", "/home", "mobile", "chrome",
     "search", M("0")),
    ("A", "u1", "a5", T("2026-01-03 10:05:00"), "page_view", "/category/books", "mobile", "chrome",
     "search", M("0")),
    ("A", "u1", "a3", T("2026-01-03 10:03:00"), "add_to_cart", "/cart", "mobile", "chrome",
     "search", M("0")),
    ("A", "u1", "a2", T("2026-01-03 10:01:00"), "product_click", "/product/P1", "mobile",
     "chrome", "search", M("0")),
    ("B", "u2", "b1", T("2026-01-03 23:59:00"), "page_view", "/home", "desktop", "firefox",
     "direct", M("0")),
    ("C", "u1", "c2", T("2026-01-04 08:00:40"), "add_to_cart", "/cart", "tablet", "safari",
     "email", M("0")),
    ("C", "u1", "c1", T("2026-01-04 08:00:00"), "page_view", "/category/toys", "tablet", "safari",
     "email", M("0")),
]


def test_session_metrics_one_row_per_session(spark, ctx):
    df = spark.createDataFrame(SM_ROWS, SM_DDL)
    out = cs.session_metrics(ctx, {"events_sessionized": df}, {})
    assert out.columns == list(cs.SESSION_COLUMNS)
    rows = by_key(out, "session_id")
    a, b, c = rows["A"], rows["B"], rows["C"]
    assert (a["user_id"], utc(a["session_start"]), utc(a["session_end"]), a["session_date"]) == (
        "u1", T("2026-01-03 10:00:00"), T("2026-01-03 10:05:00"), D("2026-01-03"))
    assert a["duration_seconds"] == 300.0  # 10:05:00 - 10:00:00
    assert (a["num_events"], a["page_views"], a["product_clicks"], a["cart_adds"],
            a["purchases"]) == (5, 2, 1, 1, 1)
    assert (a["revenue"], a["converted"], a["abandoned_cart"]) == (M("39.98"), True, False)
    assert (a["entry_page"], a["exit_page"]) == ("/home", "/category/books")
    assert (a["device"], a["browser"], a["referrer"]) == ("mobile", "chrome", "search")
    # one-event session: zero duration, entry == exit
    assert (b["duration_seconds"], b["num_events"], b["entry_page"], b["exit_page"]) == (
        0.0, 1, "/home", "/home")
    assert (b["converted"], b["abandoned_cart"], b["revenue"]) == (False, False, M("0"))
    # cart without purchase: abandoned
    assert (c["duration_seconds"], c["converted"], c["abandoned_cart"], c["entry_page"],
            c["exit_page"], c["device"]) == (40.0, False, True, "/category/toys", "/cart",
                                             "tablet")


def test_session_metrics_without_revenue_column(spark, ctx):
    df = spark.createDataFrame(SM_ROWS, SM_DDL).drop("revenue")
    rows = by_key(cs.session_metrics(ctx, {"events": df}, {}), "session_id")
    assert {r["revenue"] for r in rows.values()} == {M("0")}


# ------------------------------------------------------------------ user_metrics
USERS_DDL = "user_id string, signup_date date, country string"
USERS = [("u1", D("2025-06-01"), "US"), ("u2", D("2025-07-01"), "DE"),
         ("u3", D("2025-08-01"), "FR"), ("u4", D("2025-09-01"), "GB"),
         ("u5", D("2025-10-01"), "IN")]
SESSIONS_DDL = ("session_id string, user_id string, session_start timestamp, "
                "session_end timestamp, duration_seconds double, num_events long, purchases long, "
                "revenue decimal(18,2), converted boolean")


def _sessions_rows() -> list[tuple]:
    rows = [
        ("S1", "u1", T("2026-01-03 10:00:00"), T("2026-01-03 10:01:40"), 100.0, 5, 1, M("300.00"),
         True),
        ("S2", "u1", T("2026-01-05 09:00:00"), T("2026-01-05 09:00:50"), 50.0, 2, 1, M("250.00"),
         True),
        ("S3", "u2", T("2026-01-04 12:00:00"), T("2026-01-04 12:05:00"), 300.0, 4, 1, M("20.00"),
         True),
        ("S9", "u9", T("2026-01-04 12:00:00"), T("2026-01-04 12:05:00"), 300.0, 4, 1, M("99.00"),
         True),  # user not in the users table
        ("S5", "u5", T("2026-01-06 12:00:00"), T("2026-01-06 12:01:00"), 60.0, 3, 1, M("500.00"),
         True),  # exactly the High Value threshold
    ]
    start = T("2026-01-10 08:00:00")
    for i in range(5):  # u4: five browsing sessions, no purchase
        s = start + timedelta(days=i)
        rows.append((f"S4{i}", "u4", s, s + timedelta(seconds=10), 10.0, 1, 0, M("0"), False))
    return rows


def _user_metrics(spark, ctx, params):
    users = spark.createDataFrame(USERS, USERS_DDL)
    sessions = spark.createDataFrame(_sessions_rows(), SESSIONS_DDL)
    return cs.user_metrics(ctx, {"users": users, "sessions": sessions}, params)


def test_user_metrics_lifetime_values_and_segments(spark, ctx):
    out = _user_metrics(spark, ctx, {})
    assert out.columns == ["user_id", "signup_date", "country", *cs.USER_METRICS]
    rows = by_key(out, "user_id")
    assert set(rows) == {"u1", "u2", "u3", "u4", "u5"}  # u9 has no user row; u3 no sessions
    u1 = rows["u1"]
    assert (u1["total_sessions"], u1["total_events"], u1["total_purchases"],
            u1["lifetime_revenue"], u1["avg_session_seconds"], u1["converted_sessions"]) == (
        2, 7, 2, M("550.00"), 75.0, 2)  # 300 + 250; (100 + 50) / 2
    assert (utc(u1["first_seen"]), utc(u1["last_seen"])) == (T("2026-01-03 10:00:00"),
                                                             T("2026-01-05 09:00:50"))
    u3 = rows["u3"]
    assert (u3["total_sessions"], u3["total_events"], u3["total_purchases"],
            u3["lifetime_revenue"], u3["converted_sessions"]) == (0, 0, 0, M("0"), 0)
    assert (u3["avg_session_seconds"], u3["first_seen"], u3["last_seen"]) == (None, None, None)
    assert {k: r["segment"] for k, r in rows.items()} == {
        "u1": "High Value", "u2": "Converted", "u3": "New/Inactive", "u4": "Engaged",
        "u5": "High Value"}


def test_user_metrics_thresholds_are_parameters(spark, ctx):
    rows = by_key(_user_metrics(spark, ctx, {"high_value_revenue": 1000, "engaged_sessions": 6}),
                  "user_id")
    assert {k: r["segment"] for k, r in rows.items()} == {
        "u1": "Converted", "u2": "Converted", "u3": "New/Inactive", "u4": "New/Inactive",
        "u5": "Converted"}


# ------------------------------------------------------------------ product_metrics
PM_DDL = ("session_id string, event_type string, product_id string, quantity int, "
          "revenue decimal(18,2)")
PM_ROWS = [
    ("s1", "page_view", None, 0, M("0")),
    ("s1", "product_click", "P1", 0, M("0")),
    ("s1", "product_click", "P1", 0, M("0")),
    ("s1", "add_to_cart", "P1", 1, M("0")),
    ("s1", "purchase", "P1", 2, M("39.98")),
    ("s2", "product_click", "P1", 0, M("0")),
    ("s2", "add_to_cart", "P1", 1, M("0")),
    ("s3", "add_to_cart", "P2", 1, M("0")),
]


def _product_metrics(spark, ctx, params):
    events = spark.createDataFrame(PM_ROWS, PM_DDL)
    products = spark.createDataFrame(PRODUCTS, PRODUCTS_DDL)
    return cs.product_metrics(ctx, {"events": events, "products": products}, params)


def test_product_metrics_counts_rates_and_products_without_events(spark, ctx):
    out = _product_metrics(spark, ctx, {})
    assert out.columns == ["product_id", "product_name", "category", "price", *cs.PRODUCT_METRICS]
    rows = by_key(out, "product_id")
    p1, p2, p3 = rows["P1"], rows["P2"], rows["P3"]
    # P1: clicked in s1 (twice) and s2 -> 2 views, 3 clicks; 2 carts; 1 purchase of 2 units
    assert (p1["views"], p1["clicks"], p1["cart_adds"], p1["purchases"], p1["units_sold"],
            p1["revenue"]) == (2, 3, 2, 1, 2, M("39.98"))
    assert p1["conversion_rate"] == pytest.approx(1 / 3)
    assert p1["cart_conversion"] == pytest.approx(0.5)
    assert p1["engagement_score"] == pytest.approx(2 * 1 + 3 * 0.5 + 2 * 3 + 1 * 5)  # 14.5
    # P2: a cart and nothing else -> no clicks: conversion_rate undefined, not an error
    assert (p2["views"], p2["clicks"], p2["cart_adds"], p2["conversion_rate"],
            p2["cart_conversion"], p2["engagement_score"]) == (0, 0, 1, None, 0.0, 3.0)
    # P3: never seen -> kept with zeros
    assert (p3["views"], p3["clicks"], p3["cart_adds"], p3["purchases"], p3["units_sold"],
            p3["revenue"], p3["conversion_rate"], p3["cart_conversion"],
            p3["engagement_score"]) == (0, 0, 0, 0, 0, M("0"), None, None, 0.0)
    assert (p3["product_name"], p3["price"]) == ("Lamp", M("30.00"))


def test_product_metrics_weights_and_broadcast(spark, ctx, no_auto_broadcast):
    weights = {"view_weight": 0, "click_weight": 1, "cart_weight": 0, "purchase_weight": 10}
    assert "BroadcastHashJoin" not in plan_of(_product_metrics(spark, ctx, weights))
    ctx.broadcast = ("products",)
    out = _product_metrics(spark, ctx, weights)
    assert "BroadcastHashJoin" in plan_of(out)
    assert by_key(out, "product_id")["P1"]["engagement_score"] == pytest.approx(3 * 1 + 1 * 10)


# ------------------------------------------------------------------ daily_metrics
DM_EV_DDL = ("event_date date, session_id string, user_id string, event_type string, "
             "revenue decimal(18,2)")
D1, D2, D3 = D("2026-01-03"), D("2026-01-04"), D("2026-01-05")
DM_EVENTS = [
    (D1, "A", "u1", "page_view", M("0")), (D1, "A", "u1", "product_click", M("0")),
    (D1, "A", "u1", "add_to_cart", M("0")), (D1, "A", "u1", "purchase", M("40.00")),
    (D1, "B", "u2", "page_view", M("0")), (D1, "B", "u2", "add_to_cart", M("0")),
    (D1, "M", "u1", "page_view", M("0")),  # M starts just before midnight ...
    (D2, "M", "u1", "product_click", M("0")), (D2, "M", "u1", "purchase", M("10.00")),  # ... buys
    (D2, "N", "u3", "page_view", M("0")),  # N starts late on D2 ...
    (D3, "N", "u3", "page_view", M("0")),  # ... and ends on D3
]
DM_SESS_DDL = ("session_id string, session_date date, duration_seconds double, cart_adds long, "
               "converted boolean, abandoned_cart boolean")
DM_SESSIONS = [("A", D1, 100.0, 1, True, False), ("B", D1, 50.0, 1, False, True),
               ("M", D1, 600.0, 0, True, False), ("N", D2, 900.0, 0, False, False)]


def test_daily_metrics_per_day_with_sessions_on_their_start_date(spark, ctx):
    events = spark.createDataFrame(DM_EVENTS, DM_EV_DDL)
    sessions = spark.createDataFrame(DM_SESSIONS, DM_SESS_DDL)
    out = cs.daily_metrics(ctx, {"events": events, "sessions": sessions}, {})
    assert out.columns == list(cs.DAILY_COLUMNS)
    rows = by_key(out, "event_date")
    assert list(rows) == [D1, D2, D3]
    d1, d2, d3 = rows[D1], rows[D2], rows[D3]
    assert (d1["users"], d1["sessions"], d1["events"], d1["page_views"], d1["purchases"],
            d1["revenue"]) == (2, 3, 7, 3, 1, M("40.00"))
    assert d1["conversion_rate"] == pytest.approx(2 / 3)  # A and M converted, of A, B, M
    assert d1["cart_abandonment_rate"] == pytest.approx(1 / 2)  # B of {A, B}
    assert (d1["aov"], d1["avg_session_seconds"]) == (M("40.00"), 250.0)  # (100+50+600)/3
    assert (d1["converted_sessions"], d1["cart_sessions"], d1["abandoned_sessions"]) == (2, 2, 1)
    assert (d2["users"], d2["sessions"], d2["events"], d2["page_views"], d2["purchases"],
            d2["revenue"], d2["aov"]) == (2, 1, 3, 1, 1, M("10.00"), M("10.00"))
    assert (d2["conversion_rate"], d2["cart_abandonment_rate"], d2["avg_session_seconds"]) == (
        0.0, None, 900.0)  # N did not buy; no cart sessions -> undefined
    # D3: events but no session starts -> zero sessions, every rate undefined (no division error)
    assert (d3["users"], d3["sessions"], d3["events"], d3["purchases"], d3["revenue"]) == (
        1, 0, 1, 0, M("0"))
    assert (d3["conversion_rate"], d3["aov"], d3["cart_abandonment_rate"],
            d3["avg_session_seconds"]) == (None, None, None, None)


# ------------------------------------------------------------------ dim_date
def _expected_date_row(d: date) -> dict:
    iso = d.isocalendar()
    return {"date_key": int(d.strftime("%Y%m%d")), "date": d, "year": d.year,
            "quarter": (d.month - 1) // 3 + 1, "month": d.month, "month_name": d.strftime("%B"),
            "day": d.day, "day_of_week": iso.weekday, "day_name": d.strftime("%A"),
            "week_of_year": iso.week, "is_weekend": iso.weekday >= 6}


def _expected_dates(start: str, end: str) -> list[dict]:
    lo, hi = D(start), D(end)
    return [_expected_date_row(lo + timedelta(days=i)) for i in range((hi - lo).days + 1)]


def test_dim_date_covers_data_range_without_gaps(spark, ctx):
    events = spark.createDataFrame(
        [(D("2026-02-28"),), (D("2026-03-02"),), (D("2026-02-27"),), (None,)], "event_date date")
    out = cs.dim_date(ctx, {"events_clean": events}, {})
    assert out.columns == list(cs.DATE_COLUMNS)
    assert [r.asDict() for r in out.collect()] == _expected_dates("2026-02-27", "2026-03-02")


def test_dim_date_from_params_only_across_new_year(ctx):
    out = cs.dim_date(ctx, {}, {"start": "2025-12-28", "end": "2026-01-02"})
    rows = [r.asDict() for r in out.collect()]
    assert rows == _expected_dates("2025-12-28", "2026-01-02")
    assert [r["week_of_year"] for r in rows] == [52, 1, 1, 1, 1, 1]  # ISO weeks


def test_dim_date_params_override_data_bounds_and_event_ts_fallback(spark, ctx):
    events = spark.createDataFrame([(T("2026-01-03 10:00:00"),), (T("2026-01-05 23:59:59"),)],
                                   "event_ts timestamp")
    out = cs.dim_date(ctx, {"events": events}, {"end": "2026-01-07"})
    assert [r["date"] for r in out.collect()] == [D(f"2026-01-0{i}") for i in range(3, 8)]


def test_dim_date_edge_cases(spark, ctx):
    empty = spark.createDataFrame([], "event_date date")
    assert cs.dim_date(ctx, {"events": empty}, {}).count() == 0
    with pytest.raises(ValueError, match="start"):
        cs.dim_date(ctx, {}, {"start": "2026-01-01"})

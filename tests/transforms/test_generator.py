"""Tests for the `clickstream` generator: shape, determinism, funnel invariants, malformed rows.

Expected values are checked in plain Python over collected rows (small params), never by calling
the generator's own helpers.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from transforms import generators as gen

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"users": 60, "products": 40, "sessions": 400, "events_per_session": [3, 12], "days": 7,
         "start_date": "2026-03-02", "seed": 7}
START = datetime(2026, 3, 2, tzinfo=UTC)
END = START + timedelta(days=7)


def _run(ctx, **overrides) -> dict:
    return gen.clickstream(ctx, {**SMALL, **overrides})


def _rows(df) -> list[dict]:
    return [r.asDict() for r in df.collect()]


@pytest.fixture(scope="module")
def small(spark):
    from framework.runtime.context import TransformContext

    out = gen.clickstream(TransformContext(spark=spark), dict(SMALL))
    return {name: _rows(df) for name, df in out.items()} | {"frames": out}


def _by_session(events: list[dict]) -> dict[str, list[dict]]:
    sessions: dict[str, list[dict]] = defaultdict(list)
    for e in events:
        sessions[e["session_id"]].append(e)
    for evs in sessions.values():
        evs.sort(key=lambda e: e["event_id"])
    return sessions


# ------------------------------------------------------------------ shape and contract
def test_registered_with_declared_outputs_and_defaults():
    from framework.registry import REGISTRY

    gdef = REGISTRY.generators["clickstream"]
    assert gdef.outputs == ("events", "users", "products")
    assert gdef.params["additionalProperties"] is False
    props = gdef.params["properties"]
    assert props["sessions"]["default"] == 10000
    assert props["events_per_session"]["default"] == [3, 20]
    assert props["malformed_rate"]["default"] == 0.0
    example = yaml.safe_load(gdef.example)
    assert example["generators"]["shop"]["generator"] == "clickstream"


def test_importing_does_not_load_pyspark():
    code = ("import sys, transforms.generators, transforms.clickstream; "
            "print('pyspark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("table", ["events", "users", "products"])
def test_columns_match_pipeline_schemas(small, table):
    declared = yaml.safe_load((ROOT / "pipelines" / "schemas" / f"{table}.yaml").read_text())
    frame = small["frames"][table]
    assert frame.columns == list(declared["columns"])
    types = dict(frame.dtypes)
    for name, dtype in declared["columns"].items():
        assert types[name] == dtype, name


def test_sizes_and_id_formats(small):
    users, products, events = small["users"], small["products"], small["events"]
    assert len(users) == 60 and len({u["user_id"] for u in users}) == 60
    assert len(products) == 40 and len({p["product_id"] for p in products}) == 40
    assert {p["product_id"] for p in products} == {f"P{i:05d}" for i in range(1, 41)}
    assert {u["user_id"] for u in users} == {f"U{i:06d}" for i in range(1, 61)}
    assert len({e["session_id"] for e in events}) == 400
    assert {e["user_id"] for e in events} <= {u["user_id"] for u in users}


def test_products_have_eight_categories_and_category_price_ranges(small):
    products = small["products"]
    assert len({p["category"] for p in products}) == 8
    bounds = {name: (lo, hi + 1) for name, _, lo, hi, _ in gen.CATEGORIES}
    for p in products:
        lo, hi = bounds[p["category"]]
        assert isinstance(p["price"], Decimal) and p["price"].as_tuple().exponent == -2
        assert lo <= p["price"] < hi, p
        assert p["product_name"]


def test_users_signed_up_before_the_window(small):
    countries = {c for c, _ in gen.COUNTRIES}
    ages = {a for a, _ in gen.AGE_GROUPS}
    for u in small["users"]:
        assert date(2025, 3, 1) < u["signup_date"] < date(2026, 3, 2)
        assert u["country"] in countries and u["age_group"] in ages


# ------------------------------------------------------------------ funnel invariants
def test_event_ids_unique(small):
    ids = [e["event_id"] for e in small["events"]]
    assert len(ids) == len(set(ids))


def test_events_per_session_within_bounds(small):
    counts = Counter(e["session_id"] for e in small["events"])
    assert min(counts.values()) >= 3 and max(counts.values()) <= 12
    assert len(set(counts.values())) > 5  # actually spread over the range


def test_purchase_follows_cart_of_same_product_in_same_session(small):
    purchases = 0
    for evs in _by_session(small["events"]).values():
        carted: set[str] = set()
        for e in sorted(evs, key=lambda e: e["timestamp"]):
            if e["event_type"] == "purchase":
                purchases += 1
                assert e["product_id"] in carted, e
            if e["event_type"] == "add_to_cart":
                carted.add(e["product_id"])
    assert purchases > 0


def test_funnel_counts_decrease(small):
    counts = Counter(e["event_type"] for e in small["events"])
    assert set(counts) == {"page_view", "product_click", "add_to_cart", "purchase"}
    views, clicks = counts["page_view"], counts["product_click"]
    assert views > clicks > counts["add_to_cart"] > counts["purchase"]


def test_products_and_quantities_by_event_type(small):
    product_ids = {p["product_id"] for p in small["products"]}
    for e in small["events"]:
        if e["event_type"] == "page_view":
            assert e["product_id"] is None and e["quantity"] is None
            assert e["page_url"] == "/home" or e["page_url"].startswith("/category/")
        else:
            assert e["product_id"] in product_ids
        if e["event_type"] == "product_click":
            assert e["quantity"] is None and e["page_url"] == f"/product/{e['product_id']}"
        if e["event_type"] in ("add_to_cart", "purchase"):
            assert e["quantity"] in (1, 2, 3)
            assert e["page_url"] == ("/cart" if e["event_type"] == "add_to_cart" else "/checkout")


def test_timestamps_increase_within_sessions_and_stay_in_window(small):
    for evs in _by_session(small["events"]).values():
        times = [e["timestamp"].astimezone(UTC) for e in evs]  # ordered by slot
        assert evs[0]["event_type"] == "page_view"
        assert START <= times[0] and times[-1] < END
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        assert all(2 <= g <= 300 for g in gaps), gaps


def test_session_attributes_constant_within_session(small):
    for evs in _by_session(small["events"]).values():
        for col in ("user_id", "device", "browser", "referrer"):
            assert len({e[col] for e in evs}) == 1, col
    assert {e["device"] for e in small["events"]} == {"mobile", "desktop", "tablet"}
    assert {e["referrer"] for e in small["events"]} == {"direct", "search", "social", "email",
                                                        "ads"}


def test_hour_of_day_has_evening_peak_and_night_trough(ctx):
    events = _rows(_run(ctx, sessions=3000, events_per_session=[1, 1])["events"])
    hours = Counter(e["timestamp"].astimezone(UTC).hour for e in events)
    evening = sum(hours[h] for h in range(18, 23))
    night = sum(hours[h] for h in range(1, 6))
    assert evening > 4 * night


def test_returning_share_concentrates_sessions_on_core_users(ctx):
    events = _rows(_run(ctx, users=100, returning_user_share=1.0)["events"])
    per_user = Counter({e["session_id"]: e["user_id"] for e in events}.values())
    assert len(per_user) <= math.ceil(100 * 0.2)
    spread = _rows(_run(ctx, users=100, returning_user_share=0.0)["events"])
    assert len({e["user_id"] for e in spread}) > 80


# ------------------------------------------------------------------ determinism
def _sorted(df) -> list[tuple]:
    return sorted(tuple(r) for r in df.collect())


def test_same_params_same_rows_whatever_the_partitioning(spark, ctx, small):
    before = {name: sorted(tuple(r.values()) for r in small[name])
              for name in ("events", "users", "products")}
    old = {k: spark.conf.get(k, None) for k in ("spark.sql.leafNodeDefaultParallelism",
                                                "spark.sql.shuffle.partitions")}
    try:
        spark.conf.set("spark.sql.leafNodeDefaultParallelism", "5")
        spark.conf.set("spark.sql.shuffle.partitions", "7")
        out = _run(ctx)
        assert out["events"].rdd.getNumPartitions() == 5
        for name, rows in before.items():
            assert _sorted(out[name]) == rows, name
    finally:
        for k, v in old.items():
            spark.conf.unset(k) if v is None else spark.conf.set(k, v)


def test_events_are_generated_without_a_shuffle(ctx):
    """The per-session windows reuse spark.range's partitioning: 10M events never shuffle."""
    plan = _run(ctx)["events"]._jdf.queryExecution().executedPlan().toString()
    assert "Window" in plan and "Exchange" not in plan


def test_different_seed_different_data(ctx, small):
    other = _rows(_run(ctx, seed=8)["events"])
    assert {(e["event_id"], e["event_type"]) for e in other} != {
        (e["event_id"], e["event_type"]) for e in small["events"]}


def test_events_per_session_min_above_max_is_rejected(ctx):
    with pytest.raises(ValueError, match="events_per_session"):
        _run(ctx, events_per_session=[5, 2])


# ------------------------------------------------------------------ malformed rows
def _parses_timestamp(value: str | None) -> bool:
    try:
        datetime.fromisoformat(value)
        return True
    except (TypeError, ValueError):
        return False


def _parses_quantity(value: str | None) -> bool:
    if value is None:
        return True
    try:
        int(value)
        return True
    except ValueError:
        return False


def test_malformed_rate_breaks_about_that_share_and_nothing_else(ctx, small):
    rate = 0.1
    broken_run = {e["event_id"]: e for e in _rows(_run(ctx, malformed_rate=rate)["events"])}
    clean = {e["event_id"]: e for e in small["events"]}
    assert broken_run.keys() == clean.keys()
    broken = set()
    for eid, e in broken_run.items():
        ts_ok, qty_ok = _parses_timestamp(e["timestamp"]), _parses_quantity(e["quantity"])
        assert ts_ok or qty_ok  # never both broken
        if not (ts_ok and qty_ok):
            broken.add(eid)
            continue
        ref = clean[eid]  # an intact row equals the malformed_rate=0 row, values and all
        assert datetime.fromisoformat(e["timestamp"]) == ref["timestamp"].astimezone(UTC)
        assert (None if e["quantity"] is None else int(e["quantity"])) == ref["quantity"]
        for col in ("session_id", "user_id", "event_type", "product_id", "page_url", "device"):
            assert e[col] == ref[col]
    n = len(clean)
    sigma = math.sqrt(n * rate * (1 - rate))
    assert abs(len(broken) - n * rate) < 5 * sigma
    kinds = Counter("ts" if not _parses_timestamp(broken_run[i]["timestamp"]) else "qty"
                    for i in broken)
    assert kinds["ts"] > 0 and kinds["qty"] > 0


def test_malformed_rate_one_breaks_every_row(ctx):
    events = _rows(_run(ctx, sessions=20, malformed_rate=1.0)["events"])
    assert all(not (_parses_timestamp(e["timestamp"]) and _parses_quantity(e["quantity"]))
               for e in events)


def test_malformed_rows_are_exactly_the_csv_reader_rejects(spark, ctx, tmp_path):
    """Land as CSV and read back with the declared schema: corrupt records = broken rows."""
    events = _run(ctx, sessions=150, malformed_rate=0.05)["events"]
    expected = sum(1 for e in _rows(events)
                   if not (_parses_timestamp(e["timestamp"]) and _parses_quantity(e["quantity"])))
    assert expected > 0
    events.write.csv(str(tmp_path / "events"), header=True)
    declared = yaml.safe_load((ROOT / "pipelines/schemas/events.yaml").read_text())["columns"]
    ddl = ", ".join(f"`{k}` {v}" for k, v in declared.items()) + ", `_corrupt` string"
    read = (spark.read.schema(ddl).option("header", True)
            .option("columnNameOfCorruptRecord", "_corrupt").csv(str(tmp_path / "events")))
    rows = read.collect()
    assert sum(1 for r in rows if r["_corrupt"] is not None) == expected
    assert len(rows) == events.count()


def test_size_estimate_is_close_to_what_lands(small, tmp_path):
    """`jit: auto` sizes a run from the estimate before generating: within 25% of the bytes the
    tables take as landed CSV."""
    from framework.runtime.landing import land_tables

    land_tables(small["frames"], str(tmp_path), "csv")
    landed = sum(f.stat().st_size for f in tmp_path.rglob("*.csv"))
    assert gen.estimate_bytes(dict(SMALL)) == pytest.approx(landed, rel=0.25)

"""The synthetic `clickstream` generator: users, products and session events, computed by Spark.

This module owns the shape of the seed project's raw data. Every value is a column expression over
`spark.range` ids (sessions explode into their events inside one row, through array functions), so
nothing is materialised in the driver and generation is map-only: no shuffle, any number of cores.

Randomness never comes from `rand()`: each draw is `xxhash64(seed, salt, entity id, slot)` mapped to
[0, 1), so the same params give the same rows whatever the partitioning or shuffle settings.

Modelling choices (documented here once):
- products: `P00001`.. ; category = the id's position modulo 8 (so "products of category c" is an
  arithmetic series a session can draw from); price ends in .99 and is skewed towards the cheap end
  of its category's range.
- users: `U000001`.. ; signed up during the year before `start_date`; weighted country and age mix.
- sessions: `S000000001`.. ; a `returning_user_share` of sessions is drawn from a core pool of
  20% of the users (skewed, so a few users have many sessions), the rest uniformly from all
  users. Start time: day with a weekday pattern (weekend busier), hour of day with a night trough
  and an evening peak.
  A session starts early enough that its last event still falls inside the `days` window.
- events: `E000000001-0001` (session number, slot). Slot 1 is always a page_view. Each session has
  an intent (browse / cart / buy, depending on device and referrer) that sets the event-type mix; an
  add_to_cart picks a product clicked earlier in the session when there is one; a purchase copies
  product and quantity of an add_to_cart earlier in the same session (with none, it becomes a
  product_click). Gaps between events are 2..300 seconds (exponential, mean ~40s).
- quantity: 1-3 for add_to_cart / purchase, empty (null) for page_view / product_click.
- types: with `malformed_rate` 0 (the default) `timestamp` is a timestamp and `quantity` an int.
  With `malformed_rate` > 0 both are strings (timestamps rendered as Spark's CSV default
  `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`), and each event is broken with probability `malformed_rate`
  (an independent hash draw): either `timestamp` becomes "not-a-timestamp" or `quantity` becomes
  "two" (never both). The broken rows are exactly the rows whose timestamp or quantity do not parse;
  all other rows are identical to the `malformed_rate: 0` output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from framework.registry import generator

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

CATEGORIES: tuple[tuple[str, str, int, int, tuple[str, ...]], ...] = (
    # name, url slug, price low, price high, nouns
    ("Electronics", "electronics", 19, 1499,
     ("Headphones", "Speaker", "Smartwatch", "Tablet", "Camera", "Charger")),
    ("Clothing", "clothing", 9, 149, ("T-Shirt", "Jacket", "Jeans", "Sneakers", "Hoodie", "Dress")),
    ("Home & Kitchen", "home-kitchen", 12, 399,
     ("Blender", "Cookware Set", "Lamp", "Coffee Maker", "Towel Set", "Knife Block")),
    ("Books", "books", 4, 59, ("Novel", "Cookbook", "Biography", "Guide", "Atlas", "Anthology")),
    ("Sports & Outdoors", "sports-outdoors", 9, 499,
     ("Yoga Mat", "Tent", "Bicycle Helmet", "Dumbbells", "Backpack", "Running Shoes")),
    ("Beauty", "beauty", 4, 89,
     ("Serum", "Lipstick", "Shampoo", "Perfume", "Face Cream", "Palette")),
    ("Toys & Games", "toys-games", 7, 129,
     ("Puzzle", "Board Game", "Building Set", "Plush", "RC Car", "Card Game")),
    ("Grocery", "grocery", 1, 39, ("Coffee", "Tea", "Olive Oil", "Chocolate", "Granola", "Honey")),
)
ADJECTIVES = ("Classic", "Premium", "Smart", "Eco", "Ultra", "Compact", "Deluxe", "Essential",
              "Pro", "Urban", "Vintage", "Everyday")
COUNTRIES = (("US", 34), ("GB", 12), ("DE", 10), ("IN", 10), ("FR", 8), ("CA", 8), ("BR", 7),
             ("AU", 5), ("JP", 4), ("ES", 2))
AGE_GROUPS = (("18-24", 18), ("25-34", 31), ("35-44", 23), ("45-54", 15), ("55-64", 8), ("65+", 5))
DEVICES = (("mobile", 55), ("desktop", 35), ("tablet", 10))
BROWSERS = {  # by device; mixed case on purpose (clean_events lower-cases)
    "mobile": (("Chrome", 50), ("Safari", 40), ("Samsung Internet", 10)),
    "desktop": (("Chrome", 60), ("Firefox", 14), ("Edge", 14), ("Safari", 12)),
    "tablet": (("Safari", 55), ("Chrome", 45)),
}
REFERRERS = (("direct", 30), ("search", 30), ("social", 15), ("email", 10), ("ads", 15))
HOUR_WEIGHTS = (2.0, 1.2, 0.8, 0.6, 0.6, 0.8, 1.5, 2.5, 3.5, 4.0, 4.3, 4.5,
                5.0, 4.8, 4.5, 4.5, 4.8, 5.5, 6.5, 7.5, 8.0, 7.5, 5.5, 3.5)
WEEKDAY_WEIGHTS = (1.0, 0.95, 0.95, 1.0, 1.05, 1.25, 1.2)  # Mon..Sun
BUY_BASE, CART_BASE = 0.14, 0.22  # session intent shares before device/referrer factors
DEVICE_BUY_FACTOR = (("desktop", 1.3), ("tablet", 1.0), ("mobile", 0.8))
REFERRER_BUY_FACTOR = (("email", 1.6), ("search", 1.2), ("ads", 1.1), ("direct", 1.0),
                       ("social", 0.6))
EVENT_MIX = {  # intent -> event-type weights for slots 2..n (slot 1 is always a page_view)
    "browse": (("page_view", 60), ("product_click", 40)),
    "cart": (("page_view", 45), ("product_click", 35), ("add_to_cart", 20)),
    "buy": (("page_view", 40), ("product_click", 30), ("add_to_cart", 18), ("purchase", 12)),
}
QUANTITIES = ((1, 70), (2, 20), (3, 10))
CORE_USER_FRACTION, CORE_SKEW = 0.2, 1.25
MAX_GAP_SECONDS, MEAN_GAP_SECONDS, MIN_GAP_SECONDS = 300, 40.0, 2
DAY = 86_400
BROKEN_TIMESTAMP, BROKEN_QUANTITY = "not-a-timestamp", "two"
CSV_TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
ROWS_PER_PARTITION = 200_000  # sessions explode ~x10 into events

PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "users": {"type": "integer", "minimum": 1, "default": 1000,
                  "description": "number of users (U000001..)"},
        "products": {"type": "integer", "minimum": 1, "default": 500,
                     "description": "number of products (P00001..), 8 categories"},
        "sessions": {"type": "integer", "minimum": 1, "default": 10000,
                     "description": "number of sessions (S000000001..)"},
        "events_per_session": {
            "type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 1000},
            "minItems": 2, "maxItems": 2, "default": [3, 20],
            "description": "[min, max] events per session, uniform, inclusive",
        },
        "days": {"type": "integer", "minimum": 1, "default": 30,
                 "description": "length of the activity window in days"},
        "start_date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "default": "2026-01-01",
                       "description": "first day of the window (UTC), YYYY-MM-DD"},
        "seed": {"type": "integer", "default": 42, "description": "same seed, same data"},
        "returning_user_share": {
            "type": "number", "minimum": 0, "maximum": 1, "default": 0.6,
            "description": "share of sessions by the core 20% of users (returning customers)",
        },
        "malformed_rate": {
            "type": "number", "minimum": 0, "maximum": 1, "default": 0.0,
            "description": "probability that an event row gets an unparseable timestamp or "
                           "quantity (for exercising quarantine); > 0 makes both columns strings",
        },
    },
}


def _F() -> Any:
    from pyspark.sql import functions as F

    return F


def resolve_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """The params with schema defaults filled in, checked beyond what JSON Schema can say."""
    props = PARAMS["properties"]
    out = {k: spec["default"] for k, spec in props.items()}
    out.update(params or {})
    for key, spec in props.items():  # tolerate "${var}"-substituted numbers arriving as strings
        cast = {"integer": int, "number": float}.get(spec["type"])
        out[key] = cast(out[key]) if cast else out[key]
    lo, hi = (int(v) for v in out["events_per_session"])
    out["events_per_session"] = [lo, hi]
    if lo > hi:
        raise ValueError(f"events_per_session: min {lo} is greater than max {hi}")
    date.fromisoformat(out["start_date"])
    return out


def unit(seed: int, salt: str, *cols: Column | str) -> Column:
    """A uniform draw in [0, 1) from a hash of (seed, salt, cols): deterministic, row-local."""
    F = _F()
    h = F.xxhash64(F.lit(seed), F.lit(salt), *cols)
    return F.shiftrightunsigned(h, 11).cast("double") / float(2**53)


def pick(u: Column, choices: Sequence[tuple[Any, float]]) -> Column:
    """The value whose cumulative-weight bucket holds u (weights need not sum to 1)."""
    F = _F()
    total = float(sum(w for _, w in choices))
    expr, acc = None, 0.0
    for value, weight in choices[:-1]:
        acc += weight / total
        expr = F.when(u < acc, F.lit(value)) if expr is None else expr.when(u < acc, F.lit(value))
    last = F.lit(choices[-1][0])
    return last if expr is None else expr.otherwise(last)


def lookup(key: Column, mapping: Sequence[tuple[Any, Any]]) -> Column:
    """`CASE key WHEN k THEN v ...` for a small constant mapping."""
    F = _F()
    expr = None
    for k, v in mapping:
        expr = F.when(key == k, F.lit(v)) if expr is None else expr.when(key == k, F.lit(v))
    return expr


def _base_partitions(ctx: Any) -> int | None:
    """spark.sql.leafNodeDefaultParallelism when set, else the cluster's default parallelism."""
    conf = ctx.spark.conf.get("spark.sql.leafNodeDefaultParallelism", None)
    if conf:
        return int(conf)
    try:
        return int(ctx.spark.sparkContext.defaultParallelism)
    except Exception:  # Spark Connect has no SparkContext: let spark.range decide
        return None


def _range(ctx: Any, n: int) -> DataFrame:
    """1-based ids 1..n over the base partition count, more when a partition would be too big.

    Partitioning only spreads the work: every value depends on the id alone.
    """
    base = _base_partitions(ctx)
    needed = math.ceil(n / ROWS_PER_PARTITION)
    parts = max(base, needed) if base else (needed if needed > 1 else None)
    return ctx.spark.range(1, n + 1, 1, parts)


# ---------------------------------------------------------------- products
def products_df(ctx: Any, p: dict[str, Any]) -> DataFrame:
    F = _F()
    seed, cat = p["seed"], F.pmod(F.col("id") - 1, F.lit(len(CATEGORIES))).cast("int") + 1
    nouns = F.array(*[F.array(*[F.lit(n) for n in c[4]]) for c in CATEGORIES])
    noun_idx = (unit(seed, "noun", "id") * 6).cast("int") + 1
    adj = F.element_at(F.array(*[F.lit(a) for a in ADJECTIVES]),
                       (unit(seed, "adj", "id") * len(ADJECTIVES)).cast("int") + 1)
    lo = F.element_at(F.array(*[F.lit(c[2]) for c in CATEGORIES]), cat)
    hi = F.element_at(F.array(*[F.lit(c[3]) for c in CATEGORIES]), cat)
    u = unit(seed, "price", "id")
    price = F.floor(lo + (hi - lo) * u * u) + F.lit(0.99)
    return _range(ctx, p["products"]).select(
        F.format_string("P%05d", "id").alias("product_id"),
        F.concat_ws(" ", adj, F.element_at(F.element_at(nouns, cat), noun_idx),
                    F.col("id").cast("string")).alias("product_name"),
        F.element_at(F.array(*[F.lit(c[0]) for c in CATEGORIES]), cat).alias("category"),
        price.cast("decimal(10,2)").alias("price"),
    )


# ---------------------------------------------------------------- users
def users_df(ctx: Any, p: dict[str, Any]) -> DataFrame:
    F = _F()
    seed = p["seed"]
    days_before = (unit(seed, "signup", "id") * 365).cast("int") + 1
    return _range(ctx, p["users"]).select(
        F.format_string("U%06d", "id").alias("user_id"),
        F.date_sub(F.lit(p["start_date"]).cast("date"), days_before).alias("signup_date"),
        pick(unit(seed, "country", "id"), COUNTRIES).alias("country"),
        pick(unit(seed, "age", "id"), AGE_GROUPS).alias("age_group"),
    )


# ---------------------------------------------------------------- sessions
def _stride(n: int) -> int:
    """A step coprime with n: j -> (j * stride) mod n spreads the core users over all ids."""
    stride = max(1, int(n * 0.618))
    while math.gcd(stride, n) != 1:
        stride += 1
    return stride


def _session_user(p: dict[str, Any]) -> Column:
    F = _F()
    seed, n = p["seed"], p["users"]
    pool = max(1, math.ceil(n * CORE_USER_FRACTION))
    u = unit(seed, "upick", "id")
    rank = (F.pow(u, CORE_SKEW) * pool).cast("long")  # low ranks are the most frequent visitors
    core = F.pmod(rank * _stride(n), F.lit(n)) + 1
    anyone = (u * n).cast("long") + 1
    returning = unit(seed, "returning", "id") < p["returning_user_share"]
    return F.format_string("U%06d", F.when(returning, core).otherwise(anyone))


def _session_day(p: dict[str, Any]) -> Column:
    """Day index in [0, days), weekday-weighted by acceptance over three hashed candidates."""
    F = _F()
    seed, days = p["seed"], p["days"]
    first_weekday = date.fromisoformat(p["start_date"]).weekday()
    weights = F.array(*[F.lit(w / max(WEEKDAY_WEIGHTS)) for w in WEEKDAY_WEIGHTS])
    cands = [(unit(seed, f"day{i}", "id") * days).cast("int") for i in range(3)]
    accepted = [
        F.when(unit(seed, f"dayok{i}", "id")
               < F.element_at(weights, F.pmod(d + first_weekday, F.lit(7)) + 1), d)
        for i, d in enumerate(cands[:2])
    ]
    return F.coalesce(*accepted, cands[2])


def _session_start(p: dict[str, Any]) -> Column:
    """Epoch seconds of the first event; late starts are clamped so the session ends in range."""
    F = _F()
    seed = p["seed"]
    hour = pick(unit(seed, "hour", "id"), list(enumerate(HOUR_WEIGHTS)))
    offset = (_session_day(p).cast("long") * DAY + hour * 3600
              + (unit(seed, "second", "id") * 3600).cast("long"))
    max_span = (p["events_per_session"][1] - 1) * MAX_GAP_SECONDS
    latest = max(0, p["days"] * DAY - 1 - max_span)
    start = datetime.fromisoformat(p["start_date"]).replace(tzinfo=UTC)
    return F.lit(int(start.timestamp())) + F.least(offset, F.lit(latest))


def _intent(seed: int) -> Column:
    """browse / cart / buy: buying is likelier on desktop and from email or search."""
    F = _F()
    factor = lookup(F.col("device"), DEVICE_BUY_FACTOR) * lookup(F.col("referrer"),
                                                                   REFERRER_BUY_FACTOR)
    u = unit(seed, "intent", "id")
    buy = F.lit(BUY_BASE) * factor
    return (F.when(u < buy, "buy").when(u < buy + CART_BASE, "cart").otherwise("browse"))


def sessions_df(ctx: Any, p: dict[str, Any]) -> DataFrame:
    F = _F()
    seed, (lo, hi) = p["seed"], p["events_per_session"]
    browser = F.coalesce(*[
        F.when(F.col("device") == dev, pick(unit(seed, "browser", "id"), mix))
        for dev, mix in BROWSERS.items()
    ])
    return (
        _range(ctx, p["sessions"])
        .withColumn("user_id", _session_user(p))
        .withColumn("device", pick(unit(seed, "device", "id"), DEVICES))
        .withColumn("browser", browser)
        .withColumn("referrer", pick(unit(seed, "referrer", "id"), REFERRERS))
        .withColumn("intent", _intent(seed))
        .withColumn("interest", (unit(seed, "interest", "id") * len(CATEGORIES)).cast("int"))
        .withColumn("n_events", (unit(seed, "nevents", "id") * (hi - lo + 1)).cast("int") + lo)
        .withColumn("start_epoch", _session_start(p))
    )


# ---------------------------------------------------------------- events
def _fresh_product(p: dict[str, Any], k: Column) -> Column:
    """A product id number: 75% from the session's interest category, popularity-skewed."""
    F = _F()
    seed, n, cats = p["seed"], p["products"], len(CATEGORIES)
    u = unit(seed, "product", "id", k)
    skew = u * u
    in_category = F.floor((F.lit(n) - F.col("interest") - 1) / cats) + 1  # ids c+1, c+1+8, ...
    from_interest = F.col("interest") + 1 + cats * (skew * in_category).cast("long")
    anywhere = (skew * n).cast("long") + 1
    use_interest = (unit(seed, "in_interest", "id", k) < 0.75) & (in_category > 0)
    return F.when(use_interest, from_interest).otherwise(anywhere)


def _gap(seed: int, k: Column) -> Column:
    """Seconds since the previous event: 0 for slot 1, else exponential in [2, 300]."""
    F = _F()
    u = unit(seed, "gap", "id", k)
    raw = F.lit(MIN_GAP_SECONDS) + F.floor(-MEAN_GAP_SECONDS * F.log1p(-u))
    return F.when(k == 1, F.lit(0)).otherwise(F.least(raw, F.lit(MAX_GAP_SECONDS))).cast("long")


def _raw_slot(p: dict[str, Any], k: Column) -> Column:
    """Layer 1 of a session's events: type drawn from the intent mix, a fresh product, gap, qty."""
    F = _F()
    seed = p["seed"]
    u = unit(seed, "type", "id", k)
    mix = F.coalesce(*[F.when(F.col("intent") == i, pick(u, w)) for i, w in EVENT_MIX.items()])
    return F.struct(
        k.alias("k"),
        F.when(k == 1, F.lit("page_view")).otherwise(mix).alias("type"),
        _fresh_product(p, k).alias("fresh"),
        _gap(seed, k).alias("gap"),
        pick(unit(seed, "qty", "id", k), QUANTITIES).alias("qty"),
    )


def _choose(seed: int, salt: str, arr: Column, k: Column) -> Column:
    """One element of a non-empty array, chosen by hash."""
    F = _F()
    return F.element_at(arr, (unit(seed, salt, "id", k) * F.size(arr)).cast("int") + 1)


def _with_carts(seed: int, slots: Column) -> Column:
    """Layer 2: an add_to_cart takes a product clicked earlier in the session when there is one."""
    F = _F()

    def one(s: Column) -> Column:
        clicks = F.filter(slots, lambda t: (t["k"] < s["k"]) & (t["type"] == "product_click"))
        clicked = _choose(seed, "cartpick", clicks, s["k"])["fresh"]
        cart_product = F.when(F.size(clicks) > 0, clicked)
        product = F.when(s["type"] == "product_click", s["fresh"]).when(
            s["type"] == "add_to_cart", F.coalesce(cart_product, s["fresh"]))
        return F.struct(s["k"].alias("k"), s["type"].alias("type"), s["fresh"].alias("fresh"),
                        product.alias("product"), s["gap"].alias("gap"), s["qty"].alias("qty"))

    return F.transform(slots, one)


def _with_purchases(seed: int, slots: Column) -> Column:
    """Layer 3: a purchase copies an earlier add_to_cart (product, qty) or becomes a click."""
    F = _F()

    def one(s: Column) -> Column:
        carts = F.filter(slots, lambda t: (t["k"] < s["k"]) & (t["type"] == "add_to_cart"))
        is_purchase = s["type"] == "purchase"
        has_cart = F.size(carts) > 0
        cart = _choose(seed, "buypick", carts, s["k"])
        kind = F.when(is_purchase & ~has_cart, F.lit("product_click")).otherwise(s["type"])
        product = F.when(is_purchase & has_cart, cart["product"]).when(
            is_purchase, s["fresh"]).otherwise(s["product"])
        qty = F.when(is_purchase & has_cart, cart["qty"]).when(
            s["type"] == "add_to_cart", s["qty"])
        offset = F.aggregate(F.filter(slots, lambda t: t["k"] <= s["k"]), F.lit(0).cast("long"),
                             lambda acc, t: acc + t["gap"])
        return F.struct(s["k"].alias("k"), kind.alias("event_type"), product.alias("product"),
                        qty.alias("quantity"), offset.alias("offset"))

    return F.transform(slots, one)


def _page_url(seed: int) -> Column:
    F = _F()
    slugs = F.array(*[F.lit(c[1]) for c in CATEGORIES])
    other = (unit(seed, "urlcat", "id", "k") * len(CATEGORIES)).cast("int")
    cat = F.when(unit(seed, "urlinterest", "id", "k") < 0.7, F.col("interest")).otherwise(other)
    home_share = F.when(F.col("k") == 1, 0.5).otherwise(0.3)
    view = F.when(unit(seed, "urlhome", "id", "k") < home_share, F.lit("/home")).otherwise(
        F.concat(F.lit("/category/"), F.element_at(slugs, cat + 1)))
    product_page = F.concat(F.lit("/product/"), "product_id")
    return (F.when(F.col("event_type") == "page_view", view)
            .when(F.col("event_type") == "product_click", product_page)
            .when(F.col("event_type") == "add_to_cart", F.lit("/cart"))
            .otherwise(F.lit("/checkout")))


def _malform(df: DataFrame, p: dict[str, Any]) -> DataFrame:
    """Strings for timestamp and quantity; a `malformed_rate` share of rows gets one broken."""
    F = _F()
    seed = p["seed"]
    broken = unit(seed, "malformed", "id", "k") < p["malformed_rate"]
    ts_broken = broken & (unit(seed, "malformed_kind", "id", "k") < 0.5)
    qty_broken = broken & ~ts_broken
    return (
        df.withColumn("timestamp", F.when(ts_broken, F.lit(BROKEN_TIMESTAMP))
                      .otherwise(F.date_format("timestamp", CSV_TIMESTAMP_FORMAT)))
        .withColumn("quantity", F.when(qty_broken, F.lit(BROKEN_QUANTITY))
                    .otherwise(F.col("quantity").cast("string")))
    )


EVENT_COLUMNS = ("event_id", "session_id", "user_id", "event_type", "product_id", "timestamp",
                 "device", "browser", "referrer", "page_url", "quantity")


def events_df(ctx: Any, p: dict[str, Any]) -> DataFrame:
    F = _F()
    seed = p["seed"]
    raw = F.transform(F.sequence(F.lit(1), F.col("n_events")), lambda k: _raw_slot(p, k))
    events = (  # one column per layer, so each array is computed once, not inlined per use
        sessions_df(ctx, p)
        .withColumn("slots", raw)
        .withColumn("slots", _with_carts(seed, F.col("slots")))
        .withColumn("e", F.explode(_with_purchases(seed, F.col("slots"))))
        .select("*", "e.*")
        .withColumn("product_id", F.when(F.col("product").isNotNull(),
                                         F.format_string("P%05d", "product")))
        .withColumn("event_id", F.format_string("E%09d-%04d", "id", "k"))
        .withColumn("session_id", F.format_string("S%09d", "id"))
        .withColumn("timestamp", F.timestamp_seconds(F.col("start_epoch") + F.col("offset")))
        .withColumn("quantity", F.col("quantity").cast("int"))
    )
    events = events.withColumn("page_url", _page_url(seed))
    if p["malformed_rate"] > 0:
        events = _malform(events, p)
    return events.select(*EVENT_COLUMNS)


@generator("clickstream", params=PARAMS, outputs=("events", "users", "products"))
def clickstream(ctx: Any, params: dict[str, Any]) -> dict[str, DataFrame]:
    """E-commerce clickstream: users, products and session events with a realistic funnel.

    Sessions carry a user (returning customers concentrate on a core pool), device, browser,
    referrer and a start time with daily and weekly patterns; events follow
    page_view > product_click > add_to_cart > purchase, a purchase always following an
    add_to_cart of the same product in the same session. Everything is computed by Spark from
    hashes of (seed, id, slot): same params, same rows, at any scale.
    With `malformed_rate` > 0, `timestamp` and `quantity` are strings and about that share of
    event rows carries an unparseable timestamp ("not-a-timestamp") or quantity ("two").

    Example:
      generators:
        shop:
          generator: clickstream
          params: {users: 1000, products: 500, sessions: 10000, events_per_session: [3, 20],
                   days: 30, start_date: "2026-01-01", seed: 42, malformed_rate: 0.001}
          landing: {path: raw, format: csv}
    """
    p = resolve_params(params)
    ctx.info(f"generating {p['sessions']} sessions for {p['users']} users over {p['days']} days "
             f"from {p['start_date']} (seed {p['seed']})")
    return {"events": events_df(ctx, p), "users": users_df(ctx, p),
            "products": products_df(ctx, p)}

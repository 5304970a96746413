"""The synthetic `clickstream` generator: users, products and session events, computed by Spark.

This module owns the shape of the seed project's raw data. Every value is a column expression over
`spark.range` ids (sessions explode into one row per event slot; what a slot depends on earlier in
its session comes from window functions over the session, which `spark.range`'s partitioning keeps
in one partition), so nothing is materialised in the driver and no shuffle runs, on any number of
cores.

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
    from pyspark.sql import DataFrame

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


def lit(value: Any) -> str:
    """A Spark SQL literal. Floats get a D suffix: a bare 0.5 would be a DECIMAL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value!r}D"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def array(values: Sequence[Any]) -> str:
    return f"array({', '.join(lit(v) for v in values)})"


def unit(seed: int, salt: str, *cols: str) -> str:
    """SQL for a uniform draw in [0, 1) from a hash of (seed, salt, cols): row-local, repeatable."""
    args = ", ".join([lit(seed), lit(salt), *cols])
    return f"(CAST(shiftrightunsigned(xxhash64({args}), 11) AS DOUBLE) / {float(2**53)!r}D)"


def pick(u: str, choices: Sequence[tuple[Any, float]]) -> str:
    """SQL for the value whose cumulative-weight bucket holds u (weights need not sum to 1)."""
    total = float(sum(w for _, w in choices))
    whens, acc = [], 0.0
    for value, weight in choices[:-1]:
        acc += weight / total
        whens.append(f"WHEN {u} < {lit(acc)} THEN {lit(value)}")
    last = lit(choices[-1][0])
    return f"CASE {' '.join(whens)} ELSE {last} END" if whens else last


def lookup(key: str, mapping: Sequence[tuple[Any, Any]]) -> str:
    """SQL `CASE key WHEN k THEN v ...` for a small constant mapping."""
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in mapping)
    return f"CASE {key} {whens} END"


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


# Each table is a few `selectExpr` layers of SQL text: one call into the JVM per layer instead of
# thousands for a Column-by-Column build, and every draw is computed once, in its own column.

# ---------------------------------------------------------------- products
def products_df(ctx: Any, p: dict[str, Any]) -> DataFrame:
    seed, n_cat = p["seed"], len(CATEGORIES)
    nouns = f"array({', '.join(array(c[4]) for c in CATEGORIES)})"
    return _range(ctx, p["products"]).selectExpr(
        "id",
        f"CAST(pmod(id - 1, {n_cat}) AS INT) + 1 AS cat",
        f"{unit(seed, 'noun', 'id')} AS u_noun",
        f"{unit(seed, 'adj', 'id')} AS u_adj",
        f"{unit(seed, 'price', 'id')} AS u_price",
    ).selectExpr(
        "*",
        f"element_at({array([c[2] for c in CATEGORIES])}, cat) AS lo",
        f"element_at({array([c[3] for c in CATEGORIES])}, cat) AS hi",
    ).selectExpr(
        "format_string('P%05d', id) AS product_id",
        f"concat_ws(' ', element_at({array(ADJECTIVES)},"
        f" CAST(u_adj * {len(ADJECTIVES)} AS INT) + 1),"
        f" element_at(element_at({nouns}, cat), CAST(u_noun * 6 AS INT) + 1),"
        " CAST(id AS STRING)) AS product_name",
        f"element_at({array([c[0] for c in CATEGORIES])}, cat) AS category",
        "CAST(floor(lo + (hi - lo) * u_price * u_price) + 0.99D AS DECIMAL(10,2)) AS price",
    )


# ---------------------------------------------------------------- users
def users_df(ctx: Any, p: dict[str, Any]) -> DataFrame:
    seed = p["seed"]
    return _range(ctx, p["users"]).selectExpr(
        "id",
        f"{unit(seed, 'signup', 'id')} AS u_signup",
        f"{unit(seed, 'country', 'id')} AS u_country",
        f"{unit(seed, 'age', 'id')} AS u_age",
    ).selectExpr(
        "format_string('U%06d', id) AS user_id",
        f"date_sub(DATE {lit(p['start_date'])}, CAST(u_signup * 365 AS INT) + 1) AS signup_date",
        f"{pick('u_country', COUNTRIES)} AS country",
        f"{pick('u_age', AGE_GROUPS)} AS age_group",
    )


# ---------------------------------------------------------------- sessions
def _stride(n: int) -> int:
    """A step coprime with n: j -> (j * stride) mod n spreads the core users over all ids."""
    stride = max(1, int(n * 0.618))
    while math.gcd(stride, n) != 1:
        stride += 1
    return stride


def _session_user(p: dict[str, Any]) -> str:
    """Returning sessions come from a core pool (low ranks most often), the rest from anyone."""
    n = p["users"]
    pool = max(1, math.ceil(n * CORE_USER_FRACTION))
    core = f"pmod(CAST(pow(u_upick, {lit(CORE_SKEW)}) * {pool} AS BIGINT) * {_stride(n)}, {n}) + 1"
    anyone = f"CAST(u_upick * {n} AS BIGINT) + 1"
    returning = f"u_returning < {lit(float(p['returning_user_share']))}"
    return f"format_string('U%06d', CASE WHEN {returning} THEN {core} ELSE {anyone} END)"


def _session_start(p: dict[str, Any]) -> str:
    """Epoch seconds of the first event: a day weighted by weekday (acceptance over three hashed
    candidates), an hour with a night trough and an evening peak; late starts are clamped so the
    session ends in the window."""
    days = p["days"]
    first_weekday = date.fromisoformat(p["start_date"]).weekday()
    weights = array([w / max(WEEKDAY_WEIGHTS) for w in WEEKDAY_WEIGHTS])
    cands = [f"CAST(u_day{i} * {days} AS INT)" for i in range(3)]
    accepted = [f"CASE WHEN u_dayok{i} < element_at({weights}, pmod({d} + {first_weekday}, 7) + 1)"
                f" THEN {d} END" for i, d in enumerate(cands[:2])]
    day = f"coalesce({accepted[0]}, {accepted[1]}, {cands[2]})"
    hour = pick("u_hour", list(enumerate(HOUR_WEIGHTS)))
    offset = f"CAST({day} AS BIGINT) * {DAY} + ({hour}) * 3600 + CAST(u_second * 3600 AS BIGINT)"
    max_span = (p["events_per_session"][1] - 1) * MAX_GAP_SECONDS
    latest = max(0, days * DAY - 1 - max_span)
    start = int(datetime.fromisoformat(p["start_date"]).replace(tzinfo=UTC).timestamp())
    return f"{start} + least({offset}, {latest})"


SESSION_DRAWS = ("upick", "returning", "device", "browser", "referrer", "intent", "interest",
                 "nevents", "day0", "day1", "day2", "dayok0", "dayok1", "hour", "second")


def sessions_df(ctx: Any, p: dict[str, Any]) -> DataFrame:
    seed, (lo, hi) = p["seed"], p["events_per_session"]
    browser = " ".join(f"WHEN device = {lit(dev)} THEN {pick('u_browser', mix)}"
                       for dev, mix in BROWSERS.items())
    factor = (f"({lookup('device', DEVICE_BUY_FACTOR)})"
              f" * ({lookup('referrer', REFERRER_BUY_FACTOR)})")
    buy = f"{lit(BUY_BASE)} * {factor}"
    intent = (f"CASE WHEN u_intent < {buy} THEN 'buy' WHEN u_intent < {buy} + {lit(CART_BASE)}"
              f" THEN 'cart' ELSE 'browse' END")
    draws = [f"{unit(seed, d, 'id')} AS u_{d}" for d in SESSION_DRAWS]
    return (
        _range(ctx, p["sessions"])
        .selectExpr("id", *draws)
        .selectExpr(
            "id", "u_browser", "u_intent",
            f"{_session_user(p)} AS user_id",
            f"{pick('u_device', DEVICES)} AS device",
            f"{pick('u_referrer', REFERRERS)} AS referrer",
            f"CAST(u_interest * {len(CATEGORIES)} AS INT) AS interest",
            f"CAST(u_nevents * {hi - lo + 1} AS INT) + {lo} AS n_events",
            f"{_session_start(p)} AS start_epoch",
        )
        .selectExpr("id", "user_id", "device", f"CASE {browser} END AS browser", "referrer",
                    f"{intent} AS intent", "interest", "n_events", "start_epoch")
    )


# ---------------------------------------------------------------- events
# One row per event slot k = 1..n_events of a session. What an event depends on earlier in its
# session (the products clicked so far, the carts so far, the time offset) comes from window
# functions over the session's slots. The sessions come from `spark.range`, whose range
# partitioning already groups every session's slots in one partition: no shuffle is needed.
SLOT_DRAWS = (("type", "type"), ("product", "product"), ("in_interest", "in_interest"),
              ("gap", "gap"), ("qty", "qty"), ("cart", "cartpick"), ("buy", "buypick"))
EARLIER = "(PARTITION BY id ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
SO_FAR = "(PARTITION BY id ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"


def _slot_type(p: dict[str, Any]) -> str:
    """Slot 1 is a page_view; later slots draw a type from the session intent's mix."""
    mix = " ".join(f"WHEN intent = {lit(i)} THEN {pick('u_type', w)}"
                   for i, w in EVENT_MIX.items())
    return f"CASE WHEN k = 1 THEN 'page_view' ELSE CASE {mix} END END"


def _fresh_product(p: dict[str, Any]) -> str:
    """A product id drawn for the slot: 75% from the session's interest category, popularity
    skewed (low ids of a category most often), else from the whole catalogue."""
    n, cats = p["products"], len(CATEGORIES)
    skew = "u_product * u_product"
    in_category = f"(floor(({n} - interest - 1) / {cats}) + 1)"  # ids c+1, c+1+8, ...
    from_interest = f"interest + 1 + {cats} * CAST({skew} * {in_category} AS BIGINT)"
    anywhere = f"CAST({skew} * {n} AS BIGINT) + 1"
    return (f"CASE WHEN u_in_interest < 0.75D AND {in_category} > 0 THEN {from_interest}"
            f" ELSE {anywhere} END")


def _gap() -> str:
    """Seconds since the previous event: exponential, clamped to [2, 300]; 0 for slot 1."""
    raw = f"{MIN_GAP_SECONDS} + floor({lit(-MEAN_GAP_SECONDS)} * log1p(-u_gap))"
    return f"CAST(CASE WHEN k = 1 THEN 0 ELSE least({raw}, {MAX_GAP_SECONDS}) END AS BIGINT)"


def _one_of(items: str, u: str) -> str:
    """A hash-chosen element of an array column (null when it is empty)."""
    index = f"CAST({u} * size({items}) AS INT) + 1"
    return f"CASE WHEN size({items}) > 0 THEN element_at({items}, {index}) END"


def _page_url(seed: int) -> str:
    slugs = array([c[1] for c in CATEGORIES])
    other = f"CAST({unit(seed, 'urlcat', 'id', 'k')} * {len(CATEGORIES)} AS INT)"
    cat = f"CASE WHEN {unit(seed, 'urlinterest', 'id', 'k')} < 0.7D THEN interest ELSE {other} END"
    home_share = "CASE WHEN k = 1 THEN 0.5D ELSE 0.3D END"
    view = (f"CASE WHEN {unit(seed, 'urlhome', 'id', 'k')} < {home_share} THEN '/home'"
            f" ELSE concat('/category/', element_at({slugs}, {cat} + 1)) END")
    return (f"CASE WHEN event_type = 'page_view' THEN {view}"
            f" WHEN event_type = 'product_click' THEN concat('/product/', product_id)"
            f" WHEN event_type = 'add_to_cart' THEN '/cart' ELSE '/checkout' END")


EVENT_COLUMNS = ("event_id", "session_id", "user_id", "event_type", "product_id", "timestamp",
                 "device", "browser", "referrer", "page_url", "quantity")


def _malformed(p: dict[str, Any]) -> tuple[str, str]:
    """Strings for timestamp and quantity; a `malformed_rate` share of rows gets one broken."""
    seed = p["seed"]
    broken = f"{unit(seed, 'malformed', 'id', 'k')} < {lit(float(p['malformed_rate']))}"
    ts_broken = f"({broken} AND {unit(seed, 'malformed_kind', 'id', 'k')} < 0.5D)"
    qty_broken = f"({broken} AND NOT {ts_broken})"
    return (f"CASE WHEN {ts_broken} THEN {lit(BROKEN_TIMESTAMP)}"
            f" ELSE date_format(timestamp, {lit(CSV_TIMESTAMP_FORMAT)}) END AS timestamp",
            f"CASE WHEN {qty_broken} THEN {lit(BROKEN_QUANTITY)}"
            f" ELSE CAST(quantity AS STRING) END AS quantity")


def events_df(ctx: Any, p: dict[str, Any]) -> DataFrame:
    """Sessions explode into their event slots. A click shows a fresh product; an add_to_cart
    takes a product clicked earlier in the session when there is one (chosen by hash); a
    purchase copies an earlier add_to_cart (product and quantity) or, with none, becomes a click.
    Window functions over each session's slots carry what came before. Map-only: no shuffle."""
    seed = p["seed"]
    session_cols = ("id", "user_id", "device", "browser", "referrer", "interest", "start_epoch")
    draws = [f"{unit(seed, salt, 'id', 'k')} AS u_{name}" for name, salt in SLOT_DRAWS]
    cart_product = f"coalesce({_one_of('clicks', 'u_cart')}, fresh)"
    events = (
        sessions_df(ctx, p)
        # explode_outer: a plain explode adds a size(...) > 0 filter that computes the array
        # twice; n_events >= 1, so no row differs
        .selectExpr(*session_cols, "intent", "explode_outer(sequence(1, n_events)) AS k")
        .selectExpr(*session_cols, "intent", "k", *draws)
        .selectExpr(*session_cols, "k", "u_cart", "u_buy", f"{_slot_type(p)} AS type",
                    f"{_fresh_product(p)} AS fresh", f"{_gap()} AS gap",
                    f"{pick('u_qty', QUANTITIES)} AS qty")
        .selectExpr(*session_cols, "k", "u_cart", "u_buy", "type", "fresh", "qty",
                    "collect_list(CASE WHEN type = 'product_click' THEN fresh END)"
                    f" OVER {EARLIER} AS clicks",
                    f"sum(gap) OVER {SO_FAR} AS offset")
        .selectExpr(*session_cols, "k", "u_buy", "type", "fresh", "qty", "offset",
                    f"CASE WHEN type = 'product_click' THEN fresh"
                    f" WHEN type = 'add_to_cart' THEN {cart_product} END AS product")
        .selectExpr(*session_cols, "k", "type", "fresh", "product", "qty", "offset",
                    "collect_list(CASE WHEN type = 'add_to_cart' THEN"
                    f" named_struct('product', product, 'qty', qty) END) OVER {EARLIER} AS carts",
                    "u_buy")
        .selectExpr(*session_cols, "k", "type", "fresh", "product", "qty", "offset",
                    f"{_one_of('carts', 'u_buy')} AS cart")
        .selectExpr(
            *session_cols, "k", "offset",
            "CASE WHEN type = 'purchase' AND cart IS NULL THEN 'product_click' ELSE type END"
            " AS event_type",
            "CASE WHEN type = 'purchase' AND cart IS NOT NULL THEN cart.product"
            " WHEN type = 'purchase' THEN fresh ELSE product END AS product",
            "CASE WHEN type = 'purchase' AND cart IS NOT NULL THEN cart.qty"
            " WHEN type = 'add_to_cart' THEN qty END AS quantity")
        .selectExpr(
            *session_cols, "k", "event_type",
            "CASE WHEN product IS NOT NULL THEN format_string('P%05d', product) END AS product_id",
            "format_string('E%09d-%04d', id, k) AS event_id",
            "format_string('S%09d', id) AS session_id",
            "timestamp_seconds(start_epoch + offset) AS timestamp",
            "CAST(quantity AS INT) AS quantity")
    )
    events = events.selectExpr("*", f"{_page_url(seed)} AS page_url")
    if p["malformed_rate"] > 0:
        ts, qty = _malformed(p)
        events = events.selectExpr(*[c for c in events.columns
                                     if c not in ("timestamp", "quantity")], ts, qty)
    return events.select(*EVENT_COLUMNS)


# bytes per landed CSV row, measured on landed data (1,001,398 events: 111 MB)
_ROW_BYTES = {"events": 116, "users": 36, "products": 56}


def estimate_bytes(params: dict[str, Any]) -> int:
    """About how many bytes of CSV the tables land as: sessions x mean events x bytes per event,
    plus the users and products."""
    p = resolve_params(params)
    low, high = p["events_per_session"]
    events = p["sessions"] * (low + high) / 2
    return int(events * _ROW_BYTES["events"] + p["users"] * _ROW_BYTES["users"]
               + p["products"] * _ROW_BYTES["products"])


@generator("clickstream", params=PARAMS, outputs=("events", "users", "products"),
           estimate=estimate_bytes)
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

"""Clickstream transforms: the seed project's domain logic from raw events to star-schema tables.

This module owns the metric definitions of the warehouse contract (DESIGN.md) as Spark code:
revenue of a purchase = price x quantity; session duration = last - first event time;
conversion rate = sessions with >= 1 purchase / sessions; cart abandonment rate = sessions with an
add_to_cart and no purchase / sessions with an add_to_cart; AOV = revenue / purchase events;
LTV = a user's total revenue. Rates are null (never an error) when their denominator is zero.
Durations are in seconds as doubles; money is decimal(18,2) once aggregated.

Steps, in pipeline order: clean_events -> enrich_events -> sessionize -> session_metrics ->
user_metrics / product_metrics / daily_metrics, plus dim_date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framework.registry import transform, with_defaults

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from framework.runtime.context import TransformContext

MONEY = "decimal(18,2)"
CART_EVENTS = ("add_to_cart", "purchase")
LOWER_CASED = ("event_type", "device", "browser", "referrer")
REQUIRED = ("event_id", "session_id", "timestamp")


def _F() -> Any:
    from pyspark.sql import functions as F

    return F


def _W() -> Any:
    from pyspark.sql import Window

    return Window




def _hinted(ctx: TransformContext, name: str, df: DataFrame) -> DataFrame:
    """The input wrapped in a broadcast hint when the step named it under `broadcast:`."""
    return _F().broadcast(df) if name in (ctx.broadcast or ()) else df


def _inputs(ctx: TransformContext, inputs: dict[str, DataFrame]) -> list[DataFrame]:
    """Inputs in declared order, broadcast hints applied."""
    return [_hinted(ctx, name, df) for name, df in inputs.items()]


def _count_if(cond: Column) -> Column:
    F = _F()
    return F.sum(F.when(cond, 1).otherwise(0)).cast("long")


def _ratio(num: Column, den: Column) -> Column:
    """num / den as a double, null when den is 0 or null."""
    return _F().try_divide(num.cast("double"), den.cast("double"))


def _seconds_between(start: Column, end: Column) -> Column:
    F = _F()
    return (F.unix_micros(end) - F.unix_micros(start)) / 1_000_000.0


def _mean_seconds(col: str) -> Column:
    """The mean of a seconds column, summed exactly in whole microseconds: a double sum depends
    on the order partial sums meet, so a rerun could differ in the last digits."""
    F = _F()
    micros = F.sum(F.round(F.col(col) * 1_000_000).cast("long"))
    return F.try_divide(micros.cast("double"), F.count(col)) / 1_000_000.0


def _is(event_type: str) -> Column:
    return _F().col("event_type") == event_type


# ---------------------------------------------------------------- clean_events
CLEAN_PARAMS: dict[str, Any] = {"type": "object", "properties": {}}


def _typed(df: DataFrame) -> DataFrame:
    """timestamp as timestamp and quantity as int, whatever they arrived as (bad values -> null)."""
    F = _F()
    types = dict(df.dtypes)
    if types.get("timestamp") == "string":
        df = df.withColumn("timestamp", F.try_to_timestamp(F.trim("timestamp")))
    if "quantity" in types and types["quantity"] != "int":
        df = df.withColumn("quantity", F.col("quantity").try_cast("int"))
    return df


def _tidy_strings(df: DataFrame) -> DataFrame:
    """Trim every string column, lower-case the categorical ones, turn '' into null."""
    F = _F()
    cols = []
    for name, dtype in df.dtypes:
        col = F.col(name)
        if dtype == "string":
            col = F.trim(col)
            col = F.lower(col) if name in LOWER_CASED else col
            col = F.when(col != "", col)
        cols.append(col.alias(name))
    return df.select(*cols)


def _dropped_summary(metrics: dict[str, dict[str, Any]]) -> str:
    read, kept = metrics["input"]["rows"], metrics["output"]["rows"]
    invalid = metrics["input"]["invalid"]
    duplicates = read - invalid - kept
    return (f"clean_events: dropped {invalid} of {read} rows without "
            f"event_id/session_id/timestamp and {duplicates} duplicate event_id rows")


def _dedupe(df: DataFrame) -> DataFrame:
    """One row per event_id: the earliest, ties broken by the other columns (deterministic)."""
    F, W = _F(), _W()
    others = [c for c in df.columns if c not in ("event_id", "event_ts")]
    order = [F.col("event_ts").asc()] + [F.col(c).asc_nulls_last() for c in others]
    w = W.partitionBy("event_id").orderBy(*order)
    return df.withColumn("_rn", F.row_number().over(w)).filter("_rn = 1").drop("_rn")


def _calendar(df: DataFrame) -> DataFrame:
    F = _F()
    return (
        df.withColumn("event_date", F.to_date("event_ts"))
        .withColumn("event_hour", F.hour("event_ts"))
        .withColumn("day_of_week", F.pmod(F.dayofweek("event_ts") + 5, F.lit(7)) + 1)
        .withColumn("month", F.month("event_ts"))
        .withColumn("is_weekend", F.col("day_of_week") >= 6)
    )


@transform("clean_events", params=CLEAN_PARAMS, inputs=1)
def clean_events(ctx: TransformContext, inputs: dict[str, DataFrame],
                 params: dict[str, Any]) -> DataFrame:
    """Clean raw events: tidy strings, drop keyless rows (counted), dedupe, add calendar columns.

    Strings are trimmed; event_type, device, browser and referrer lower-cased; empty strings become
    null. A string `timestamp` or non-int `quantity` is parsed (unparseable -> null). Rows without
    event_id, session_id or timestamp are dropped and, with duplicate event ids, counted and
    reported (observed while the data is computed anyway: no extra Spark job). Duplicates keep
    the earliest row. `timestamp` is renamed
    `event_ts`; added: event_date, event_hour (0-23), day_of_week (ISO: 1 = Monday .. 7 = Sunday),
    month (1-12), is_weekend (Saturday or Sunday). A missing quantity becomes 1 for add_to_cart and
    purchase (one unit) and 0 for every other event (nothing was bought). No parameters.

    Example:
      - id: events_clean
        transform: clean_events
        input: events
    """
    F = _F()
    (df,) = _inputs(ctx, inputs)
    df = _tidy_strings(_typed(df))
    valid = F.lit(True)
    for col in REQUIRED:
        valid = valid & F.col(col).isNotNull()
    df = ctx.observe(df, "input", rows=F.count(F.lit(1)), invalid=_count_if(~valid))
    df = df.filter(valid).withColumnRenamed("timestamp", "event_ts")
    default_qty = F.when(F.col("event_type").isin(*CART_EVENTS), 1).otherwise(0)
    df = df.withColumn("quantity", F.coalesce(F.col("quantity"), default_qty))
    df = _calendar(_dedupe(df))
    ctx.summarize(_dropped_summary)
    return ctx.observe(df, "output", rows=F.count(F.lit(1)))


# ---------------------------------------------------------------- enrich_events
ENRICH_PARAMS: dict[str, Any] = {"type": "object", "properties": {}}
PRODUCT_ATTRS = ("product_name", "category", "price")


@transform("enrich_events", params=ENRICH_PARAMS, inputs=2, broadcastable=True)
def enrich_events(ctx: TransformContext, inputs: dict[str, DataFrame],
                  params: dict[str, Any]) -> DataFrame:
    """Attach product_name, category and price to events; revenue = price x quantity on purchases.

    Inputs: events (first), products (second). A left join on product_id keeps every event
    (page views and unknown products get null attributes). `revenue` is decimal(18,2):
    price x quantity for purchase events, 0 for every other event and for a purchase whose product
    is unknown. Name the products input under `broadcast:` to make it a broadcast join.

    Example:
      - id: events_enriched
        transform: enrich_events
        inputs: [events_clean, products]
        broadcast: [products]
    """
    F = _F()
    events, products = _inputs(ctx, inputs)
    price = F.col("price").cast("decimal(10,2)").alias("price")
    attrs = products.select("product_id", "product_name", "category", price)
    events = events.drop(*[c for c in PRODUCT_ATTRS + ("revenue",) if c in events.columns])
    out = events.join(attrs, on="product_id", how="left")
    revenue = F.when(_is("purchase"), F.col("price") * F.col("quantity"))
    out = out.withColumn("revenue", F.coalesce(revenue, F.lit(0)).cast(MONEY))
    return out.select(*events.columns, *PRODUCT_ATTRS, "revenue")


# ---------------------------------------------------------------- sessionize
SESSIONIZE_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "session_column": {"type": "string", "default": "session_id",
                           "description": "column holding the session id"},
        "user_column": {"type": "string", "default": "user_id",
                        "description": "who the events belong to (for gap-based sessions)"},
        "gap_minutes": {"type": "number", "exclusiveMinimum": 0,
                        "description": "rebuild sessions from user + inactivity gaps longer than "
                                       "this; when unset and the session column is absent, 30"},
    },
}
DEFAULT_GAP_MINUTES = 30


def _gap_sessions(df: DataFrame, session: str, user: str, gap_minutes: float) -> DataFrame:
    """Session ids `<user>-<n>`: a new session starts after more than gap_minutes of silence."""
    F, W = _F(), _W()
    w = W.partitionBy(user).orderBy("event_ts", "event_id")
    silence = _seconds_between(F.lag("event_ts").over(w), F.col("event_ts"))
    new = F.when(silence.isNull() | (silence > gap_minutes * 60), 1).otherwise(0)
    if session in df.columns:
        df = df.withColumnRenamed(session, f"source_{session}")
    df = df.withColumn("_new", new)
    number = F.sum("_new").over(w.rowsBetween(W.unboundedPreceding, W.currentRow))
    session_id = F.concat(F.col(user), F.lit("-"), number.cast("string"))  # null user: null id
    return df.withColumn(session, session_id).drop("_new")


@transform("sessionize", params=SESSIONIZE_PARAMS, inputs=1)
def sessionize(ctx: TransformContext, inputs: dict[str, DataFrame],
               params: dict[str, Any]) -> DataFrame:
    """Order events within sessions: sequence, time since previous event, entry/exit, bounds.

    Per session (ordered by event_ts, then event_id) adds event_sequence (1..n),
    seconds_since_prev (double; null for the first event), is_entry, is_exit, session_start and
    session_end (first and last event_ts). Parameters: `session_column` (default session_id),
    `user_column` (default user_id), `gap_minutes`: when set, or when the session column is
    missing, sessions are rebuilt per user, a new one starting after more than gap_minutes of
    inactivity (default 30 then); ids are `<user>-<n>` and any original id is kept as
    `source_<session_column>`.

    Example:
      - id: events_sessionized
        transform: sessionize
        input: events_enriched
        params: {gap_minutes: 30}   # omit to keep the generator's session_id
    """
    F, W = _F(), _W()
    p = with_defaults(SESSIONIZE_PARAMS, params)
    (df,) = _inputs(ctx, inputs)
    session, user = p["session_column"], p["user_column"]
    if p.get("gap_minutes") is not None or session not in df.columns:
        gap = p.get("gap_minutes") or DEFAULT_GAP_MINUTES
        ctx.info(f"sessionize: building sessions from {user} with a {gap}-minute inactivity gap")
        df = _gap_sessions(df, session, user, float(gap))
    ordered = W.partitionBy(session).orderBy("event_ts", "event_id")
    whole = W.partitionBy(session)
    return (
        df.withColumn("event_sequence", F.row_number().over(ordered))
        .withColumn("seconds_since_prev",
                    _seconds_between(F.lag("event_ts").over(ordered), F.col("event_ts")))
        .withColumn("_n", F.count(F.lit(1)).over(whole))
        .withColumn("is_entry", F.col("event_sequence") == 1)
        .withColumn("is_exit", F.col("event_sequence") == F.col("_n"))
        .withColumn("session_start", F.min("event_ts").over(whole))
        .withColumn("session_end", F.max("event_ts").over(whole))
        .drop("_n")
    )


# ---------------------------------------------------------------- session_metrics
SESSION_PARAMS: dict[str, Any] = {"type": "object", "properties": {}}
SESSION_COLUMNS = (
    "session_id", "user_id", "session_start", "session_end", "session_date", "duration_seconds",
    "num_events", "page_views", "product_clicks", "cart_adds", "purchases", "revenue", "converted",
    "abandoned_cart", "entry_page", "exit_page", "device", "browser", "referrer",
)


def _first_last(col: str) -> tuple[Column, Column]:
    """The column's value at the first and at the last event of the group."""
    F = _F()
    order = F.struct("event_ts", "event_id")
    return F.min_by(col, order), F.max_by(col, order)


@transform("session_metrics", params=SESSION_PARAMS, inputs=1)
def session_metrics(ctx: TransformContext, inputs: dict[str, DataFrame],
                    params: dict[str, Any]) -> DataFrame:
    """One row per session: bounds, duration, funnel counts, revenue, conversion, entry/exit page.

    Input: (sessionized) events with session_id, user_id, event_ts, event_id, event_type,
    page_url, device, browser, referrer and, if enriched, revenue (else revenue is 0).
    duration_seconds = last - first event time; converted = at least one purchase;
    abandoned_cart = an add_to_cart and no purchase. user_id, device, browser, referrer and
    entry_page come from the first event, exit_page from the last. session_date is the date of
    session_start. No parameters.

    Example:
      - id: sessions
        transform: session_metrics
        input: events_sessionized
    """
    F = _F()
    (df,) = _inputs(ctx, inputs)
    revenue = F.col("revenue") if "revenue" in df.columns else F.lit(0)
    entry, exit_ = _first_last("page_url")
    firsts = [_first_last(c)[0].alias(c) for c in ("user_id", "device", "browser", "referrer")]
    out = df.groupBy("session_id").agg(
        *firsts,
        F.min("event_ts").alias("session_start"),
        F.max("event_ts").alias("session_end"),
        F.count(F.lit(1)).alias("num_events"),
        _count_if(_is("page_view")).alias("page_views"),
        _count_if(_is("product_click")).alias("product_clicks"),
        _count_if(_is("add_to_cart")).alias("cart_adds"),
        _count_if(_is("purchase")).alias("purchases"),
        F.coalesce(F.sum(revenue), F.lit(0)).cast(MONEY).alias("revenue"),
        entry.alias("entry_page"),
        exit_.alias("exit_page"),
    )
    out = (
        out.withColumn("session_date", F.to_date("session_start"))
        .withColumn("duration_seconds", _seconds_between(F.col("session_start"),
                                                         F.col("session_end")))
        .withColumn("converted", F.col("purchases") > 0)
        .withColumn("abandoned_cart", (F.col("cart_adds") > 0) & (F.col("purchases") == 0))
    )
    return out.select(*SESSION_COLUMNS)


# ---------------------------------------------------------------- user_metrics
USER_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "high_value_revenue": {"type": "number", "minimum": 0, "default": 500,
                               "description": "lifetime revenue from which a user is High Value"},
        "engaged_sessions": {"type": "integer", "minimum": 1, "default": 5,
                             "description": "sessions from which a non-buyer is Engaged"},
    },
}
USER_METRICS = ("total_sessions", "total_events", "total_purchases", "lifetime_revenue",
                "avg_session_seconds", "first_seen", "last_seen", "converted_sessions", "segment")


def _segment(high_value: float, engaged: int) -> Column:
    F = _F()
    return (
        F.when(F.col("lifetime_revenue") >= F.lit(high_value), "High Value")
        .when(F.col("total_purchases") > 0, "Converted")
        .when(F.col("total_sessions") >= engaged, "Engaged")
        .otherwise("New/Inactive")
    )


@transform("user_metrics", params=USER_PARAMS, inputs=2)
def user_metrics(ctx: TransformContext, inputs: dict[str, DataFrame],
                 params: dict[str, Any]) -> DataFrame:
    """dim_users: every user's attributes plus lifetime metrics and a segment.

    Inputs: users (first), sessions from session_metrics (second). Adds total_sessions,
    total_events, total_purchases (purchase events), lifetime_revenue (LTV, decimal),
    avg_session_seconds, first_seen (first session start), last_seen (last session end),
    converted_sessions and segment: "High Value" if lifetime_revenue >= high_value_revenue, else
    "Converted" if any purchase, else "Engaged" if total_sessions >= engaged_sessions, else
    "New/Inactive". Users without sessions are kept with zero counts and revenue, null
    avg_session_seconds / first_seen / last_seen. Sessions of users missing from `users` are
    not in this table.

    Example:
      - id: users_dim
        transform: user_metrics
        inputs: [users, sessions]
        params: {high_value_revenue: 500, engaged_sessions: 5}
    """
    F = _F()
    p = with_defaults(USER_PARAMS, params)
    users, sessions = _inputs(ctx, inputs)
    per_user = sessions.groupBy("user_id").agg(
        F.count(F.lit(1)).alias("total_sessions"),
        F.sum("num_events").cast("long").alias("total_events"),
        F.sum("purchases").cast("long").alias("total_purchases"),
        F.sum("revenue").cast(MONEY).alias("lifetime_revenue"),
        _mean_seconds("duration_seconds").alias("avg_session_seconds"),
        F.min("session_start").alias("first_seen"),
        F.max("session_end").alias("last_seen"),
        _count_if(F.col("converted")).alias("converted_sessions"),
    )
    zeros = {"total_sessions": 0, "total_events": 0, "total_purchases": 0, "converted_sessions": 0}
    out = users.join(per_user, on="user_id", how="left").fillna(zeros)
    out = out.withColumn("lifetime_revenue",
                         F.coalesce("lifetime_revenue", F.lit(0).cast(MONEY)).cast(MONEY))
    out = out.withColumn("segment", _segment(float(p["high_value_revenue"]),
                                             int(p["engaged_sessions"])))
    return out.select(*users.columns, *USER_METRICS)


# ---------------------------------------------------------------- product_metrics
PRODUCT_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "view_weight": {"type": "number", "default": 1.0, "description": "engagement per view"},
        "click_weight": {"type": "number", "default": 0.5, "description": "per click"},
        "cart_weight": {"type": "number", "default": 3.0, "description": "per add_to_cart"},
        "purchase_weight": {"type": "number", "default": 5.0, "description": "per purchase"},
    },
}
PRODUCT_METRICS = ("views", "clicks", "cart_adds", "purchases", "units_sold", "revenue",
                   "conversion_rate", "cart_conversion", "engagement_score")


def _product_counts(events: DataFrame) -> DataFrame:
    F = _F()
    is_click = _is("product_click")
    revenue = F.col("revenue") if "revenue" in events.columns else F.lit(0)
    return events.filter(F.col("product_id").isNotNull()).groupBy("product_id").agg(
        F.count_distinct(F.when(is_click, F.col("session_id"))).alias("views"),
        _count_if(is_click).alias("clicks"),
        _count_if(_is("add_to_cart")).alias("cart_adds"),
        _count_if(_is("purchase")).alias("purchases"),
        F.sum(F.when(_is("purchase"), F.col("quantity"))).cast("long").alias("units_sold"),
        F.sum(F.when(_is("purchase"), revenue)).cast(MONEY).alias("revenue"),
    )


@transform("product_metrics", params=PRODUCT_PARAMS, inputs=2, broadcastable=True)
def product_metrics(ctx: TransformContext, inputs: dict[str, DataFrame],
                    params: dict[str, Any]) -> DataFrame:
    """dim_product_metrics: per product views, clicks, carts, purchases, revenue and rates.

    Inputs: events (first; enriched, so revenue is present), products (second). page_view events
    carry no product, so a product is *viewed* when its page is opened: views = distinct sessions
    with a product_click on it; clicks = all its product_click events. units_sold = sum of
    purchase quantities; revenue = sum of purchase revenue. conversion_rate = purchases / clicks,
    cart_conversion = purchases / cart_adds (null when the denominator is 0). engagement_score =
    view_weight*views + click_weight*clicks + cart_weight*cart_adds + purchase_weight*purchases
    (defaults 1, 0.5, 3, 5), rounded to 2 decimals. Products without events are kept with zeros.
    Events are aggregated per product first, so a `broadcast:` hint on products broadcasts that
    product-sized aggregate into the join (a join keeping every product cannot broadcast them).

    Example:
      - id: product_metrics
        transform: product_metrics
        inputs: [events_sessionized, products]
        broadcast: [products]
        params: {purchase_weight: 10}
    """
    F = _F()
    p = with_defaults(PRODUCT_PARAMS, params)
    (_, events), (products_name, products) = inputs.items()
    counts = _product_counts(events)
    counts = F.broadcast(counts) if products_name in (ctx.broadcast or ()) else counts
    out = products.select("product_id", "product_name", "category",
                          F.col("price").cast("decimal(10,2)").alias("price"))
    out = out.join(counts, on="product_id", how="left").fillna(
        {"views": 0, "clicks": 0, "cart_adds": 0, "purchases": 0, "units_sold": 0})
    score = (F.col("views") * p["view_weight"] + F.col("clicks") * p["click_weight"]
             + F.col("cart_adds") * p["cart_weight"] + F.col("purchases") * p["purchase_weight"])
    out = (
        out.withColumn("revenue", F.coalesce("revenue", F.lit(0).cast(MONEY)).cast(MONEY))
        .withColumn("conversion_rate", _ratio(F.col("purchases"), F.col("clicks")))
        .withColumn("cart_conversion", _ratio(F.col("purchases"), F.col("cart_adds")))
        .withColumn("engagement_score", F.round(score.cast("double"), 2))
    )
    return out.select("product_id", "product_name", "category", "price", *PRODUCT_METRICS)


# ---------------------------------------------------------------- daily_metrics
DAILY_PARAMS: dict[str, Any] = {"type": "object", "properties": {}}
DAILY_COLUMNS = (
    "event_date", "users", "sessions", "events", "page_views", "purchases", "revenue",
    "conversion_rate", "aov", "cart_abandonment_rate", "avg_session_seconds",
    "converted_sessions", "cart_sessions", "abandoned_sessions",
)


def _daily_events(events: DataFrame) -> DataFrame:
    F = _F()
    revenue = F.col("revenue") if "revenue" in events.columns else F.lit(0)
    return events.groupBy("event_date").agg(
        F.count_distinct("user_id").alias("users"),
        F.count(F.lit(1)).alias("events"),
        _count_if(_is("page_view")).alias("page_views"),
        _count_if(_is("purchase")).alias("purchases"),
        F.coalesce(F.sum(revenue), F.lit(0)).cast(MONEY).alias("revenue"),
    )


def _daily_sessions(sessions: DataFrame) -> DataFrame:
    F = _F()
    return sessions.groupBy(F.col("session_date").alias("event_date")).agg(
        F.count(F.lit(1)).alias("sessions"),
        _count_if(F.col("converted")).alias("converted_sessions"),
        _count_if(F.col("cart_adds") > 0).alias("cart_sessions"),
        _count_if(F.col("abandoned_cart")).alias("abandoned_sessions"),
        _mean_seconds("duration_seconds").alias("avg_session_seconds"),
    )


@transform("daily_metrics", params=DAILY_PARAMS, inputs=2)
def daily_metrics(ctx: TransformContext, inputs: dict[str, DataFrame],
                  params: dict[str, Any]) -> DataFrame:
    """fact_daily_metrics: one row per event_date with traffic, revenue and funnel rates.

    Inputs: events (first; with event_date, user_id, event_type, revenue) and sessions from
    session_metrics (second). Event measures count what happened on the day: users (distinct users
    with events), events, page_views, purchases (events), revenue. Session measures count the
    sessions *starting* that day (a session belongs to its session_date, even if it runs past
    midnight), so each session is counted once: sessions, converted_sessions, cart_sessions,
    abandoned_sessions, avg_session_seconds, conversion_rate = converted_sessions / sessions,
    cart_abandonment_rate = abandoned_sessions / cart_sessions. aov = revenue / purchases
    (decimal). Rates and aov are null when their denominator is 0; a day with events but no
    session start has 0 sessions. No parameters.

    Example:
      - id: daily_metrics
        transform: daily_metrics
        inputs: [events_sessionized, sessions]
    """
    F = _F()
    events, sessions = _inputs(ctx, inputs)
    days = _daily_events(events).join(_daily_sessions(sessions), on="event_date", how="full")
    days = days.fillna({c: 0 for c in ("users", "events", "page_views", "purchases", "sessions",
                                        "converted_sessions", "cart_sessions",
                                        "abandoned_sessions")})
    days = (
        days.withColumn("revenue", F.coalesce("revenue", F.lit(0).cast(MONEY)).cast(MONEY))
        .withColumn("conversion_rate", _ratio(F.col("converted_sessions"), F.col("sessions")))
        .withColumn("aov", F.round(F.try_divide(F.col("revenue"), F.col("purchases")), 2)
                    .cast(MONEY))
        .withColumn("cart_abandonment_rate",
                    _ratio(F.col("abandoned_sessions"), F.col("cart_sessions")))
    )
    return days.select(*DAILY_COLUMNS).orderBy("event_date")


# ---------------------------------------------------------------- dim_date
DATE_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "start": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                  "description": "first date (YYYY-MM-DD); default: the input's earliest date"},
        "end": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                "description": "last date, inclusive; default: the input's latest date"},
        "date_column": {"type": "string", "default": "event_date",
                        "description": "date column of the input (else to_date(event_ts))"},
    },
}
DATE_COLUMNS = ("date_key", "date", "year", "quarter", "month", "month_name", "day",
                "day_of_week", "day_name", "week_of_year", "is_weekend")


def _date_bounds(ctx: TransformContext, inputs: dict[str, DataFrame],
                 p: dict[str, Any]) -> DataFrame:
    """A one-row frame (lo, hi): params where given, else the input's min / max date."""
    F = _F()
    if not inputs:
        if not (p.get("start") and p.get("end")):
            raise ValueError("dim_date without an input needs both `start` and `end` params")
        return ctx.spark.range(1).select(F.lit(p["start"]).cast("date").alias("lo"),
                                         F.lit(p["end"]).cast("date").alias("hi"))
    (df,) = inputs.values()
    col = p["date_column"]
    day = F.col(col).cast("date") if col in df.columns else F.to_date("event_ts")
    bounds = df.agg(F.min(day).alias("lo"), F.max(day).alias("hi"))
    for name, key in (("lo", "start"), ("hi", "end")):
        if p.get(key):
            bounds = bounds.withColumn(name, F.lit(p[key]).cast("date"))
    return bounds


@transform("dim_date", params=DATE_PARAMS, inputs=(0, 1))
def dim_date(ctx: TransformContext, inputs: dict[str, DataFrame],
             params: dict[str, Any]) -> DataFrame:
    """dim_date: one row per calendar date from the data's first to last date (or start..end).

    Columns: date_key (int yyyymmdd), date, year, quarter, month, month_name (January..),
    day (of month), day_of_week (ISO: 1 = Monday .. 7 = Sunday), day_name (Monday..),
    week_of_year (ISO week), is_weekend. Input (optional): events with `date_column`
    (default event_date) or event_ts. Params `start` / `end` override the data's bounds; with no
    input both are required. An empty input gives an empty table.

    Example:
      - id: dates
        transform: dim_date
        input: events_clean
        params: {start: "2026-01-01"}
    """
    F = _F()
    p = with_defaults(DATE_PARAMS, params)
    bounds = _date_bounds(ctx, inputs, p)
    dates = bounds.filter("lo is not null and hi is not null and lo <= hi").select(
        F.explode(F.sequence("lo", "hi")).alias("date"))
    dow = F.pmod(F.dayofweek("date") + 5, F.lit(7)) + 1
    return dates.select(
        F.date_format("date", "yyyyMMdd").cast("int").alias("date_key"),
        "date",
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        F.month("date").alias("month"),
        F.date_format("date", "MMMM").alias("month_name"),
        F.dayofmonth("date").alias("day"),
        dow.alias("day_of_week"),
        F.date_format("date", "EEEE").alias("day_name"),
        F.weekofyear("date").alias("week_of_year"),
        (dow >= 6).alias("is_weekend"),
    ).orderBy("date")

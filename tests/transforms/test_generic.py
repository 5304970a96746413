"""The generic transforms on small hand-written frames; expected rows worked out in plain Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from framework.errors import EtlError
from framework.loader import parse_file
from framework.registry import REGISTRY
from transforms import generic

pytestmark = pytest.mark.spark

GENERIC = ("sql", "select", "rename", "cast", "filter", "dedupe", "join", "aggregate", "union",
           "window", "derive", "repartition")
ORDERS = [  # order_id, customer, amount, day
    (1, "ann", 10.0, "2026-01-01"),
    (2, "bob", 25.0, "2026-01-01"),
    (3, "ann", 5.0, "2026-01-02"),
    (4, "cid", 40.0, "2026-01-02"),
    (5, "ann", 15.0, "2026-01-03"),
]
CUSTOMERS = [("ann", "DE"), ("bob", "FR"), ("dan", "US")]


@pytest.fixture
def orders(spark):
    return spark.createDataFrame(ORDERS, "order_id int, customer string, amount double, day string")


@pytest.fixture
def customers(spark):
    return spark.createDataFrame(CUSTOMERS, "customer string, country string")


def rows(df, *cols) -> list[tuple]:
    picked = df.select(*cols) if cols else df
    return sorted(tuple(r) for r in picked.collect())


# -- registration and schemas (no Spark needed) ---------------------------------------------------


def test_every_generic_transform_is_registered_with_a_closed_schema():
    for name in GENERIC:
        tdef = REGISTRY.transforms[name]
        assert tdef.params["additionalProperties"] is False, name
        assert tdef.summary and tdef.example, name
    join_def = REGISTRY.transforms["join"]
    assert join_def.broadcastable and (join_def.min_inputs, join_def.max_inputs) == (2, 2)
    assert REGISTRY.transforms["union"].max_inputs is None
    assert REGISTRY.transforms["sql"].min_inputs == 0


@pytest.mark.parametrize("name", GENERIC)
def test_docstring_example_is_a_valid_step(name, tmp_path):
    tdef = REGISTRY.transforms[name]
    example = tmp_path / "example.yaml"  # read as the pipeline loader reads it (`on` is a key)
    example.write_text("steps:\n" + tdef.example + "\n")
    (step,) = parse_file(example).data["steps"]
    assert step.get("transform", "sql") == name
    jsonschema.validate(step.get("params", {}), tdef.params)


@pytest.mark.parametrize("name, params", [
    ("join", {"on": "id", "how": "outer"}),
    ("join", {"how": "left"}),
    ("repartition", {"num": 0}),
    ("repartition", {"coalesce": True}),
    ("select", {"columns": []}),
    ("dedupe", {"order_by": ["ts"]}),
    ("filter", {"condition": "a > 1", "extra": 1}),
])
def test_bad_params_are_rejected_by_the_schema(name, params):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(params, REGISTRY.transforms[name].params)


def test_module_imports_without_pyspark():
    path = Path(generic.__file__)
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('generic_probe', {str(path)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "sys.exit('pyspark' in sys.modules)\n"
    )
    src_root = str(path.parent.parent)
    assert subprocess.run([sys.executable, "-c", code], cwd=src_root).returncode == 0


# -- sql ------------------------------------------------------------------------------------------


def test_sql_reads_inputs_and_earlier_steps_through_ref(ctx, orders, customers):
    ctx.views = {"customers": customers}
    query = """
        select o.customer, c.country, sum(o.amount) as total
        from {{ ref('orders') }} o join {{ ref('customers') }} c on o.customer = c.customer
        group by o.customer, c.country
    """
    ctx.sql = query
    out = generic.sql(ctx, {"orders": orders}, {})
    assert rows(out) == [("ann", "DE", 30.0), ("bob", "FR", 25.0)]


def test_sql_views_are_step_scoped(spark, orders, ctx):
    ctx.step_id = "step-a"
    ctx.sql = "select * from {{ ref('orders') }}"
    out = generic.sql(ctx, {"orders": orders}, {})
    assert out.count() == len(ORDERS)
    views = [t.name for t in spark.catalog.listTables() if t.name.startswith("__etl_step_a__")]
    assert len(views) == 1 and views[0].startswith("__etl_step_a__orders__")


def test_sql_steps_side_by_side_read_their_own_inputs_when_names_would_collide(
        spark, ctx, monkeypatch):
    """Step `a` reads `b__c`, step `a__b` reads `c`: `a`__`b__c` and `a__b`__`c` spell the same
    text. Step `a__b` runs entirely between `a` binding its view and `a` running its query,
    as two steps on two threads of one session may; each must still read its own rows."""
    from framework import templating
    from framework.runtime.context import TransformContext

    b_c = spark.createDataFrame([(i,) for i in range(3)], "n int")  # 3 rows
    c = spark.createDataFrame([(i,) for i in range(7)], "n int")  # 7 rows
    query = "select count(*) as rows from {{ ref('b__c') }}"
    other = "select count(*) as rows from {{ ref('c') }}"
    real_render, results = templating.render_sql, {}

    def interleaved(text, ref, **kw):
        if "b__c" in text and "a__b" not in results:
            other_ctx = TransformContext(spark=spark, step_id="a__b", data_dir=ctx.data_dir,
                                         sql=other)
            results["a__b"] = generic.sql(other_ctx, {"c": c}, {}).collect()[0]["rows"]
        return real_render(text, ref, **kw)

    monkeypatch.setattr(templating, "render_sql", interleaved)
    ctx.step_id, ctx.sql = "a", query
    results["a"] = generic.sql(ctx, {"b__c": b_c}, {}).collect()[0]["rows"]
    assert results == {"a": 3, "a__b": 7}


def test_sql_unknown_ref_suggests_the_close_name(ctx, orders):
    with pytest.raises(EtlError) as err:
        ctx.sql = "select * from {{ ref('order') }}"
        generic.sql(ctx, {"orders": orders}, {})
    assert "ref('order')" in err.value.message and "'orders'" in err.value.hint


def test_sql_without_query_says_what_to_add(ctx, orders):
    with pytest.raises(EtlError, match="needs its query"):
        generic.sql(ctx, {"orders": orders}, {})


# -- single-input transforms ----------------------------------------------------------------------


def test_select_names_and_expressions(ctx, orders):
    out = generic.select(ctx, {"o": orders}, {"columns": ["order_id", "amount * 2 as double_amt"]})
    assert out.columns == ["order_id", "double_amt"]
    assert rows(out) == sorted((o[0], o[2] * 2) for o in ORDERS)


def test_rename_keeps_other_columns_and_refuses_unknown(ctx, orders):
    out = generic.rename(ctx, {"o": orders}, {"columns": {"amount": "amt", "day": "order_day"}})
    assert out.columns == ["order_id", "customer", "amt", "order_day"]
    with pytest.raises(EtlError) as err:
        generic.rename(ctx, {"o": orders}, {"columns": {"amont": "x"}})
    assert "'amount'" in err.value.hint


def test_cast_changes_types_and_values(ctx, orders):
    out = generic.cast(ctx, {"o": orders}, {"columns": {"amount": "int", "day": "date"}})
    types = dict(out.dtypes)
    assert (types["amount"], types["day"]) == ("int", "date")
    assert rows(out, "order_id", "amount")[:2] == [(1, 10), (2, 25)]
    assert str(out.filter("order_id = 3").first()["day"]) == "2026-01-02"


def test_filter_keeps_matching_rows(ctx, orders):
    out = generic.filter_rows(ctx, {"o": orders}, {"condition": "customer = 'ann' and amount > 6"})
    assert rows(out, "order_id") == [(o[0],) for o in ORDERS if o[1] == "ann" and o[2] > 6]


def test_dedupe_whole_rows_and_by_key_with_order(spark, ctx):
    data = [(1, "a", 3), (1, "a", 3), (1, "b", 1), (2, "c", 5), (2, "d", 9)]
    df = spark.createDataFrame(data, "k int, v string, ts int")
    assert rows(generic.dedupe(ctx, {"d": df}, {})) == sorted(set(data))
    latest = generic.dedupe(ctx, {"d": df}, {"keys": ["k"], "order_by": ["ts desc"]})
    expected = {k: max((r for r in data if r[0] == k), key=lambda r: r[2]) for k in (1, 2)}
    assert rows(latest) == sorted(expected.values())
    assert latest.columns == ["k", "v", "ts"]
    assert generic.dedupe(ctx, {"d": df}, {"keys": ["k"]}).count() == 2


def test_dedupe_with_order_keeps_a_column_named_like_its_helper(spark, ctx):
    data = [(1, 7, 3), (1, 8, 4), (2, 9, 5)]  # k, __etl_rn (the user's), ts
    df = spark.createDataFrame(data, "k int, __ETL_RN int, ts int")
    out = generic.dedupe(ctx, {"d": df}, {"keys": ["k"], "order_by": ["ts desc"]})
    assert out.columns == ["k", "__ETL_RN", "ts"]
    assert rows(out) == [(1, 8, 4), (2, 9, 5)]


def test_aggregate_groups_and_global(ctx, orders):
    out = generic.aggregate(ctx, {"o": orders}, {
        "group_by": ["customer"], "aggregations": {"n": "count(*)", "total": "sum(amount)"}})
    expected = {}
    for _, cust, amount, _ in ORDERS:
        n, total = expected.get(cust, (0, 0.0))
        expected[cust] = (n + 1, total + amount)
    assert rows(out) == sorted((c, n, t) for c, (n, t) in expected.items())
    whole = generic.aggregate(ctx, {"o": orders}, {"aggregations": {"max_amt": "max(amount)"}})
    assert rows(whole) == [(max(o[2] for o in ORDERS),)]


def test_window_row_number_and_lag(ctx, orders):
    out = generic.window(ctx, {"o": orders}, {
        "partition_by": ["customer"], "order_by": ["order_id"],
        "columns": {"seq": "row_number()", "prev_amount": "lag(amount)"}})
    expected = []
    for cust in {o[1] for o in ORDERS}:
        mine = sorted(o for o in ORDERS if o[1] == cust)
        for i, o in enumerate(mine):
            expected.append((o[0], i + 1, mine[i - 1][2] if i else None))
    assert rows(out, "order_id", "seq", "prev_amount") == sorted(expected)


def test_derive_adds_columns_in_order(ctx, orders):
    out = generic.derive(ctx, {"o": orders}, {"columns": {
        "gross": "amount * 1.5", "big": "gross > 20", "amount": "amount + 1"}})
    assert out.columns == ["order_id", "customer", "amount", "day", "gross", "big"]
    assert rows(out, "order_id", "amount", "gross", "big") == sorted(
        (o[0], o[2] + 1, o[2] * 1.5, o[2] * 1.5 > 20) for o in ORDERS)


def test_repartition_num_by_and_coalesce(ctx, orders):
    assert generic.repartition(ctx, {"o": orders}, {"num": 3}).rdd.getNumPartitions() == 3
    by = generic.repartition(ctx, {"o": orders}, {"num": 2, "by": ["customer"]})
    per_part = by.rdd.glom().map(lambda part: {r["customer"] for r in part}).collect()
    seen = [c for part in per_part for c in part]
    assert len(seen) == len(set(seen))  # every customer lives in exactly one partition
    many = generic.repartition(ctx, {"o": orders}, {"num": 4})
    assert generic.repartition(ctx, {"o": many}, {"num": 1, "coalesce": True}) \
        .rdd.getNumPartitions() == 1
    with pytest.raises(EtlError, match="coalesce"):
        generic.repartition(ctx, {"o": orders}, {"by": ["customer"], "coalesce": True})


# -- multi-input transforms -----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["inner", "left", "right", "full", "semi", "anti"])
def test_join_every_kind(ctx, orders, customers, how):
    out = generic.join(ctx, {"o": orders, "c": customers}, {"on": "customer", "how": how})
    country = dict(CUSTOMERS)
    matched = [(o[0], o[1], country[o[1]]) for o in ORDERS if o[1] in country]
    unmatched_left = [(o[0], o[1], None) for o in ORDERS if o[1] not in country]
    ordered = {o[1] for o in ORDERS}
    unmatched_right = [(None, c, k) for c, k in CUSTOMERS if c not in ordered]
    expected = {
        "inner": matched, "left": matched + unmatched_left, "right": matched + unmatched_right,
        "full": matched + unmatched_left + unmatched_right,
    }
    if how in ("semi", "anti"):
        keep = [(o[0],) for o in ORDERS if (o[1] in country) == (how == "semi")]
        assert sorted(out.columns) == sorted(orders.columns)  # no columns from the right
        assert rows(out, "order_id") == sorted(keep)
    else:
        got = sorted(out.select("order_id", "customer", "country").collect(),
                     key=lambda r: (r[0] is None, r[0] or 0, r[1]))
        want = sorted(expected[how], key=lambda r: (r[0] is None, r[0] or 0, r[1]))
        assert [tuple(r) for r in got] == want


def test_join_broadcast_hint_reaches_the_plan(ctx, orders, customers):
    ctx.broadcast = ("c",)
    out = generic.join(ctx, {"o": orders, "c": customers}, {"on": ["customer"], "how": "left"})
    plan = out._jdf.queryExecution().optimizedPlan().toString()
    assert "broadcast" in plan.lower()
    ctx.broadcast = ("nope",)
    with pytest.raises(EtlError, match="not an input"):
        generic.join(ctx, {"o": orders, "c": customers}, {"on": "customer"})


def test_join_unknown_key_is_named(ctx, orders, customers):
    with pytest.raises(EtlError, match="customer_id"):
        generic.join(ctx, {"o": orders, "c": customers}, {"on": "customer_id"})


def test_union_by_name_position_and_missing_columns(spark, ctx):
    a = spark.createDataFrame([(1, "x")], "id int, v string")
    b = spark.createDataFrame([("y", 2)], "v string, id int")
    c = spark.createDataFrame([(3,)], "id int")
    assert rows(generic.union(ctx, {"a": a, "b": b}, {})) == [(1, "x"), (2, "y")]
    d = spark.createDataFrame([(4, "z")], "other int, w string")
    assert rows(generic.union(ctx, {"a": a, "d": d}, {"by_name": False})) == [(1, "x"), (4, "z")]
    three = generic.union(ctx, {"a": a, "b": b, "c": c}, {"allow_missing_columns": True})
    assert rows(three) == [(1, "x"), (2, "y"), (3, None)]
    with pytest.raises(EtlError):
        generic.union(ctx, {"a": a, "c": c}, {"by_name": False, "allow_missing_columns": True})

"""`framework.runtime.sizing`: the input estimate a run takes before its JVM starts, and the
JIT mode `jit: auto` chooses from it."""

from __future__ import annotations

import json
import os

import pytest

from framework.plan import build_plan
from framework.registry import Registry, generator
from framework.runtime import session
from framework.runtime.landing import MANIFEST
from framework.runtime.sizing import JIT_FULL_FROM, InputEstimate, choose_jit, estimate_input
from framework.spec import Optimizations, SparkSpec
from framework.validate import default_registry, load_pipeline

SOURCES = """
pipeline: sized
sources:
  orders: {path: input/orders.csv, format: csv, schema: {columns: {id: string}}}
  more: {path: "extra/part-*.csv", format: csv, schema: {columns: {id: string}}}
steps:
  - {id: all_orders, transform: union, inputs: [orders, more]}
sinks:
  t: {from: all_orders}
"""


def _write(path, size: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"x" * size)


def _estimate(tmp_path, text: str, registry=None, regenerate=False) -> InputEstimate:
    registry = registry or default_registry()
    path = tmp_path / "p.yaml"
    path.write_text(text)
    spec = load_pipeline(str(path), registry=registry)
    data = str(tmp_path / "data")
    return estimate_input(spec, build_plan(spec, data_dir=data), registry, data, regenerate)


def test_sources_are_sized_from_their_files_and_glob_matches(tmp_path):
    _write(str(tmp_path / "data/input/orders.csv"), 1234)
    _write(str(tmp_path / "data/extra/part-1.csv"), 100)
    _write(str(tmp_path / "data/extra/part-2.csv"), 50)
    _write(str(tmp_path / "data/extra/other.csv"), 999_999)  # not matched by the pattern
    est = _estimate(tmp_path, SOURCES)
    assert (est.bytes, est.estimated, est.unknown) == (1234 + 150, 0, ())


def test_a_uri_source_is_of_unknown_size(tmp_path):
    est = _estimate(tmp_path, SOURCES.replace("input/orders.csv", "s3a://bucket/orders.csv"))
    assert est.unknown == ("source orders",)


def _registry_with_generator(estimate) -> Registry:
    reg = Registry()
    reg.transforms.update(default_registry().transforms)

    @generator("sized_gen", params={"type": "object", "properties": {"n": {"type": "integer"}}},
               outputs=("rows",), estimate=estimate, registry=reg)
    def sized_gen(ctx, params):  # never run here
        raise AssertionError

    reg._loaded = True
    return reg


GENERATED = """
pipeline: gen
generators:
  g: {generator: sized_gen, params: {n: 1000}, landing: {path: raw, format: csv}}
sources:
  rows: {generated: g.rows, schema: {columns: {id: string}}}
sinks:
  t: {from: rows}
"""


def test_a_generator_not_landed_yet_is_sized_by_its_estimate(tmp_path):
    reg = _registry_with_generator(lambda params: params["n"] * 100)
    est = _estimate(tmp_path, GENERATED, registry=reg)
    assert (est.bytes, est.estimated) == (100_000, 100_000)
    assert "estimated" in est.describe()
    without = _estimate(tmp_path, GENERATED, registry=_registry_with_generator(None))
    assert (without.bytes, without.unknown) == (0, ("generator g",))


def test_landed_tables_count_as_they_are_unless_regenerated(tmp_path):
    reg = _registry_with_generator(lambda params: 7)
    raw = tmp_path / "data/raw"
    _write(str(raw / "rows/part-0.csv"), 4000)
    manifest = {"generator": "sized_gen", "params": {"n": 1000}, "format": "csv",
                "files": ["rows/part-0.csv"]}
    (raw / MANIFEST).write_text(json.dumps(manifest))
    landed = _estimate(tmp_path, GENERATED, registry=reg)
    assert landed.estimated == 0 and 4000 <= landed.bytes < 4000 + 1000  # + the manifest
    assert _estimate(tmp_path, GENERATED, registry=reg, regenerate=True).bytes == 7
    other = _estimate(tmp_path, GENERATED.replace("n: 1000", "n: 5"), registry=reg)
    assert other.bytes == 7  # landed with other parameters: it will generate again


@pytest.mark.parametrize("setting,size,expected", [
    ("quick", 10 * JIT_FULL_FROM, "quick"), ("full", 0, "full"),
    ("auto", JIT_FULL_FROM - 1, "quick"), ("auto", JIT_FULL_FROM, "full"),
])
def test_auto_jit_follows_the_input_size(setting, size, expected):
    assert choose_jit(setting, InputEstimate(size)) == expected


def test_auto_without_an_estimate_is_quick_and_only_quick_stops_at_c1():
    assert choose_jit("auto", None) == "quick"
    auto = session.session_settings(SparkSpec(), Optimizations(jit="auto"), "a", None)
    assert "-XX:TieredStopAtLevel=1" in auto.conf["spark.driver.extraJavaOptions"]
    full = session.session_settings(SparkSpec(), Optimizations(jit="auto"), "a", None, (), "full")
    assert "TieredStopAtLevel" not in full.conf["spark.driver.extraJavaOptions"]


def test_clickstream_estimate_scales_with_sessions_and_range():
    from transforms.generators import estimate_bytes

    small = estimate_bytes({"sessions": 1000, "users": 10, "products": 10})
    assert estimate_bytes({"sessions": 2000, "users": 10, "products": 10}) == \
        pytest.approx(2 * small, rel=0.01)
    # [3, 20] events per session: 11.5 on average; [10, 10]: 10
    ten = estimate_bytes({"sessions": 1000, "users": 10, "products": 10,
                          "events_per_session": [10, 10]})
    assert ten == pytest.approx(small * 10 / 11.5, rel=0.01)

"""A source kept from its counting pass is released once nothing still to compute reads it."""

from __future__ import annotations

from framework.console import CapturingConsole
from framework.plan import build_plan
from framework.runtime.record import RunRecord, TaskRecord
from framework.runtime.state import RunOptions, RunState
from framework.validate import default_registry, load_pipeline

PIPELINE = """
pipeline: kept
sources:
  orders: {path: in/orders.csv, format: csv, schema: {columns: {id: string, n: int}}}
steps:
  - {id: clean, transform: filter, input: orders, params: {condition: "n > 0"}}
  - {id: wide, transform: derive, input: clean, params: {columns: {m: "n * 2"}}, cache: true}
  - {id: small, transform: filter, input: wide, params: {condition: "m > 2"}}
sinks:
  raw_orders: {from: orders}
  wide_orders: {from: wide}
  small_orders: {from: small}
"""


class FakeFrame:
    def __init__(self):
        self.released = 0

    def unpersist(self):
        self.released += 1


def _state(tmp_path) -> RunState:
    path = tmp_path / "p.yaml"
    path.write_text(PIPELINE)
    registry = default_registry()
    spec = load_pipeline(str(path), registry=registry)
    plan = build_plan(spec, data_dir=str(tmp_path))
    record = RunRecord(run_id="r", pipeline="kept", file=str(path), spec_hash="x",
                       data_dir=str(tmp_path), tasks=[TaskRecord(t.key, t.kind, t.id)
                                                      for t in plan.tasks()])
    return RunState(spec, plan, RunOptions(data_dir=str(tmp_path)), CapturingConsole(),
                    registry, record)


def test_kept_until_the_first_cached_step_and_the_sinks_reading_it_directly(tmp_path):
    state = _state(tmp_path)
    # through `clean` (not cached) to `wide` (cached): after `wide`, nothing needs the files
    assert state._needed_until("source:orders") == {"step:wide", "sink:raw_orders"}
    task = next(t for t in state.plan.tasks() if t.key == "source:orders")
    frame = FakeFrame()
    state.keep_source(task, frame, state.record.task(task.key), "MEMORY_AND_DISK (why)")
    assert state.record.task(task.key).cache == "MEMORY_AND_DISK (why)"
    state.release_after("step:wide")
    assert frame.released == 0 and "orders" in state.cached  # raw_orders still to write
    state.release_after("sink:raw_orders")
    assert frame.released == 1 and "orders" not in state.cached

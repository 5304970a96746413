"""What a pipeline test computes: the steps between its fixtures and its target.

A test names a target (a step or a sink) and gives rows for some sources and steps; the steps
the target reads are computed from them, through as many steps as it takes, with the
pipeline's own code. Walking up from the target, each path must end at a fixture: a source
reached without one is missing, a fixture never reached is unused. A step reads its declared
inputs (a SQL step its `ref()`s) only: the tables its checks read are not needed, since
`etl test` does not run checks. Which tests `--select` picks is decided here too. Pure: no
pyspark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from framework.graph import Graph
from framework.spec import PipelineSpec


@dataclass(frozen=True)
class Scope:
    steps: tuple[str, ...]  # step keys to compute, in the pipeline's order
    missing: dict[str, str]  # source key -> the node that reads it
    unused: tuple[str, ...]  # fixture keys nothing computed reads


def inputs_of(spec: PipelineSpec, graph: Graph, key: str) -> tuple[str, ...]:
    """The node keys `key` reads to be computed: a step its inputs, a sink its `from`."""
    kind, _, name = key.partition(":")
    if kind == "step":
        step = spec.step(name)
        names = set(step.inputs) if step is not None else set()
        return tuple(d for d in graph.deps(key) if d.partition(":")[2] in names)
    if kind == "sink":
        sink = next((s for s in spec.sinks if s.table == name), None)
        return tuple(d for d in graph.deps(key)
                     if sink is not None and d.partition(":")[2] == sink.source)
    return ()


def scope(spec: PipelineSpec, graph: Graph, target: str, given: Iterable[str]) -> Scope:
    """The steps `target` needs computed when `given` (node keys) are fixtures."""
    fixtures = set(given)
    steps: set[str] = set()
    missing: dict[str, str] = {}
    reached: set[str] = set()
    todo = [target]
    while todo:
        key = todo.pop()
        for dep in inputs_of(spec, graph, key):
            if dep in fixtures:
                reached.add(dep)
            elif dep.startswith("source:"):
                missing.setdefault(dep, key)
            elif dep not in steps:
                steps.add(dep)
                todo.append(dep)
    if target.startswith("step:"):
        steps.add(target)
    order = tuple(k for k in graph.order() if k in steps)
    unused = tuple(k for k in fixtures if k not in reached)
    return Scope(order, missing, unused)


def selected(graph: Graph, exprs: Iterable[str]) -> set[str]:
    """The node keys whose tests `--select` runs: the nodes the expressions pick (as `etl run`
    reads them: name, name+, +name, tag:x, kind:id), and the sinks of a picked source or step,
    as a run publishes them."""
    chosen = set(graph.select(list(exprs)).nodes)
    for key in list(chosen):
        if key.startswith(("step:", "source:")):
            chosen |= {c for c in graph.consumers(key) if c.startswith("sink:")}
    return chosen


def upstream_sources(spec: PipelineSpec, graph: Graph, key: str) -> set[str]:
    """The source keys `key` is computed from, through the steps it reads."""
    found: set[str] = set()
    seen: set[str] = set()
    todo = [key]
    while todo:
        for dep in inputs_of(spec, graph, todo.pop()):
            if dep.startswith("source:"):
                found.add(dep)
            elif dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return found

"""The plan: an ordered list of stages of tasks that a run executes and a dry-run explains.

`build_plan` turns a validated spec (and an optional selection) into stages -- prepare, generate,
read, transform, publish -- each task carrying the decisions the run will take: which inputs are
broadcast, what is cached and why, how a sink is partitioned and where it lands. The executor walks
exactly this list; `framework.explain` renders it. No Spark, no I/O.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from framework.graph import Graph, build_graph
from framework.spec import PipelineSpec, SinkSpec, SourceSpec, StepSpec

STAGES = ("prepare", "generate", "read", "transform", "publish")
_STAGE_OF_KIND = {"generator": "generate", "source": "read", "step": "transform", "sink": "publish"}


@dataclass(frozen=True)
class Task:
    key: str  # "<kind>:<id>"
    kind: str  # generator | source | step | sink
    id: str
    deps: tuple[str, ...]
    detail: dict[str, Any]  # JSON-able facts shown by `etl plan`
    cache: str | None = None  # storage level when the output is cached
    cache_reason: str = ""
    consumers: tuple[str, ...] = ()
    publish: bool = True  # False for a sink outside the selection (never happens) / needed input


@dataclass(frozen=True)
class Stage:
    name: str
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Plan:
    pipeline: str
    file: str
    spec_hash: str
    data_dir: str
    stages: tuple[Stage, ...]
    selection: tuple[str, ...] = ()
    prepare: tuple[str, ...] = field(default_factory=tuple)  # folders to create / clean

    def tasks(self) -> list[Task]:
        return [t for stage in self.stages for t in stage.tasks]

    def task(self, key: str) -> Task:
        return next(t for t in self.tasks() if t.key == key)


def data_path(data_dir: str, path: str) -> str:
    """A data location from the spec: a URI or absolute path as written, else under the data
    directory."""
    return path if "://" in path or os.path.isabs(path) else os.path.join(data_dir, path)


def _closure(graph: Graph, keys: set[str]) -> set[str]:
    """`keys` plus everything they need upstream."""
    todo, seen = list(keys), set(keys)
    while todo:
        for dep in graph.deps(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def selected_keys(spec: PipelineSpec, graph: Graph, select: list[str] | None) -> set[str]:
    """Node keys a run needs: the selection (a step brings its own sinks) and its upstream."""
    if not select:
        return set(graph.order())
    chosen = set(graph.select(select).order())
    for key in list(chosen):
        if key.startswith(("step:", "source:")):
            chosen |= {c for c in graph.consumers(key) if c.startswith("sink:")}
    return _closure(graph, chosen)


def build_plan(spec: PipelineSpec, data_dir: str, select: list[str] | None = None,
               graph: Graph | None = None) -> Plan:
    graph = build_graph(spec) if graph is None else graph
    keys = selected_keys(spec, graph, select)
    order = [k for k in graph.order() if k in keys]
    consumers = {k: tuple(c for c in graph.consumers(k) if c in keys) for k in order}
    tasks = [_task(spec, graph, key, consumers[key], data_dir) for key in order]
    stages = [Stage("prepare", ())] + [
        Stage(name, tuple(t for t in tasks if _STAGE_OF_KIND[t.kind] == name))
        for name in STAGES[1:]
    ]
    prepare = (data_path(data_dir, spec.warehouse.path), os.path.join(data_dir, "runs"))
    return Plan(spec.name, spec.file, spec.spec_hash, data_dir, tuple(stages),
                tuple(select or ()), prepare)


def _task(spec: PipelineSpec, graph: Graph, key: str, consumers: tuple[str, ...],
          data_dir: str) -> Task:
    kind, _, name = key.partition(":")
    deps = tuple(graph.deps(key))
    detail, cache, reason = _describe(spec, kind, name, consumers, data_dir)
    return Task(key, kind, name, deps, detail, cache, reason, consumers)


def _describe(spec: PipelineSpec, kind: str, name: str, consumers: tuple[str, ...],
              data_dir: str) -> tuple[dict, str | None, str]:
    if kind == "generator":
        gen = spec.generator(name)
        return ({"generator": gen.generator, "params": dict(gen.params),
                 "landing": data_path(data_dir, gen.landing_path),
                 "format": gen.landing_format}, None, "")
    if kind == "source":
        src = spec.source(name)
        cache, reason = _cache_decision(spec, None, consumers)
        return _source_detail(src, data_dir), cache, reason
    if kind == "step":
        step = spec.step(name)
        cache, reason = _cache_decision(spec, step, consumers)
        return _step_detail(step), cache, reason
    sink = next(s for s in spec.sinks if s.table == name)
    return _sink_detail(spec, sink, data_dir), None, ""


def _cache_decision(spec: PipelineSpec, step: StepSpec | None,
                    consumers: tuple[str, ...]) -> tuple[str | None, str]:
    if step is not None and step.cache:
        return step.cache, "declared"
    if spec.optimizations.auto_cache and len(consumers) >= 2:
        return spec.optimizations.storage_level, f"auto: {len(consumers)} consumers"
    return None, ""


def _source_detail(src: SourceSpec, data_dir: str) -> dict:
    detail = {"format": src.format, "path": data_path(data_dir, src.path),
              "on_malformed": src.on_malformed, "allow_empty": src.allow_empty,
              "schema": src.schema.ddl() if src.schema else "inferred"}
    if src.encoding:
        detail["encoding"] = src.encoding
    if src.generated_by:
        detail["generated_by"] = f"{src.generated_by}.{src.table}"
    if src.options:
        detail["options"] = dict(src.options)
    return detail


def _step_detail(step: StepSpec) -> dict:
    detail: dict[str, Any] = {"transform": step.transform, "inputs": list(step.inputs)}
    if step.params:
        detail["params"] = dict(step.params)
    if step.broadcast:
        detail["broadcast"] = list(step.broadcast)
    if step.repartition:
        detail["repartition"] = _repartition(step.repartition)
    if step.sql:
        detail["sql"] = step.sql
    if step.tags:
        detail["tags"] = list(step.tags)
    return detail


def _repartition(rep) -> dict:
    out: dict[str, Any] = {"num": rep.num, "by": list(rep.by)}
    if rep.coalesce:
        out["coalesce"] = True
    return out


def _sink_detail(spec: PipelineSpec, sink: SinkSpec, data_dir: str) -> dict:
    detail: dict[str, Any] = {
        "from": sink.source, "mode": sink.mode, "targets": list(sink.targets),
        "path": os.path.join(data_path(data_dir, spec.warehouse.path), sink.table),
        "compression": sink.compression or spec.warehouse.compression,
    }
    if sink.partition_by:
        detail["partition_by"] = list(sink.partition_by)
    if sink.repartition:
        detail["repartition"] = _repartition(sink.repartition)
    if "postgres" in sink.targets:  # where it lands; never the DSN
        detail["postgres_table"] = f"{spec.warehouse.postgres_schema}.{sink.table}"
    return detail

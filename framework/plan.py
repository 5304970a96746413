"""The plan: an ordered list of stages of typed tasks that a run executes and a dry-run explains.

`build_plan` turns a validated spec (and an optional selection) into stages -- prepare, generate,
read, transform, publish -- each task a frozen dataclass of its kind carrying the decisions the run
will take: which inputs are broadcast, what is cached and why, how a sink is partitioned and where
it lands. The executor runs exactly these tasks (one runner per kind, `framework.runtime.tasks`);
`framework.explain` renders them from the same fields. No Spark, no I/O.

A new kind of task is one `Task` subclass here (its `kind`, `stage`, fields, `label` and `notes`)
and one runner module in `framework.runtime.tasks`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

from framework.checks import DEFAULT_THRESHOLD, CheckSpec, Threshold
from framework.graph import Graph, build_graph
from framework.paths import data_path
from framework.spec import PipelineSpec, Repartition, SinkSpec, SourceSpec, StepSpec

STAGES = ("prepare", "generate", "read", "transform", "publish", "load", "views")

_OPTIONAL = {"optional": True}  # a field the JSON plan leaves out when it is empty


@dataclass(frozen=True, kw_only=True)
class Task:
    """What every task has: its id, the tasks it reads and the tasks that read it."""

    kind: ClassVar[str]
    stage: ClassVar[str]

    id: str
    deps: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def facts(self) -> dict[str, Any]:
        """The kind's own fields as JSON-able values, in declaration order (the JSON plan)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in _COMMON:
                continue
            value = _jsonable(getattr(self, f.name))
            if f.metadata.get("optional") and not value:  # None, "", (), {}
                continue
            out[f.metadata.get("json", f.name)] = value
        return out

    def map_facts(self, fn) -> Task:
        """A copy with `fn` applied to each of the kind's own fields (to hide secrets)."""
        return replace(self, **{f.name: fn(getattr(self, f.name)) for f in fields(self)
                                if f.name not in _COMMON})

    def label(self) -> str:
        """One line naming the task, for the console while it runs."""
        return f"{self.kind} {self.id}"

    def headline(self) -> str:
        """What the task does, after its id, in the plan tree."""
        return self.label()

    def notes(self) -> list[str]:
        """The decisions worth a line each in the plan tree."""
        return []


@dataclass(frozen=True, kw_only=True)
class CachedTask(Task):
    """A task whose output other tasks read, kept in memory when several do."""

    cache: str | None = None  # storage level when the output is cached
    cache_reason: str = ""

    def notes(self) -> list[str]:
        if not self.cache:
            return []
        return [f"cache {self.cache} ({self.cache_reason}); released after its last consumer"]


_COMMON = {"id", "deps", "consumers", "cache", "cache_reason"}


@dataclass(frozen=True, kw_only=True)
class PrepareTask(Task):
    kind: ClassVar[str] = "prepare"
    stage: ClassVar[str] = "prepare"

    folders: tuple[str, ...]  # created when missing: the warehouse and the run records
    warehouse: str  # locked for the run; staging leftovers of interrupted runs cleaned

    def headline(self) -> str:
        return "folders and the warehouse lock"

    def notes(self) -> list[str]:
        return [*(f"folder {f}" for f in self.folders),
                "lock the warehouse: one run at a time",
                "clean staging leftovers of interrupted runs"]


@dataclass(frozen=True, kw_only=True)
class GenerateTask(Task):
    kind: ClassVar[str] = "generator"
    stage: ClassVar[str] = "generate"

    generator: str
    params: dict[str, Any]
    landing: str
    format: str

    def headline(self) -> str:
        return f"generator {self.generator} -> {self.landing} ({self.format})"

    def notes(self) -> list[str]:
        return ["params: " + ", ".join(f"{k}={v}" for k, v in self.params.items())]


@dataclass(frozen=True, kw_only=True)
class ReadTask(CachedTask):
    kind: ClassVar[str] = "source"
    stage: ClassVar[str] = "read"

    format: str
    path: str
    on_malformed: str
    allow_empty: bool = False
    schema: str  # the declared columns as DDL, or "inferred"
    encoding: str | None = field(default=None, metadata=_OPTIONAL)
    generated_by: str | None = field(default=None, metadata=_OPTIONAL)
    options: dict[str, str] = field(default_factory=dict, metadata=_OPTIONAL)
    max_malformed: Threshold | None = field(default=None, metadata=_OPTIONAL)
    checks: tuple[CheckSpec, ...] = field(default=(), metadata=_OPTIONAL)  # on the valid rows

    def headline(self) -> str:
        return f"{self.format} {self.path}"

    def notes(self) -> list[str]:
        limit = f" (the run fails above {self.max_malformed.text.lstrip('> ')})" \
            if self.max_malformed else ""
        lines = [f"schema: {_columns(self.schema)}",
                 f"malformed rows: {self.on_malformed}{limit}; "
                 + ("0 rows allowed" if self.allow_empty else "0 rows refuse the run")]
        if self.encoding:
            lines.append(f"encoding: {self.encoding}")
        return lines + check_notes(self.checks, self.deps) + super().notes()


@dataclass(frozen=True, kw_only=True)
class StepTask(CachedTask):
    kind: ClassVar[str] = "step"
    stage: ClassVar[str] = "transform"

    transform: str
    inputs: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict, metadata=_OPTIONAL)
    broadcast: tuple[str, ...] = field(default=(), metadata=_OPTIONAL)
    repartition: Repartition | None = field(default=None, metadata=_OPTIONAL)
    sql: str | None = field(default=None, metadata=_OPTIONAL)
    tags: tuple[str, ...] = field(default=(), metadata=_OPTIONAL)
    checks: tuple[CheckSpec, ...] = field(default=(), metadata=_OPTIONAL)  # on its output

    def label(self) -> str:
        return f"{self.id} = {self.transform}({', '.join(self.inputs)})"

    def headline(self) -> str:
        return f"= {self.transform}({', '.join(self.inputs)})"

    def notes(self) -> list[str]:
        lines = []
        if self.params:
            lines.append("params: " + ", ".join(f"{k}={v}" for k, v in self.params.items()))
        if self.broadcast:
            lines.append("broadcast " + ", ".join(self.broadcast))
        if self.repartition:
            lines.append(repartition_text(self.repartition))
        return lines + check_notes(self.checks, self.deps, self.inputs) + super().notes()


@dataclass(frozen=True, kw_only=True)
class SinkTask(Task):
    kind: ClassVar[str] = "sink"
    stage: ClassVar[str] = "publish"

    source: str = field(metadata={"json": "from"})
    mode: str
    targets: tuple[str, ...]
    path: str
    compression: str
    partition_by: tuple[str, ...] = field(default=(), metadata=_OPTIONAL)
    repartition: Repartition | None = field(default=None, metadata=_OPTIONAL)
    postgres_table: str | None = field(default=None, metadata=_OPTIONAL)  # never the DSN
    # on the staged table, before the swap: the `columns:` shorthand first, then `checks:`
    checks: tuple[CheckSpec, ...] = field(default=(), metadata=_OPTIONAL)

    def label(self) -> str:
        return f"{self.id} <- {self.source}"

    def headline(self) -> str:
        return f"<- {self.source}  {self.path}"

    def notes(self) -> list[str]:
        lines = [f"mode {self.mode}, {self.compression}, targets {', '.join(self.targets)}"]
        if self.postgres_table:
            lines.append(f"PostgreSQL table {self.postgres_table} (COPY from its Parquet "
                         f"files in the load stage)")
        if self.partition_by:
            lines.append("partitioned by " + ", ".join(self.partition_by))
        if self.repartition:
            lines.append(repartition_text(self.repartition))
        if self.checks:
            lines.append("checked on the staged table; an error-level failure keeps the "
                         "published one")
        return lines + check_notes(self.checks, self.deps, (self.source,))


def check_notes(checks: tuple[CheckSpec, ...], deps: tuple[str, ...] = (),
                inputs: tuple[str, ...] = ()) -> list[str]:
    """One line per check: `check not_null(id) [error]`, with thresholds when not `> 0`; and
    what the checks read besides the task's own inputs (computed first, kept till then)."""
    extra = [d.partition(":")[2] for d in deps if d.startswith(("source:", "step:"))
             and d.partition(":")[2] not in inputs]
    lines = [f"checks read {', '.join(extra)} (computed first)"] if checks and extra else []
    for check in checks:
        bounds = [f"{word} {t.text}" for word, t, used in (
            ("fails if", check.error_if, check.severity == "error"),
            ("warns if", check.warn_if, True)) if used and t != DEFAULT_THRESHOLD]
        more = f" ({'; '.join(bounds)})" if bounds else ""
        lines.append(f"check {check.name} [{check.severity}]{more}")
    return lines


def check_facts(check: CheckSpec) -> dict[str, Any]:
    """A check in the JSON plan: what runs, how much it matters, where it is declared."""
    return {"name": check.name, "rule": check.rule, "column": check.column,
            "params": dict(check.params), "severity": check.severity,
            "warn_if": check.warn_if.text, "error_if": check.error_if.text,
            "line": check.loc.line if check.loc else None}


@dataclass(frozen=True, kw_only=True)
class PostgresPublishTask(Task):
    """Every staged PostgreSQL table of the run loaded at once: one transaction, tables
    created from the DDL templates, referenced tables before the tables that reference them."""

    kind: ClassVar[str] = "postgres"
    stage: ClassVar[str] = "load"

    schema: str  # the PostgreSQL schema (never the DSN)
    tables: tuple[str, ...]  # in load order: dimensions before facts
    templates: str | None = field(default=None, metadata=_OPTIONAL)  # where ddl/ is

    def headline(self) -> str:
        return f"{len(self.tables)} table(s) into PostgreSQL schema {self.schema}"

    def notes(self) -> list[str]:
        return ["one transaction: keys deferred to the commit, any failure leaves every table "
                "as it was", "order: " + ", ".join(self.tables)]


@dataclass(frozen=True, kw_only=True)
class ViewsTask(Task):
    """The pipeline's SQL views (`sql:` section), once its tables are published: checked on
    Spark against the published tables, created in PostgreSQL when tables are loaded there."""

    kind: ClassVar[str] = "views"
    stage: ClassVar[str] = "views"

    templates: str  # the SQL templates folder
    views: tuple[str, ...]  # in creation order: a view after the views it reads
    warehouse: str  # where the published tables are read from
    postgres_schema: str | None = field(default=None, metadata=_OPTIONAL)

    def headline(self) -> str:
        return f"{len(self.views)} view(s) from {self.templates}"

    def notes(self) -> list[str]:
        where = "checked on Spark over the published tables"
        if self.postgres_schema:
            where += f"; created in PostgreSQL schema {self.postgres_schema} in one transaction"
        return [where, "views: " + ", ".join(self.views)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, CheckSpec):
        return check_facts(value)
    if isinstance(value, Threshold):
        return value.text
    if isinstance(value, Repartition):
        out: dict[str, Any] = {"num": value.num, "by": list(value.by)}
        if value.coalesce:
            out["coalesce"] = True
        return out
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return dict(value)
    return value


def repartition_text(rep: Repartition) -> str:
    if rep.coalesce:
        return f"coalesce to {rep.num} partition(s) before writing"
    by = f" by {', '.join(rep.by)}" if rep.by else ""
    num = f" into {rep.num}" if rep.num else ""
    return f"repartition{num}{by}"


def _columns(ddl: str) -> str:
    """`a` string, `b` int -> "2 declared columns: a, b" (the whole DDL is in the JSON plan)."""
    import re

    if ddl == "inferred":
        return "inferred (an extra pass over the data)"
    names = re.findall(r"`((?:[^`]|``)*)`", ddl)
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"{len(names)} declared columns: {shown}"


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

    def tasks(self) -> list[Task]:
        return [t for stage in self.stages for t in stage.tasks]

    def task(self, key: str) -> Task:
        return next(t for t in self.tasks() if t.key == key)

    @property
    def prepare(self) -> tuple[str, ...]:
        """The folders the run creates before anything else."""
        return tuple(f for t in self.tasks() if isinstance(t, PrepareTask) for f in t.folders)


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
    warehouse = data_path(data_dir, spec.warehouse.path)
    tasks: list[Task] = [PrepareTask(id="warehouse", warehouse=warehouse,
                                     folders=(warehouse, os.path.join(data_dir, "runs")))]
    for key in order:
        consumers = tuple(c for c in graph.consumers(key) if c in keys)
        tasks.append(_task(spec, key, tuple(graph.deps(key)), consumers, data_dir))
    load = _postgres_task(spec, tasks)
    tasks += [load] if load is not None else []
    views = _views_task(spec, tasks, warehouse)
    tasks += [views] if views is not None else []
    stages = tuple(Stage(name, tuple(t for t in tasks if t.stage == name)) for name in STAGES)
    return Plan(spec.name, spec.file, spec.spec_hash, data_dir, stages, tuple(select or ()))


def _task(spec: PipelineSpec, key: str, deps: tuple[str, ...], consumers: tuple[str, ...],
          data_dir: str) -> Task:
    kind, _, name = key.partition(":")
    common = {"id": name, "deps": deps, "consumers": consumers}
    if kind == "generator":
        gen = spec.generator(name)
        return GenerateTask(**common, generator=gen.generator, params=dict(gen.params),
                            landing=data_path(data_dir, gen.landing_path),
                            format=gen.landing_format)
    if kind == "source":
        return _read_task(spec, spec.source(name), common, data_dir)
    if kind == "step":
        return _step_task(spec, spec.step(name), common)
    sink = next(s for s in spec.sinks if s.table == name)
    return _sink_task(spec, sink, common, data_dir)


def _postgres_task(spec: PipelineSpec, tasks: list[Task]) -> PostgresPublishTask | None:
    """The load into PostgreSQL of every sink this run publishes there, after them all."""
    from framework.ddl import load_order

    sinks = [t for t in tasks if isinstance(t, SinkTask) and "postgres" in t.targets]
    if not sinks:
        return None
    chosen = {t.id for t in sinks}
    order = [s.table for s in load_order([s for s in spec.sinks if s.table in chosen])]
    templates = spec.sql.templates if spec.sql is not None else None
    return PostgresPublishTask(id="postgres", deps=tuple(t.key for t in sinks),
                               schema=spec.warehouse.postgres_schema, tables=tuple(order),
                               templates=templates)


def _views_task(spec: PipelineSpec, tasks: list[Task], warehouse: str) -> ViewsTask | None:
    """The views of the pipeline's `sql:` section, after every table this run publishes."""
    sql = spec.sql
    if sql is None or not sql.templates:
        return None
    names = view_order(sql.templates, None if sql.views == "all" else list(sql.views))
    if not names:
        return None
    sinks = tuple(t.key for t in tasks if isinstance(t, SinkTask | PostgresPublishTask))
    postgres = any("postgres" in t.targets for t in tasks if isinstance(t, SinkTask))
    return ViewsTask(id="sql", deps=sinks, templates=sql.templates, views=tuple(names),
                     warehouse=warehouse,
                     postgres_schema=spec.warehouse.postgres_schema if postgres else None)


def view_order(folder: str, names: list[str] | None = None) -> list[str]:
    """The views of `folder` (or those of `names`), each after the views it reads with `rel()`;
    otherwise by name. Reads the templates' text, never renders them."""
    from graphlib import TopologicalSorter

    from framework.sqltemplates import find_rels, list_templates

    found = {t.name: t for t in list_templates(folder, "views")}
    chosen = sorted(found) if names is None else [n for n in names if n in found]
    reads = {n: [r for r in find_rels(found[n].path.read_text(encoding="utf-8"))
                 if r in chosen and r != n] for n in chosen}
    sorter = TopologicalSorter({n: reads[n] for n in chosen})
    sorter.prepare()  # a cycle between views raises CycleError: validation names it first
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return order


def _cache(spec: PipelineSpec, step: StepSpec | None, consumers: tuple[str, ...]) -> dict:
    if step is not None and step.cache:
        return {"cache": step.cache, "cache_reason": "declared"}
    if spec.optimizations.auto_cache and len(consumers) >= 2:
        return {"cache": spec.optimizations.storage_level,
                "cache_reason": f"auto: {len(consumers)} consumers"}
    return {}


def _read_task(spec: PipelineSpec, src: SourceSpec, common: dict, data_dir: str) -> ReadTask:
    return ReadTask(
        **common, **_cache(spec, None, common["consumers"]), format=src.format,
        path=data_path(data_dir, src.path), on_malformed=src.on_malformed,
        allow_empty=src.allow_empty, schema=src.schema.ddl() if src.schema else "inferred",
        encoding=src.encoding or None,
        generated_by=f"{src.generated_by}.{src.table}" if src.generated_by else None,
        options=dict(src.options or {}), max_malformed=src.max_malformed,
        checks=tuple(src.checks))


def _step_task(spec: PipelineSpec, step: StepSpec, common: dict) -> StepTask:
    return StepTask(**common, **_cache(spec, step, common["consumers"]),
                    transform=step.transform, inputs=tuple(step.inputs),
                    params=dict(step.params), broadcast=tuple(step.broadcast),
                    repartition=step.repartition, sql=step.sql, tags=tuple(step.tags),
                    checks=tuple(step.checks))


def _sink_task(spec: PipelineSpec, sink: SinkSpec, common: dict, data_dir: str) -> SinkTask:
    postgres = f"{spec.warehouse.postgres_schema}.{sink.table}" \
        if "postgres" in sink.targets else None
    return SinkTask(
        **common, source=sink.source, mode=sink.mode, targets=tuple(sink.targets),
        path=os.path.join(data_path(data_dir, spec.warehouse.path), sink.table),
        compression=sink.compression or spec.warehouse.compression,
        partition_by=tuple(sink.partition_by), repartition=sink.repartition,
        postgres_table=postgres, checks=tuple(sink.checks))

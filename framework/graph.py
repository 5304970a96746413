"""The pipeline DAG: generators -> sources -> steps -> sinks, built with graphlib and checked.

Node keys are "<kind>:<id>" (kinds: generator, source, step, sink; sinks are keyed by table).
An edge points from what a node reads to the node: a source reads its generator, a step its
inputs, a sink its `from`. `check_graph` is the one place references to nothing and cycles are
found (validation reports its problems; `build_graph` refuses them); `Graph.select` returns a NEW
graph of the selected nodes plus `required_inputs`, the outside nodes they read.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from framework.checkspec import check_inputs, declared_checks
from framework.errors import Location, Problem, SpecError, UsageError, did_you_mean, format_path
from framework.spec import PipelineSpec, StepSpec

KINDS = ("generator", "source", "step", "sink")


@dataclass(frozen=True)
class Node:
    key: str
    kind: str
    id: str
    tags: tuple[str, ...] = ()
    loc: Location | None = None


@dataclass(frozen=True)
class Edge:
    """`consumer` reads `producer`; `loc` is where the consumer names it."""

    producer: str
    consumer: str
    loc: Location | None = None
    path: str = ""


@dataclass(frozen=True, eq=False)
class Graph:
    """Nodes in declaration order and, per node, every key it reads (possibly outside the graph)."""

    nodes: dict[str, Node]
    edges: dict[str, tuple[str, ...]]
    _consumers: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        readers: dict[str, list[str]] = {key: [] for key in self.nodes}
        for key, deps in self.edges.items():
            for dep in deps:
                if dep in readers:
                    readers[dep].append(key)
        self._consumers.update({k: tuple(v) for k, v in readers.items()})

    @property
    def required_inputs(self) -> frozenset[str]:
        """Keys outside this graph that its nodes read (the executor reads their stored output)."""
        return frozenset(d for deps in self.edges.values() for d in deps if d not in self.nodes)

    def __contains__(self, key: object) -> bool:
        return key in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def deps(self, key: str) -> tuple[str, ...]:
        """The nodes `key` reads inside this graph, in declared order."""
        return tuple(d for d in self.edges.get(key, ()) if d in self.nodes)

    def consumers(self, key: str) -> tuple[str, ...]:
        """The nodes that read `key`, in declaration order."""
        return self._consumers.get(key, ())

    def order(self) -> list[str]:
        """A topological order; among ready nodes, the one declared first goes first."""
        index = {key: i for i, key in enumerate(self.nodes)}
        sorter = TopologicalSorter({key: self.deps(key) for key in self.nodes})
        sorter.prepare()
        ready: list[tuple[int, str]] = []
        out: list[str] = []
        while sorter.is_active():
            for key in sorter.get_ready():
                heapq.heappush(ready, (index[key], key))
            _, key = heapq.heappop(ready)
            out.append(key)
            sorter.done(key)
        return out

    def upstream(self, key: str) -> set[str]:
        return _reach(key, self.deps)

    def downstream(self, key: str) -> set[str]:
        return _reach(key, self.consumers)

    def select(self, exprs: Iterable[str]) -> Graph:
        """A new graph of the nodes `exprs` pick: name, name+, +name, +name+, tag:x, kind:id."""
        chosen: set[str] = set()
        for expr in exprs:
            chosen |= self._select_one(expr.strip())
        return self.subgraph(chosen)

    def subgraph(self, keys: set[str]) -> Graph:
        nodes = {k: n for k, n in self.nodes.items() if k in keys}
        return Graph(nodes, {k: self.edges.get(k, ()) for k in nodes})

    def _select_one(self, expr: str) -> set[str]:
        up, down = expr.startswith("+"), expr.endswith("+") and len(expr) > 1
        core = expr[1 if up else 0: len(expr) - (1 if down else 0)]
        picked = self._match(core, expr)
        for key in list(picked):
            picked |= self.upstream(key) if up else set()
            picked |= self.downstream(key) if down else set()
        return picked

    def _match(self, core: str, expr: str) -> set[str]:
        if core.startswith("tag:"):
            tag = core[4:]
            picked = {k for k, n in self.nodes.items() if tag in n.tags}
            tags = sorted({t for n in self.nodes.values() for t in n.tags})
            return picked or _unknown(expr, f"no step has tag {tag!r}", tag, tags)
        if core in self.nodes:
            return {core}
        picked = {k for k, n in self.nodes.items() if n.id == core}
        names = sorted({n.id for n in self.nodes.values()})
        return picked or _unknown(expr, f"nothing is named {core!r}", core, names)


def _unknown(expr: str, what: str, word: str, choices: list[str]) -> set[str]:
    raise UsageError(f"--select {expr}: {what}", hint=did_you_mean(
        word, choices, "select a step, source or sink id, a tag:<name>, with + for up/downstream"))


def _reach(key: str, step: object) -> set[str]:
    seen: set[str] = set()
    todo = [key]
    while todo:
        for nxt in step(todo.pop()):  # type: ignore[operator]
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _resolve(spec: PipelineSpec, name: str) -> str | None:
    """The node key an input name refers to: a step first, then a source."""
    if spec.step(name) is not None:
        return f"step:{name}"
    if spec.source(name) is not None:
        return f"source:{name}"
    return None


def spec_nodes(spec: PipelineSpec) -> dict[str, Node]:
    found = [("generator", g.id, (), g.loc) for g in spec.generators]
    found += [("source", s.id, (), s.loc) for s in spec.sources]
    found += [("step", s.id, s.tags, s.loc) for s in spec.steps]
    found += [("sink", s.table, (), s.loc) for s in spec.sinks]
    nodes: dict[str, Node] = {}
    for kind, nid, tags, loc in found:
        nodes.setdefault(f"{kind}:{nid}", Node(f"{kind}:{nid}", kind, nid, tags, loc))
    return nodes


def spec_edges(spec: PipelineSpec) -> tuple[list[Edge], list[Problem]]:
    """Every edge of the spec, and a Problem for each reference to nothing. An empty name is
    the schema's to report, so it makes neither."""
    edges: list[Edge] = []
    problems: list[Problem] = []
    outputs = [s.id for s in spec.sources] + [s.id for s in spec.steps if s.id]
    for src in spec.sources:
        if src.generated_by:
            where = src.locs.get("generated", src.loc)
            if spec.generator(src.generated_by) is None:
                ids = [g.id for g in spec.generators]
                problems.append(Problem(
                    f"no generator {src.generated_by!r} is declared under generators:", where,
                    format_path(("sources", src.id, "generated")),
                    did_you_mean(src.generated_by, ids,
                                 f"declared generators: {', '.join(ids) or 'none'}")))
            else:
                edges.append(Edge(f"generator:{src.generated_by}", f"source:{src.id}", where))
    for i, step in enumerate(spec.steps):
        for j, name in enumerate(step.inputs):
            what = f"ref({name!r})" if step.transform == "sql" else f"input {name!r}"
            _link(spec, name, f"step:{step.id}", step.locs.get(f"inputs[{j}]", step.loc),
                  f"steps[{i}].inputs[{j}]", edges, problems,
                  f"unknown {what}: no source or step has this id",
                  did_you_mean(name, outputs, "an input names a source or a step"))
    for sink in spec.sinks:
        _link(spec, sink.source, f"sink:{sink.table}", sink.locs.get("from", sink.loc),
              format_path(("sinks", sink.table, "from")), edges, problems,
              f"sink {sink.table!r} reads {sink.source!r}, which is not a source or step",
              did_you_mean(sink.source, outputs, "`from:` names a step or source"))
    return edges, problems


def _link(spec: PipelineSpec, name: str, consumer: str, loc: Location | None, path: str,
          edges: list[Edge], problems: list[Problem], unknown: str, hint: str) -> None:
    producer = _resolve(spec, name)
    if producer is not None:
        edges.append(Edge(producer, consumer, loc, path))
    elif name:
        problems.append(Problem(unknown, loc, path, hint))


def check_graph(spec: PipelineSpec) -> tuple[Graph, list[Problem]]:
    """The DAG of `spec` and a Problem for each reference to nothing and each cycle among steps:
    the one place both are checked. The graph holds the edges that resolve."""
    nodes = spec_nodes(spec)
    edges, problems = spec_edges(spec)
    problems += find_cycles(spec)
    deps: dict[str, list[str]] = {key: [] for key in nodes}
    for edge in edges:
        if edge.producer not in deps[edge.consumer]:
            deps[edge.consumer].append(edge.producer)
    problems += _check_edges(spec, deps)
    return Graph(nodes, {k: tuple(v) for k, v in deps.items()}), problems


def _check_edges(spec: PipelineSpec, deps: dict[str, list[str]]) -> list[Problem]:
    """A check that reads other outputs (a relationship's `to:`, a query's `{name}`) makes its
    table read them too: they are computed first and kept until the check has run. A check may
    not read what is computed from its own table (a cycle), nor a source's check a step (sources
    are read and checked before any step): a Problem each."""
    problems = []
    for key, owner_path, check in declared_checks(spec):
        for sid in check_inputs(spec, check) if key in deps else ():
            producer = _resolve(spec, sid)
            if producer is None or producer == key or producer in deps[key]:
                continue
            if key.startswith("source:") and producer.startswith("step:"):
                problems.append(Problem(
                    f"check {check.name!r} of {key.replace(':', ' ')} reads step {sid!r}: a "
                    "source is checked right after it is read, before any step", check.loc,
                    f"{owner_path}.checks", "read other sources only here, or check this on "
                                            "a step or sink that reads both"))
                continue
            if key in _reach(producer, lambda k: deps.get(k, ())):
                problems.append(Problem(
                    f"check {check.name!r} of {key.replace(':', ' ')} reads {sid!r}, which is "
                    f"computed from {key.partition(':')[2]!r}", check.loc, f"{owner_path}.checks",
                    f"a check runs when its table is computed; check this on {sid!r} (or a "
                    f"sink of it) instead"))
                continue
            deps[key].append(producer)
    return problems


def build_graph(spec: PipelineSpec) -> Graph:
    """The DAG of `spec`; raises SpecError on a cycle or a reference to nothing."""
    graph, problems = check_graph(spec)
    if problems:
        raise SpecError(problems)
    return graph


def find_cycles(spec: PipelineSpec) -> list[Problem]:
    """One Problem per cycle among steps, printed as `a -> b -> c -> a` with each edge's line."""
    index = {step.id: i for i, step in reversed(list(enumerate(spec.steps))) if step.id}
    sources = {s.id for s in spec.sources}  # a step id that is also a source id is reported apart
    # a duplicated id is reported apart too: only its first step counts, as `spec.step` does
    deps = {sid: {n for n in spec.steps[i].inputs if n in index and n not in sources}
            for sid, i in index.items()}
    problems: list[Problem] = []
    while True:
        try:
            TopologicalSorter(deps).prepare()
            return problems
        except CycleError as exc:
            cycle = _rotate(list(exc.args[1][:-1]), index)
            problems.append(_cycle_problem(spec, cycle, index))
            for name in cycle:
                deps.pop(name, None)
            deps = {k: v - set(cycle) for k, v in deps.items()}


def _rotate(cycle: list[str], index: dict[str, int]) -> list[str]:
    first = min(range(len(cycle)), key=lambda i: index[cycle[i]])
    return cycle[first:] + cycle[:first]


def _cycle_problem(spec: PipelineSpec, cycle: list[str], index: dict[str, int]) -> Problem:
    hops = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
    where = [_edge_site(spec.steps[index[b]], a, index[b]) for a, b in hops]
    lines = ", ".join(f"{a} -> {b} at line {loc.line if loc else '?'}"
                      for (a, b), (loc, _) in zip(hops, where, strict=True))
    text = " -> ".join(cycle + cycle[:1])
    loc, path = where[0]
    return Problem(f"cycle: {text}", loc, path,
                   f"{lines}; a step cannot read its own output, remove one of these inputs")


def _edge_site(step: StepSpec, producer: str, i: int) -> tuple[Location | None, str]:
    j = step.inputs.index(producer)
    return step.locs.get(f"inputs[{j}]", step.loc), f"steps[{i}].inputs[{j}]"

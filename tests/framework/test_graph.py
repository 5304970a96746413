"""The DAG: deterministic order, deps/consumers, selection forms, cycles as paths with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.testplugin import make_registry
from framework.errors import Location, SpecError, UsageError
from framework.graph import Graph, build_graph, check_graph, find_cycles
from framework.spec import PipelineSpec, SinkSpec, SourceSpec, StepSpec
from framework.validate import load_pipeline

GOOD = Path(__file__).parent.parent / "fixtures" / "good" / "shop.yaml"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph(load_pipeline(GOOD, registry=make_registry(), env={}))


def test_order_is_topological_and_follows_declaration(graph: Graph) -> None:
    assert graph.order() == [
        "generator:shop", "source:events", "source:users", "source:archive",
        "step:events_clean", "step:events_all", "step:events_users", "step:daily",
        "step:top_users", "sink:fact_events", "sink:raw_events", "sink:daily_metrics",
        "sink:top_users",
    ]


def test_deps_and_consumers(graph: Graph) -> None:
    assert graph.deps("source:events") == ("generator:shop",)
    assert graph.deps("step:events_all") == ("step:events_clean", "source:archive")
    assert graph.deps("sink:fact_events") == ("step:events_users",)
    assert graph.consumers("step:events_users") == (
        "step:daily", "step:top_users", "sink:fact_events")
    assert graph.consumers("sink:top_users") == ()


def test_select_a_name_alone_pulls_in_nothing_else(graph: Graph) -> None:
    sub = graph.select(["events_all"])
    assert list(sub.nodes) == ["step:events_all"]
    assert sub.required_inputs == {"step:events_clean", "source:archive"}
    assert sub.deps("step:events_all") == ()
    assert sub is not graph and len(graph) == 13


def test_select_downstream(graph: Graph) -> None:
    assert list(graph.select(["daily+"]).nodes) == [
        "step:daily", "step:top_users", "sink:daily_metrics", "sink:top_users"]


def test_select_upstream(graph: Graph) -> None:
    sub = graph.select(["+events_all"])
    assert list(sub.nodes) == ["generator:shop", "source:events", "source:archive",
                               "step:events_clean", "step:events_all"]
    assert sub.required_inputs == frozenset()
    assert sub.order()[0] == "generator:shop"


def test_select_both_ways(graph: Graph) -> None:
    sub = graph.select(["+daily+"])
    assert "generator:shop" in sub and "sink:top_users" in sub
    assert "sink:raw_events" not in sub and "source:users" in sub


def test_select_by_tag_and_by_key(graph: Graph) -> None:
    assert list(graph.select(["tag:report"]).nodes) == ["step:daily", "step:top_users"]
    assert list(graph.select(["sink:top_users"]).nodes) == ["sink:top_users"]
    both = graph.select(["top_users"])  # a step and a sink share the name
    assert list(both.nodes) == ["step:top_users", "sink:top_users"]
    assert both.required_inputs == {"step:events_users", "step:daily"}


def test_select_several_expressions_unite(graph: Graph) -> None:
    sub = graph.select(["events_clean", "fact_events"])
    assert list(sub.nodes) == ["step:events_clean", "sink:fact_events"]


@pytest.mark.parametrize(("expr", "fragment"), [
    ("evnts_all", "did you mean 'events_all'?"),
    ("tag:reprot", "did you mean 'report'?"),
    ("+nothing+", "nothing is named 'nothing'"),
])
def test_unknown_selection_is_a_usage_error(graph: Graph, expr: str, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        graph.select([expr])
    assert fragment in info.value.format()


def _step(sid: str, *inputs: str, line: int = 0) -> StepSpec:
    locs = {f"inputs[{i}]": Location("p.yaml", line + i, 5) for i in range(len(inputs))}
    return StepSpec(id=sid, transform="t", inputs=inputs, loc=Location("p.yaml", line), locs=locs)


def _spec(*steps: StepSpec, sinks: tuple[SinkSpec, ...] = ()) -> PipelineSpec:
    return PipelineSpec(name="p", file="p.yaml", base_dir="/", steps=steps, sinks=sinks,
                        sources=(SourceSpec(id="src", format="csv", path="x"),))


def test_cycle_is_printed_as_a_path_with_lines() -> None:
    spec = _spec(_step("a", "src", "c", line=10), _step("b", "a", line=20),
                 _step("c", "b", line=30))
    [problem] = find_cycles(spec)
    assert problem.message == "cycle: a -> b -> c -> a"
    assert problem.location == Location("p.yaml", 20, 5) and problem.path == "steps[1].inputs[0]"
    assert problem.hint and problem.hint.startswith(
        "a -> b at line 20, b -> c at line 30, c -> a at line 11")


def test_cycle_starts_at_the_first_declared_step() -> None:
    spec = _spec(_step("x", "src"), _step("b", "c", line=5), _step("c", "b", line=9))
    [problem] = find_cycles(spec)
    assert problem.message == "cycle: b -> c -> b"


def test_acyclic_spec_has_no_cycle_problems() -> None:
    assert find_cycles(_spec(_step("a", "src"), _step("b", "a"))) == []


def test_build_graph_refuses_cycles_and_dangling_references() -> None:
    with pytest.raises(SpecError) as info:
        build_graph(_spec(_step("a", "b"), _step("b", "a"),
                          sinks=(SinkSpec(table="t", source="ghost"),)))
    messages = [p.message for p in info.value.problems]
    assert "cycle: a -> b -> a" in messages
    assert "sink 't' reads 'ghost', which is not a source or step" in messages


def test_a_duplicated_id_counts_as_its_first_step_only() -> None:
    """The second `a` reads the first: no cycle (the duplicate id is reported by validation),
    and no crash looking for an input the first `a` does not have."""
    assert find_cycles(_spec(_step("a", "src"), _step("a", "a"), _step("b", "a"))) == []
    [problem] = find_cycles(_spec(_step("a", "b"), _step("a", "src"), _step("b", "a")))
    assert problem.message == "cycle: a -> b -> a"


def test_check_graph_reports_references_to_nothing_as_validation_does() -> None:
    """One owner, one wording: the same problems whether validation or the planner asks."""
    spec = PipelineSpec(
        name="p", file="p.yaml", base_dir="/",
        sources=(SourceSpec(id="src", format="csv", path="x", generated_by="shpo", table="t",
                            locs={"generated": Location("p.yaml", 3, 16)}),),
        steps=(_step("a", "sr", line=10), StepSpec(id="q", transform="sql", inputs=("zzz",))),
        sinks=(SinkSpec(table="t", source="a"),))
    graph, problems = check_graph(spec)
    assert [(p.message, p.path, p.hint) for p in problems] == [
        ("no generator 'shpo' is declared under generators:", "sources.src.generated",
         "declared generators: none"),
        ("unknown input 'sr': no source or step has this id", "steps[0].inputs[0]",
         "did you mean 'src'? an input names a source or a step"),
        ("unknown ref('zzz'): no source or step has this id", "steps[1].inputs[0]",
         "an input names a source or a step"),
    ]
    assert problems[1].location == Location("p.yaml", 10, 5)
    assert graph.deps("sink:t") == ("step:a",) and graph.deps("step:a") == ()

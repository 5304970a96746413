"""Broken copies of the good pipelines: validation reports located problems, it never crashes.

A property test (hypothesis) takes a good pipeline -- `pipelines/clickstream.yaml`,
`tests/fixtures/good/shop.yaml`, the README's example -- and breaks it as a careless edit would:
a key or list item deleted, duplicated, renamed or given a value of another type, an id copied
onto another. The copy must then either raise one `SpecError` whose every problem names a line
of a file, or validate and be planned and explained as `etl plan` does; any other exception is
a crash a user would see as a traceback.
Runs in-process and derandomized, so CI sees the same examples every time.
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from rich.console import Console

from fixtures.testplugin import make_registry
from framework.errors import SpecError
from framework.explain import plan_json_text, plan_tree
from framework.plan import build_plan
from framework.registry import Registry
from framework.validate import default_registry, load_pipeline

ROOT = Path(__file__).parent.parent.parent
CLICKSTREAM = ROOT / "pipelines" / "clickstream.yaml"
SHOP = ROOT / "tests" / "fixtures" / "good" / "shop.yaml"

Path_ = tuple[Any, ...]

# values a careless edit or a hostile user puts where something else belongs
ODD_VALUES: list[Any] = [
    None, "", "x", 0, -1, 1.5, True, False, [], {}, ["x"], {"x": 1}, [[]], [{}], 10**30,
    "${undefined_var}", "a`b", "a\nb", "ORDERS", "events_clean", "shop.events", "sessions",
    "x" * 70, "../../etc", "é", "a b", "${users}",
]
ODD_NAMES = ["x", "X", "", "a`b", "a b", "1", "id", "from", "EVENTS", "x" * 70, "é", "${x}"]


class _Loader(yaml.SafeLoader):
    """PyYAML, but only `true`/`false` are booleans, as in the engine's loader (YAML 1.2): the
    key `on` of a join stays "on"."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"),
                              list("tf"))


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(pipeline: country_revenue\n.*?)```", text, re.S)
    assert match, "the README's example pipeline moved"
    return match.group(1)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder with the fixtures' schema and SQL files beside the pipelines under test."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(CLICKSTREAM.parent / "schemas", folder / "schemas")
    shutil.copy(SHOP.parent / "schemas" / "events.yaml", folder / "schemas" / "shop_events.yaml")
    shutil.copytree(SHOP.parent / "sql", folder / "sql")
    shutil.copytree(ROOT / "sql_templates", folder / "sql_templates")
    shutil.copytree(ROOT / "reports", folder / "reports")
    return folder


def _shop_text() -> str:
    text = SHOP.read_text(encoding="utf-8")
    return text.replace("schemas/events.yaml", "schemas/shop_events.yaml")


BASES: dict[str, tuple[Any, Any]] = {
    "clickstream": (lambda: CLICKSTREAM.read_text(encoding="utf-8").replace(
        "templates: ../sql_templates", "templates: sql_templates").replace(
        "report: ../reports/", "report: reports/"), default_registry),
    "shop": (_shop_text, make_registry),
    "readme": (readme_example, default_registry),
}


def paths(node: Any, at: Path_ = ()) -> list[Path_]:
    """Every path to a node inside `node` (the root excluded)."""
    out: list[Path_] = []
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    for key, value in items:
        out.append(at + (key,))
        out.extend(paths(value, at + (key,)))
    return out


def strings(node: Any) -> list[str]:
    """Every string key and value in `node`: ids, names, references to copy elsewhere."""
    if isinstance(node, dict):
        return [s for k, v in node.items()
                for s in ([k] if isinstance(k, str) else []) + strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def _parent(data: Any, path: Path_) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def names(data: Any) -> list[str]:
    """The ids of the document: steps, sources, sinks, generators."""
    steps = data.get("steps")
    found = [s.get("id") for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []
    for section in ("sources", "sinks", "generators"):
        found += list(data[section]) if isinstance(data.get(section), dict) else []
    return sorted({n for n in found if isinstance(n, str)})


def name_sites(data: Any) -> list[Path_]:
    """Where an id is declared or named: ids, inputs, `from:`, broadcast hints, section keys."""
    return [p for p in paths(data)
            if p[-1] in ("id", "input", "from", "generated")
            or (len(p) >= 2 and p[-2] in ("inputs", "broadcast", "partition_by"))
            or (len(p) == 2 and p[0] in ("sources", "sinks", "generators"))]


def mutate(data: Any, draw: Any) -> str:
    """Apply one random edit to `data` in place; returns what it did (for the failure report)."""
    action = draw(st.sampled_from(["delete", "duplicate", "retype", "rename", "copy_string",
                                   "reuse_name", "reuse_name"]))
    every = name_sites(data) if action == "reuse_name" else paths(data)
    if not every:
        return "nothing left to edit"
    path = draw(st.sampled_from(every))
    parent, key = _parent(data, path), path[-1]
    if action == "delete":
        del parent[key]
    elif action == "duplicate":
        if isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            new = draw(st.sampled_from([str(key).upper(), f"{key}_2", *ODD_NAMES]))
            parent[new] = copy.deepcopy(parent[key])
    elif action == "retype":
        parent[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
    elif isinstance(parent, dict) and (action == "rename" or len(path) == 2):
        pool = names(data) if action == "reuse_name" else [*ODD_NAMES, *strings(data)]
        new = draw(st.sampled_from([str(key).upper(), *pool]))
        if new not in parent:
            parent[new] = parent.pop(key)
    elif action in ("rename", "reuse_name"):
        parent[key] = draw(st.sampled_from(names(data) + [str(parent[key]).upper()]))
    else:
        known = strings(data)
        parent[key] = draw(st.sampled_from(known)) if known else None
    return f"{action} at {path}"


def check(text: str, registry: Registry, workdir: Path) -> None:
    """Validate `text`: located problems, or a spec that `etl plan` explains (tree and JSON)."""
    file = workdir / "p.yaml"
    file.write_text(text, encoding="utf-8")
    try:
        spec = load_pipeline(file, registry=registry, env={})
    except SpecError as exc:
        assert exc.problems, "a SpecError with no problem"
        for problem in exc.problems:
            assert problem.location is not None and problem.location.line >= 1, problem.format()
        return
    plan = build_plan(spec, str(workdir / "data"))
    assert json.loads(plan_json_text(plan))["pipeline"] == spec.name
    Console(file=io.StringIO(), width=100).print(plan_tree(plan))


@pytest.mark.parametrize("base", list(BASES))
def test_the_good_pipelines_validate_and_survive_the_round_trip(base: str, workdir: Path) -> None:
    """Unbroken, each base validates, also as the test writes it back (so every failure below
    comes from an edit)."""
    text, registry = BASES[base]
    file = workdir / f"{base}.yaml"
    file.write_text(text(), encoding="utf-8")
    spec = load_pipeline(file, registry=registry(), env={})
    dumped = yaml.safe_dump(yaml.load(text(), Loader=_Loader), sort_keys=False)  # noqa: S506
    file.write_text(dumped, encoding="utf-8")
    again = load_pipeline(file, registry=registry(), env={})
    assert spec.steps and again.spec_hash == spec.spec_hash  # the same document


@pytest.mark.parametrize("base", list(BASES))
@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_broken_copy_is_reported_never_crashes(base: str, workdir: Path, data: Any) -> None:
    text, registry = BASES[base]
    doc = yaml.load(text(), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        note(mutate(doc, data.draw))
    dumped = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    check(dumped, registry(), workdir)

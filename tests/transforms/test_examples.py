"""Every registered transform and generator documents itself: a summary, a description of each
parameter, and an `Example:` that validates as part of a pipeline (what `etl transforms NAME` and
the reference show a user is something they can paste)."""

from __future__ import annotations

import pytest
import yaml

from framework.errors import SpecError
from framework.registry import REGISTRY
from framework.validate import load_pipeline

REGISTRY.load_plugins()
TRANSFORMS = sorted(REGISTRY.transforms)
GENERATORS = sorted(REGISTRY.generators)


def step_pipeline(example: str) -> str:
    """A minimal pipeline around an example's steps: each input no step makes is a source."""
    steps = yaml.safe_load(example)
    assert isinstance(steps, list), "a transform's example is a list of steps (`- id: ...`)"
    made = {s["id"] for s in steps}
    wanted = [i for s in steps for i in ([s["input"]] if "input" in s else s.get("inputs", []))]
    sources = "".join(f"  {i}: {{path: input/{i}, format: parquet}}\n"
                      for i in dict.fromkeys(wanted) if i not in made)
    body = "".join(f"  {line}\n" for line in example.splitlines())
    return f"pipeline: example\n{'sources:' + chr(10) + sources if sources else ''}steps:\n{body}"


@pytest.mark.parametrize("name", TRANSFORMS)
def test_a_transforms_example_validates_as_a_pipeline_step(name, tmp_path):
    t = REGISTRY.transforms[name]
    assert t.example, f"transform {name!r} ({t.module}) has no `Example:` in its docstring"
    path = tmp_path / "example.yaml"
    path.write_text(step_pipeline(t.example), encoding="utf-8")
    spec = load_pipeline(path, registry=REGISTRY, env={})
    assert name in [s.transform for s in spec.steps], f"{name}'s example does not use it"


@pytest.mark.parametrize("name", GENERATORS)
def test_a_generators_example_validates_as_a_pipeline_section(name, tmp_path):
    g = REGISTRY.generators[name]
    assert g.example, f"generator {name!r} ({g.module}) has no `Example:` in its docstring"
    path = tmp_path / "example.yaml"
    path.write_text(f"pipeline: example\n{g.example}\n", encoding="utf-8")
    spec = load_pipeline(path, registry=REGISTRY, env={})
    assert [gen.generator for gen in spec.generators] == [name]


@pytest.mark.parametrize("name", TRANSFORMS + GENERATORS)
def test_every_parameter_is_described(name):
    item = REGISTRY.transforms.get(name) or REGISTRY.generators[name]
    assert item.doc.strip(), f"{name} ({item.module}) has no docstring"
    undocumented = [p for p, schema in item.params.get("properties", {}).items()
                    if not str(schema.get("description", "")).strip()]
    assert not undocumented, f"{name} ({item.module}): give these parameters a `description` " \
                             f"in their schema: {undocumented}"


def test_an_example_that_does_not_fit_its_schema_is_caught(tmp_path):
    path = tmp_path / "example.yaml"
    path.write_text(step_pipeline(REGISTRY.transforms["join"].example.replace("how: left",
                                                                              "how: sideways")))
    with pytest.raises(SpecError) as info:
        load_pipeline(path, registry=REGISTRY, env={})
    assert "'sideways' is not one of" in info.value.format()

"""The pipeline JSON Schema: assembled from a registry, valid itself, errors in plain words."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from fixtures.testplugin import make_registry
from framework.errors import Problem
from framework.loader import load_document
from framework.registry import Registry, transform
from framework.schema import (
    MODELINE,
    editor_schema,
    pipeline_schema,
    validate_document,
    write_schema,
)

ROOT = Path(__file__).parent.parent.parent
GOOD = ROOT / "tests" / "fixtures" / "good" / "shop.yaml"


def check(tmp_path: Path, text: str, registry: Registry | None = None) -> list[Problem]:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return validate_document(load_document(path, env={}), registry or make_registry())


def test_schema_is_valid_draft_2020_12() -> None:
    schema = pipeline_schema(make_registry())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")


def test_schema_lists_registered_transforms_and_their_params() -> None:
    schema = pipeline_schema(make_registry())
    step = schema["properties"]["steps"]["items"]
    assert step["properties"]["transform"]["enum"] == sorted(make_registry().transforms)
    rules = {r["if"]["properties"]["transform"]["const"]: r["then"] for r in step["allOf"][1:]}
    assert rules["join"]["properties"]["params"]["required"] == ["on"]
    assert rules["join"]["required"] == ["params"]
    assert "required" not in rules["passthrough"]
    gen = schema["properties"]["generators"]["additionalProperties"]
    assert gen["properties"]["generator"]["enum"] == ["shop"]


def test_write_schema_round_trips(tmp_path: Path) -> None:
    target = write_schema(tmp_path / "schema" / "pipeline.schema.json", make_registry())
    assert json.loads(target.read_text()) == editor_schema(make_registry())


def test_editor_schema_accepts_variables_where_numbers_belong() -> None:
    import jsonschema

    schema = editor_schema(make_registry())
    doc = {"pipeline": "p", "generators": {"g": {"generator": "shop",
                                                 "params": {"users": "${users}"},
                                                 "landing": {"path": "raw"}}}}
    jsonschema.Draft202012Validator(schema).validate(doc)
    doc["generators"]["g"]["params"]["users"] = "lots"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(doc))


def test_the_good_fixture_validates_and_carries_the_modeline() -> None:
    assert validate_document(load_document(GOOD, env={}), make_registry()) == []
    assert GOOD.read_text().startswith(MODELINE.replace("../schema", "../../../schema"))


def test_the_real_clickstream_pipeline_validates(tmp_path: Path) -> None:
    """`etl schema` output accepts pipelines/clickstream.yaml, and the whole spec loads.
    """
    from framework.registry import REGISTRY
    from framework.validate import load_pipeline

    REGISTRY.load_plugins()
    path = ROOT / "pipelines" / "clickstream.yaml"
    schema = json.loads(write_schema(tmp_path / "pipeline.schema.json", REGISTRY).read_text())
    data = load_document(path, env={}).data
    assert [e.message for e in Draft202012Validator(schema).iter_errors(data)] == []
    spec = load_pipeline(path, registry=REGISTRY, env={})
    assert spec.name == "clickstream" and len(spec.sinks) == 7


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    problems = check(tmp_path, """\
pipeline: x
spark: {mastr: local}
optimizations: {adaptive: maybe, shuffle_partitions: 0}
sinks:
  t: {from: a, mode: upsert, targets: []}
""")
    got = {(p.path, p.location.line if p.location else 0) for p in problems}
    assert got == {("spark.mastr", 2), ("optimizations.adaptive", 3),
                   ("optimizations.shuffle_partitions", 3), ("sinks.t.mode", 5),
                   ("sinks.t.targets", 5)}


def test_messages_are_plain_words(tmp_path: Path) -> None:
    problems = check(tmp_path, """\
pipeline: x
optimizations: {adaptive: maybe, shuffle_partitions: 0}
sinks:
  t: {from: a, targets: []}
""")
    text = {p.path: p.message for p in problems}
    assert text["optimizations.adaptive"] == "expected true or false, got 'maybe'"
    assert text["optimizations.shuffle_partitions"] == "must be >= 1, got 0"
    assert text["sinks.t.targets"] == "needs at least 1 item"


def test_unknown_key_lists_allowed_keys_and_suggests(tmp_path: Path) -> None:
    [problem] = check(tmp_path, "pipeline: x\nwarehouse: {pth: w}\n")
    assert problem.message == "unknown key 'pth'"
    assert problem.hint and problem.hint.startswith("did you mean 'path'?")
    assert "allowed here: path, compression, postgres" in problem.hint


def test_missing_required_key_is_not_repeated_for_a_misspelt_one(tmp_path: Path) -> None:
    problems = check(tmp_path, "pipeline: x\nsinks: {t: {form: a}}\n")
    assert [p.message for p in problems] == ["unknown key 'form'"]


def test_missing_required_key_points_at_the_owner(tmp_path: Path) -> None:
    [problem] = check(tmp_path, "pipeline: x\nsinks:\n  t:\n    mode: append\n")
    assert problem.message == "missing required key 'from'"
    assert (problem.location.line, problem.location.col) == (3, 3)  # type: ignore[union-attr]


def test_params_are_validated_per_transform(tmp_path: Path) -> None:
    problems = check(tmp_path, """\
pipeline: x
steps:
  - {id: a, transform: dedupe, input: s, params: {keys: []}}
  - {id: b, transform: sample, input: s, params: {fraction: 0}}
  - {id: c, transform: join, inputs: [a, b], params: {how: left}}
""")
    text = sorted((p.path, p.message) for p in problems)
    assert text == [
        ("steps[0].params.keys", "needs at least 1 item"),
        ("steps[1].params.fraction", "must be > 0, got 0"),
        ("steps[2].params", "missing required key 'on'"),
    ]


def test_unmessaged_any_of_in_a_plugin_schema_picks_the_best_error(tmp_path: Path) -> None:
    reg = make_registry()
    transform("pick", {"properties": {"n": {"anyOf": [{"type": "integer", "minimum": 1},
                                                      {"enum": ["all"]}]}}},
              registry=reg)(lambda ctx, inputs, params: None)
    [problem] = check(tmp_path, "pipeline: x\nsteps: [{id: a, transform: pick, input: s,"
                                " params: {n: 0}}]\n", reg)
    assert problem.path == "steps[0].params.n"
    assert "0" in problem.message


def test_cache_accepts_true_or_a_storage_level(tmp_path: Path) -> None:
    ok = "pipeline: x\nsteps: [{id: a, transform: passthrough, input: s, cache: %s}]\n"
    assert check(tmp_path, ok % "true") == []
    assert check(tmp_path, ok % "DISK_ONLY") == []
    [problem] = check(tmp_path, ok % "7")
    assert problem.message == "expected true or false or a string, got 7"


def test_unknown_generator_names_the_command_that_lists_generators(tmp_path: Path) -> None:
    [problem] = check(tmp_path, "pipeline: x\ngenerators:\n  g: {generator: zzz, landing: "
                                "{path: raw}}\n")
    assert problem.message == "unknown generator 'zzz'"
    assert problem.hint and "`etl transforms`" in problem.hint
    assert "etl generators" not in problem.hint


def test_pipeline_names_are_safe_folder_names(tmp_path: Path) -> None:
    good = ["a", "country_revenue", "Click-Stream_2", "a" + "b" * 63]
    bad = ["x/../../../../tmp/ESCAPED", "..", "a/b", "1abc", "-a", "_a", "a b", "a.b", "",
           "a" + "b" * 64, "é", "a\\b", "a:b", "abc\n", "abc\n\n"]
    for name in good + bad:
        problems = check(tmp_path, f"pipeline: {json.dumps(name)}\n")
        assert bool(problems) == (name in bad), (name, problems)
        if problems:
            [problem] = problems
            assert problem.path == "pipeline" and problem.location
            assert problem.location.line == 1 and "pipeline name" in problem.message

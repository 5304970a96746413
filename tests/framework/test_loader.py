"""Loader: source map, duplicate keys, substitution and its typing, limits, --var overrides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from framework.errors import Location, SpecError
from framework.loader import Document, format_path, load_document, parse_scalar

Write = Callable[[str], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def _write(text: str) -> Path:
        path = tmp_path / "p.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def load(path: Path, **kw: object) -> Document:
    kw.setdefault("env", {})
    return load_document(path, **kw)  # type: ignore[arg-type]


def problems(path: Path, **kw: object) -> list[str]:
    with pytest.raises(SpecError) as info:
        load(path, **kw)
    return [p.format() for p in info.value.problems]


SAMPLE = """\
pipeline: demo
steps:
  - id: a
    params: {keys: [x, y], on: id}
  - id: b
    sql: |
      select 1
      from {{ ref('a') }}
"""


def test_source_map_points_at_values_and_keys(write: Write) -> None:
    doc = load(write(SAMPLE))
    f = doc.file
    assert doc.locate(("pipeline",)) == Location(f, 1, 11)
    assert doc.key_location(("steps", 0, "params")) == Location(f, 4, 5)
    assert doc.locate(("steps", 0, "params", "keys", 1)) == Location(f, 4, 24)
    assert doc.locate(("steps", 1)) == Location(f, 5, 5)


def test_missing_path_falls_back_to_nearest_parent(write: Write) -> None:
    doc = load(write(SAMPLE))
    assert doc.locate(("steps", 0, "params", "nope", 3)) == doc.locate(("steps", 0, "params"))
    assert doc.key_location(("steps", 9)) == doc.locate(("steps",))


def test_keys_stay_strings_even_when_yaml_would_make_them_bools(write: Write) -> None:
    doc = load(write(SAMPLE))
    assert doc.data["steps"][0]["params"] == {"keys": ["x", "y"], "on": "id"}


def test_text_location_inside_a_block_scalar(write: Write) -> None:
    doc = load(write(SAMPLE))
    assert doc.text_location(("steps", 1, "sql"), 2, 6) == Location(doc.file, 8, 12)


def test_dates_stay_strings(write: Write) -> None:
    doc = load(write("pipeline: x\nvars: {start: 2026-01-01}\n"))
    assert doc.data["vars"]["start"] == "2026-01-01"


def test_duplicate_key_is_located_at_the_second_occurrence(write: Write) -> None:
    out = problems(write("pipeline: x\ndescription: a\ndescription: b\n"))
    assert len(out) == 1
    assert ":3:1 description: duplicate key 'description' (first defined on line 2)" in out[0]


VARS = """\
pipeline: x
vars:
  n: 10
  ratio: 0.5
  name: shop
  flag: true
spark:
  conf:
    whole: ${n}
    quoted: "${ratio}"
    text: "n=${n} flag=${flag}"
    env: ${HOME_DIR}
    dflt: ${MISSING:-fallback}
    dflt_typed: ${MISSING:-42}
    escaped: "$${n} and ${name}"
"""


def test_whole_scalar_substitution_keeps_the_var_type(write: Write) -> None:
    conf = load(write(VARS), env={"HOME_DIR": "/home/me"}).data["spark"]["conf"]
    assert conf["whole"] == 10 and conf["quoted"] == 0.5
    assert conf["text"] == "n=10 flag=true"
    assert conf["env"] == "/home/me"
    assert conf["dflt"] == "fallback" and conf["dflt_typed"] == 42
    assert conf["escaped"] == "${n} and shop"


def test_override_wins_and_is_typed_like_yaml(write: Write) -> None:
    doc = load(write(VARS), env={"HOME_DIR": "x"}, overrides={"n": "1000"})
    assert doc.data["spark"]["conf"]["whole"] == 1000
    assert doc.data["vars"]["n"] == 1000


def test_vars_win_over_the_environment(write: Write) -> None:
    doc = load(write(VARS), env={"HOME_DIR": "x", "n": "7"})
    assert doc.data["spark"]["conf"]["whole"] == 10


def test_env_values_are_typed_but_brackets_stay_text(write: Write) -> None:
    doc = load(write("pipeline: x\nspark: {master: '${M}', conf: {a: '${A}'}}\n"),
               env={"M": "local[*]", "A": "1000"})
    assert doc.data["spark"] == {"master": "local[*]", "conf": {"a": 1000}}


def test_a_var_may_use_an_earlier_var(write: Write) -> None:
    doc = load(write("pipeline: x\nvars: {a: 2, b: 'x${a}'}\n"))
    assert doc.data["vars"] == {"a": 2, "b": "x2"}


def test_undefined_name_is_located_with_did_you_mean(write: Write) -> None:
    out = problems(write(VARS.replace("${HOME_DIR}", "${nme}")))
    assert len(out) == 1
    assert ":12:10 spark.conf.env: undefined variable 'nme'" in out[0]
    assert "did you mean 'name'? define it under vars:, pass --var nme=..., or export nme" in out[0]


def test_undefined_name_inside_text_points_at_the_reference(write: Write) -> None:
    out = problems(write("pipeline: x\nwarehouse: {path: 'data/${WHERE}/w'}\n"))
    assert ":2:25 warehouse.path: undefined variable 'WHERE'" in out[0]


def test_unknown_override_is_an_error_with_did_you_mean(write: Write) -> None:
    out = problems(write(VARS), env={"HOME_DIR": "x"}, overrides={"ratoi": "1"})
    assert len(out) == 1
    assert "--var ratoi=...: no variable 'ratoi' is declared under vars:" in out[0]
    assert "did you mean 'ratio'?" in out[0]


def test_override_without_any_vars_is_an_error(write: Write) -> None:
    assert "no variable 'n'" in problems(write("pipeline: x\n"), overrides={"n": "1"})[0]


def test_alias_bomb_is_refused(write: Write) -> None:
    rows = ["pipeline: x", "vars:", "  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        rows.append(f"  {name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    out = problems(write("\n".join(rows) + "\n"))
    assert "expands to more than 100000 values" in out[0]


def test_too_many_aliases_are_refused(write: Write) -> None:
    text = "pipeline: x\nvars:\n  a: &a 1\n  b: [" + ", ".join(["*a"] * 1001) + "]\n"
    assert "more than 1000 aliases" in problems(write(text))[0]


def test_small_anchors_and_merge_keys_work(write: Write) -> None:
    text = ("pipeline: x\nvars:\n  base: &base {a: 1, b: 2}\n"
            "  more:\n    <<: *base\n    b: 3\n")
    assert load(write(text)).data["vars"]["more"] == {"a": 1, "b": 3}


@pytest.mark.parametrize(("text", "fragment"), [
    ("", ":1:1: file is empty"),
    ("# only a comment\n", "a minimal pipeline is"),
    ("- a\n- b\n", ":1:1: the top level must be a mapping"),
    ("pipeline: x\n\tsteps: []\n", "indent with spaces, not tabs"),
    ("pipeline: [a, b\n", ":1:11: invalid YAML: this '[' is never closed"),
    ("pipeline: !!python/object:os.system x\n", "unsupported YAML tag"),
    ("pipeline: x\n---\npipeline: y\n", "only one YAML document per file"),
])
def test_broken_files_become_located_problems(write: Write, text: str, fragment: str) -> None:
    assert fragment in problems(write(text))[0]


def test_missing_file(tmp_path: Path) -> None:
    assert "file not found" in problems(tmp_path / "nope.yaml")[0]


def test_format_path() -> None:
    assert format_path(("steps", 3, "params", "keys")) == "steps[3].params.keys"
    assert format_path(("spark", "conf", "spark.sql.x")) == "spark.conf['spark.sql.x']"


@pytest.mark.parametrize(("text", "value"), [
    ("1000", 1000), ("0.5", 0.5), ("true", True), ("null", None), ("abc", "abc"),
    ("local[*]", "local[*]"), ("2026-01-01", "2026-01-01"), ("a: b", "a: b"),
])
def test_parse_scalar(text: str, value: object) -> None:
    assert parse_scalar(text) == value


def test_a_password_written_into_the_file_is_refused_and_located(write: Write) -> None:
    out = problems(write("pipeline: x\nwarehouse:\n  postgres:\n"
                         "    dsn: postgresql://etl:hunter2@db/wh\n"
                         "spark: {conf: {spark.hadoop.x: 'host=db password=pw2'}}\n"))
    assert len(out) == 2
    assert ":4:10 warehouse.postgres.dsn: a password is written into the pipeline file" in out[0]
    assert "spark.conf" in out[1]
    assert not any("hunter2" in p or "pw2" in p for p in out)  # never repeated in the message


def test_a_password_read_from_the_environment_is_fine(write: Write) -> None:
    doc = load(write("pipeline: x\nwarehouse:\n  postgres:\n"
                     "    dsn: postgresql://etl:${PG_PASSWORD}@db/wh\n"),
               env={"PG_PASSWORD": "hunter2"})
    assert doc.data["warehouse"]["postgres"]["dsn"] == "postgresql://etl:hunter2@db/wh"

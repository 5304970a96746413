"""Loader: source map, duplicate keys, substitution and its typing, limits, --var overrides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from framework.errors import Location, SpecError, format_path
from framework.loader import Document, load_document, parse_scalar

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


# -- limits: nesting, size, what is read -----------------------------------------------------

@pytest.mark.parametrize("nested", [
    "pipeline: x\nvars:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(400)) + "  " * 401
    + "v\n",
    "pipeline: x\nvars: {deep: " + "[" * 400 + "]" * 400 + "}\n",
])
def test_deep_nesting_is_refused_with_a_located_message(write: Write, nested: str) -> None:
    (out,) = problems(write(nested))
    assert "the document is nested more than 64 levels deep" in out
    line = int(out.split(":")[1])
    assert line >= 3 or "[" * 60 in nested  # where the 65th level starts, not line 1


def test_nesting_through_aliases_is_refused_too(write: Write) -> None:
    rows = ["pipeline: x", "vars:", "  a0: &a0 [1]"]
    rows += [f"  a{i}: &a{i} [*a{i - 1}]" for i in range(1, 300)]
    (out,) = problems(write("\n".join(rows) + "\n"))
    assert "nested more than 64 levels deep" in out


def test_a_huge_file_is_refused_before_it_is_read(write: Write) -> None:
    text = "pipeline: x\nvars:\n" + "".join(f"  key_{i:07d}: {'v' * 60}\n"
                                             for i in range(600_000))
    path = write(text)
    assert path.stat().st_size > 45_000_000
    (out,) = problems(path)
    assert f"{path}: the file is larger than 2,000,000 bytes" in out
    assert "refusing to read it" in out


def test_a_file_with_too_many_values_is_refused_while_composing(
        write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    import framework.loader.parse as parse

    monkeypatch.setattr(parse, "MAX_NODES", 2_000)  # 100,000 by default: the same code path
    rows = ["pipeline: x", "vars:"] + [f"  k{i}: {i}" for i in range(1_500)]
    (out,) = problems(write("\n".join(rows) + "\n"))
    assert "the document holds more than 2,000 values; refusing to read it" in out
    # values: the document, pipeline, x, vars, its mapping, then a key and a value per row:
    # the 2,001st is the value of row 997, on line 1,000 (not the end of the file, line 1,502)
    assert int(out.split(":")[1]) == 1_000


@pytest.mark.parametrize(("target", "kind"), [("/dev/zero", "a character device"),
                                              (".", "a folder")])
def test_only_regular_files_are_read(target: str, kind: str) -> None:
    (out,) = problems(Path(target))
    assert f"{target}: not a regular file ({kind})" in out


def _pipe(tmp_path: Path, text: str) -> Path:
    """A named pipe a thread writes `text` into (as `<(cat p.yaml)` would)."""
    import os
    import threading

    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)

    def feed() -> None:
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except BrokenPipeError:  # the reader stopped early
            pass

    threading.Thread(target=feed, daemon=True).start()
    return path


def test_a_pipe_is_read_but_never_more_than_the_limit(tmp_path: Path) -> None:
    assert load(_pipe(tmp_path, "pipeline: piped\n")).data == {"pipeline": "piped"}
    (tmp_path / "pipe.yaml").unlink()
    (out,) = problems(_pipe(tmp_path, "# filler\n" * 300_000))  # 2.7 MB
    assert "the file is larger than 2,000,000 bytes" in out


def test_etl_validate_of_dev_zero_exits_2_with_the_reason() -> None:
    from click.testing import CliRunner

    from framework.cli import cli

    result = CliRunner().invoke(cli, ["validate", "/dev/zero"])
    assert result.exit_code == 2
    assert "/dev/zero: not a regular file (a character device)" in result.output
    assert "Traceback" not in result.output


def test_a_file_that_is_not_utf8_is_located(write: Write, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("pipeline: x\ndescription: caf\u00e9\n".encode("latin-1"))
    (out,) = problems(path)
    assert f"{path}:2: the file is not UTF-8 text (byte 0xe9)" in out


# -- vars: order, cycles, where a value came from ---------------------------------------------

def test_a_var_may_use_a_later_var_and_vars_win_over_the_environment(write: Write) -> None:
    doc = load(write("pipeline: x\nvars:\n  a: ${b}\n  c: 'x-${b}'\n  b: 5\n"
                     "spark: {app_name: '${b}'}\n"), env={"b": "from-env"})
    assert doc.data["vars"] == {"a": 5, "c": "x-5", "b": 5}
    assert doc.data["spark"]["app_name"] == 5


def test_a_vars_cycle_is_named_as_a_cycle_with_each_link(write: Write) -> None:
    out = problems(write("pipeline: x\nvars:\n  a: ${b}\n  b: 'v${c}'\n  c: ${a}\n"
                         "spark: {app_name: '${a}'}\n"), env={"a": "1", "b": "2", "c": "3"})
    assert len(out) == 1  # not repeated where a is used
    assert ":5:6 vars.c: variables refer to each other in a cycle: a -> b -> c -> a" in out[0]
    assert "a uses ${b} on line 3, b uses ${c} on line 4, c uses ${a} on line 5" in out[0]
    assert "did you mean" not in out[0] and "undefined" not in out[0]


def test_a_var_naming_itself_is_refused_even_when_the_environment_has_it(write: Write) -> None:
    (out,) = problems(write("pipeline: x\nvars:\n  HOME: ${HOME}\n"), env={"HOME": "/h"})
    assert ":3:9 vars.HOME: variable 'HOME' refers to itself" in out
    assert "give the variable another name" in out


def test_a_wrong_value_names_the_variable_and_where_it_was_set(write: Write) -> None:
    from framework.errors import Problem

    path = write("pipeline: x\nvars:\n  n: 3\n  users: ${n}\nspark: {app_name: '${users}'}\n"
                 "optimizations: {shuffle_partitions: '${users}'}\n")
    doc = load(path, overrides={"n": "lots"})
    wrong = Problem("expected a whole number", doc.locate(("optimizations",)),
                    "optimizations.shuffle_partitions")
    elsewhere = Problem("unknown key", None, "sources")
    (explained, same) = doc.explain_vars([wrong, elsewhere])
    assert explained.message == ("expected a whole number (from variable 'users', defined on "
                                 "line 4)")
    assert same == elsewhere
    assert doc.var_origin("n") == "set by --var n=lots"


def test_load_pipeline_reports_a_wrong_variable_where_it_was_set(write: Write) -> None:
    from framework.validate import load_pipeline

    path = write("pipeline: x\nvars:\n  users: lots\n"
                 "generators:\n  g: {generator: clickstream, params: {users: '${users}'},"
                 " landing: {path: raw}}\n"
                 "sources:\n  u: {generated: g.users}\n"
                 "sinks:\n  t: {from: u}\n")
    with pytest.raises(SpecError) as info:
        load_pipeline(path, env={})
    (out,) = [p.format() for p in info.value.problems]
    assert ":5:47 generators.g.params.users:" in out
    assert "(from variable 'users', defined on line 3)" in out
    with pytest.raises(SpecError) as info:
        load_pipeline(path, env={}, overrides={"users": "many"})
    assert "(from variable 'users', set by --var users=many)" in info.value.problems[0].message


# -- secrets: which variables flow into a DSN or a password ---------------------------------

SECRETS = """\
pipeline: x
vars:
  db_pwd: ${PG_PASSWORD}
  pg_pass: 'p${db_pwd}'
  pg_host: db
  db_target: '${pg_host}/wh'
  api: ${API}
  token_src: ${API}
  url_pw: ${URL_PW}
  url_host: h2
  plain: 7
  copy: 'v-${plain}'
warehouse:
  postgres: {dsn: "postgresql://etl:${pg_pass}@${db_target}", schema: 's${plain}'}
spark:
  conf:
    spark.hadoop.fs.s3a.secret.key: ${api}
    spark.x.token: ${token_src}
    spark.jdbc.url: 'jdbc:postgresql://u:${url_pw}@${url_host}/db'
    spark.sql.shuffle.partitions: ${plain}
"""


def test_variables_flowing_into_a_dsn_or_a_password_are_secret_whatever_their_name(
        write: Write) -> None:
    doc = load(write(SECRETS), env={"PG_PASSWORD": "hunter22", "API": "k", "URL_PW": "zz"})
    assert doc.data["warehouse"]["postgres"]["dsn"] == "postgresql://etl:phunter22@db/wh"
    # pg_host, db_target and url_host sit in a DSN's host part: messages and the rerun command
    # must still show them; plain is plain everywhere
    assert doc.secret_vars == {"db_pwd", "pg_pass", "api", "token_src", "url_pw"}
    overridden = load(write(SECRETS), env={"PG_PASSWORD": "x", "API": "k", "URL_PW": "zz"},
                      overrides={"pg_pass": "cli-secret"})
    assert "pg_pass" in overridden.secret_vars and "pg_host" not in overridden.secret_vars
    assert "db_pwd" in overridden.secret_vars  # named like a secret, used or not


def test_a_variable_holding_the_whole_dsn_is_secret_and_one_named_like_a_secret_too(
        write: Write) -> None:
    doc = load(write("pipeline: x\nvars: {conn: 'postgresql://u@h/db', api_token: abcd1234,"
                     " port: 5432}\nwarehouse: {postgres: {dsn: '${conn}'}}\n"), env={})
    assert doc.secret_vars == {"conn", "api_token"}


def test_load_pipeline_puts_the_secret_variables_on_the_spec(write: Write) -> None:
    from framework.validate import load_pipeline

    path = write("pipeline: x\nvars: {pgpass: x, n: 1}\n"
                 "warehouse: {postgres: {dsn: 'postgresql://u:${pgpass}@h/db'}}\n"
                 "sources:\n  s: {path: in.csv, format: csv}\nsinks:\n  t: {from: s}\n")
    spec = load_pipeline(path, env={}, overrides={"pgpass": "s3cret-from-cli"})
    assert spec.secret_vars == frozenset({"pgpass"})
    assert spec.vars["pgpass"] == "s3cret-from-cli"


def test_a_wrong_secret_value_is_reported_without_repeating_it(write: Write) -> None:
    from framework.validate import load_pipeline

    path = write("pipeline: x\nvars: {pgpass: x}\n"
                 "warehouse: {postgres: {dsn: 'postgresql://u:${pgpass}@h/db'}}\n"
                 "generators:\n  g: {generator: clickstream, params: {users: '${pgpass}'},"
                 " landing: {path: raw}}\n"
                 "sources:\n  u: {generated: g.users}\nsinks:\n  t: {from: u}\n")
    with pytest.raises(SpecError) as info:
        load_pipeline(path, env={}, overrides={"pgpass": "Sec-ret-77"})
    (out,) = [p.format() for p in info.value.problems]
    assert "generators.g.params.users: expected a whole number, got '***'" in out
    assert "(from variable 'pgpass', set by --var pgpass=***)" in out
    assert "Sec-ret-77" not in out


# -- --target postgres ----------------------------------------------------------------------------
_TARGETED = """\
pipeline: p
sources:
  a: {path: a.csv, format: csv}
sinks:
  one: {from: a}
  two: {from: a, targets: [parquet]}
  three: {from: a, targets: [postgres]}
"""


def test_target_postgres_adds_postgres_to_every_sink_and_reads_the_dsn_from_the_environment(
        tmp_path):
    from framework.loader import read_document

    path = tmp_path / "p.yaml"
    path.write_text(_TARGETED)
    env = {"PG_DSN": "postgresql://u:pw@h/db", "PG_SCHEMA": "shop"}
    doc, problems = read_document(path, env=env, target="postgres")
    assert problems == []
    sinks = doc.data["sinks"]
    assert [sinks[s]["targets"] for s in ("one", "two", "three")] == \
        [["parquet", "postgres"], ["parquet", "postgres"], ["postgres"]]
    assert doc.data["warehouse"]["postgres"] == {"dsn": env["PG_DSN"], "schema": "shop"}
    plain, _ = read_document(path, env=env)  # without --target: as written
    assert "warehouse" not in plain.data and "targets" not in plain.data["sinks"]["one"]


def test_target_postgres_keeps_a_declared_dsn_and_names_the_missing_one(tmp_path):
    from framework.loader import read_document

    path = tmp_path / "p.yaml"
    path.write_text(_TARGETED + "warehouse:\n  postgres: {dsn: '${MY_DSN}'}\n")
    doc, problems = read_document(path, env={"MY_DSN": "postgresql://h/db"}, target="postgres")
    assert problems == [] and doc.data["warehouse"]["postgres"]["dsn"] == "postgresql://h/db"
    path.write_text(_TARGETED)
    _, problems = read_document(path, env={}, target="postgres")
    (problem,) = problems
    assert "--target postgres needs a DSN" in problem.message and "PG_DSN" in problem.hint
    assert problem.location.file.endswith("p.yaml")


# -- the built-in variable ${pipeline_dir} ---------------------------------------------------
PIPELINE_DIR = """\
pipeline: x
vars:
  sample: ${pipeline_dir}/sample
spark: {app_name: '${pipeline_dir}', conf: {a: 'from ${pipeline_dir}/data', b: '${sample}'}}
"""


def test_pipeline_dir_is_the_absolute_folder_of_the_pipeline_file(tmp_path: Path,
                                                                    monkeypatch) -> None:
    folder = tmp_path / "my pipelines"
    folder.mkdir()
    (folder / "p.yaml").write_text(PIPELINE_DIR, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a relative file name: the folder is still absolute
    doc = load(Path("my pipelines/p.yaml"), env={"pipeline_dir": "/from/the/environment"})
    where = str(folder.resolve())
    assert doc.data["spark"]["app_name"] == where  # a whole value stays text
    assert doc.data["spark"]["conf"] == {"a": f"from {where}/data", "b": f"{where}/sample"}
    assert doc.data["vars"] == {"sample": f"{where}/sample"}  # not listed among the vars


def test_pipeline_dir_follows_links_as_file_references_do(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "p.yaml").write_text(PIPELINE_DIR, encoding="utf-8")
    (tmp_path / "link").symlink_to(real)
    doc = load(tmp_path / "link" / "p.yaml")
    assert doc.data["spark"]["app_name"] == str(real.resolve()) == doc.base_dir


def test_a_declared_pipeline_dir_wins_and_var_may_set_it_undeclared(write: Write) -> None:
    declared = PIPELINE_DIR.replace("vars:\n", "vars:\n  pipeline_dir: /declared\n")
    assert load(write(declared)).data["spark"]["app_name"] == "/declared"
    doc = load(write(declared), overrides={"pipeline_dir": "/given"})
    assert doc.data["spark"]["app_name"] == "/given"
    doc = load(write(PIPELINE_DIR), overrides={"pipeline_dir": "2024"})
    assert doc.data["spark"]["app_name"] == "2024"  # taken as written: a folder stays text
    assert doc.data["spark"]["conf"]["b"] == "2024/sample"
    assert doc.var_origin("pipeline_dir") == "set by --var pipeline_dir=2024"


def test_a_misspelt_pipeline_dir_is_located_with_did_you_mean(write: Write) -> None:
    out = problems(write("pipeline: x\nsources:\n  s: {path: '${pipline_dir}/a.csv'}\n"))
    assert len(out) == 1
    assert ":3:13 sources.s.path: undefined variable 'pipline_dir'" in out[0]
    assert "did you mean 'pipeline_dir'?" in out[0]
    (out,) = problems(write("pipeline: x\nvars: {a: 1}\n"), overrides={"pipeline_dri": "/x"})
    assert "did you mean 'pipeline_dir'?" in out


def test_a_wrong_value_from_pipeline_dir_names_the_built_in_variable(write: Write) -> None:
    from framework.errors import Problem

    path = write("pipeline: x\noptimizations: {shuffle_partitions: '${pipeline_dir}'}\n")
    doc = load(path)
    wrong = Problem("expected a whole number", doc.locate(("optimizations",)),
                    "optimizations.shuffle_partitions")
    (explained,) = doc.explain_vars([wrong])
    assert explained.message == (
        "expected a whole number (from variable 'pipeline_dir', built in: the pipeline file's "
        f"folder, {path.parent.resolve()})")

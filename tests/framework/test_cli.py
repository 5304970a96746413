"""The `etl` command through click's CliRunner: exit codes, located errors, no tracebacks."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from framework.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
CLICKSTREAM = os.path.join(ROOT, "pipelines", "clickstream.yaml")
BAD = os.path.join(ROOT, "tests", "fixtures", "bad")


@pytest.fixture
def runner():
    return CliRunner()


def test_help_lists_the_commands(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "plan", "run", "runs", "schema", "transforms"):
        assert command in result.output


def test_validate_accepts_the_clickstream_pipeline(runner):
    result = runner.invoke(cli, ["validate", CLICKSTREAM])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "8 steps, 7 sinks" in result.output


def test_validate_reports_every_problem_of_every_file_and_exits_2(runner, tmp_path):
    first = tmp_path / "a.yaml"
    first.write_text("pipeline: a\nsources:\n  s: {path: x, format: csvv}\n"
                     "sinks:\n  t: {from: s}\n")
    second = tmp_path / "b.yaml"
    second.write_text("pipeline: b\nsources:\n  s: {path: x, format: csv}\n"
                      "sinks:\n  t: {from: ss}\n")
    result = runner.invoke(cli, ["validate", str(first), str(second)])
    assert result.exit_code == 2
    assert f"{first}:3:" in result.output and "csvv" in result.output
    assert f"{second}:5:" in result.output and "'s'" in result.output  # did you mean 's'
    assert "Traceback" not in result.output


def test_bad_var_argument_is_a_usage_error(runner):
    result = runner.invoke(cli, ["plan", CLICKSTREAM, "--var", "sessions"])
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output and "Traceback" not in result.output


def test_var_override_changes_the_plan(runner, tmp_path):
    result = runner.invoke(cli, ["plan", CLICKSTREAM, "--format", "json", "--var",
                                 "sessions=1234", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    gen = plan["stages"][1]["tasks"][0]
    assert gen["params"]["sessions"] == 1234
    assert gen["landing"] == os.path.join(str(tmp_path), "raw")


def test_data_dir_comes_from_the_environment(runner, tmp_path):
    result = runner.invoke(cli, ["plan", CLICKSTREAM, "--format", "json"],
                           env={"ETL_DATA_DIR": str(tmp_path)})
    assert json.loads(result.output)["data_dir"] == str(tmp_path)


def test_plan_tree_shows_the_steps(runner):
    result = runner.invoke(cli, ["plan", CLICKSTREAM])
    assert result.exit_code == 0
    assert "sessionize" in result.output and "fact_events" in result.output


def test_unknown_selection_gets_did_you_mean(runner):
    result = runner.invoke(cli, ["plan", CLICKSTREAM, "--select", "sesions"])
    assert result.exit_code == 2
    assert "sessions" in result.output and "Traceback" not in result.output


def test_schema_written_validates_the_clickstream_pipeline(runner, tmp_path):
    out = tmp_path / "pipeline.schema.json"
    result = runner.invoke(cli, ["schema", "-o", str(out)])
    assert result.exit_code == 0, result.output
    schema = json.loads(out.read_text())
    with open(CLICKSTREAM) as fh:
        doc = yaml.safe_load(fh)
    jsonschema.Draft202012Validator(schema).validate(doc)
    doc["steps"][0]["params"] = {"no_such_param": 1}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert errors, "a parameter the transform does not declare must be rejected"
    doc["steps"][0]["params"] = {}
    doc["generators"]["shop"]["params"]["users"] = "many"
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert errors, "a string that is no ${variable} must be rejected where a number belongs"


def test_committed_schema_is_up_to_date(runner, tmp_path):
    out = tmp_path / "fresh.json"
    runner.invoke(cli, ["schema", "-o", str(out)])
    committed = os.path.join(ROOT, "schema", "pipeline.schema.json")
    with open(committed) as fh:
        assert json.load(fh) == json.loads(out.read_text()), "run `etl schema` and commit it"


def test_transforms_lists_and_shows_one(runner):
    result = runner.invoke(cli, ["transforms"])
    assert result.exit_code == 0
    for name in ("sessionize", "join", "sql", "clickstream"):
        assert name in result.output
    one = runner.invoke(cli, ["transforms", "join"])
    assert one.exit_code == 0 and "Example" in one.output and "how" in one.output
    typo = runner.invoke(cli, ["transforms", "sessionise"])
    assert typo.exit_code == 2 and "sessionize" in typo.output


def test_runs_without_runs(runner, tmp_path):
    result = runner.invoke(cli, ["runs", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "no runs" in result.output


def test_every_corpus_file_exits_2_without_traceback(runner):
    for name in sorted(os.listdir(BAD)):
        if not name.endswith(".yaml"):
            continue
        result = runner.invoke(cli, ["validate", os.path.join(BAD, name)])
        assert result.exit_code == 2, name
        assert "Traceback" not in result.output, name
        assert f"{name}:" in result.output, name

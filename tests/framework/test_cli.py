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
    result = runner.invoke(cli, ["validate", CLICKSTREAM], env={"COLUMNS": "400"})  # one line
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "8 steps, 7 sinks" in result.output


RETAIL = os.path.join(ROOT, "pipelines", "retail.yaml")
RETAIL_SAMPLE = os.path.join(ROOT, "pipelines", "retail", "sample")


def test_validate_accepts_the_retail_pipeline_and_its_report(runner):
    result = runner.invoke(cli, ["validate", RETAIL], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "6 sources, 25 steps, 7 sinks" in result.output


def test_plan_of_the_retail_pipeline_reads_the_sample_beside_it_wherever_the_data_is(runner,
                                                                                  tmp_path):
    result = runner.invoke(cli, ["plan", RETAIL, "--format", "json", "--data-dir",
                                 str(tmp_path)])
    assert result.exit_code == 0, result.output
    tasks = [t for s in json.loads(result.output)["stages"] for t in s["tasks"]]
    reads = {t["id"]: t["path"] for t in tasks if t["kind"] == "source"}
    assert reads == {name: os.path.join(RETAIL_SAMPLE, f"{name}.csv") for name in (
        "customers", "products", "orders", "order_lines", "payments", "inventory")}
    sinks = {t["id"]: t for t in tasks if t["kind"] == "sink"}
    assert sorted(sinks) == ["dim_customers", "dim_date", "dim_products", "fact_inventory",
                             "fact_order_lines", "fact_orders", "fact_payments"]
    assert sinks["fact_orders"]["path"] == os.path.join(str(tmp_path), "retail", "warehouse",
                                                        "fact_orders")
    steps = {t["id"]: t for t in tasks if t["kind"] == "step"}
    generic = {"sql", "select", "rename", "cast", "filter", "dedupe", "join", "aggregate",
               "union", "window", "derive", "repartition"}
    assert {t["transform"] for t in steps.values()} <= generic  # documented transforms only
    checks = sum(len(t.get("checks", [])) for t in tasks)
    assert checks == 70
    tree = runner.invoke(cli, ["plan", RETAIL, "--data-dir", str(tmp_path)],
                         env={"COLUMNS": "400"})
    assert tree.exit_code == 0 and f"csv {os.path.join(RETAIL_SAMPLE, 'orders.csv')}" \
        in tree.output


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


BESIDE = """\
pipeline: beside
sources:
  orders:
    path: ${pipeline_dir}/sample/orders.csv
    format: csv
    schema: {columns: {order_id: string}}
sinks:
  orders: {from: orders}
"""


def test_a_source_beside_the_pipeline_is_planned_at_its_absolute_path(runner, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "p.yaml").write_text(BESIDE)
    data = tmp_path / "elsewhere"
    result = runner.invoke(cli, ["plan", str(folder / "p.yaml"), "--format", "json",
                                 "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    (read,) = [t for s in json.loads(result.output)["stages"] for t in s["tasks"]
               if t["kind"] == "source"]
    assert read["path"] == str(folder.resolve() / "sample" / "orders.csv")  # not under data
    tree = runner.invoke(cli, ["plan", str(folder / "p.yaml"), "--data-dir", str(data)],
                         env={"COLUMNS": "400"})
    assert f"csv {folder.resolve() / 'sample' / 'orders.csv'}" in tree.output
    moved = runner.invoke(cli, ["plan", str(folder / "p.yaml"), "--format", "json",
                                "--var", "pipeline_dir=/mnt/samples"])
    assert "/mnt/samples/sample/orders.csv" in moved.output


def test_a_misspelt_pipeline_dir_fails_validation_located(runner, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(BESIDE.replace("${pipeline_dir}", "${pipeline_folder}"))
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4:11 sources.orders.path: undefined variable 'pipeline_folder'" \
        in result.output
    assert "did you mean 'pipeline_dir'?" in result.output and "Traceback" not in result.output


def test_plan_tree_shows_the_steps(runner):
    result = runner.invoke(cli, ["plan", CLICKSTREAM])
    assert result.exit_code == 0
    assert "sessionize" in result.output and "fact_events" in result.output


@pytest.mark.parametrize("select", [[], ["--select", "sessions+"]])
def test_plan_builds_the_graph_once_and_checks_it_once(runner, monkeypatch, select):
    """Validation builds the graph (references, cycles) and `plan` reuses it."""
    import framework.graph as graph
    import framework.validate as validate

    calls: list[str] = []

    def counted(name):
        real = getattr(graph, name)
        return lambda spec: calls.append(name) or real(spec)

    for name in ("spec_edges", "find_cycles"):
        monkeypatch.setattr(graph, name, counted(name))
        monkeypatch.setattr(validate, name, getattr(graph, name), raising=False)
    result = runner.invoke(cli, ["plan", CLICKSTREAM, "--format", "json", *select])
    assert result.exit_code == 0, result.output
    assert sorted(calls) == ["find_cycles", "spec_edges"]


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


def _good_run(data_dir, run_id: str, status: str = "succeeded") -> None:
    folder = data_dir / "runs" / run_id
    folder.mkdir(parents=True)
    record = {"run_id": run_id, "pipeline": "p", "status": status, "seconds": 1.5, "pid": 1,
              "tasks": [{"key": "sink:t", "kind": "sink", "id": "t", "status": "succeeded"}]}
    (folder / "run.json").write_text(json.dumps(record))


@pytest.mark.parametrize("broken,why", [
    ('{"run_id": "x", "status": "runn', "cannot be read"),  # cut short by a crash
    ("{}", "not a run record"),
    ("[1]", "holds a JSON list"),
    ('{"run_id": "x", "pipeline": "p", "status": "failed", "tasks": [1]}', "not a run record"),
    ("\xff\xfe garbage", "cannot be read"),
])
def test_runs_lists_good_records_and_names_broken_ones(runner, tmp_path, broken, why):
    _good_run(tmp_path, "20260101T000000Z-p-aaaa")
    _good_run(tmp_path, "20260103T000000Z-p-cccc", status="failed")
    bad = tmp_path / "runs" / "20260102T000000Z-p-bbbb" / "run.json"
    bad.parent.mkdir()
    bad.write_bytes(broken.encode("latin-1"))
    result = CliRunner().invoke(cli, ["runs", "--data-dir", str(tmp_path)],
                                env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.exception is None
    lines = {ln.split()[1]: ln for ln in result.output.splitlines()
             if "20260" in ln}  # one table row per run, keyed by the run id
    assert "succeeded" in lines["20260101T000000Z-p-aaaa"]
    assert "1/1" in lines["20260101T000000Z-p-aaaa"]
    assert "failed" in lines["20260103T000000Z-p-cccc"]
    assert "unreadable" in lines["20260102T000000Z-p-bbbb"]
    assert f"unreadable run record: {bad}: {why}" in result.output  # the whole path, below


def test_runs_limit_must_be_positive(runner, tmp_path):
    _good_run(tmp_path, "20260101T000000Z-p-aaaa")
    result = runner.invoke(cli, ["runs", "--data-dir", str(tmp_path), "--limit", "0"])
    assert result.exit_code == 2 and "--limit" in result.output


def test_schema_to_an_unwritable_place_is_a_clear_error(runner, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for target in ("/proc/nope.json", str(blocker / "schema.json")):
        result = runner.invoke(cli, ["schema", "-o", target])
        assert result.exit_code == 3, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert f"cannot write the schema to {target}" in result.output
        assert "-o FILE" in result.output and "Traceback" not in result.output
    empty = runner.invoke(cli, ["schema", "-o", ""])
    assert empty.exit_code == 2 and "-o is empty" in empty.output


def test_schema_on_a_full_disk_leaves_no_partial_file(runner, tmp_path):
    from tests.disks import fill, small_disk

    with small_disk(tmp_path / "disk", "64k") as disk:
        fill(disk)
        target = os.path.join(disk, "pipeline.schema.json")
        result = runner.invoke(cli, ["schema", "-o", target])
        assert result.exit_code == 3, result.output
        assert f"cannot write the schema to {target}: no space left on device" in result.output
        assert not os.path.exists(target)


def test_schema_on_a_full_disk_keeps_the_old_file_and_makes_no_folder(runner, tmp_path):
    from tests.disks import fill, small_disk

    with small_disk(tmp_path / "disk", "64k") as disk:
        target = os.path.join(disk, "pipeline.schema.json")
        old = '{"title": "the schema of yesterday"}\n'
        with open(target, "w") as fh:
            fh.write(old)
        fill(disk)
        result = runner.invoke(cli, ["schema", "-o", target])
        assert result.exit_code == 3, result.output
        assert f"cannot write the schema to {target}: no space left on device" in result.output
        with open(target) as fh:
            assert fh.read() == old
        nested = os.path.join(disk, "new", "deeper", "pipeline.schema.json")
        result = runner.invoke(cli, ["schema", "-o", nested])
        assert result.exit_code == 3, result.output
        assert sorted(os.listdir(disk)) == ["filler", "pipeline.schema.json"]  # no .tmp, no new/


def test_run_refuses_landing_folders_that_overlap_once_resolved_before_any_work(runner,
                                                                              tmp_path):
    d = tmp_path / "d"
    path = tmp_path / "p.yaml"
    b_line = f"  b: {{generator: clickstream, landing: {{path: {d}/raw/users}}}}"
    path.write_text("pipeline: overlap\ngenerators:\n"
                    "  a: {generator: clickstream, landing: {path: raw}}\n"
                    f"{b_line}\nwarehouse: {{path: {d}/wh}}\n")
    assert runner.invoke(cli, ["validate", str(path)]).exit_code == 0  # written: no overlap
    result = runner.invoke(cli, ["run", str(path), "--data-dir", str(d)], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    col = b_line.index(str(d)) + 1
    assert (f"{path}:4:{col} generators.b.landing.path: generator 'b' lands in '{d}/raw/users', "
            f"inside the landing folder of generator 'a' ('raw', line 3, which is {d}/raw)"
            ) in result.output
    assert not d.exists()  # no run record, no landing: refused before any work


def test_run_on_a_full_disk_exits_3_before_any_work(runner, tmp_path):
    from tests.disks import fill, small_disk
    from tests.framework.runtime.test_executor import _write

    path = _write(tmp_path)
    with small_disk(tmp_path / "disk", "64k") as disk:
        fill(disk)
        result = runner.invoke(cli, ["run", path, "--data-dir", disk], env={"COLUMNS": "300"})
        assert result.exit_code == 3, result.output
        assert f"cannot write the run record in {disk}/runs/" in result.output
        assert "no space left on device" in result.output and "free some space" in result.output
        assert "Traceback" not in result.output
        assert os.listdir(os.path.join(disk, "runs")) == []  # no empty run folder either


@pytest.mark.parametrize("args,env,said", [
    (["--data-dir", ""], {}, "--data-dir is empty"),
    (["--data-dir", " "], {}, "--data-dir is empty"),
    ([], {"ETL_DATA_DIR": ""}, "ETL_DATA_DIR is set but empty"),
])
def test_an_empty_data_dir_is_refused(runner, tmp_path, monkeypatch, args, env, said):
    monkeypatch.chdir(tmp_path)  # where ./data would be
    for command in (["plan", CLICKSTREAM], ["run", CLICKSTREAM], ["runs"]):
        result = runner.invoke(cli, [*command, *args], env=env)
        assert result.exit_code == 2, (command, result.output)
        assert said in result.output and "hint:" in result.output, result.output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("args,env", [
    (["--data-dir", "s3a://bucket/etl"], {}), ([], {"ETL_DATA_DIR": "hdfs://nn/etl"}),
])
def test_a_uri_data_dir_is_refused_not_taken_as_a_local_folder(runner, tmp_path, monkeypatch,
                                                                args, env):
    monkeypatch.chdir(tmp_path)  # where ./s3a:/bucket/etl would have been made
    for command in (["plan", CLICKSTREAM], ["run", CLICKSTREAM], ["runs"]):
        result = runner.invoke(cli, [*command, *args], env=env)
        assert result.exit_code == 2, (command, result.output)
        assert "is a URI, not a folder" in result.output, result.output
        assert "mounted POSIX folders" in result.output and "Traceback" not in result.output
    assert os.listdir(tmp_path) == []


def test_a_uri_warehouse_or_landing_folder_is_a_located_problem(runner, tmp_path):
    path = tmp_path / "uri.yaml"
    path.write_text(
        "pipeline: uri\n"
        "generators:\n"
        "  g: {generator: clickstream, landing: {path: 'gs://b/raw'}}\n"
        "sources:\n"
        "  events: {generated: g.events, schema: {columns: {event_id: string}}}\n"
        "sinks:\n"
        "  t: {from: events}\n"
        "warehouse: {path: 's3a://bucket/wh'}\n")
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:3:" in result.output and "'gs://b/raw', a URI" in result.output
    assert f"{path}:8:" in result.output and "'s3a://bucket/wh' is a URI" in result.output
    assert "2 problems found" in result.output


def test_a_file_system_error_that_escapes_is_one_message(runner, tmp_path, monkeypatch):
    import errno

    import framework.catalog

    def full(*_args, **_kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.json"))

    monkeypatch.setattr(framework.catalog, "show_catalog", full)
    result = runner.invoke(cli, ["transforms"])
    assert result.exit_code == 3, result.output
    assert f"cannot use {tmp_path / 'x.json'}: no space left on device" in result.output
    assert "free some space" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("body,mode,said", [
    ("echo 'openjdk version \"17.0.2\"' >&2", 0o644, "is not an executable program"),
    ("echo 'this is not java'", 0o755, "did not report a Java version (it said: this is "),
])
def test_run_with_a_broken_java_home_exits_3_naming_it(runner, tmp_path, body, mode, said):
    from tests.framework.runtime.test_executor import _write

    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\n{body}\n")
    java.chmod(mode)
    result = runner.invoke(cli, ["run", _write(tmp_path), "--data-dir", str(tmp_path / "data")],
                           env={"JAVA_HOME": str(tmp_path / "jdk"), "COLUMNS": "300"})
    assert result.exit_code == 3, result.output
    assert f"JAVA_HOME's {java} {said}" in result.output
    assert "hint:" in result.output and "Traceback" not in result.output


def test_runs_does_not_read_a_huge_file_named_run_json(runner, tmp_path):
    from framework.runtime.record import MAX_RECORD_BYTES

    _good_run(tmp_path, "20260101T000000Z-p-aaaa")
    huge = tmp_path / "runs" / "20260102T000000Z-p-bbbb" / "run.json"
    huge.parent.mkdir()
    with open(huge, "wb") as fh:  # sparse: takes no disk, would take memory to parse
        fh.truncate(MAX_RECORD_BYTES + 1)
    result = runner.invoke(cli, ["runs", "--data-dir", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"unreadable run record: {huge}: larger than 64 MB, not a run record" in result.output
    assert "20260101T000000Z-p-aaaa" in result.output

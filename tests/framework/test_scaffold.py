"""`etl init`: the scaffold validates, plans and lists its tests as it is (no Spark here; the
runs are in tests/e2e/test_init_e2e.py); `--from` proposes types Spark's CSV reader parses."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from framework.cli import cli
from framework.errors import UsageError
from framework.scaffold.infer import guess_type, read_sample, source_id


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("values, expected", [
    (["1", "-2", "+30", "0"], "int"),
    (["2147483647", "2147483648"], "bigint"),
    (["1" * 20], "string"),                     # past bigint
    (["007", "12"], "string"),                  # a code keeps its zeros
    (["0123.5"], "string"),
    (["1.5", "2", "1e5", ".5", "-3."], "double"),
    ([" 12"], "string"),                        # Spark would not parse it as a number
    (["true", "FALSE", "True"], "boolean"),
    (["2026-01-05", "2026-12-31"], "date"),
    (["2026-02-30"], "string"),                 # not a day
    (["2026-01-05 10:00:00", "2026-01-05T10:00", "2026-01-05T10:00:00.123Z",
      "2026-01-05 10:00:00+02:00", "2026-01-06"], "timestamp"),
    (["2026-01-05 10:00:00 UTC"], "string"),
    (["1", "a"], "string"),
    ([], "string"),
])
def test_a_column_gets_the_narrowest_type_of_all_its_values(values, expected):
    assert guess_type(values) == expected


def test_source_ids_are_identifiers_and_never_taken():
    taken = {"orders", "row_counts"}
    assert source_id("Orders", taken) == "orders_2"
    assert source_id("2026 sales (EU)", set()) == "t_2026_sales_eu"
    assert source_id("row-counts", taken) == "row_counts_2"
    assert source_id("---", set()) == "data"


def test_a_sample_reads_its_delimiter_encoding_bom_and_multiline_records(tmp_path):
    path = tmp_path / "People List.csv"
    path.write_bytes(b"\xef\xbb\xbfid;name;joined\n1;\"two\nlines\";2026-01-01\n"
                     b"2;Ana;2026-01-02\n")
    sample = read_sample(str(path), set())
    assert (sample.id, sample.delimiter, sample.bom, sample.multiline, sample.encoding) == (
        "people_list", ";", True, True, None)
    assert [(c.name, c.type, c.key) for c in sample.columns] == [
        ("id", "int", True), ("name", "string", True), ("joined", "date", True)]
    assert sample.rows == (("1", "two\nlines", "2026-01-01"), ("2", "Ana", "2026-01-02"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("city\nMünchen\n".encode("iso-8859-1"))
    assert read_sample(str(latin), set()).encoding == "ISO-8859-1"


@pytest.mark.parametrize("content, said", [
    ("\n1,2\n", "has no header line"),
    ("a,A\n1,2\n", "the header names 'a' and 'A', which Spark reads as one column"),
    ("a,,b\n1,2,3\n", "an empty column name"),
    ("a,b\n", "has a header but no rows"),
])
def test_samples_that_cannot_propose_a_schema_are_refused(tmp_path, content, said):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(UsageError) as caught:
        read_sample(str(path), set())
    assert said in caught.value.message and str(path) in caught.value.message


def test_a_key_is_proposed_only_when_never_empty_nor_repeated(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,x,\n2,x,z\n")
    assert [c.key for c in read_sample(str(path), set()).columns] == [True, False, False]


def test_the_example_scaffold_validates_plans_and_lists_its_tests(tmp_path):
    made = invoke("init", "shop", "--dir", str(tmp_path))
    assert made.exit_code == 0, made.output
    folder = tmp_path / "shop"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "README.md", "pipeline.schema.json", "report.yaml", "sample/orders.csv",
        "schemas/orders.yaml", "shop.tests.yaml", "shop.yaml",
        "sql/queries/daily_revenue.sql", "sql/views/v_country_revenue.sql"]
    pipeline = str(folder / "shop.yaml")
    text = (folder / "shop.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=pipeline.schema.json\n")
    for section in ("# spark:", "# optimizations:", "# generators:", "vars:", "sources:",
                    "steps:", "sinks:", "# warehouse:", "sql:", "report:", "checks:"):
        assert section in text, section
    valid = invoke("validate", pipeline)
    assert valid.exit_code == 0, valid.output
    assert "1 sources, 2 steps, 2 sinks" in valid.output
    plan = invoke("plan", pipeline, "--format", "json", "--data-dir", str(tmp_path / "d"))
    assert plan.exit_code == 0, plan.output
    read = [t for s in json.loads(plan.output)["stages"] for t in s["tasks"]
            if t["kind"] == "source"]
    assert read[0]["path"] == str(folder / "sample" / "orders.csv")  # ${pipeline_dir}
    listed = invoke("test", pipeline, "--list")
    assert listed.exit_code == 0 and len(listed.output.strip().splitlines()) == 4
    rendered = invoke("sql", "render", pipeline)
    assert rendered.exit_code == 0 and "v_country_revenue" in rendered.output
    data = yaml.safe_load(text)
    jsonschema.validate(data, json.loads((folder / "pipeline.schema.json").read_text()))


def test_a_scaffold_from_samples_validates_and_plans(tmp_path):
    samples = tmp_path / "in"
    samples.mkdir()
    (samples / "orders.csv").write_text("order id,amount,at\n1,2.5,2026-01-01 10:00:00\n"
                                        "2,3,2026-01-02 11:00:00\n")
    (samples / "Notes.CSV").write_bytes("id|text\nn1|Grüße\n".encode("iso-8859-1"))
    (samples / "skip.txt").write_text("not a sample")
    made = invoke("init", "mine", "--from", str(samples), "--dir", str(tmp_path))
    assert made.exit_code == 0, made.output
    assert "source notes: id string, text string" in made.output
    assert "source orders: order id int, amount double, at timestamp" in made.output
    folder = tmp_path / "mine"
    assert sorted(os.listdir(folder / "sample")) == ["Notes.CSV", "orders.csv"]
    assert (folder / "sample" / "Notes.CSV").read_bytes() == (samples / "Notes.CSV").read_bytes()
    spec = yaml.safe_load((folder / "mine.yaml").read_text())
    assert spec["sources"]["notes"]["encoding"] == "ISO-8859-1"
    assert spec["sources"]["notes"]["options"] == {"sep": "|"}
    assert spec["steps"][0] == {"id": "orders_named", "description": spec["steps"][0][
        "description"], "transform": "rename", "input": "orders",
        "params": {"columns": {"order id": "order_id"}}}
    assert yaml.safe_load((folder / "schemas" / "orders.yaml").read_text()) == {
        "columns": {"order id": "int", "amount": "double", "at": "timestamp"}}
    pipeline = str(folder / "mine.yaml")
    for args in (["validate", pipeline], ["plan", pipeline], ["test", pipeline, "--list"]):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)


def test_an_existing_folder_and_bad_names_are_refused_and_nothing_is_written(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    result = invoke("init", "taken", "--dir", str(tmp_path))
    assert result.exit_code == 2 and "already exists" in result.output
    assert os.listdir(tmp_path / "taken") == ["keep.txt"]
    for name in ("1abc", "a b", "../up", ""):
        result = invoke("init", name, "--dir", str(tmp_path))
        assert result.exit_code == 2 and "cannot name a pipeline" in result.output, name
    for folder, said in ((tmp_path / "none", "not a folder"), (tmp_path / "taken", "no .csv")):
        result = invoke("init", "x", "--from", str(folder), "--dir", str(tmp_path))
        assert result.exit_code == 2 and said in result.output
    assert sorted(os.listdir(tmp_path)) == ["taken"]  # no half-made folder anywhere


def test_a_big_sample_proposes_from_its_first_rows_and_no_key(tmp_path, monkeypatch):
    from framework.scaffold import infer

    monkeypatch.setattr(infer, "MAX_BYTES", 30)
    path = tmp_path / "big.csv"
    path.write_text("id,x\n" + "".join(f"{i},{i}.5\n" for i in range(100)) + "100,text\n")
    sample = read_sample(str(path), set())
    assert not sample.complete and sample.rows_read < 10
    assert [(c.type, c.key) for c in sample.columns] == [("int", False), ("double", False)]

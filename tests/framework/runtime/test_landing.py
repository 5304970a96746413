"""Landing tables as files (CSV as readers expect it, each table swapped in whole) and a generator's
landing folder: files it did not write are never replaced, landed files carry no checksums (so one
fixed by hand still reads)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from framework.console import CapturingConsole
from framework.errors import EtlError
from framework.plan import build_plan
from framework.registry import REGISTRY
from framework.runtime.executor import RunOptions, run_pipeline
from framework.runtime.io import read_source
from framework.runtime.landing import check_landing, land_generated, land_tables
from framework.spec import Column, GeneratorSpec, SourceSpec, TableSchema
from framework.validate import load_pipeline

pytestmark = pytest.mark.spark

GEN = GeneratorSpec(id="shop", generator="clickstream", params={}, landing_path="raw")
WANTED = {"generator": "clickstream", "params": {"seed": 1}, "format": "csv"}


@pytest.fixture
def users(spark):
    return spark.createDataFrame([(1, "ann"), (2, "bob")], "id int, name string")


def _files(folder) -> list[str]:
    return sorted(os.path.relpath(os.path.join(root, f), folder)
                  for root, _, files in os.walk(folder) for f in files)


# -- landing tables ---------------------------------------------------------------------------


@pytest.fixture
def events(spark):
    rows = [(1, 'say "hi", then go', dt.datetime(2026, 1, 2, 3, 4, 5, 123456)),
            (2, None, dt.datetime(2026, 1, 2, 0, 0))]
    return spark.createDataFrame(rows, "id int, text string, ts timestamp")


def test_land_csv_is_iso_and_quoted_the_standard_way(spark, events, tmp_path):
    paths = land_tables({"events": events}, str(tmp_path / "raw"), "csv")
    assert paths == {"events": str(tmp_path / "raw" / "events")}
    parsed = []
    for f in sorted(Path(paths["events"]).glob("*.csv")):
        parsed += list(csv.reader(f.open()))[1:]
    by_id = {r[0]: r for r in parsed}
    assert by_id["1"] == ["1", 'say "hi", then go', "2026-01-02T03:04:05.123456Z"]
    assert by_id["2"][2] == "2026-01-02T00:00:00.000000Z"
    header = next(csv.reader(next(Path(paths["events"]).glob("*.csv")).open()))
    assert header == ["id", "text", "ts"]


def test_landed_csv_reads_back_identically(spark, events, tmp_path):
    land_tables({"events": events}, str(tmp_path / "raw"), "csv")
    schema = TableSchema((Column("id", "int"), Column("text", "string"), Column("ts", "timestamp")))
    spec = SourceSpec(id="events", format="csv", path="raw/events", schema=schema,
                      on_malformed="fail")
    got = read_source(spark, spec, str(tmp_path))
    assert sorted(map(tuple, got.df.collect())) == sorted(map(tuple, events.collect()))


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_land_json_and_parquet(spark, events, tmp_path, fmt):
    land_tables({"events": events, "ids": events.select("id")}, str(tmp_path), fmt)
    back = getattr(spark.read, fmt)(str(tmp_path / "events"))
    assert sorted(r["id"] for r in back.collect()) == [1, 2]
    assert getattr(spark.read, fmt)(str(tmp_path / "ids")).columns == ["id"]


def test_landing_replaces_whole_table_and_a_failure_keeps_the_old(spark, events, tmp_path):
    folder = str(tmp_path / "raw")
    land_tables({"events": events}, folder, "parquet")
    land_tables({"events": events.filter("id = 1")}, folder, "parquet")
    assert spark.read.parquet(f"{folder}/events").count() == 1
    failing = events.selectExpr("if(id > 1, raise_error('boom'), id) as id")  # fails mid-write
    with pytest.raises(Exception, match="boom"):
        land_tables({"events": failing}, folder, "parquet")
    assert spark.read.parquet(f"{folder}/events").count() == 1
    assert os.listdir(folder) == ["events"]  # nothing left beside it


def test_landing_cleans_a_killed_landing(spark, events, tmp_path):
    leftover = tmp_path / ".events.landing-deadbeef"
    leftover.mkdir()
    (leftover / "part-0.csv").write_text("half")
    land_tables({"events": events}, str(tmp_path), "csv")
    assert sorted(os.listdir(tmp_path)) == ["events"]


# -- checksums --------------------------------------------------------------------------------


def test_a_landed_csv_fixed_by_hand_reads_with_the_fix(spark, users, tmp_path):
    land_tables({"users": users}, str(tmp_path / "raw"), "csv")
    (part,) = [tmp_path / "raw" / "users" / f for f in os.listdir(tmp_path / "raw" / "users")
               if f.endswith(".csv") and "ann" in (tmp_path / "raw" / "users" / f).read_text()]
    part.write_text(part.read_text().replace("ann", "annabelle"))  # longer: another checksum
    schema = TableSchema((Column("id", "int"), Column("name", "string")))
    spec = SourceSpec(id="users", format="csv", path="raw/users", schema=schema)
    got = read_source(spark, spec, str(tmp_path))
    assert sorted(map(tuple, got.df.collect())) == [(1, "annabelle"), (2, "bob")]
    assert not [f for f in _files(tmp_path / "raw") if f.endswith(".crc")]


# -- what the landing folder may hold ---------------------------------------------------------


def test_a_folder_holding_a_file_the_generator_did_not_write_is_refused(tmp_path):
    folder = tmp_path / "raw"
    (folder / "users").mkdir(parents=True)
    (folder / "users" / "precious.csv").write_text("mine")
    with pytest.raises(EtlError) as info:
        check_landing(str(folder), GEN)
    assert "users/precious.csv" in info.value.message and str(folder) in info.value.message
    assert "move those files" in info.value.hint and "landing" in info.value.hint
    assert info.value.exit_code == 1
    assert (folder / "users" / "precious.csv").read_text() == "mine"


def test_a_missing_or_empty_folder_is_fine(tmp_path):
    check_landing(str(tmp_path / "nothing"), GEN)
    (tmp_path / "raw" / "users").mkdir(parents=True)  # empty folders hold no file to lose
    check_landing(str(tmp_path / "raw"), GEN)


def test_the_manifest_lists_what_was_landed_and_vouches_only_for_that(spark, users, tmp_path):
    folder = tmp_path / "raw"
    land_generated({"users": users, "ids": users.select("id")}, str(folder), "csv", 2, WANTED)
    manifest = json.loads((folder / "_generator.json").read_text())
    assert {k: manifest[k] for k in WANTED} == WANTED
    assert manifest["files"] == [f for f in _files(folder) if f != "_generator.json"]
    assert any(f.startswith("users/part-") for f in manifest["files"])
    check_landing(str(folder), GEN)  # all of it the generator's own: landing again is fine
    land_generated({"users": users}, str(folder), "csv", 1, WANTED)
    check_landing(str(folder), GEN)

    (folder / "users" / "precious.csv").write_text("mine")  # added by hand after landing
    (folder / "notes.txt").write_text("mine too")
    with pytest.raises(EtlError) as info:
        check_landing(str(folder), GEN)
    assert "2 files" in info.value.message
    assert "users/precious.csv" in info.value.message and "notes.txt" in info.value.message


def test_parameters_yaml_reads_as_dates_still_match_the_manifest(spark, users, tmp_path):
    from framework.runtime.landing import landed_with

    wanted = {**WANTED, "params": {"start_date": dt.date(2026, 1, 1), "seed": 1}}
    land_generated({"users": users}, str(tmp_path), "csv", 1, wanted)
    assert landed_with(str(tmp_path), wanted)  # the second run skips the generator
    assert not landed_with(str(tmp_path), {**wanted, "params": {**wanted["params"], "seed": 2}})


def test_a_landing_killed_half_way_can_land_again(spark, users, tmp_path):
    """While tables land, the manifest names them: what a killed landing left is its own."""
    folder = tmp_path / "raw"
    land_generated({"users": users}, str(folder), "csv", 1, WANTED)
    old = json.loads((folder / "_generator.json").read_text())["files"]
    killed = {"landing": ["ids", "users"], "files": old}
    (folder / "_generator.json").write_text(json.dumps(killed))
    (folder / "ids").mkdir()
    (folder / "ids" / "part-00000-new.csv").write_text("id\n1\n")  # swapped in before the kill
    (folder / ".users.landing-0123456789ab").mkdir()
    (folder / ".users.landing-0123456789ab" / "part-00000-half.csv").write_text("id")
    check_landing(str(folder), GEN)
    (folder / "other").mkdir()
    (folder / "other" / "part-00000-x.csv").write_text("not a table it was landing")
    with pytest.raises(EtlError, match="other/part-00000-x.csv"):
        check_landing(str(folder), GEN)


def test_a_manifest_that_lists_no_files_vouches_for_spark_files_in_table_folders(tmp_path):
    folder = tmp_path / "raw"
    (folder / "users").mkdir(parents=True)
    (folder / "_generator.json").write_text(json.dumps(WANTED))  # written before file lists
    for name in ("part-00000-abc.csv", ".part-00000-abc.csv.crc", "_SUCCESS", "._SUCCESS.crc"):
        (folder / "users" / name).write_text("x")
    check_landing(str(folder), GEN)
    (folder / "users" / "precious.csv").write_text("mine")
    with pytest.raises(EtlError, match="precious.csv"):
        check_landing(str(folder), GEN)


# -- a run ----------------------------------------------------------------------------------------

PIPELINE = """
pipeline: landing_check
generators:
  shop:
    generator: clickstream
    params: {users: 20, products: 10, sessions: 20, days: 2, start_date: "2026-01-01", seed: 1}
    landing: {path: raw, format: csv}
sources:
  users: {generated: shop.users}
sinks:
  users: {from: users}
"""


def _run(tmp_path, data_dir: str, regenerate: bool = False):
    path = tmp_path / "p.yaml"
    path.write_text(PIPELINE)
    REGISTRY.load_plugins()
    spec = load_pipeline(str(path), registry=REGISTRY)
    options = RunOptions(data_dir=data_dir, stop_session=False, regenerate=regenerate)
    return run_pipeline(spec, build_plan(spec, data_dir), options, CapturingConsole(), REGISTRY)


def test_a_run_never_replaces_a_users_file_in_the_landing_folder(tmp_path):
    data = tmp_path / "data"
    (data / "raw" / "users").mkdir(parents=True)
    (data / "raw" / "users" / "precious.csv").write_text("user_id\nmine\n")
    with pytest.raises(EtlError) as info:
        _run(tmp_path, str(data))
    assert f"{data / 'raw'}, which holds 1 file it did not write: users/precious.csv" in \
        info.value.message
    assert f"{tmp_path / 'p.yaml'}:" in info.value.message  # located at landing.path
    assert (data / "raw" / "users" / "precious.csv").read_text() == "user_id\nmine\n"
    assert sorted(os.listdir(data / "raw")) == ["users"]  # nothing generated, nothing landed
    assert os.listdir(data / "raw" / "users") == ["precious.csv"]

    os.remove(data / "raw" / "users" / "precious.csv")  # moved away: the run lands, and reruns
    _run(tmp_path, str(data))
    record = _run(tmp_path, str(data), regenerate=True)
    assert {t.key: t.status for t in record.tasks}["generator:shop"] == "succeeded"


def test_a_file_dropped_into_landed_data_is_refused_when_generation_is_skipped(tmp_path):
    data = tmp_path / "data"
    _run(tmp_path, str(data))  # lands
    stray = sorted(f for f in os.listdir(data / "raw" / "users") if f.startswith("part-"))[0]
    shutil.copy(data / "raw" / "users" / stray, data / "raw" / "users" / "stray.csv")
    with pytest.raises(EtlError) as info:
        _run(tmp_path, str(data))  # same parameters: the landed data would be read as it is
    assert "1 file it did not write: users/stray.csv" in info.value.message
    assert "would read them as generated rows" in info.value.message

"""Reading sources (schemas, malformed policies, quarantine), measuring folders."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from framework.errors import DataError, EnvironmentProblem
from framework.runtime.io import path_size, read_source
from framework.spec import Column, SourceSpec, TableSchema

pytestmark = pytest.mark.spark

SCHEMA = TableSchema((Column("id", "int"), Column("name", "string"), Column("qty", "int"),
                      Column("ts", "timestamp")))
GOOD_CSV = [
    "1,ann,10,2026-01-01T10:00:00",
    "2,bob,20,2026-01-01 11:30:00",
    '3,"cid, jr",30,2026-01-02T00:00:00Z',
    "4,,40,2026-01-03T08:00:00",
]
BAD_CSV = [
    "5,eve,many,2026-01-03T08:00:00",  # qty is not an int
    "6,fay,60",  # too few columns
    "7,gus,70,2026-01-03T08:00:00,surplus",  # too many columns
    "8,hal,80,yesterday",  # not a timestamp
]


def write_csv(folder: Path, lines: list[str], name: str = "part-0.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("id,name,qty,ts\n" + "\n".join(lines) + "\n")
    return folder


def source(path, fmt="csv", policy="drop", **kw) -> SourceSpec:
    return SourceSpec(id="orders", format=fmt, path=str(path), schema=SCHEMA, on_malformed=policy,
                      **kw)


def test_csv_good_rows_typed_and_only_declared_columns(spark, tmp_path):
    write_csv(tmp_path / "raw" / "orders", GOOD_CSV)
    got = read_source(spark, source("raw/orders"), str(tmp_path))  # relative to data_dir
    assert got.malformed == 0 and got.quarantine_path is None
    assert got.df.columns == ["id", "name", "qty", "ts"]
    assert dict(got.df.dtypes) == {"id": "int", "name": "string", "qty": "int", "ts": "timestamp"}
    rows = sorted(tuple(r) for r in got.df.collect())
    assert rows[0] == (1, "ann", 10, dt.datetime(2026, 1, 1, 10, 0))
    assert rows[2][1] == "cid, jr" and rows[3][1] is None
    assert rows[1][3] == dt.datetime(2026, 1, 1, 11, 30)


@pytest.mark.parametrize("keep", [None, "MEMORY_AND_DISK"])
@pytest.mark.parametrize("policy", ["drop", "quarantine"])
def test_csv_malformed_rows_are_counted_never_lost(spark, tmp_path, policy, keep):
    folder = write_csv(tmp_path / "in", GOOD_CSV[:2] + BAD_CSV[:2])
    write_csv(folder, GOOD_CSV[2:] + BAD_CSV[2:], "part-1.csv")
    got = read_source(spark, source(folder, policy=policy), str(tmp_path), keep=keep)
    assert got.kept == bool(keep)
    assert got.malformed == len(BAD_CSV)
    assert sorted(r["id"] for r in got.df.collect()) == [1, 2, 3, 4]
    assert got.df.count() + got.malformed == len(GOOD_CSV) + len(BAD_CSV)
    # A query touching one column must agree with the full parse (CSV column pruning).
    assert got.df.select("id").count() == len(GOOD_CSV)
    assert got.df.filter("qty is null").count() == 0


def test_quarantine_keeps_raw_lines_with_source_and_reason(spark, tmp_path):
    folder = write_csv(tmp_path / "in", GOOD_CSV + BAD_CSV)
    got = read_source(spark, source(folder, policy="quarantine"), str(tmp_path), run_id="r1")
    assert got.quarantine_path == str(tmp_path / "quarantine" / "orders" / "r1")
    records = quarantined(got)
    assert sorted(r["record"] for r in records) == sorted(BAD_CSV)
    assert {r["source"] for r in records} == {"orders"}
    assert {r["file"] for r in records} == {f"file:{folder / 'part-0.csv'}"}  # where to look
    reasons = {r["record"]: r["reason"] for r in records}
    assert reasons[BAD_CSV[0]].endswith("columns null after parsing: qty")
    assert reasons[BAD_CSV[3]].endswith("columns null after parsing: ts")


def quarantined(got) -> list[dict]:
    return [json.loads(line) for f in sorted(Path(got.quarantine_path).glob("*.json"))
            for line in f.read_text().splitlines()]


def test_each_run_keeps_its_own_quarantine(spark, tmp_path):
    """A later run (which may fail before publishing) never removes the records an earlier
    run set aside: they belong to the tables that run published."""
    folder = write_csv(tmp_path / "in", GOOD_CSV + BAD_CSV)
    first = read_source(spark, source(folder, policy="quarantine"), str(tmp_path), run_id="r1")
    write_csv(folder, GOOD_CSV + BAD_CSV[:1])
    second = read_source(spark, source(folder, policy="quarantine"), str(tmp_path), run_id="r2")
    assert first.malformed == 4 and second.malformed == 1
    assert sorted(r["record"] for r in quarantined(first)) == sorted(BAD_CSV)
    assert [r["record"] for r in quarantined(second)] == BAD_CSV[:1]
    write_csv(folder, GOOD_CSV)
    third = read_source(spark, source(folder, policy="quarantine"), str(tmp_path), run_id="r3")
    assert third.quarantine_path is None  # nothing set aside: no folder
    assert sorted(os.listdir(tmp_path / "quarantine" / "orders")) == ["r1", "r2"]


def test_fail_policy_names_source_count_example_and_hint(spark, tmp_path):
    folder = write_csv(tmp_path / "in", GOOD_CSV + BAD_CSV[:2])
    with pytest.raises(DataError) as err:
        read_source(spark, source(folder, policy="fail"), str(tmp_path))
    e = err.value
    assert "'orders'" in e.message and "2 malformed csv records" in e.message
    assert e.details["malformed"] == 2 and e.details["example"] in BAD_CSV[:2]
    assert "on_malformed: quarantine" in e.hint


def test_a_kept_read_parses_the_files_once(spark, tmp_path):
    """With `keep`, the pass that counts the records keeps the parsed good rows: the steps
    read the cache, so the rows are there even once the files are gone (a plain read parses
    the files again when a step computes)."""
    import shutil

    kept_dir = write_csv(tmp_path / "kept", GOOD_CSV + BAD_CSV)
    plain_dir = write_csv(tmp_path / "plain", GOOD_CSV + BAD_CSV)
    kept = read_source(spark, source(kept_dir), str(tmp_path), keep="MEMORY_AND_DISK")
    plain = read_source(spark, source(plain_dir), str(tmp_path))
    assert kept.df.is_cached and not plain.df.is_cached
    assert (kept.malformed, kept.rows) == (plain.malformed, plain.rows) == (4, 4)
    expected = sorted(tuple(r) for r in plain.df.collect())
    shutil.rmtree(kept_dir)
    shutil.rmtree(plain_dir)
    assert sorted(tuple(r) for r in kept.df.collect()) == expected
    assert [r[0] for r in expected] == [1, 2, 3, 4]
    with pytest.raises(Exception, match="(?i)does not exist|not found|FileNotFound"):
        plain.df.collect()
    kept.df.unpersist()


def test_a_kept_read_that_fails_keeps_nothing(spark, tmp_path):
    folder = write_csv(tmp_path / "in", GOOD_CSV + BAD_CSV[:2])
    before = len(spark.sparkContext._jsc.getPersistentRDDs())
    with pytest.raises(DataError):
        read_source(spark, source(folder, policy="fail"), str(tmp_path), keep="MEMORY_AND_DISK")
    assert len(spark.sparkContext._jsc.getPersistentRDDs()) == before


def test_fail_policy_passes_clean_files(spark, tmp_path):
    folder = write_csv(tmp_path / "in", GOOD_CSV)
    assert read_source(spark, source(folder, policy="fail"), str(tmp_path)).df.count() == 4


def test_json_lines_with_malformed_records(spark, tmp_path):
    good = [{"id": 1, "name": "a", "qty": 1, "ts": "2026-01-01T00:00:00"},
            {"id": 2, "name": "b", "qty": 2, "extra": True}]
    bad = ['{"id": 3, "name": "c", "qty": "lots"}', '{"id": 4, "name": ', "plain text"]
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "a.json").write_text("\n".join([json.dumps(g) for g in good] + bad) + "\n")
    got = read_source(spark, source(folder, fmt="json", policy="quarantine"), str(tmp_path))
    assert got.malformed == len(bad)
    assert sorted(tuple(r)[:3] for r in got.df.collect()) == [(1, "a", 1), (2, "b", 2)]
    assert got.df.columns == ["id", "name", "qty", "ts"]


@pytest.mark.parametrize("policy", ["drop", "quarantine"])
def test_json_with_map_columns_counts_malformed_records(spark, tmp_path, policy):
    schema = TableSchema((Column("id", "int"), Column("attrs", "map<string,string>"),
                          Column("tags", "array<struct<k:string,v:map<string,int>>>")))
    good = [{"id": 1, "attrs": {"a": "x"}, "tags": [{"k": "t", "v": {"n": 1}}]},
            {"id": 2, "attrs": {}, "tags": []}]
    bad = ['{"id": "three", "attrs": {"a": "y"}}', '{"id": 4, "attrs": ']
    folder = tmp_path / "maps"
    folder.mkdir()
    (folder / "a.json").write_text("\n".join([json.dumps(g) for g in good] + bad) + "\n")
    spec = SourceSpec(id="things", format="json", path=str(folder), schema=schema,
                      on_malformed=policy)
    got = read_source(spark, spec, str(tmp_path))
    assert got.malformed == len(bad)
    rows = sorted((r["id"], dict(r["attrs"])) for r in got.df.collect())
    assert rows == [(1, {"a": "x"}), (2, {})]


def test_parquet_source_selects_declared_columns(spark, tmp_path):
    spark.createDataFrame([(1, "a", 5, None, "x")], "id int, name string, qty int, ts timestamp, "
                          "junk string").write.parquet(str(tmp_path / "pq"))
    got = read_source(spark, source(tmp_path / "pq", fmt="parquet"), str(tmp_path))
    assert got.df.columns == ["id", "name", "qty", "ts"] and got.malformed == 0
    assert [tuple(r) for r in got.df.collect()] == [(1, "a", 5, None)]


def test_reader_options_override_defaults(spark, tmp_path):
    folder = tmp_path / "semi"
    folder.mkdir()
    (folder / "a.csv").write_text("1;ann;10;2026-01-01T10:00:00\n2;bob;x;2026-01-01T10:00:00\n")
    got = read_source(spark, source(folder, options={"sep": ";", "header": "false"}),
                      str(tmp_path))
    assert [r["name"] for r in got.df.collect()] == ["ann"] and got.malformed == 1


def test_missing_path_is_an_environment_problem(spark, tmp_path):
    with pytest.raises(EnvironmentProblem, match="does not exist"):
        read_source(spark, source("nowhere"), str(tmp_path))


def test_a_folder_name_with_glob_characters_is_read_as_written(spark, tmp_path):
    wanted = tmp_path / "proj [old] {v1}" / "orders"
    write_csv(wanted, GOOD_CSV[:2])
    write_csv(tmp_path / "proj o v1" / "orders", GOOD_CSV[2:])  # what the pattern would match
    got = read_source(spark, source(wanted), str(tmp_path))
    assert sorted(r["id"] for r in got.df.collect()) == [1, 2]


def test_a_glob_pattern_reads_every_matching_file(spark, tmp_path):
    folder = tmp_path / "in"
    write_csv(folder, GOOD_CSV[:2], name="a.csv")
    write_csv(folder, GOOD_CSV[2:], name="b.csv")
    write_csv(folder, BAD_CSV, name="skip.txt")
    got = read_source(spark, source("in/*.csv", policy="fail"), str(tmp_path))
    assert sorted(r["id"] for r in got.df.collect()) == [1, 2, 3, 4]


def test_a_glob_pattern_without_matches_is_a_missing_path(spark, tmp_path):
    with pytest.raises(EnvironmentProblem, match="does not exist"):
        read_source(spark, source("in/*.csv"), str(tmp_path))


@pytest.mark.parametrize("policy", ["fail", "drop", "quarantine"])
def test_a_header_naming_other_columns_is_refused_with_both_lists(spark, tmp_path, policy):
    folder = tmp_path / "in"
    folder.mkdir()  # the file's qty and name columns are swapped against the declared order
    (folder / "a.csv").write_text("id,qty,name,ts\n1,10,ann,2026-01-01T10:00:00\n")
    with pytest.raises(DataError) as info:
        read_source(spark, source(folder, policy=policy), str(tmp_path))
    assert "a.csv" in info.value.message
    assert "header id, qty, name, ts; declared id, name, qty, ts" in info.value.message
    assert "enforceSchema" in info.value.hint


def test_header_names_match_in_any_case_and_enforce_schema_takes_columns_by_position(
        spark, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text("ID,Name,QTY,ts\n1,ann,10,2026-01-01T10:00:00\n")
    got = read_source(spark, source(folder, policy="fail"), str(tmp_path))
    assert [tuple(r)[:3] for r in got.df.collect()] == [(1, "ann", 10)]
    (folder / "a.csv").write_text("a,b,c,d\n1,ann,10,2026-01-01T10:00:00\n")
    got = read_source(spark, source(folder, policy="fail", options={"enforceSchema": "true"}),
                      str(tmp_path))
    assert [tuple(r)[:3] for r in got.df.collect()] == [(1, "ann", 10)]


def test_source_without_schema_reads_header_columns_as_strings(spark, tmp_path):
    folder = write_csv(tmp_path / "in", GOOD_CSV[:2] + ["9,too,many,fields,here"])
    spec = SourceSpec(id="loose", format="csv", path=str(folder), on_malformed="drop")
    got = read_source(spark, spec, str(tmp_path))
    assert got.df.columns == ["id", "name", "qty", "ts"] and got.malformed == 1
    assert sorted(r["id"] for r in got.df.collect()) == ["1", "2"]


def test_path_size_sums_every_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_bytes(b"12345")
    (tmp_path / "a" / "sub").mkdir()
    (tmp_path / "a" / "sub" / "y").write_bytes(b"1" * 100)
    os.symlink(tmp_path / "a", tmp_path / "link")
    assert path_size(str(tmp_path / "a")) == 105
    assert path_size(str(tmp_path / "link")) == 105
    assert path_size(str(tmp_path / "a" / "x")) == 5


# -- every input record accounted for (issue 10) --------------------------------------------------

CONTROL_LINES = ["\x01\x02", "\x00", "\x1b\x07\x0b"]  # records Spark's CSV reader skips as blank


@pytest.mark.parametrize("policy", ["drop", "quarantine"])
def test_a_csv_line_of_control_characters_is_malformed_not_lost(spark, tmp_path, policy):
    folder = tmp_path / "in"
    folder.mkdir()
    body = GOOD_CSV[:2] + CONTROL_LINES[:2] + ["", " \t "] + GOOD_CSV[2:] + CONTROL_LINES[2:]
    (folder / "a.csv").write_text("id,name,qty,ts\n" + "\n".join(body) + "\n")
    got = read_source(spark, source(folder, policy=policy), str(tmp_path), run_id="r1")
    assert got.malformed == len(CONTROL_LINES)  # the blank lines are not records
    assert got.rows == len(GOOD_CSV) == got.df.count()
    if policy == "quarantine":
        records = quarantined(got)
        assert sorted(r["record"] for r in records) == sorted(CONTROL_LINES)
        assert all("control characters only" in r["reason"] for r in records)


def test_a_csv_line_of_control_characters_fails_the_fail_policy_escaped(spark, tmp_path):
    folder = write_csv(tmp_path / "in", GOOD_CSV + CONTROL_LINES[:1])
    with pytest.raises(DataError) as err:
        read_source(spark, source(folder, policy="fail"), str(tmp_path))
    assert "1 malformed csv record;" in err.value.message
    assert "\\x01\\x02" in err.value.message and "\x01" not in err.value.message


JSON_GOOD = ['{"id": 1, "name": "a", "qty": 1}', '  {"id": 2, "name": "b}{", "qty": 2}  ',
             '{"id": 3, "name": "c\\"}", "extra": [1, {"x": "]"}]}']
JSON_BAD = ["{}",  # parses to a row of nulls: nothing the schema declares
            '{"other": 1}',
            "[]",  # Spark's reader: no row at all
            '[{"id": 10}, {"id": 11}]',  # Spark's reader: two rows
            '{"id": 12, "name": "x"} garbage',  # Spark's reader: id 12, the rest ignored
            '{"id": 13}{"id": 14}',
            '{"id": 15} }',
            '{"id": 16, "name": "y"} "tail"']


@pytest.mark.parametrize("policy", ["drop", "quarantine"])
def test_every_json_line_is_one_row_or_malformed(spark, tmp_path, policy):
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "a.json").write_text("\n".join(JSON_GOOD + ["", "   "] + JSON_BAD) + "\n")
    got = read_source(spark, source(folder, fmt="json", policy=policy), str(tmp_path),
                      run_id="r1")
    assert got.malformed == len(JSON_BAD)
    assert sorted((r["id"], r["name"]) for r in got.df.collect()) == [
        (1, "a"), (2, "b}{"), (3, 'c"}')]
    assert got.rows == len(JSON_GOOD)
    if policy == "quarantine":
        assert sorted(r["record"] for r in quarantined(got)) == sorted(JSON_BAD)


def test_a_clean_json_file_reads_every_line(spark, tmp_path):
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "a.json").write_text("\n".join(JSON_GOOD) + "\n\n")
    got = read_source(spark, source(folder, fmt="json", policy="fail"), str(tmp_path))
    assert got.malformed == 0 and sorted(r["id"] for r in got.df.collect()) == [1, 2, 3]


# -- empty inputs, encodings -----------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "id,name,qty,ts\n", "id,name,qty,ts\n\n  \n"])
def test_an_empty_or_header_only_file_is_refused_unless_allowed(spark, tmp_path, content):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text(content)
    with pytest.raises(DataError, match="read 0 rows") as err:
        read_source(spark, source(folder), str(tmp_path))
    assert "allow_empty: true" in err.value.hint
    got = read_source(spark, source(folder, allow_empty=True), str(tmp_path))
    assert got.rows == 0 and got.df.count() == 0
    assert any("read 0 rows" in w and "published empty" in w for w in got.warnings)


def test_a_source_whose_every_record_is_malformed_reads_0_rows(spark, tmp_path):
    folder = write_csv(tmp_path / "in", BAD_CSV)
    with pytest.raises(DataError, match=r"read 0 rows .*\(4 malformed"):
        read_source(spark, source(folder, policy="drop"), str(tmp_path))


def test_an_empty_parquet_source_is_refused_too(spark, tmp_path):
    spark.createDataFrame([], "id int, name string, qty int, ts timestamp") \
        .write.parquet(str(tmp_path / "pq"))
    with pytest.raises(DataError, match="read 0 rows"):
        read_source(spark, source(tmp_path / "pq", fmt="parquet"), str(tmp_path))


LATIN = ["1,Müller,1,2026-01-01T00:00:00", "2,José Ñandú,2,2026-01-01T00:00:00"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_undecodable_bytes_are_counted_and_the_encoding_option_reads_them(spark, tmp_path, fmt):
    folder = tmp_path / "in"
    folder.mkdir()
    if fmt == "csv":
        text = "id,name,qty,ts\n" + "\n".join(LATIN) + "\n"
    else:
        text = "\n".join(json.dumps({"id": int(i), "name": n}, ensure_ascii=False)
                         for i, n, *_ in (ln.split(",") for ln in LATIN)) + "\n"
    (folder / f"a.{fmt}").write_bytes(text.encode("latin-1"))
    non_ascii = sum(ord(c) > 127 for c in text)
    got = read_source(spark, source(folder, fmt=fmt), str(tmp_path))
    assert [w for w in got.warnings if f"{non_ascii} character(s) could not be decoded" in w
            and "encoding" in w]
    assert sum(r["name"].count("\ufffd") for r in got.df.collect()) == non_ascii
    fixed = read_source(spark, source(folder, fmt=fmt, encoding="ISO-8859-1"), str(tmp_path))
    assert fixed.warnings == () and fixed.malformed == 0
    assert sorted(r["name"] for r in fixed.df.collect()) == ["José Ñandú", "Müller"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_a_utf16_file_is_refused_naming_the_encoding_option(spark, tmp_path, codec):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes(("id,name,qty,ts\n" + "\n".join(LATIN) + "\n").encode(codec))
    with pytest.raises(DataError) as err:
        read_source(spark, source(folder, policy="drop"), str(tmp_path))
    assert "looks UTF-16 encoded" in err.value.message and "a.csv" in err.value.message
    assert "encoding: UTF-16" in err.value.hint and "\x00" not in err.value.message
    encoding = "UTF-16" if codec == "utf-16" else "UTF-16LE"
    got = read_source(spark, source(folder, policy="fail", encoding=encoding), str(tmp_path))
    assert sorted(r["name"] for r in got.df.collect()) == ["José Ñandú", "Müller"]


# -- headers with other columns (issue 10, item 16) -----------------------------------------------


@pytest.mark.parametrize(("header", "shown"), [
    ("id,name,qty,ts,extra", "id, name, qty, ts, extra"),  # one column more
    ("id,name,qty", "id, name, qty"),  # one column less
    ("id,name,amount,ts", "id, name, amount, ts"),  # renamed
])
@pytest.mark.parametrize(("policy", "several"), [("fail", False), ("fail", True),
                                                ("quarantine", True)])
def test_a_header_with_other_columns_names_both_lists_and_the_file(spark, tmp_path, header,
                                                                    shown, policy, several):
    folder = tmp_path / "in"
    folder.mkdir()
    if several:
        write_csv(folder, GOOD_CSV[:2], name="a-good.csv")
    (folder / "b-drift.csv").write_text(header + "\n" + "1,ann,10,2026-01-01T10:00:00,x\n")
    with pytest.raises(DataError) as err:
        read_source(spark, source(folder, policy=policy), str(tmp_path))
    message = err.value.message
    assert "b-drift.csv" in message
    assert f"header {shown}; declared id, name, qty, ts" in message
    assert "Py4J" not in message and "FAILED_READ_FILE" not in message
    assert err.value.exit_code == 1


def test_a_header_quoting_terminal_escapes_is_shown_escaped(spark, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text("id,\x1b[2J\x1b[31mname,qty,ts,x\n1,a,1,2026-01-01,x\n")
    with pytest.raises(DataError) as err:
        read_source(spark, source(folder), str(tmp_path))
    assert "\x1b" not in err.value.format() and "\\x1b[2J\\x1b[31mname" in err.value.message


def test_an_escape_sequence_in_a_malformed_row_never_reaches_the_message_raw(spark, tmp_path):
    folder = write_csv(tmp_path / "in", GOOD_CSV + ["9,\x1b]0;pwned\x07\x1b[31m,many,\u202eX"])
    with pytest.raises(DataError) as err:
        read_source(spark, source(folder, policy="fail"), str(tmp_path))
    text = err.value.format() + str(err.value.details)
    assert not any(c in text for c in "\x1b\x07\u202e")
    assert "\\x1b]0;pwned\\x07\\x1b[31m" in err.value.message and "\\u202eX" in err.value.message


def test_json_lines_in_utf16_are_refused_rather_than_read_as_one_document(spark, tmp_path):
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "a.json").write_bytes("\n".join(JSON_GOOD).encode("utf-16"))
    with pytest.raises(DataError) as err:  # multiLine would keep the first record only
        read_source(spark, source(folder, fmt="json", encoding="UTF-16"), str(tmp_path))
    assert "cannot be read line by line" in err.value.message
    assert "iconv -f UTF-16 -t UTF-8" in err.value.hint
    with pytest.raises(DataError, match="looks UTF-16 encoded"):
        read_source(spark, source(folder, fmt="json"), str(tmp_path))


@pytest.mark.parametrize("policy", ["drop", "quarantine"])
def test_control_character_lines_of_a_compressed_csv_are_found_by_spark_s_text_reader(
        spark, tmp_path, policy):
    import gzip

    folder = tmp_path / "in"
    folder.mkdir()  # a byte scan cannot see into it: Spark reads its lines and counts them
    body = GOOD_CSV[:2] + CONTROL_LINES + [" "] + GOOD_CSV[2:]
    with gzip.open(folder / "a.csv.gz", "wt") as fh:
        fh.write("id,name,qty,ts\n" + "\n".join(body) + "\n")
    write_csv(folder, BAD_CSV[:1], name="b.csv")
    got = read_source(spark, source(folder, policy=policy), str(tmp_path), run_id="r1")
    assert got.malformed == len(CONTROL_LINES) + 1 and got.rows == len(GOOD_CSV)
    if policy == "quarantine":
        assert sorted(r["record"] for r in quarantined(got)) == sorted(CONTROL_LINES
                                                                       + BAD_CSV[:1])


def test_control_character_lines_are_found_in_the_files_spark_reads_whatever_their_names(
        spark, tmp_path):
    wanted = tmp_path / "proj [old] {v1} x%20y"
    write_csv(wanted, GOOD_CSV + CONTROL_LINES[:1] + BAD_CSV[:1], name="a b.csv")
    write_csv(tmp_path / "proj o v1 x%20y", CONTROL_LINES[1:])  # what a pattern would match
    got = read_source(spark, source(wanted, policy="quarantine"), str(tmp_path), run_id="r1")
    assert got.malformed == 2 and got.rows == len(GOOD_CSV)
    files = {r["record"]: r["file"] for r in quarantined(got)}
    assert files[CONTROL_LINES[0]] == files[BAD_CSV[0]]  # named as Spark names the file


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_encoding_given_as_a_reader_option_is_the_source_s_encoding(spark, tmp_path, fmt):
    folder = tmp_path / "in"
    folder.mkdir()
    text = ("id,name,qty,ts\n1,Müller,1,2026-01-01T00:00:00\n" if fmt == "csv"
            else '{"id": 1, "name": "Müller"}\n')
    (folder / f"a.{fmt}").write_bytes(text.encode("latin-1"))
    got = read_source(spark, source(folder, fmt=fmt, options={"encoding": "ISO-8859-1"}),
                      str(tmp_path))
    assert [r["name"] for r in got.df.collect()] == ["Müller"] and got.warnings == ()


# -- the check pass: exact counts, no work that cannot find anything --------------------------


def test_a_clean_quarantine_source_is_read_in_one_pass_without_a_quarantine_write(
        spark, tmp_path, monkeypatch):
    """Counting is one aggregation; the quarantine is written only when it finds bad records
    (writing it for every source cost a default run about half a second)."""
    from framework.runtime import io

    def no_write(*args, **kwargs):
        raise AssertionError("the quarantine was written for a clean source")

    monkeypatch.setattr(io, "_quarantine", no_write)
    folder = write_csv(tmp_path / "in", GOOD_CSV)
    got = read_source(spark, source(folder, policy="quarantine"), str(tmp_path), "r1")
    assert (got.rows, got.malformed, got.quarantine_path) == (len(GOOD_CSV), 0, None)
    assert not (tmp_path / "quarantine").exists()


def test_replacement_characters_already_in_utf8_files_are_still_counted(spark, tmp_path):
    """Valid UTF-8 holding U+FFFD itself (in a good row and in a malformed one) is counted; valid
    UTF-8 without it gives no warning."""
    folder = tmp_path / "in"
    folder.mkdir()
    rows = ["1,M\ufffdller,1,2026-01-01T00:00:00", "2,Zoë,2,2026-01-01T00:00:00",
            "3,x\ufffd,many,2026-01-01T00:00:00"]  # the last is malformed (qty)
    (folder / "a.csv").write_bytes(("id,name,qty,ts\n" + "\n".join(rows) + "\n").encode())
    got = read_source(spark, source(folder, policy="quarantine"), str(tmp_path), "r1")
    assert (got.rows, got.malformed) == (2, 1)
    assert [w for w in got.warnings if "2 character(s) could not be decoded" in w]
    (folder / "a.csv").write_bytes(("id,name,qty,ts\n" + "\n".join(rows[1:2]) + "\n").encode())
    clean = read_source(spark, source(folder, policy="quarantine"), str(tmp_path), "r2")
    assert (clean.rows, clean.malformed, clean.warnings) == (1, 0, ())


@pytest.mark.parametrize(("data", "expected"), [
    (b"id,name\n1,ann\n", True),  # ASCII
    ("id,name\n1,Zoë 日本 🙂\n".encode(), True),  # UTF-8, sequences across every block edge
    (b"", True),
    ("id,name\n1,M\ufffdller\n".encode(), False),  # a U+FFFD of its own
    ("id,name\n1,Müller\n".encode("latin-1"), False),  # a byte that does not decode
    ("id,name\n1,日".encode()[:-1], False),  # a sequence cut at the end of the file
])
def test_replacement_free_knows_from_the_bytes_whether_spark_could_make_a_u_fffd(
        tmp_path, monkeypatch, data, expected):
    from framework.runtime import sourcelines

    monkeypatch.setattr(sourcelines, "_BLOCK", 3)  # many blocks, so sequences straddle them
    (tmp_path / "a.csv").write_bytes(data)
    (tmp_path / "b.csv").write_bytes(b"id,name\n2,bob\n")
    uris = [f"file://{tmp_path}/b.csv", f"file://{tmp_path}/a.csv"]
    assert sourcelines.replacement_free(uris, {}, None) is expected
    assert sourcelines.replacement_free(uris, {}, "UTF8") is expected


def test_replacement_free_is_false_when_the_bytes_cannot_tell(tmp_path):
    from framework.runtime.sourcelines import replacement_free

    (tmp_path / "a.csv").write_bytes(b"id\n1\n")
    (tmp_path / "a.csv.gz").write_bytes(b"")
    local = f"file://{tmp_path}/a.csv"
    assert replacement_free([local], {}, "ISO-8859-1") is False  # other encodings: Spark counts
    assert replacement_free([local], {"lineSep": ";"}, None) is False
    assert replacement_free([local, f"file://{tmp_path}/a.csv.gz"], {}, None) is False
    assert replacement_free(["s3a://bucket/a.csv"], {}, None) is False

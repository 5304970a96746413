"""A CSV or JSON `decimal` column is read strictly: Spark's en-US parser deletes every comma
(`12,50` -> 1250), so the framework reads decimals as text and converts them itself. Each
expected value is worked out here with Python's `decimal` module (rounded half up to the
column's scale), not by Spark."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from framework.errors import DataError
from framework.runtime.io import read_source
from framework.spec import Column, SourceSpec, TableSchema

pytestmark = pytest.mark.spark

SCHEMA = TableSchema((Column("id", "int"), Column("price", "decimal(6,2)")))
CENT = Decimal("0.01")
# text in the file -> the value it must read as (None: the record is malformed)
CASES = {
    "12.50": Decimal("12.50"),
    "-3": Decimal("-3"),
    ".5": Decimal("0.5"),
    "+7.": Decimal("7"),
    "1E+3": Decimal("1000"),
    "1,250.00": Decimal("1250.00"),  # a comma between groups of three: thousands
    "1,234.565": Decimal("1234.565"),  # rounded half up to 1234.57
    "0.005": Decimal("0.005"),  # rounded half up to 0.01
    "12,50": None,  # a decimal comma: Spark alone reads 1250
    "1,2,3": None,  # Spark alone reads 123
    "1,2345": None,
    ",5": None,
    "abc": None,
    "12.5.1": None,
    " 12.5": None,  # Spark's own parser refuses the space too
    "12345.67": None,  # too many digits for decimal(6,2): 4 before the point at most
}


def expected(text: str) -> Decimal | None:
    value = CASES[text]
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def write(folder: Path, texts: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f'{i},"{t}"\n' for i, t in enumerate(texts, start=1))
    (folder / "part-0.csv").write_text("id,price\n" + body + "3000,\n")  # and an empty one
    return folder


def source(path: Path, policy: str, **options) -> SourceSpec:
    return SourceSpec(id="prices", format="csv", path=str(path), schema=SCHEMA,
                      on_malformed=policy, options=options)


@pytest.mark.parametrize("keep", [None, "MEMORY_AND_DISK"])
def test_decimals_convert_as_written_and_a_stray_comma_makes_the_record_malformed(
        spark, tmp_path, keep):
    texts = list(CASES)
    got = read_source(spark, source(write(tmp_path / "in", texts), "quarantine"),
                      str(tmp_path), run_id="r1", keep=keep)
    bad = [t for t in texts if CASES[t] is None]
    assert got.malformed == len(bad)
    rows = {r["id"]: r["price"] for r in got.df.collect()}
    want = {i: expected(t) for i, t in enumerate(texts, start=1) if CASES[t] is not None}
    assert rows == {**want, 3000: None}  # an empty field stays null, not malformed
    assert dict(got.df.dtypes)["price"] == "decimal(6,2)"

    records = [json.loads(line) for f in sorted(Path(got.quarantine_path).glob("*.json"))
               for line in f.read_text().splitlines()]
    by_text = {json.loads(r["record"])["price"]: r["reason"] for r in records}
    assert sorted(by_text) == sorted(bad)
    assert "decimal column 'price': '12,50' is not a number" in by_text["12,50"]
    assert "it would have read 1250" in by_text["12,50"] and "locale" in by_text["12,50"]
    assert "would have read" not in by_text["abc"]
    assert by_text["12345.67"].endswith("'12345.67' does not fit decimal(6,2)")


def test_the_fail_policy_refuses_a_decimal_comma(spark, tmp_path):
    folder = write(tmp_path / "in", ["12.50", "12,50"])
    with pytest.raises(DataError) as err:
        read_source(spark, source(folder, "fail"), str(tmp_path))
    assert "1 malformed csv record" in err.value.message
    assert '"price":"12,50"' in err.value.message


def test_a_source_with_a_locale_reads_the_decimal_comma_as_its_locale_says(spark, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "part-0.csv").write_text('id,price\n1,"12,50"\n2,"1.250,75"\n3,"abc"\n')
    got = read_source(spark, source(folder, "drop", locale="de-DE"), str(tmp_path))
    assert got.malformed == 1
    assert {r["id"]: r["price"] for r in got.df.collect()} == {
        1: Decimal("12.50"), 2: Decimal("1250.75")}


def test_clean_decimals_give_the_same_rows_as_spark_s_own_reader(spark, tmp_path):
    """No malformed record: the rows come from Spark's plain read, which must agree."""
    texts = [t for t in CASES if CASES[t] is not None]
    got = read_source(spark, source(write(tmp_path / "in", texts), "fail"), str(tmp_path))
    assert got.malformed == 0
    assert {r["id"]: r["price"] for r in got.df.collect()} == {
        **{i: expected(t) for i, t in enumerate(texts, start=1)}, 3000: None}


@pytest.mark.parametrize("multiline", [False, True])
def test_json_decimals_given_as_text_are_read_strictly_and_numbers_as_numbers(
        spark, tmp_path, multiline):
    folder = tmp_path / "in"
    folder.mkdir()
    records = [{"id": 1, "price": "12,50"}, {"id": 2, "price": 12.5}, {"id": 3, "price": "1,2,3"},
               {"id": 4, "price": "1,250.00"}, {"id": 5, "price": 1.5e3}, {"id": 6, "price": None}]
    if multiline:  # one document
        (folder / "part-0.json").write_text(json.dumps(records))
        options = {"multiLine": "true"}
    else:
        (folder / "part-0.json").write_text("".join(json.dumps(r) + "\n" for r in records))
        options = {}
    spec = SourceSpec(id="prices", format="json", path=str(folder), schema=SCHEMA,
                      on_malformed="quarantine", options=options)
    got = read_source(spark, spec, str(tmp_path), run_id="r1")
    assert got.malformed == 2
    assert {r["id"]: r["price"] for r in got.df.collect()} == {
        2: Decimal("12.50"), 4: Decimal("1250.00"), 5: Decimal("1500.00"), 6: None}
    reasons = [json.loads(line)["reason"] for f in Path(got.quarantine_path).glob("*.json")
               for line in f.read_text().splitlines()]
    assert sorted(r.split(": '")[1].split("'")[0] for r in reasons) == ["1,2,3", "12,50"]

"""`etl init` scaffolds run and test as they are: `etl run` publishes the tables (checked against
the samples read with plain Python) and builds the report; `etl test` passes."""

from __future__ import annotations

import csv
import glob
import os
import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from framework.cli import cli
from tests.e2e.helpers import read_table, run_etl

pytestmark = [pytest.mark.slow, pytest.mark.spark]


def scaffold(tmp_path, *args: str) -> str:
    made = CliRunner().invoke(cli, ["init", "demo", "--dir", str(tmp_path), *args])
    assert made.exit_code == 0, made.output
    return str(tmp_path / "demo" / "demo.yaml")


def run_and_test(spark, pipeline: str, data: str, tests: int) -> None:
    out = run_etl("run", pipeline, "--data-dir", data)
    assert re.search(r"checks: \d+ passed, 0 warned, 0 failed", out.stdout), out.stdout
    assert glob.glob(os.path.join(data, "reports", "*", "index.html"))
    tested = CliRunner().invoke(cli, ["test", pipeline])
    assert tested.exit_code == 0, tested.output
    assert f"{tests} test(s): {tests} passed" in tested.output


def test_the_example_scaffold_runs_and_its_tests_pass(spark, tmp_path):
    pipeline = scaffold(tmp_path)
    data = str(tmp_path / "data")
    run_and_test(spark, pipeline, data, 4)
    with open(tmp_path / "demo" / "sample" / "orders.csv", newline="") as fh:
        orders = list(csv.DictReader(fh))
    expected: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
    for row in orders:
        if Decimal(row["amount"]) > 0:  # min_amount: 0
            day = datetime.fromisoformat(row["ordered_at"]).date().isoformat()
            expected[(row["country"], day)][0] += Decimal(row["amount"])
            expected[(row["country"], day)][1] += 1
    table = read_table(os.path.join(data, "warehouse"), "fact_daily_revenue")
    got = {(r.country, str(r.order_date)[:10]): [r.revenue, r.orders]  # a partition folder
           for r in table.itertuples()}
    assert got == dict(expected)
    assert len(read_table(os.path.join(data, "warehouse"), "fact_orders")) == sum(
        1 for row in orders if Decimal(row["amount"]) > 0)


def test_a_scaffold_from_samples_runs_and_its_tests_pass(spark, tmp_path):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "orders.csv").write_text(
        "order_id,zip,qty,amount,paid,ordered_at,note\n"
        "1001,01234,2,19.9,true,2026-01-05 09:12:00,\n"
        "1002,80331,1,5,FALSE,2026-01-05T10:40:00Z,gift\n"
        "1003,10115,3,42.5,True,2026-01-06 18:03,  spaced  \n")
    (samples / "Customer List.csv").write_bytes(
        "Customer ID;Name;Signup Date\nC1;Müller;2025-12-01\nC2;Dupont;2025-12-02\n"
        .encode("iso-8859-1"))
    (samples / "events.csv").write_bytes(
        b'\xef\xbb\xbfevent,at,text\ne1,2026-01-01 10:00:00,"two\nlines"\n'
        b"e2,2026-01-01 11:00:00,plain\n")
    pipeline = scaffold(tmp_path, "--from", str(samples))
    data = str(tmp_path / "data")
    run_and_test(spark, pipeline, data, 2)
    warehouse = os.path.join(data, "warehouse")
    orders = read_table(warehouse, "orders").sort_values("order_id")
    assert orders["zip"].tolist() == ["01234", "80331", "10115"]
    assert orders["qty"].tolist() == [2, 1, 3] and orders["amount"].tolist() == [19.9, 5.0, 42.5]
    assert orders["paid"].tolist() == [True, False, True]
    assert [str(t) for t in orders["ordered_at"]] == [
        "2026-01-05 09:12:00", "2026-01-05 10:40:00", "2026-01-06 18:03:00"]
    assert orders["note"].tolist()[1:] == ["gift", "  spaced  "]
    customers = read_table(warehouse, "customer_list").sort_values("customer_id")
    assert customers["Name"].tolist() == ["Müller", "Dupont"]
    assert [str(d) for d in customers["signup_date"]] == ["2025-12-01", "2025-12-02"]
    events = read_table(warehouse, "events").sort_values("event")
    assert events["text"].tolist() == ["two\nlines", "plain"]
    counts = read_table(warehouse, "source_row_counts").sort_values("source")
    assert counts["row_count"].tolist() == [2, 2, 3]

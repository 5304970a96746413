"""`etl test` on Spark: the clickstream's own tests pass, a wrong expectation is caught with a
readable diff (exit 1), a failing step is the test failing, a wrong fixture or expected value is
a located problem (exit 2). In-process on the shared session, which the runner leaves running."""

from __future__ import annotations

import os
import shutil
import textwrap

import pytest
from click.testing import CliRunner

from framework.cli import cli

pytestmark = pytest.mark.spark

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
CLICKSTREAM = os.path.join(ROOT, "pipelines", "clickstream.yaml")
SHOP = os.path.join(ROOT, "tests", "fixtures", "testing", "shop.yaml")


def etl_test(*args: str):
    return CliRunner().invoke(cli, ["test", *args])


@pytest.fixture
def shop(tmp_path):
    for name in ("shop.yaml", "orders.csv", "expected_revenue.csv"):
        shutil.copy(os.path.join(os.path.dirname(SHOP), name), tmp_path / name)
    return tmp_path


def write_tests(folder, text: str) -> str:
    path = folder / "shop.tests.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_the_clickstream_tests_pass(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing is written where it runs (no data/ folder)
    result = etl_test(CLICKSTREAM)
    assert result.exit_code == 0, result.output
    assert "7 test(s): 7 passed" in result.output
    assert os.listdir(tmp_path) == []
    assert spark.range(1).count() == 1  # the session it used is still running


def test_the_retail_tests_pass(spark):
    """Its SQL steps: line amounts from raw exports, payment statuses, segments and their
    threshold variable."""
    result = etl_test(os.path.join(ROOT, "pipelines", "retail.yaml"))
    assert result.exit_code == 0, result.output
    assert "4 test(s): 4 passed" in result.output


def test_a_sql_step_vars_files_and_a_sink(spark):
    result = etl_test(SHOP)
    assert result.exit_code == 0, result.output
    assert "3 test(s): 3 passed" in result.output


def test_a_wrong_expectation_is_caught_with_a_diff_and_exit_1(spark, shop):
    tests = write_tests(shop, """\
        tests:
          - name: revenue, one order forgotten
            target: revenue_by_country
            given:
              orders:
                - {order_id: o1, country: DE, amount: 10.5, ordered_at: "2026-01-01 09:00:00"}
                - {order_id: o2, country: DE, amount: 4.5, ordered_at: "2026-01-01 10:00:00"}
                - {order_id: o3, country: FR, amount: 2, ordered_at: "2026-01-01 10:00:00"}
            expect:
              key: [country, order_date]
              rows:
                - {country: DE, order_date: "2026-01-01", revenue: 10.5, orders: 1}
                - {country: IT, order_date: "2026-01-01", revenue: 1.0, orders: 1}
          - name: the filter
            target: valid_orders
            given: {orders: [{order_id: o1, amount: 1}, {order_id: o2, amount: 0}]}
            expect: [{order_id: o1}]
        """)
    result = etl_test(str(shop / "shop.yaml"))
    assert result.exit_code == 1, result.output
    out = result.output
    assert "2 test(s): 1 passed, 1 failed" in out
    assert (f"FAILED revenue, one order forgotten  ({tests}:2:5, target step "
            f"revenue_by_country)") in out
    assert ("expected 2 row(s), got 2: 1 changed, 1 missing, 1 extra (rows matched on "
            "country, order_date)") in out
    assert f"changed  country='DE', order_date=2026-01-01  (expected at {tests}:12:11)" in out
    assert "revenue: expected 10.5, got 15.0" in out and "orders: expected 1, got 2" in out
    assert "missing  {country: 'IT'" in out
    assert "extra    {country: 'FR', order_date: 2026-01-01, revenue: 2.0, orders: 1}" in out
    assert "1 of 2 test(s) failed: 'revenue, one order forgotten'" in out
    assert "-k 'revenue, one order forgotten'" in out


def test_a_step_that_fails_fails_its_test(spark):
    tests = os.path.join(os.path.dirname(SHOP), "broken.tests.yaml")
    result = etl_test(SHOP, "--tests", tests)
    assert result.exit_code == 1, result.output
    assert "the target could not be computed" in result.output
    assert "no_such_column" in result.output


def test_step_fixtures_get_the_steps_types_and_a_wrong_value_is_located(spark, shop):
    tests = write_tests(shop, """\
        tests:
          - name: typed like the step
            target: revenue_by_country
            given:
              valid_orders:
                - {order_id: o1, country: DE, amount: "2.5", ordered_at: "2026-01-01 10:00:00"}
            expect: [{country: DE, order_date: "2026-01-01", revenue: 2.5}]
          - name: wrong values
            target: revenue_by_country
            given:
              valid_orders:
                - {order_id: o1, country: DE, amount: lots, ordered_at: "2026-01-01 10:00:00"}
                - {order_id: o2, country: DE, amout: 1, ordered_at: "2026-01-01 10:00:00"}
            expect: []
          - name: a wrong expected value
            target: revenue_by_country
            given:
              valid_orders:
                - {order_id: o1, country: DE, amount: 1, ordered_at: "2026-01-01 10:00:00"}
            expect: [{country: DE, order_date: "first of January"}]
        """)
    result = etl_test(str(shop / "shop.yaml"))
    assert result.exit_code == 2, result.output
    out = result.output
    assert "3 test(s): 1 passed, 2 error" in out
    assert f"{tests}:12:47: valid_orders.amount (double): 'lots' is not a number" in out
    assert f"{tests}:13:" in out and "step 'valid_orders' has no column 'amout'" in out \
        and "did you mean 'amount'?" in out
    assert f"{tests}:20:40: expected order_date (date in the output): 'first of January' is " \
        "not a date" in out
    assert "3 problems found" in out


def test_a_schemaless_source_takes_the_types_the_test_declares(spark, tmp_path):
    (tmp_path / "p.yaml").write_text(textwrap.dedent("""\
        pipeline: clicks
        sources:
          clicks: {path: clicks.json, format: json}
        steps:
          - id: per_hour
            sql: |
              select hour(ts) as hour, count(*) as clicks, sum(weight) as weight
              from {{ ref('clicks') }} group by hour(ts)
        sinks:
          per_hour: {from: per_hour}
        """))
    (tmp_path / "p.tests.yaml").write_text(textwrap.dedent("""\
        tests:
          - name: clicks per hour
            target: per_hour
            given:
              clicks:
                columns: {ts: timestamp}
                rows:
                  - {ts: "2026-01-01 10:59:59", weight: 2}
                  - {ts: "2026-01-01 11:00:00", weight: 1}
                  - {ts: "2026-01-02 11:30:00", weight: 1.5}
            expect:
              key: hour
              rows:
                - {hour: 10, clicks: 1, weight: 2.0}
                - {hour: 11, clicks: 2, weight: 2.5}
        """))
    result = etl_test(str(tmp_path / "p.yaml"))
    assert result.exit_code == 0, result.output

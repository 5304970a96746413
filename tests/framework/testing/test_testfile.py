"""Test files of `etl test`: every problem at once, each at file:line:col with a hint, exit 2,
before any Spark; which tests `--select` and `-k` pick (`--list`: no JVM)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from framework.cli import cli
from framework.errors import SpecError
from framework.registry import REGISTRY
from framework.testing.testfile import load_tests, suite_path
from framework.validate import load_checked

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
SHOP = os.path.join(ROOT, "tests", "fixtures", "testing", "shop.yaml")
CLICKSTREAM = os.path.join(ROOT, "pipelines", "clickstream.yaml")


@pytest.fixture
def shop(tmp_path):
    """A copy of the shop pipeline whose test file each test writes."""
    for name in ("shop.yaml", "orders.csv", "expected_revenue.csv"):
        shutil.copy(os.path.join(os.path.dirname(SHOP), name), tmp_path / name)
    return tmp_path


def problems_of(folder, text: str) -> list:
    (folder / "shop.tests.yaml").write_text(textwrap.dedent(text))
    REGISTRY.load_plugins()
    spec, graph = load_checked(str(folder / "shop.yaml"), registry=REGISTRY)
    with pytest.raises(SpecError) as caught:
        load_tests(str(folder / "shop.tests.yaml"), spec, graph)
    return caught.value.problems


def at(problems, line: int) -> list[str]:
    """The messages (and hints) of the problems on `line`."""
    return [f"{p.message} | {p.hint}" for p in problems if p.location and
            p.location.line == line]


def test_the_test_file_sits_beside_the_pipeline():
    assert suite_path("pipelines/shop.yaml") == "pipelines/shop.tests.yaml"
    assert suite_path("/a/b.c/x.yml") == "/a/b.c/x.tests.yaml"


def test_every_mistake_of_a_test_file_at_once_each_located(shop):
    problems = problems_of(shop, """\
        tests:
          - name: one
            target: revenue_by_countri
            expect: []
          - name: two
            target: valid_orders
            expected: []
          - name: three
            target: valid_orders
            given:
              orders: [{order_id: o1, amount: lots, when: x}]
              product: []
            expect: {rows: [], row_order: sorted}
          - name: three
            target: orders
            expect: []
        """)
    assert len(problems) >= 7
    assert any("no step or sink is named 'revenue_by_countri'" in m and
               "did you mean 'revenue_by_country'?" in m for m in at(problems, 3))
    assert any("unknown key 'expected'" in m and "did you mean 'expect'?" in m
               for m in at(problems, 7))
    assert any("'sorted' is not one of: ignore, check" in m for m in at(problems, 13))
    line11 = at(problems, 11)
    assert any("orders.amount (double): 'lots' is not a number" in m for m in line11)
    assert any("source 'orders' has no column 'when'" in m and "order_id" in m
               for m in line11)
    assert any("no source or step is named 'product'" in m for m in at(problems, 12))
    assert any("'three' is used twice" in m for m in at(problems, 14))
    assert any("'orders' is a source: a test computes a step or a sink" in m
               for m in at(problems, 15))
    assert all(str(p.location.file).endswith("shop.tests.yaml") and p.location.col
               for p in problems)


def test_a_source_the_target_needs_must_be_given_and_a_fixture_must_be_read(shop):
    problems = problems_of(shop, """\
        tests:
          - name: needs orders
            target: revenue_by_country
            given:
              orders: []
              valid_orders: []
            expect: []
          - name: nothing given
            target: fact_country_revenue
            expect: []
        """)
    assert any("'orders' is given but the target does not read it" in m
               for m in at(problems, 5))
    assert any("step revenue_by_country reads" not in m and "reads source 'orders'" in m
               and "add `orders:` under given:" in m for m in at(problems, 8))


def test_rows_files_keys_and_vars(shop):
    (shop / "ragged.csv").write_text("country,orders\nDE,1\nFR\n")
    problems = problems_of(shop, """\
        vars: {min_amout: 3}
        tests:
          - name: files
            target: valid_orders
            given:
              orders: {file: missing.csv}
            expect: {file: ragged.csv}
          - name: keys
            target: revenue_by_country
            vars: {min_amount: 1}
            given:
              valid_orders: {rows: [], file: x.csv}
            expect:
              key: [country, day]
              rows: [{country: DE}]
          - name: duplicate keys
            target: valid_orders
            given: {orders: []}
            expect:
              key: order_id
              rows:
                - {order_id: o1}
                - {order_id: o1}
        """)
    assert any("no variable 'min_amout'" in m and "did you mean 'min_amount'?" in m
               for m in at(problems, 1))
    assert any("file not found" in m and "missing.csv" in m for m in at(problems, 6))
    ragged = [p for p in problems if str(p.location).endswith("ragged.csv:3")]
    assert ragged and "1 value(s), the header names 2" in ragged[0].message
    assert any("both rows: and file: given" in m for m in at(problems, 12))
    assert any("key column 'day'" in m for m in at(problems, 14))
    assert any("two expected rows have the key order_id = 'o1' (the first at line 22)" in m
               for m in at(problems, 23))


def test_empty_and_non_mapping_files_say_what_a_test_file_is(shop):
    for text in ("", "- a\n", "description: x\n"):
        problems = problems_of(shop, text)
        assert len(problems) == 1 and "tests:" in (problems[0].hint or "")
        assert "pipeline:" not in problems[0].message


def test_cli_exits_2_listing_every_problem_without_starting_spark(shop):
    (shop / "shop.tests.yaml").write_text(
        "tests:\n  - name: a\n    target: nope\n    expect: []\n"
        "  - name: b\n    target: valid_orders\n    expect: {rows: [], tolerance: -1}\n")
    result = CliRunner().invoke(cli, ["test", str(shop / "shop.yaml")])
    assert result.exit_code == 2, result.output
    assert f"{shop / 'shop.tests.yaml'}:3:13" in result.output
    assert f"{shop / 'shop.tests.yaml'}:7:" in result.output and "must be >= 0" in result.output
    assert f"{shop / 'shop.tests.yaml'}:5:5 tests[1].given: step valid_orders reads source " \
        "'orders'" in result.output
    assert "3 problems found" in result.output and "Traceback" not in result.output


def test_validate_checks_the_test_file_beside_the_pipeline_too(shop):
    tests = shop / "shop.tests.yaml"
    tests.write_text("tests:\n  - name: a\n    target: nope\n    expect: []\n")
    result = CliRunner().invoke(cli, ["validate", str(shop / "shop.yaml")])
    assert result.exit_code == 2, result.output
    assert f"ok {shop / 'shop.yaml'}" in result.output  # the pipeline itself is fine
    assert f"{tests}:3:13" in result.output and "Traceback" not in result.output
    # a pipeline with problems of its own: those are said, its test file is not read
    (shop / "shop.yaml").write_text((shop / "shop.yaml").read_text().replace(
        "sources:", "sourcez:", 1))
    result = CliRunner().invoke(cli, ["validate", str(shop / "shop.yaml")])
    assert result.exit_code == 2 and "sourcez" in result.output
    assert str(tests) not in result.output
    # a good test file is counted
    shutil.copy(SHOP, shop / "shop.yaml")
    tests.write_text("tests:\n  - name: a\n    target: valid_orders\n    given: {orders: []}\n"
                     "    expect: []\n")
    result = CliRunner().invoke(cli, ["validate", str(shop / "shop.yaml")])
    assert result.exit_code == 0, result.output
    assert f"ok {tests}: 1 test(s)" in " ".join(result.output.split())


def test_no_test_file_is_a_usage_error(tmp_path):
    shutil.copy(SHOP, tmp_path / "shop.yaml")
    result = CliRunner().invoke(cli, ["test", str(tmp_path / "shop.yaml")])
    assert result.exit_code == 2
    assert "no test file" in result.output and "shop.tests.yaml" in result.output


# A step or source brings the sinks that read it, checks included, as `etl run --select` does:
# events_sessionized feeds fact_events; fact_events' checks read sessions (fact_sessions) and
# products (dim_products), so selecting those (or what is upstream of them) brings it too.
@pytest.mark.parametrize("select, expected", [
    (["events_sessionized"], {"sessionize numbers events", "fact_events is published"}),
    (["users_dim"], {"user segments", "fact_events is published"}),  # dim_users.user_id
    (["sessions+"], {"session metrics", "user segments", "daily metrics",
                     "fact_events is published"}),
    (["+events_enriched"], {"clean and enrich", "fact_events is published"}),  # products
    (["events_enriched", "daily_metrics"], {"clean and enrich", "daily metrics"}),
    (["fact_events"], {"fact_events is published"}),
    (["sink:fact_events", "dates"], {"fact_events is published", "the date dimension"}),
    (["tag:nothing-has-it"], None),
])
def test_select_picks_tests_by_target_as_run_does(select, expected):
    args = ["test", CLICKSTREAM, "--list"] + [a for s in select for a in ("--select", s)]
    result = CliRunner().invoke(cli, args)
    if expected is None:
        assert result.exit_code == 2 and "no step has tag" in result.output
        return
    assert result.exit_code == 0, result.output
    listed = [line for line in result.output.splitlines() if line.strip()]
    assert len(listed) == len(expected)
    for start in expected:
        assert any(line.startswith(start) for line in listed), (start, listed)


def test_a_step_brings_its_sinks_and_k_filters_by_name():
    result = CliRunner().invoke(cli, ["test", SHOP, "--list", "--select", "tag:clean"])
    assert result.exit_code == 0, result.output
    assert "a higher minimum" in result.output and "revenue per country" not in result.output
    result = CliRunner().invoke(cli, ["test", SHOP, "--list", "-k", "PUBLISHED"])
    assert [ln.split("  ")[0] for ln in result.output.splitlines()] == [
        "the SQL step from given valid orders, published partitioned"]


def test_unknown_selection_and_a_selection_without_tests_exit_2():
    result = CliRunner().invoke(cli, ["test", CLICKSTREAM, "--list", "--select", "sesions"])
    assert result.exit_code == 2 and "did you mean 'sessions'?" in result.output
    result = CliRunner().invoke(cli, ["test", CLICKSTREAM, "--list", "--select", "product_metrics"])
    assert result.exit_code == 2 and "no test matches --select product_metrics" in result.output
    assert "the tests target:" in result.output


def test_vars_that_break_the_pipeline_are_the_tests_problem(tmp_path):
    tests = tmp_path / "more.tests.yaml"
    tests.write_text(textwrap.dedent("""\
        tests:
          - name: no users
            target: dates
            vars: {users: 0}
            given: {events_sessionized: []}
            expect: []
        """))
    result = CliRunner().invoke(cli, ["test", CLICKSTREAM, "--tests", str(tests), "--list"])
    assert result.exit_code == 2, result.output
    assert f"{tests}:4:" in result.output
    assert "with the vars of test 'no users' the pipeline is not valid" in result.output
    assert "generators.shop.params.users" in result.output


def test_checking_and_listing_tests_never_imports_pyspark():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom framework.cli import cli\n"
            f"r = CliRunner().invoke(cli, ['test', {CLICKSTREAM!r}, '--list'])\n"
            "assert r.exit_code == 0, r.output\n"
            "assert 'pyspark' not in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr

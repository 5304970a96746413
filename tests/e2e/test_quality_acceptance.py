"""Issue 14's acceptance, as a new user would try it: publish the clickstream warehouse, break
the landed raw files by hand (the generator does not land again while its manifest matches the
run's parameters, so an edited file is what the next run reads), and check that nothing bad is
published, the previous tables stay, and the console, the failing-row samples and run.json say
what is wrong; then fix the files and rerun. Then the same promises on small pipelines of our
own: a warning, a threshold just under and just over, a step check, a PostgreSQL-only sink, a
secret quoted by a check.

Expected counts are counted by hand from the rows each test breaks."""

from __future__ import annotations

import csv
import glob
import json
import os
import re
import shutil
import textwrap

import pytest
from e2e.helpers import CLICKSTREAM, SMALL, TABLES, fingerprint, read_table, run_etl

from tests.conftest import pg_query

pytestmark = [pytest.mark.spark, pytest.mark.slow]

WIDE = {"COLUMNS": "400"}  # console lines unwrapped: a long samples path stays whole
SMALL_ARGS = " ".join(SMALL)


@pytest.fixture(scope="module")
def published(small_clickstream):
    """One published clickstream warehouse (and its landed raw files), the session's
    `small_clickstream` run (tests/conftest.py): each test breaks a copy of it."""
    data_dir = small_clickstream
    warehouse = os.path.join(data_dir, "warehouse")
    return data_dir, {t: fingerprint(warehouse, t) for t in TABLES}, _versions(data_dir)


def _versions(data_dir: str) -> dict[str, str]:
    """table -> the version folder it is published from."""
    return {t: os.readlink(os.path.join(data_dir, "warehouse", t)) for t in TABLES}


def _copy(published, tmp_path) -> str:
    data_dir = str(tmp_path / "data")
    shutil.copytree(published[0], data_dir, symlinks=True)
    return data_dir


def _part(data_dir: str, table: str) -> str:
    """The first landed CSV file of a raw table."""
    return sorted(glob.glob(os.path.join(data_dir, "raw", table, "part-*.csv")))[0]


def _read(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: str, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _run(data_dir: str, pipeline: str = CLICKSTREAM, *args: str, env=None):
    more = SMALL if pipeline == CLICKSTREAM else ()
    out = run_etl("run", pipeline, "--data-dir", data_dir, *more, "--no-report", *args,
                  check=False, env={**WIDE, **(env or {})})
    return out, out.stdout + out.stderr


def _record(data_dir: str) -> dict:
    runs = sorted(os.listdir(os.path.join(data_dir, "runs")))
    with open(os.path.join(data_dir, "runs", runs[-1], "run.json"), encoding="utf-8") as fh:
        return json.load(fh)


def _quality(record: dict, table: str, check: str) -> dict:
    (q,) = [q for q in record["quality"] if (q["table"], q["check"]) == (table, check)]
    return q


def _said(text: str, table: str, check: str, failing: int, rows: int, share: str,
          samples: str) -> None:
    """The console names the table, the rule, the failing rows and share, the samples path."""
    assert re.search(rf"'{table}' failed \d+ data-quality check", text), text
    line = f"{check}: {failing:,} of {rows:,} rows ({share}) fail [> 0]; samples: {samples}"
    assert line in text, f"{line!r} not in:\n{text}"


def _unchanged(data_dir: str, published, tables=TABLES) -> None:
    warehouse = os.path.join(data_dir, "warehouse")
    assert {t: fingerprint(warehouse, t) for t in TABLES} == published[1]
    assert {t: _versions(data_dir)[t] for t in tables} == {t: published[2][t] for t in tables}
    versions = os.path.join(warehouse, ".versions")
    for t in tables:  # no version of the blocked tables left beside the published one
        assert os.listdir(os.path.join(versions, t)) == [os.path.basename(published[2][t])]
    assert os.listdir(os.path.join(warehouse, ".staging")) == []


# -- the clickstream pipeline, its raw files broken by hand ----------------------------------


def test_bad_users_and_products_and_too_many_malformed_events_publish_nothing(published,
                                                                               tmp_path):
    data_dir = _copy(published, tmp_path)
    products_csv, users_csv, events_csv = (_part(data_dir, t)
                                           for t in ("products", "users", "events"))
    products, users, events = _read(products_csv), _read(users_csv), _read(events_csv)
    all_products = sum(len(_read(p)) for p in glob.glob(f"{os.path.dirname(products_csv)}/*.csv"))
    all_users = sum(len(_read(p)) for p in glob.glob(f"{os.path.dirname(users_csv)}/*.csv"))
    all_events = sum(len(_read(p)) for p in glob.glob(f"{os.path.dirname(events_csv)}/*.csv"))
    negative = products[0]["product_id"]
    products[0]["price"] = "-5.00"  # a negative price
    products.append(dict(products[1]))  # a product id twice
    users.append(dict(users[2]))  # a user id twice
    broken = 0
    for i, row in enumerate(events):  # every 5th event of one file unreadable: ~10% > 5%
        if i % 5 == 0:
            row["quantity"], broken = "lots", broken + 1
    for path, rows in ((products_csv, products), (users_csv, users), (events_csv, events)):
        _write(path, rows)

    out, text = _run(data_dir)
    assert out.returncode == 1, text
    _unchanged(data_dir, published)  # every table: the same version, the same rows
    record = _record(data_dir)
    run_id = record["run_id"]
    assert record["status"] == "failed"

    # every source says what is wrong with it, all in the one run
    rows_p, rows_u = all_products + 1, all_users + 1
    folder = os.path.join(data_dir, "quality", "{}", run_id)
    price = _quality(record, "products", "range(price)")
    assert (price["status"], price["failing"], price["rows"]) == ("failed", 1, rows_p)
    assert price["share"] == pytest.approx(1 / rows_p, abs=1e-6)
    assert price["samples"] == os.path.join(folder.format("products"), "range_price.csv")
    _said(text, "products", "range(price)", 1, rows_p, f"{100 / rows_p:.2g}%", price["samples"])
    assert [r["product_id"] for r in _read(price["samples"])] == [negative]
    assert _read(price["samples"])[0]["price"] in ("-5.0", "-5.00")

    dup = _quality(record, "products", "unique(product_id)")
    assert (dup["status"], dup["failing"], dup["rows"]) == ("failed", 1, rows_p)
    _said(text, "products", "unique(product_id)", 1, rows_p, f"{100 / rows_p:.2g}%",
          dup["samples"])
    assert [r["product_id"] for r in _read(dup["samples"])] == [products[1]["product_id"]] * 2

    user = _quality(record, "users", "unique(user_id)")
    assert (user["status"], user["failing"], user["rows"]) == ("failed", 1, rows_u)
    _said(text, "users", "unique(user_id)", 1, rows_u, f"{100 / rows_u:.2g}%", user["samples"])
    assert [r["user_id"] for r in _read(user["samples"])] == [users[2]["user_id"]] * 2

    quarantine = os.path.join(data_dir, "quarantine", "events", run_id)
    assert (f"source 'events': {broken:,} of {all_events:,} records read are malformed "
            f"({100 * broken / all_events:.2g}%), more than max_malformed allows (> 5%); they "
            f"are in {quarantine}") in text
    (events_task,) = [t for t in record["tasks"] if t["key"] == "source:events"]
    assert (events_task["malformed"], events_task["input_rows"]) == (broken, all_events)
    assert events_task["input_rows"] == events_task["rows"] + events_task["malformed"]

    assert (f"etl run {CLICKSTREAM} {SMALL_ARGS} --data-dir {data_dir}"
            in text), text  # the command that reruns it


def test_bad_events_publish_nothing_built_from_them_and_a_fixed_rerun_publishes(published,
                                                                                tmp_path):
    data_dir = _copy(published, tmp_path)
    events_csv = _part(data_dir, "events")
    original = open(events_csv, encoding="utf-8").read()
    events = _read(events_csv)
    all_events = sum(len(_read(p)) for p in glob.glob(f"{os.path.dirname(events_csv)}/*.csv"))
    unknown = events[0]["event_id"]
    events[0]["event_type"] = "teleport"  # an unknown event type
    with_product = next(r for r in events[1:] if r["product_id"])
    with_product["product_id"] = "P99999"  # a product the products table does not have
    events.append(dict(events[5]))  # the same event twice: events_clean keeps one, says so
    _write(events_csv, events)

    out, text = _run(data_dir)
    assert out.returncode == 1, text
    _unchanged(data_dir, published, [t for t in TABLES if t != "dim_products"])
    record = _record(data_dir)
    folder = os.path.join(data_dir, "quality", "events_sessionized", record["run_id"])
    rows = all_events  # the duplicate is gone after events_clean
    share = f"{100 / rows:.2g}%"
    kind = _quality(record, "events_sessionized", "accepted_values(event_type)")
    assert (kind["status"], kind["failing"], kind["rows"], kind["severity"]) == (
        "failed", 1, rows, "error")
    assert kind["samples"] == os.path.join(folder, "accepted_values_event_type.csv")
    _said(text, "events_sessionized", "accepted_values(event_type)", 1, rows, share,
          kind["samples"])
    assert [(r["event_id"], r["event_type"]) for r in _read(kind["samples"])] == [
        (unknown, "teleport")]
    orphan = _quality(record, "events_sessionized",
                      "relationship(product_id -> products.product_id)")
    assert (orphan["status"], orphan["failing"], orphan["rows"]) == ("failed", 1, rows)
    _said(text, "events_sessionized", "relationship(product_id -> products.product_id)", 1,
          rows, share, orphan["samples"])
    assert [(r["event_id"], r["product_id"]) for r in _read(orphan["samples"])] == [
        (with_product["event_id"], "P99999")]
    assert "nothing built from it was published" in text
    assert (f"etl run {CLICKSTREAM} {SMALL_ARGS} --data-dir {data_dir} "
            f"--select events_sessionized+") in text

    # the data fixed (the duplicated event may stay: cleaned), the same command publishes
    with open(events_csv, "w", encoding="utf-8") as fh:
        fh.write(original)
    fixed = _read(events_csv)
    _write(events_csv, fixed + [dict(fixed[5])])
    out, text = _run(data_dir)
    assert out.returncode == 0, text
    assert (f"clean_events: dropped 0 of {all_events + 1} rows without "
            f"event_id/session_id/timestamp and 1 duplicate event_id rows") in text
    record = _record(data_dir)
    assert record["status"] == "succeeded"
    assert not [q for q in record["quality"] if q["status"] == "failed"]
    assert _versions(data_dir) != published[2]  # new versions ...
    warehouse = os.path.join(data_dir, "warehouse")
    assert {t: fingerprint(warehouse, t) for t in TABLES} == published[1]  # ... of good data
    assert len(read_table(warehouse, "fact_events")) == all_events


# -- small pipelines of our own: warnings, thresholds, a step check, a secret, PostgreSQL --------

SECRET = "tok-QA7f3e9b21"  # an api token the run must never show, in any form
PIPELINE = """\
pipeline: qa_orders
vars:
  api_token: ${QA_API_TOKEN}
sources:
  a: {path: input/a.csv, format: csv,
      schema: {columns: {id: string, country: string, amount: double}}}
  b: {path: input/b.csv, format: csv,
      schema: {columns: {id: string, country: string, amount: double}}}
  c: {path: input/c.csv, format: csv,
      schema: {columns: {id: string, country: string, amount: double}}}
  d: {path: input/d.csv, format: csv, schema: {columns: {id: string, code: string}}}
steps:
  - id: c_clean
    transform: filter
    input: c
    params: {condition: "amount > 0"}
    checks:
      - expression: "amount < 1000"
        name: no huge orders
  - id: c_by_country
    sql: select country, sum(amount) as revenue from {{ ref('c_clean') }} group by country
sinks:
  under:
    from: a
    checks:
      - accepted_values: {column: country, values: [DE, FR, US]}
        warn_if: "> 0"
        error_if: "> 5%"
      - expression: "amount < 500"
        name: small orders
        severity: warn
  over:
    from: b
    checks:
      - accepted_values: {column: country, values: [DE, FR, US]}
        warn_if: "> 0"
        error_if: "> 5%"
  c_rows: {from: c_clean}
  c_totals: {from: c_by_country}
  codes:
    from: d
    checks:
      - expression: "code <> '${api_token}'"
"""


def _orders(prefix: str, bad: int = 0, huge: int = 0) -> str:
    """100 orders of DE/FR/US; the first `bad` from country XX, the next `huge` of 600 (a)
    or 5000 (c)."""
    rows = ["id,country,amount"]
    for i in range(100):
        country = "XX" if i < bad else ("DE", "FR", "US")[i % 3]
        amount = (600 if prefix == "a" else 5000) if bad <= i < bad + huge else 10 + i
        rows.append(f"{prefix}{i:03d},{country},{amount}")
    return "\n".join(rows) + "\n"


def _land(data_dir: str, a: str, b: str, c: str, d: str) -> None:
    folder = os.path.join(data_dir, "input")
    os.makedirs(folder, exist_ok=True)
    for name, text in (("a", a), ("b", b), ("c", c), ("d", d)):
        with open(os.path.join(folder, f"{name}.csv"), "w", encoding="utf-8") as fh:
            fh.write(text)


def test_warnings_thresholds_a_step_check_and_a_secret_in_a_check(tmp_path):
    pipeline = tmp_path / "qa.yaml"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    data_dir = str(tmp_path / "data")
    env = {"QA_API_TOKEN": SECRET}
    _land(data_dir, _orders("a"), _orders("b"), _orders("c"), "id,code\nd1,x\nd2,y\n")
    out, text = _run(data_dir, str(pipeline), env=env)
    assert out.returncode == 0, text
    names = ("under", "over", "c_rows", "c_totals", "codes")
    warehouse = os.path.join(data_dir, "warehouse")
    before = {t: fingerprint(warehouse, t) for t in names}
    versions = {t: os.readlink(os.path.join(warehouse, t)) for t in names}

    # a: 5 of 100 from XX (5%: warns, not > 5%) and one order of 600 (a warning);
    # b: 6 of 100 (6% > 5%: fails); c: one order of 5000 (the step's check fails);
    # d: a row holding the secret, which the check quotes
    _land(data_dir, _orders("a", bad=5, huge=1), _orders("b", bad=6), _orders("c", huge=1),
          f"id,code\nd1,x\nd2,{SECRET}\n")
    out, text = _run(data_dir, str(pipeline), env=env)
    assert out.returncode == 1, text
    record = _record(data_dir)
    now = {t: os.readlink(os.path.join(warehouse, t)) for t in names}
    assert now["under"] != versions["under"]  # just under the threshold: published
    assert len(read_table(warehouse, "under")) == 100
    assert {t: now[t] for t in names if t != "under"} == {t: versions[t] for t in names
                                                        if t != "under"}
    assert {t: fingerprint(warehouse, t) for t in names if t != "under"} == {
        t: before[t] for t in names if t != "under"}

    under = _quality(record, "under", "accepted_values(country)")
    assert (under["status"], under["failing"], under["rows"], under["threshold"]) == (
        "warned", 5, 100, "> 0")
    small = _quality(record, "under", "small orders")
    assert (small["status"], small["severity"], small["failing"]) == ("warned", "warn", 1)
    assert [r["amount"] for r in _read(small["samples"])] == ["600.0"]
    assert ("warning: check warned on sink 'under': small orders: 1 of 100 rows (1%) fail "
            f"[> 0]; samples: {small['samples']}") in text
    assert "warning: check warned on sink 'under': accepted_values(country): 5 of 100" in text

    over = _quality(record, "over", "accepted_values(country)")
    assert (over["status"], over["failing"], over["rows"], over["threshold"]) == (
        "failed", 6, 100, "> 5%")
    assert sorted(r["id"] for r in _read(over["samples"])) == [f"b{i:03d}" for i in range(6)]
    assert (f"accepted_values(country): 6 of 100 rows (6%) fail [> 5%]; samples: "
            f"{over['samples']}") in text

    step = _quality(record, "c_clean", "no huge orders")
    assert (step["at"], step["status"], step["failing"], step["rows"]) == (
        "step", "failed", 1, 100)
    assert [r["amount"] for r in _read(step["samples"])] == ["5000.0"]
    assert "step 'c_clean' failed 1 data-quality check(s)" in text
    sinks = {t["id"]: t["status"] for t in record["tasks"] if t["kind"] == "sink"}
    assert sinks["c_rows"] != "succeeded" and sinks["c_totals"] != "succeeded"

    # the secret: masked in the check's name, the sample's name and rows, run.json, the console
    (code,) = [q for q in record["quality"] if q["table"] == "codes"]
    assert code["status"] == "failed" and code["check"] == "expression(code <> '***')"
    samples = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(data_dir, "quality"))
               for f in fs]
    assert code["samples"] in samples and _read(code["samples"]) == [{"id": "d2", "code": "***"}]
    forms = (SECRET, SECRET.replace("-", "_"), "QA7f3e9b21")
    runs = os.path.join(data_dir, "runs")
    files = samples + [os.path.join(d, f) for d, _, fs in os.walk(runs) for f in fs]
    for form in forms:
        assert form not in text
        assert not [p for p in files if form in p or form in open(p, encoding="utf-8").read()]


@pytest.mark.postgres
def test_a_postgres_only_sink_failing_a_check_loads_nothing(tmp_path, pg_dsn, pg_schema):
    pipeline = tmp_path / "pg.yaml"
    pipeline.write_text(textwrap.dedent(f"""\
        pipeline: qa_pg
        sources:
          b: {{path: input/b.csv, format: csv,
              schema: {{columns: {{id: string, country: string, amount: double}}}}}}
        sinks:
          orders:
            from: b
            targets: [postgres]
            columns:
              id: {{not_null: true, unique: true}}
              country: {{accepted_values: [DE, FR, US]}}
        warehouse:
          postgres: {{dsn: "${{QA_PG_DSN}}", schema: {pg_schema}}}
        """), encoding="utf-8")
    data_dir = str(tmp_path / "data")
    env = {"QA_PG_DSN": pg_dsn}
    folder = os.path.join(data_dir, "input")
    os.makedirs(folder)
    with open(os.path.join(folder, "b.csv"), "w", encoding="utf-8") as fh:
        fh.write(_orders("b"))
    out, text = _run(data_dir, str(pipeline), env=env)
    assert out.returncode == 0, text
    query = f'select id, country, amount from "{pg_schema}".orders order by id'
    before = pg_query(pg_dsn, query)
    assert len(before) == 100

    with open(os.path.join(folder, "b.csv"), "a", encoding="utf-8") as fh:
        fh.write("b000,XX,1\n")  # an id twice, and a country not accepted
    out, text = _run(data_dir, str(pipeline), env=env)
    assert out.returncode == 1, text
    assert pg_query(pg_dsn, query) == before  # the previous rows stay, nothing new loaded
    record = _record(data_dir)
    failed = {q["check"]: (q["failing"], q["rows"]) for q in record["quality"]
              if q["status"] == "failed"}
    assert failed == {"unique(id)": (1, 101), "accepted_values(country)": (1, 101)}
    assert "table 'orders' failed 2 data-quality check(s)" in text
    tables = pg_query(pg_dsn, "select table_name from information_schema.tables "
                              "where table_schema = %s", (pg_schema,))
    assert tables == [("orders",)]  # no staging table left behind

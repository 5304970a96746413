"""The executor on a small file-based pipeline: results, run record, failures, untouched tables."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from framework.console import CapturingConsole
from framework.errors import EtlError
from framework.plan import build_plan
from framework.registry import REGISTRY
from framework.runtime.executor import RunOptions, run_pipeline
from framework.validate import load_pipeline

pytestmark = pytest.mark.spark

ORDERS = """order_id,country,amount,ordered_at
o1,DE,10.5,2026-01-01T10:00:00Z
o2,DE,4.5,2026-01-01T11:00:00Z
o3,FR,7.0,2026-01-02T09:30:00Z
o4,FR,not-a-number,2026-01-02T09:45:00Z
o5,US,0,2026-01-02T12:00:00Z
o6,US,3.25,2026-01-03T08:00:00Z
"""

README = os.path.join(os.path.dirname(__file__), "..", "..", "..", "README.md")


def _readme_pipeline() -> str:
    """The example pipeline of the README's "Writing a pipeline" section, as printed there."""
    with open(README, encoding="utf-8") as fh:
        text = fh.read()
    section = text[text.index("## Writing a pipeline"):]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def _write(tmp_path, *edits: tuple[str, str], extra: str = "") -> str:
    """The README's pipeline and its input under tmp_path, each (old, new) edit applied (each
    must apply) and `extra` YAML appended."""
    (tmp_path / "data" / "input").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "input" / "orders.csv").write_text(ORDERS)
    text = _readme_pipeline()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "pipeline.yaml"
    path.write_text(text + extra)
    return str(path)


# makes fact_country_revenue fail while it is written (a Spark job error)
FAILING_REVENUE = ("count(*) as orders",
                   "count(*) as orders, max(assert_true(amount < 5, 'amount too big')) as chk")


def _run(path: str, data_dir: str, console=None, select=()):
    REGISTRY.load_plugins()
    spec = load_pipeline(path, registry=REGISTRY)
    plan = build_plan(spec, data_dir, list(select))
    options = RunOptions(data_dir=data_dir, stop_session=False, select=tuple(select))
    return run_pipeline(spec, plan, options, console or CapturingConsole(), REGISTRY)


def _failure(path: str, data_dir: str) -> EtlError:
    """The error a run of `path` stops with (it must stop with one)."""
    with pytest.raises(EtlError) as info:
        _run(path, data_dir)
    return info.value


def _table(data_dir: str, name: str) -> pd.DataFrame:
    return pd.read_parquet(os.path.join(data_dir, "warehouse", name))


def _expected() -> pd.DataFrame:
    raw = pd.read_csv(pd.io.common.StringIO(ORDERS))
    raw["amount"] = pd.to_numeric(raw["amount"], errors="coerce")
    good = raw.dropna(subset=["amount"])
    good = good[good["amount"] > 0].copy()
    good["order_date"] = pd.to_datetime(good["ordered_at"]).dt.date.astype(str)
    return (good.groupby(["country", "order_date"])
            .agg(revenue=("amount", "sum"), orders=("amount", "size")).reset_index())


def test_a_run_publishes_what_pandas_computes_and_records_it(tmp_path):
    data_dir = str(tmp_path / "data")
    console = CapturingConsole()
    record = _run(_write(tmp_path), data_dir, console)
    got = _table(data_dir, "fact_country_revenue")
    got["order_date"] = got["order_date"].astype(str)
    got = got[["country", "order_date", "revenue", "orders"]].sort_values(["country", "order_date"])
    want = _expected().sort_values(["country", "order_date"])
    assert got.reset_index(drop=True).to_dict("records") == want.reset_index(drop=True) \
        .to_dict("records")

    with open(os.path.join(record.folder, "run.json")) as fh:
        saved = json.load(fh)
    assert saved["status"] == "succeeded"
    tasks = {t["key"]: t for t in saved["tasks"]}
    assert tasks["source:orders"]["malformed"] == 1
    assert tasks["sink:valid_orders"]["rows"] == 4  # o1 o2 o3 o6
    assert tasks["sink:fact_country_revenue"]["rows"] == len(want)
    assert saved["spark"]["conf"]["spark.sql.session.timeZone"] == "UTC"
    # jit: auto (the default) chose from the input: a few hundred bytes of CSV
    assert saved["spark"]["jit"] == "quick"
    assert "bytes of input, under 48 MB" in saved["spark"]["jit_reason"]
    assert any("malformed" in m for m in console.messages("warn"))


def test_a_failing_write_leaves_published_tables_as_they_were(tmp_path):
    data_dir = str(tmp_path / "data")
    _run(_write(tmp_path), data_dir)
    before = _table(data_dir, "fact_country_revenue").sort_values(["country", "order_date"])

    broken = _write(tmp_path, FAILING_REVENUE)
    error = _failure(broken, data_dir)
    assert "fact_country_revenue" in error.message
    assert "amount too big" in error.message
    assert "--select" in error.hint
    after = _table(data_dir, "fact_country_revenue").sort_values(["country", "order_date"])
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))

    records = []  # the newest by start time: run ids of one second sort by a random suffix
    for run in os.listdir(os.path.join(data_dir, "runs")):
        with open(os.path.join(data_dir, "runs", run, "run.json")) as fh:
            records.append(json.load(fh))
    saved = max(records, key=lambda r: r["started_at"])
    assert saved["status"] == "failed" and "amount too big" in saved["error"]
    failed = [t["key"] for t in saved["tasks"] if t["status"] == "failed"]
    assert failed == ["sink:fact_country_revenue"]


def test_the_rerun_command_names_what_is_left_unambiguously_with_the_run_own_options(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _write(tmp_path, FAILING_REVENUE,
                  extra="optimizations: {parallel_tasks: 1}\n")  # sinks in plan order
    REGISTRY.load_plugins()
    spec = load_pipeline(path, overrides={"min_amount": "0"}, registry=REGISTRY)
    options = RunOptions(data_dir=data_dir, stop_session=False,
                         overrides=("min_amount=0", "PG_PASSWORD=hunter2"))
    with pytest.raises(EtlError) as info:
        run_pipeline(spec, build_plan(spec, data_dir), options, CapturingConsole(), REGISTRY)
    # fact_country_revenue failed first; the sink valid_orders never ran, and its name is also
    # a step's: `--select valid_orders` would rerun that step's every sink, so it is qualified.
    # A secret given with --var is not repeated.
    assert info.value.hint.endswith(
        f"etl run {path} --var min_amount=0 --var 'PG_PASSWORD=***' --data-dir {data_dir} "
        f"--select fact_country_revenue --select sink:valid_orders")
    runs = os.path.join(data_dir, "runs")
    for run in os.listdir(runs):
        assert "hunter2" not in open(os.path.join(runs, run, "run.json")).read()


def test_a_refused_source_keeps_its_own_hint_and_adds_the_command_that_runs_again(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _write(tmp_path, ("on_malformed: quarantine", "on_malformed: fail"))
    error = _failure(path, data_dir)
    assert "malformed" in error.message
    own, _, rerun = error.hint.rpartition("; ")
    assert "on_malformed" in own  # what to fix, from the source reader
    assert rerun == f"fix the cause above, then run again: etl run {path} --data-dir {data_dir}"


def test_an_error_outside_any_task_is_recorded_as_the_run_failure(tmp_path, monkeypatch):
    from framework.runtime.executor import Executor

    def broken(self):
        raise RuntimeError("sizing broke")

    monkeypatch.setattr(Executor, "_size_shuffles", broken)  # runs between read and transform
    data_dir = str(tmp_path / "data")
    error = _failure(_write(tmp_path), data_dir)
    assert error.exit_code == 1 and "sizing broke" in error.message
    runs = os.path.join(data_dir, "runs")
    with open(os.path.join(runs, os.listdir(runs)[0], "run.json")) as fh:
        saved = json.load(fh)
    assert saved["status"] == "failed" and "sizing broke" in saved["error"]
    assert not os.path.exists(os.path.join(data_dir, "warehouse", "valid_orders"))


def test_a_second_run_on_a_warehouse_in_use_is_refused_before_it_touches_it(tmp_path):
    from framework.runtime.publish import WarehouseLock

    data_dir = str(tmp_path / "data")
    path = _write(tmp_path)
    _run(path, data_dir)
    wh = os.path.join(data_dir, "warehouse")
    leftover = os.path.join(wh, ".staging", "fact_country_revenue-000009-other")
    os.makedirs(leftover)  # what a run still publishing has in flight: cleanup would remove it
    holder = WarehouseLock(wh, "other-run")
    holder.acquire()
    try:
        with pytest.raises(EtlError) as info:
            _run(path, data_dir)
    finally:
        holder.release()
    assert "in use by run other-run" in info.value.message
    assert os.path.isdir(leftover)
    _run(path, data_dir)  # once it is free, the next run cleans up and publishes
    assert not os.path.exists(leftover)


def test_tasks_run_in_parallel_give_the_tables_of_tasks_run_one_by_one(tmp_path):
    tables = {}
    for threads in (1, 3):
        folder = tmp_path / f"t{threads}"
        folder.mkdir()
        path = _write(folder)
        with open(path, "a") as fh:
            fh.write(f"optimizations: {{parallel_tasks: {threads}}}\n")
        data_dir = str(folder / "data")
        record = _run(path, data_dir)
        assert [t.status for t in record.tasks if t.kind == "sink"] == ["succeeded"] * 2
        frames = {name: _table(data_dir, name) for name in ("valid_orders", "fact_country_revenue")}
        tables[threads] = {name: frame.sort_values(list(frame.columns)).reset_index(drop=True)
                           for name, frame in frames.items()}
    for name, frame in tables[1].items():
        pd.testing.assert_frame_equal(frame, tables[3][name])


def test_a_bug_in_a_step_is_reported_as_that_steps_failure(tmp_path):
    data_dir = str(tmp_path / "data")
    path = _write(tmp_path, ("sum(amount) as revenue", "sum(amount_typo) as revenue"))
    error = _failure(path, data_dir)
    assert "revenue_by_country" in error.message
    assert "amount_typo" in error.message
    assert "etl run" in error.hint and "revenue_by_country" in error.hint


def test_selection_publishes_only_the_selected_tables(tmp_path):
    data_dir = str(tmp_path / "data")
    record = _run(_write(tmp_path), data_dir, select=("valid_orders",))
    sinks = [t.id for t in record.tasks if t.kind == "sink"]
    assert sinks == ["valid_orders"]
    assert os.path.exists(os.path.join(data_dir, "warehouse", "valid_orders"))
    assert not os.path.exists(os.path.join(data_dir, "warehouse", "fact_country_revenue"))


def _with_postgres(tmp_path, schema: str, dsn_var: str) -> str:
    return _write(tmp_path,
                  ("partition_by: [order_date]}",
                   "partition_by: [order_date], targets: [parquet, postgres]}"),
                  ("valid_orders: {from: valid_orders}",
                   "valid_orders: {from: valid_orders, targets: [postgres]}"),
                  extra=f'warehouse:\n  postgres: {{dsn: "${{{dsn_var}}}", schema: {schema}}}\n')


@pytest.mark.postgres
def test_sinks_load_postgres_with_what_parquet_holds_and_no_file_shows_the_password(
        tmp_path, pg_dsn, pg_schema, monkeypatch):
    import getpass

    from tests.conftest import pg_query

    secret_dsn = pg_dsn.replace("postgresql://", f"postgresql://{getpass.getuser()}:s3cret@") \
        if "@" not in pg_dsn else pg_dsn
    monkeypatch.setenv("ETL_TEST_SECRET_DSN", secret_dsn)  # trust auth: the password is unused
    data_dir = str(tmp_path / "data")
    console = CapturingConsole()
    record = _run(_with_postgres(tmp_path, pg_schema, "ETL_TEST_SECRET_DSN"), data_dir, console)

    parquet = _table(data_dir, "fact_country_revenue")
    loaded = pg_query(pg_dsn, f'select country, order_date, revenue, orders '
                              f'from "{pg_schema}".fact_country_revenue')
    want = sorted((r.country, str(r.order_date), float(r.revenue), int(r.orders))
                  for r in parquet.itertuples())
    assert sorted((c, str(d), float(rev), n) for c, d, rev, n in loaded) == want
    # postgres only: no Parquet table, and the rows pandas keeps from the raw file
    assert not os.path.exists(os.path.join(data_dir, "warehouse", "valid_orders"))
    ids = sorted(r[0] for r in pg_query(pg_dsn, f'select order_id from "{pg_schema}".valid_orders'))
    assert ids == ["o1", "o2", "o3", "o6"]
    tasks = {t.key: t for t in record.tasks}
    assert tasks["sink:valid_orders"].postgres["rows"] == 4
    assert tasks["sink:fact_country_revenue"].postgres["table"] == \
        f"{pg_schema}.fact_country_revenue"
    (_, columns, rows), = [args for name, args in console.events if name == "summary"]
    assert columns[-1] == "postgres"  # the summary says where each table went
    assert {r[0]: r[-1] for r in rows} == {
        "fact_country_revenue": f"{pg_schema}.fact_country_revenue",
        "valid_orders": f"{pg_schema}.valid_orders"}
    for folder, _, files in os.walk(record.folder):
        for name in files:
            with open(os.path.join(folder, name), errors="replace") as fh:
                assert "s3cret" not in fh.read(), name
    assert not any("s3cret" in str(event) for event in console.events)


def test_an_unreachable_postgres_stops_the_run_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("ETL_TEST_BAD_DSN", "postgresql://etl:s3cret@127.0.0.1:1/test")
    data_dir = str(tmp_path / "data")
    error = _failure(_with_postgres(tmp_path, "public", "ETL_TEST_BAD_DSN"), data_dir)
    assert error.exit_code == 3 and "cannot connect to PostgreSQL" in error.message
    assert "s3cret" not in error.message
    assert not os.path.exists(os.path.join(data_dir, "warehouse", "fact_country_revenue"))




def _refused(path: str, data_dir: str) -> EtlError:
    """The error a run stops with before any work: nothing written, no JVM started."""
    error = _failure(path, data_dir)
    assert error.exit_code == 3, error.message
    return error


def test_a_data_dir_under_a_file_is_refused_naming_it(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    data_dir = str(tmp_path / "afile" / "data")
    error = _refused(_write(tmp_path), data_dir)
    assert error.message == (f"the data folder {data_dir} cannot be created: "
                             f"{tmp_path / 'afile'} is a file, not a folder")
    assert "--data-dir" in error.hint


@pytest.mark.parametrize("below", ["", "sub/data"])
def test_a_read_only_data_dir_is_refused_before_any_work(tmp_path, below):
    from tests.disks import read_only_view

    path = _write(tmp_path)
    view = tmp_path / "ro"
    with read_only_view(tmp_path / "data", view):
        data_dir = os.path.join(str(view), below) if below else str(view)
        error = _refused(path, data_dir)
        assert str(view) in error.message and "read-only file system" in error.message
        assert error.message.startswith(f"the data folder {data_dir} ")
        assert "--data-dir" in error.hint
    assert sorted(os.listdir(tmp_path / "data")) == ["input"]  # no runs/, no warehouse


def test_a_read_only_warehouse_elsewhere_is_named_as_the_warehouse(tmp_path):
    from tests.disks import read_only_view

    (tmp_path / "wh").mkdir()
    view = tmp_path / "ro-wh"
    path = _write(tmp_path, extra=f"warehouse: {{path: {view}/tables}}\n")
    with read_only_view(tmp_path / "wh", view):
        error = _refused(path, str(tmp_path / "data"))
    assert error.message == (f"the warehouse {view}/tables cannot be created: {view} is on a "
                             f"read-only file system")
    assert "set another path for it in the pipeline" in error.hint
    assert not os.path.exists(tmp_path / "data" / "runs")  # refused before the run record


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes whatever the permission bits say")
def test_a_data_dir_without_write_permission_is_refused(tmp_path):
    path = _write(tmp_path)
    (tmp_path / "data").chmod(0o555)
    try:
        error = _refused(path, str(tmp_path / "data"))
    finally:
        (tmp_path / "data").chmod(0o755)
    assert "is not writable by this user" in error.message


@pytest.mark.parametrize("fault,code,said", [
    (OSError(28, "No space left on device", "/d/warehouse/.staging/x"), 3,
     "cannot write /d/warehouse/.staging/x: no space left on device"),
    (ConnectionRefusedError(111, "Connection refused"), 1,  # an OSError too: the JVM is gone
     "the run stopped: the Spark JVM stopped"),
])
def test_a_file_system_error_between_tasks_is_named_and_recorded(tmp_path, monkeypatch, fault,
                                                                 code, said):
    from framework.runtime.executor import Executor

    def broken(self):
        raise fault

    monkeypatch.setattr(Executor, "_size_shuffles", broken)  # runs between read and transform
    data_dir = str(tmp_path / "data")
    error = _failure(_write(tmp_path), data_dir)
    assert error.exit_code == code and error.message.startswith(said), error.message
    runs = os.path.join(data_dir, "runs")
    with open(os.path.join(runs, os.listdir(runs)[0], "run.json")) as fh:
        saved = json.load(fh)
    assert saved["status"] == "failed" and saved["error"].startswith(said)


def test_a_read_only_landing_folder_is_named_as_the_generators(tmp_path):
    import shutil

    from tests.disks import read_only_view

    pipelines = tmp_path / "pipelines"  # a copy: its schema files resolve beside it
    shutil.copytree(os.path.join(os.path.dirname(README), "pipelines"), pipelines)
    shutil.copytree(os.path.join(os.path.dirname(README), "sql_templates"),
                    tmp_path / "sql_templates")
    shutil.copytree(os.path.join(os.path.dirname(README), "reports"), tmp_path / "reports")
    text = (pipelines / "clickstream.yaml").read_text(encoding="utf-8")
    view = tmp_path / "ro-raw"
    assert "landing: {path: raw, format: csv}" in text
    (pipelines / "clickstream.yaml").write_text(
        text.replace("landing: {path: raw, format: csv}",
                     f"landing: {{path: {view}/raw, format: csv}}"), encoding="utf-8")
    (tmp_path / "empty").mkdir()
    with read_only_view(tmp_path / "empty", view):
        error = _refused(str(pipelines / "clickstream.yaml"), str(tmp_path / "data"))
    assert error.message == (f"the landing folder of generator 'shop' {view}/raw cannot be "
                             f"created: {view} is on a read-only file system")
    assert error.hint == "set another path for it in the pipeline"


def test_sql_text_is_never_substituted_by_spark(tmp_path, monkeypatch):
    """`$${` writes a literal `${`: Spark's own variable substitution must not expand it (it
    would put an environment variable, a secret say, into a published table)."""
    monkeypatch.setenv("ETL_TEST_SECRET", "Sup3r-s3cret")
    path = _write(tmp_path, ("count(*) as orders",
                             "count(*) as orders, '$${env:ETL_TEST_SECRET}' as literal"))
    data_dir = str(tmp_path / "data")
    _run(path, data_dir)
    assert set(_table(data_dir, "fact_country_revenue")["literal"]) == {"${env:ETL_TEST_SECRET}"}

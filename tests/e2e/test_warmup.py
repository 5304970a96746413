"""`etl warmup` records a class-data archive that a later run's JVM really starts from."""

from __future__ import annotations

import glob
import json
import os
import subprocess

import pytest

from tests.e2e.helpers import CLICKSTREAM, ROOT, SMALL, etl_command

pytestmark = pytest.mark.spark


def _etl(env: dict, *args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    out = subprocess.run(etl_command(*args), cwd=cwd, capture_output=True, text=True, env=env,
                         timeout=900)
    assert out.returncode == 0, f"etl {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out


def _real_locations(tmp_path, pg_schema: str) -> str:
    """clickstream.yaml landing and publishing at absolute paths under tmp_path/real, with
    dim_products also loaded into PostgreSQL: a copy of the pipeline file."""
    with open(CLICKSTREAM, encoding="utf-8") as fh:
        text = fh.read()
    real = tmp_path / "real"
    edits = [("schema: schemas/", f"schema: {ROOT}/pipelines/schemas/"),
             ("templates: ../sql_templates", f"templates: {ROOT}/sql_templates"),
             ("report: ../reports/", f"report: {ROOT}/reports/"),
             ("landing: {path: raw,", f"landing: {{path: {real}/raw,"),
             ("  dim_products:\n    from: products\n",
              "  dim_products:\n    from: products\n    targets: [parquet, postgres]\n"),
             ("  path: warehouse\n", f"  path: {real}/warehouse\n  postgres: "
                                    f'{{dsn: "${{ETL_TEST_PG_DSN}}", schema: {pg_schema}}}\n')]
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "clickstream.yaml"
    path.write_text(text)
    return str(path)


def _tree(folder) -> dict[str, tuple]:
    """Every entry under `folder` with what a write would change (links with their target)."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            out[os.path.relpath(path, folder)] = (
                os.readlink(path) if os.path.islink(path) else None,
                st.st_size if os.path.isfile(path) else None, st.st_mtime_ns)
    return out


@pytest.mark.postgres
def test_warmup_records_an_archive_the_next_run_starts_from(tmp_path, pg_dsn, pg_schema):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.conftest import pg_query

    cache = tmp_path / "cache"
    env = {**os.environ, "TERM": "dumb", "ETL_SPARK_MASTER": "local[2]",
           "ETL_CACHE_DIR": str(cache), "ETL_TEST_PG_DSN": pg_dsn, "PYTHONPATH": ROOT}
    env.pop("ETL_CLASS_ARCHIVE", None)
    # the real locations hold a published table, in Parquet and in PostgreSQL
    warehouse = tmp_path / "real" / "warehouse"
    version = warehouse / ".versions" / "dim_products" / "000001-before"
    version.mkdir(parents=True)
    pq.write_table(pa.table({"product_id": ["p-before"]}), version / "part-0.parquet")
    os.symlink(os.path.relpath(version, warehouse), warehouse / "dim_products")
    pg_query(pg_dsn, f'create schema "{pg_schema}"; create table "{pg_schema}".dim_products '
                     f"(product_id text); insert into \"{pg_schema}\".dim_products values "
                     f"('p-before')")
    before = _tree(tmp_path / "real")
    cwd = tmp_path / "cwd"
    cwd.mkdir()

    out = _etl(env, "warmup", _real_locations(tmp_path, pg_schema), *SMALL, cwd=str(cwd))
    # warmup wrote nowhere but its scratch folder and the archive: no new version, no landing,
    # no lock or staging in the warehouse, nothing in the working folder, PostgreSQL untouched
    assert _tree(tmp_path / "real") == before
    assert pg_query(pg_dsn, f'select * from "{pg_schema}".dim_products') == [("p-before",)]
    assert os.listdir(cwd) == []
    archives = glob.glob(str(cache / "spark-classes-*.jsa"))
    assert len(archives) == 1 and os.path.getsize(archives[0]) > 10 * 2**20
    assert archives[0] in out.stdout.replace("\n", "")
    assert not glob.glob(str(cache / ".recording-*")), "the recording was moved into place"
    assert "Skipping" not in out.stdout + out.stderr  # the JVM's archive notes stay out of sight

    again = _etl(env, "warmup", "--if-missing", CLICKSTREAM)
    assert "already recorded" in again.stdout

    # require: the JVM refuses to start unless it can map the archive, so success proves use
    data = tmp_path / "data"
    run = _etl({**env, "ETL_CLASS_ARCHIVE": "require"}, "run", CLICKSTREAM, *SMALL,
               "--data-dir", str(data), "--select", "dim_products")
    (record,) = glob.glob(str(data / "runs" / "*" / "run.json"))
    # what the JVM prints itself (Spark 4's incubator-module warning) goes to the run's folder
    with open(os.path.join(os.path.dirname(record), "jvm.out")) as fh:
        assert "jdk.incubator" in fh.read()
    assert "jdk.incubator" not in run.stdout + run.stderr
    with open(record) as fh:
        spark = json.load(fh)["spark"]
    options = spark["conf"]["spark.driver.extraJavaOptions"]
    assert f"-XX:SharedArchiveFile={archives[0]}" in options and "-Xshare:on" in options
    assert spark["class_archive"] == {"path": archives[0], "used": True}

    # another class path (a SPARK_CONF_DIR joins it): the JVM starts without the archive, and
    # the run says so instead of just starting slower
    conf, data = tmp_path / "conf", tmp_path / "data2"
    conf.mkdir()
    run = _etl({**env, "SPARK_CONF_DIR": str(conf)}, "run", CLICKSTREAM, *SMALL,
               "--data-dir", str(data), "--select", "dim_products")
    said = " ".join((run.stdout + run.stderr).split())  # the terminal wraps long lines
    assert "the JVM could not use the class-data archive" in said and "etl warmup PIPELINE" in said
    assert archives[0] in run.stdout.replace("\n", "")  # a path may be wrapped anywhere
    (record,) = glob.glob(str(data / "runs" / "*" / "run.json"))
    with open(record) as fh:
        used = json.load(fh)["spark"]["class_archive"]
    assert used["path"] == archives[0] and used["used"] is False
    assert "shared archive" in used["why"].lower()

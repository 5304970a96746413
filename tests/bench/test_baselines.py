"""The benchmark's baselines compute what the pipeline publishes: `etl run` on a small generated
data set, then bench/skilled_etl.py (hand-written PySpark) and bench/duckdb_etl.py (DuckDB SQL)
on the same raw files, and every one of the seven tables compared column by column with the
warehouse (names in order; values after sorting by the table's key, floats to 1e-9, timestamps as
UTC instants, decimals exactly). A benchmark against scripts that compute less would flatter
nobody honestly; this is what makes the ratios in `make bench` comparisons of the same work."""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from e2e.helpers import ROOT, TABLES

KEYS = {"fact_events": ["event_id"], "fact_sessions": ["session_id"],
        "fact_daily_metrics": ["event_date"], "dim_users": ["user_id"],
        "dim_products": ["product_id"], "dim_product_metrics": ["product_id"],
        "dim_date": ["date_key"]}


def read(folder: str, table: str) -> pd.DataFrame:
    """A Parquet table folder (hive partitions become the last columns) as pandas."""
    return ds.dataset(os.path.join(folder, table), format="parquet",
                      partitioning="hive").to_table().to_pandas()


def _value(v):
    """One cell in a comparable form: None for any null, dates and partition values as ISO
    text, timestamps as UTC instants, numpy scalars as Python numbers."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(v)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, Decimal) or isinstance(b, Decimal):
            return False  # a decimal column must stay decimal (money is exact)
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def differences(expected: pd.DataFrame, actual: pd.DataFrame, key: list[str],
                limit: int = 3) -> list[str]:
    """What differs between two tables: column names (in order), row count, then each column's
    values after sorting both by `key`; empty when they are equal."""
    if list(expected.columns) != list(actual.columns):
        return [f"columns differ: expected {list(expected.columns)}, got {list(actual.columns)}"]
    if len(expected) != len(actual):
        return [f"{len(actual)} rows, expected {len(expected)}"]

    def rows(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for k in key:
            df[k] = df[k].map(_value)
        return df.sort_values(key, kind="stable").reset_index(drop=True)

    expected, actual = rows(expected), rows(actual)
    out = []
    for col in expected.columns:
        want = [_value(v) for v in expected[col].tolist()]
        got = [_value(v) for v in actual[col].tolist()]
        bad = [i for i, (w, g) in enumerate(zip(want, got, strict=True)) if not _same(w, g)]
        if bad:
            shown = "; ".join(f"{key}={[expected[k][i] for k in key]}: expected {want[i]!r}, "
                              f"got {got[i]!r}" for i in bad[:limit])
            out.append(f"{col}: {len(bad)} of {len(want)} values differ ({shown})")
    return out


# ------------------------------------------------------------------ the comparison itself

def _table(tmp_path, name: str, frame: pa.Table) -> str:
    folder = tmp_path / name / "t"
    folder.mkdir(parents=True)
    pq.write_table(frame, str(folder / "part-0.parquet"))
    return str(tmp_path / name)


def test_differences_catches_each_kind_of_mismatch(tmp_path):
    """The comparison is what the baselines' test rests on: it must tell a wrong value, float,
    decimal, timestamp, null, column name or row count, and accept the same table written
    differently (rows in another order, naive UTC against tz-aware timestamps)."""
    ts = [dt.datetime(2026, 1, 1, 10), dt.datetime(2026, 1, 2, 11)]
    base = {"id": ["a", "b"], "n": [1, 2], "x": [0.1 + 0.2, 1.0], "m": [Decimal("1.50"), None],
            "ts": ts, "d": [dt.date(2026, 1, 1), dt.date(2026, 1, 2)]}
    expected = read(_table(tmp_path, "e", pa.table(base)), "t")
    utc = pa.array([t.replace(tzinfo=dt.UTC) for t in ts][::-1], pa.timestamp("us", tz="UTC"))
    same = pa.table({**{k: v[::-1] for k, v in base.items()}, "ts": utc,
                     "x": [1.0, 0.3], "m": [None, Decimal("1.5")]})
    assert differences(expected, read(_table(tmp_path, "s", same), "t"), ["id"]) == []
    wrong = {
        "n": {**base, "n": [1, 3]},
        "x": {**base, "x": [0.3, 1.001]},
        "m": {**base, "m": [Decimal("1.51"), None]},
        "ts": {**base, "ts": [ts[0], ts[1] + dt.timedelta(seconds=1)]},
        "d": {**base, "d": [dt.date(2026, 1, 1), None]},
    }
    for col, data in wrong.items():
        found = differences(expected, read(_table(tmp_path, f"w{col}", pa.table(data)), "t"),
                            ["id"])
        assert len(found) == 1 and found[0].startswith(f"{col}: 1 of 2"), (col, found)
    renamed = pa.table({**{k: v for k, v in base.items() if k != "n"}, "count": [1, 2]})
    assert "columns differ" in differences(
        expected, read(_table(tmp_path, "r", renamed), "t"), ["id"])[0]
    short = pa.table({k: v[:1] for k, v in base.items()})
    assert differences(expected, read(_table(tmp_path, "c", short), "t"), ["id"]) == [
        "1 rows, expected 2"]


# ------------------------------------------------------------------ the baselines

@pytest.fixture(scope="module")
def landed(week_clickstream):
    """The pipeline's warehouse on a small data set (every day of the week) with a few
    malformed rows (which the pipeline quarantines and the baselines must drop alike): the
    session's `week_clickstream` run (tests/conftest.py, e2e.helpers.WEEK_MALFORMED)."""
    return week_clickstream[0]


def _run_script(script: str, raw: str, out: str, *extra: str) -> None:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run([sys.executable, os.path.join(ROOT, "bench", script), raw, out,
                           *extra], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=900)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("script,extra", [("skilled_etl.py", ("--master", "local[2]")),
                                          ("duckdb_etl.py", ())],
                         ids=["skilled", "duckdb"])
def test_baseline_publishes_the_warehouse(landed, tmp_path, script, extra):
    out = str(tmp_path / "out")
    _run_script(script, os.path.join(landed, "raw"), out, *extra)
    warehouse = os.path.join(landed, "warehouse")
    problems = {}
    for table in TABLES:
        expected = read(warehouse, table)
        assert len(expected) > 0, table  # an empty warehouse table would prove nothing
        found = differences(expected, read(out, table), KEYS[table])
        if found:
            problems[table] = found
    assert problems == {}

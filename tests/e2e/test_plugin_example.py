"""The example plugin (examples/etl-plugin-example) for real: installed with pip into a folder of
its own, found through its `etl.transforms` entry point, listed, documented, validated and run on
local Spark; every published row checked against a computation in plain Python."""

from __future__ import annotations

import bisect
import csv
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e.helpers import ROOT, read_table, run_etl

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PLUGIN = Path(ROOT) / "examples" / "etl-plugin-example"
BOUNDS, LABELS = [20, 100], ["small", "medium", "large"]  # as pipeline.yaml says


def _ignored(folder: str, names: list[str]) -> list[str]:
    """What a build or a run left in the example folder: not part of the package."""
    skip = {"build", "__pycache__"}
    return [n for n in names if n in skip or n.endswith(".egg-info")
            or (Path(folder).name == "sample" and n != "input")]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> dict[str, Path]:
    """The example copied (a build writes beside its sources) and pip-installed into a target
    folder: no network (--no-index, --no-deps) and no build environment to fetch
    (--no-build-isolation: the venv's setuptools builds it)."""
    base = tmp_path_factory.mktemp("plugin")
    source, site = base / "etl-plugin-example", base / "site"
    shutil.copytree(PLUGIN, source, ignore=_ignored)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--no-index", "--no-build-isolation", "--target", str(site),
                           str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (
        f"pip could not install the example plugin (setuptools>=70.1 builds it without the "
        f"network: pip install -e '.[dev]'):\n{done.stdout}\n{done.stderr}")
    return {"source": source, "site": site, "base": base}


def etl(plugin: dict[str, Path], *args: str, check: bool = True):
    """`etl ARGS` with the plugin's install folder on the path (the project's code first)."""
    return run_etl(*args, check=check,
                   env={"PYTHONPATH": os.pathsep.join([ROOT, str(plugin["site"])])})


def test_the_installed_plugin_is_found_through_its_entry_point(plugin):
    listed = etl(plugin, "transforms").stdout
    assert "share_of_total" in listed and "bucketize" in listed and "clean_events" in listed
    shown = etl(plugin, "transforms", "bucketize").stdout
    assert "etl_plugin_example.transforms" in shown and "bounds" in shown
    assert "transform: bucketize" in shown  # the docstring's example
    without = run_etl("transforms", env={"PYTHONPATH": ROOT}).stdout
    assert "bucketize" not in without  # only its installed entry point brings it


def test_the_plugins_transforms_pass_the_tests_every_transform_passes(plugin):
    """tests/transforms/test_examples.py over the installed plugin: its examples validate as
    pipeline steps and every parameter is described."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         os.path.join(ROOT, "tests", "transforms", "test_examples.py"),
         "-k", "share_of_total or bucketize"], cwd=ROOT, capture_output=True, text=True,
        timeout=300, env={**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, str(plugin["site"])])})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout  # two transforms: an example and its parameters each


def test_etl_docs_documents_the_plugins_transforms(plugin):
    out = plugin["base"] / "docs"
    etl(plugin, "docs", "-o", str(out))  # the SQL macros: the built-in ones of the installed etl
    assert "framework/sql/macros/dialect.sql" in (out / "sql-macros.md").read_text("utf-8")
    page = (out / "transforms.md").read_text(encoding="utf-8")
    for name in ("share_of_total", "bucketize", "clean_events"):
        assert f"\n## `{name}`\n" in page
    assert "module: `etl_plugin_example.transforms`" in page
    assert "| `labels` | list of string | yes |" in page


def expected_rows(csv_path: Path) -> dict[str, dict]:
    """share_of_total and bucketize over the sample, in plain Python."""
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = [{**r, "amount": float(r["amount"]) if r["amount"] else None}
                for r in csv.DictReader(fh)]
    totals: dict[str, float] = {}
    for r in rows:
        if r["amount"] is not None:
            totals[r["country"]] = totals.get(r["country"], 0.0) + r["amount"]
    out = {}
    for r in rows:
        amount, total = r["amount"], totals.get(r["country"])
        share = 100 * amount / total if amount is not None and total else None
        size = None if amount is None else LABELS[bisect.bisect_right(BOUNDS, amount)]
        out[r["order_id"]] = {**r, "share_of_country": share, "size": size}
    return out


def test_the_example_pipeline_validates_and_runs_with_the_plugin(plugin):
    pipeline = plugin["source"] / "pipeline.yaml"
    assert "ok" in etl(plugin, "validate", str(pipeline)).stdout
    data = plugin["base"] / "data"
    shutil.copytree(plugin["source"] / "sample", data)
    etl(plugin, "run", str(pipeline), "--data-dir", str(data))
    frame = read_table(str(data / "warehouse"), "orders_sized")
    got = {r["order_id"]: r for r in frame.to_dict("records")}
    want = expected_rows(data / "input" / "orders.csv")
    assert sorted(got) == sorted(want)
    assert {w["size"] for w in want.values()} == {*LABELS, None}  # every bucket, and a null
    assert any(w["share_of_country"] is None and w["amount"] == 0 for w in want.values())
    for order_id, w in want.items():
        g = got[order_id]
        assert (g["country"], g["size"]) == (w["country"], w["size"]), order_id
        for column in ("amount", "share_of_country"):
            if w[column] is None:
                assert g[column] is None or math.isnan(g[column]), (order_id, column)
            else:
                assert math.isclose(g[column], w[column], rel_tol=1e-12), (order_id, column)

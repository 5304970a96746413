"""The clickstream report bundle, built twice from a small warehouse the real pipeline publishes:
valid PNGs of a sensible size, each CSV equal to its query's rows (run again on their own),
links only inside the bundle, the same bytes both times; columns a query lacks are located."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import struct
from decimal import Decimal
from pathlib import Path

import pytest
from sql.warehouses import CLICKSTREAM, GENERATED_VARS

from framework.errors import SpecError

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[3]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def built(spark, generated_clickstream, tmp_path_factory):
    """(spec, report, results, data dir, [bundle, bundle again]), on the session's
    `generated_clickstream` run (tests/conftest.py)."""
    from framework.registry import REGISTRY
    from framework.report.build import build_bundle, fetch, latest_run
    from framework.report.bundle import pipeline_report
    from framework.validate import load_checked

    data = generated_clickstream
    REGISTRY.load_plugins()
    spec = load_checked(CLICKSTREAM, overrides=GENERATED_VARS, registry=REGISTRY).spec
    report = pipeline_report(spec)
    logs = str(tmp_path_factory.mktemp("report-logs"))  # the shared data dir stays as run
    results = fetch(spec, report.queries(), "spark", data, logs, spark)
    run = latest_run(data, spec.name)
    out = str(tmp_path_factory.mktemp("bundles"))
    bundles = [build_bundle(spec, report, os.path.join(out, name), results, run)
               for name in ("first", "second")]
    return spec, report, results, data, bundles


def _files(folder: str) -> dict[str, bytes]:
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            out[os.path.relpath(path, folder)] = Path(path).read_bytes()
    return out


def test_the_bundle_has_every_part(built):
    _, report, _, _, (bundle, _) = built
    files = _files(bundle.folder)
    charts = [c.id for s in report.sections for c in s.charts]
    assert len(charts) >= 12 and bundle.charts == len(charts)
    for cid in charts:
        assert f"charts/{cid}.png" in files and f"charts/{cid}.svg" in files
    for s in report.sections:
        assert f"tables/{s.id}.csv" in files
    for name in report.queries():
        assert files[f"sql/{name}.sql"].strip()
    assert b'"status": "succeeded"' in files["run.json"]
    assert files["index.html"].startswith(b"<!") and b"Content-Security-Policy" in \
        files["index.html"]


def test_each_png_is_valid_and_readable_on_a_laptop(built):
    folder = built[4][0].folder
    pngs = sorted(Path(folder, "charts").glob("*.png"))
    assert pngs
    for path in pngs:
        data = path.read_bytes()
        assert data[:8] == PNG, path.name
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert 800 <= width <= 1600 and 400 <= height <= 1000, (path.name, width, height)
        svg = path.with_suffix(".svg").read_text(encoding="utf-8")
        assert "<svg" in svg and "<dc:date>" not in svg


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _same(cell: str, value) -> bool:
    if value is None:
        return cell == ""
    if isinstance(value, bool):
        return cell == str(value)
    if isinstance(value, Decimal):
        return Decimal(cell) == value
    if isinstance(value, float):
        return float(cell) == value
    if isinstance(value, int):
        return int(cell) == value
    return cell == _cell(value)


def test_each_csv_equals_its_query_run_again(built, spark):
    """Each section's CSV against its query rendered and run again on its own."""
    from framework.runtime.sqlrun import offered, spark_query
    from framework.sqltemplates import SqlRenderer

    spec, report, _, _, (bundle, _) = built
    renderer = SqlRenderer(spec.sql.templates, "spark")
    templates = offered(spec)
    for s in report.sections:
        expected = spark_query(spark, renderer.render(templates[s.query]))
        with open(os.path.join(bundle.folder, "tables", f"{s.id}.csv"), newline="",
                  encoding="utf-8") as fh:
            header, *rows = list(csv.reader(fh))
        assert tuple(header) == expected.columns, s.id
        assert len(rows) == len(expected.rows), s.id
        for got, want in zip(rows, expected.rows, strict=True):
            assert all(_same(c, v) for c, v in zip(got, want, strict=True)), (s.id, got, want)
        sql = Path(bundle.folder, "sql", f"{s.query}.sql").read_text(encoding="utf-8")
        assert sql == expected.sql


def test_the_page_links_only_to_files_inside_the_bundle(built):
    folder = built[4][0].folder
    html = Path(folder, "index.html").read_text(encoding="utf-8")
    links = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert links
    for link in links:
        if link.startswith(("data:", "#")):
            continue
        assert "://" not in link and not link.startswith(("/", "..")), link
        assert os.path.isfile(os.path.join(folder, link)), link


def test_two_builds_are_byte_identical(built):
    first, second = built[4]
    a, b = _files(first.folder), _files(second.folder)
    assert sorted(a) == sorted(b)
    different = [name for name in a if a[name] != b[name]]
    assert different == []


def test_a_column_the_query_lacks_is_located_in_the_report(built, tmp_path):
    from framework.report.build import build_bundle
    from framework.report.definition import load_report
    from framework.runtime.sqlrun import offered

    spec, _, results, _, _ = built
    path = tmp_path / "r.yaml"
    path.write_text(
        "title: T\n"
        "cards:\n"
        "  - {label: R, query: daily_trends_wow, column: revenu, format: currency}\n"
        "sections:\n"
        "  - id: s\n"
        "    title: S\n"
        "    query: aov_by_device\n"
        "    charts:\n"
        "      - id: c\n"
        "        kind: bar\n"
        "        title: C\n"
        "        x: devise\n"
        "        y: revenue\n"
        "        x_label: Device\n"
        "        y_label: Revenue (USD)\n", encoding="utf-8")
    report = load_report(str(path), offered(spec))
    with pytest.raises(SpecError) as info:
        build_bundle(spec, report, str(tmp_path / "out"), results, None)
    shown = [p.format() for p in info.value.problems]
    assert shown[0].startswith(f"{path}:3:") and "'revenu'" in shown[0] \
        and "did you mean 'revenue'?" in shown[0]
    assert shown[1].startswith(f"{path}:12:") and "'devise'" in shown[1] \
        and "did you mean 'device'?" in shown[1]
    assert info.value.exit_code == 2
    assert not (tmp_path / "out").exists()

"""Report definitions are checked like pipelines: every mistake at once, each at its file:line,
exit 2 from `etl report` before any Spark starts."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from framework.cli import cli

ROOT = Path(__file__).resolve().parents[3]

BAD = """\
title: Broken
cards:
  - {label: R, query: daily_trend_wow, column: revenue, format: money}
sections:
  - id: s
    title: S
    query: aov_by_device
    colour: red
    charts:
      - id: c
        kind: pie
        title: C
        x: device
        y: revenue
        x_label: Device
        y_label: Revenue (USD)
      - id: c
        kind: heatmap
        title: D
        x: device
        y: revenue
        x_label: Device
        y_label: Revenue (USD)
        format: currency
"""


def _project(tmp_path: Path, report: str) -> Path:
    """pipelines/clickstream.yaml beside sql_templates/ and reports/, its report `report`."""
    shutil.copytree(ROOT / "pipelines", tmp_path / "pipelines")
    shutil.copytree(ROOT / "sql_templates", tmp_path / "sql_templates")
    shutil.copytree(ROOT / "reports", tmp_path / "reports")
    (tmp_path / "reports" / "clickstream.yaml").write_text(report, encoding="utf-8")
    return tmp_path / "pipelines" / "clickstream.yaml"


def test_the_project_report_is_valid():
    from framework.registry import REGISTRY
    from framework.report.bundle import pipeline_report
    from framework.validate import load_checked

    REGISTRY.load_plugins()
    spec = load_checked(str(ROOT / "pipelines" / "clickstream.yaml"), registry=REGISTRY).spec
    report = pipeline_report(spec)
    charts = [c for s in report.sections for c in s.charts]
    assert len(charts) >= 12
    kinds = {c.kind for c in charts}
    assert kinds == {"line", "bar", "stacked_bar", "heatmap", "funnel", "scatter", "histogram"}
    assert all(c.title and c.x_label and c.y_label for c in charts)


def test_every_mistake_is_reported_at_once_located_exit_2(tmp_path):
    pipeline = _project(tmp_path, BAD)
    result = CliRunner().invoke(cli, ["report", str(pipeline), "--data-dir",
                                      str(tmp_path / "data")])
    assert result.exit_code == 2, result.output
    out = result.output
    report = tmp_path / "reports" / "clickstream.yaml"
    expected = [
        (3, "cards[0].query: no query or view 'daily_trend_wow'",
         "did you mean 'daily_trends_wow'?"),
        (3, "cards[0].format: unknown format 'money'", "one of: integer"),
        (8, "sections[0].colour: unknown key 'colour'", "allowed:"),
        (11, "sections[0].charts[0].kind: unknown kind 'pie'", "one of: line, bar"),
        (17, "sections[0].charts[1].id: id 'c' is used twice", "own id"),
        (17, "a heatmap chart needs 'value'", ""),
    ]
    for line, message, hint in expected:
        assert f"{report}:{line}" in out and message in out and hint in out, (line, out)
    assert "6 problems found" in out


def test_a_pipeline_without_a_report_says_so(tmp_path):
    pipeline = _project(tmp_path, BAD)
    text = pipeline.read_text(encoding="utf-8")
    pipeline.write_text("\n".join(line for line in text.splitlines()
                                  if not line.startswith("report:")), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(pipeline), "--data-dir",
                                      str(tmp_path / "data")])
    assert result.exit_code == 1, result.output
    assert "names no report" in result.output


def test_validate_checks_the_report_too(tmp_path):
    pipeline = _project(tmp_path, BAD)
    result = CliRunner().invoke(cli, ["validate", str(pipeline)])
    assert result.exit_code == 2, result.output
    report = tmp_path / "reports" / "clickstream.yaml"
    assert f"{report}:11" in result.output and "unknown kind 'pie'" in result.output
    assert "6 problems found" in result.output


def test_run_refuses_a_broken_report_before_any_work(tmp_path):
    """The report is built at the end of the run: a mistake in it is found before Spark starts
    or anything is written, not after the tables are published."""
    pipeline = _project(tmp_path, BAD)
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["run", str(pipeline), "--data-dir", str(data)])
    assert result.exit_code == 2, result.output
    assert "6 problems found" in result.output
    assert not data.exists()

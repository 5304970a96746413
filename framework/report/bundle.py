"""`etl report` and the end of `etl run`: the report a pipeline names, built for one of its runs
under `<data-dir>/reports/<run_id>/`."""

from __future__ import annotations

import tempfile
from typing import Any

from framework.errors import EtlError
from framework.report.build import (
    Bundle,
    build_bundle,
    fetch,
    find_run,
    latest_run,
    report_folder,
)
from framework.report.definition import ReportDef, load_report


def pipeline_report(spec: Any) -> ReportDef:
    """The report definition the pipeline names, checked (SpecError, exit 2)."""
    from framework.runtime.sqlrun import offered

    if not spec.report:
        raise EtlError(f"pipeline {spec.name!r} names no report",
                       hint="add `report: ../reports/<name>.yaml` to the pipeline file")
    if spec.sql is None or not spec.sql.templates:
        raise EtlError(f"pipeline {spec.name!r} has no sql: section for its report to read",
                       hint="add `sql: {templates: ../sql_templates}` to the pipeline")
    return load_report(spec.report, offered(spec))


def make_bundle(spec: Any, data_dir: str, run_id: str | None = None, target: str = "spark",
                out: str | None = None, spark: Any = None,
                run: dict[str, Any] | None = None) -> Bundle:
    """Build the bundle of `spec`'s report for run `run_id` (default: the latest succeeded
    one; `run`: its record, when the caller has it); `spark`: a running session to use."""
    report = pipeline_report(spec)
    if run is None:
        run = find_run(data_dir, run_id) if run_id else latest_run(data_dir, spec.name)
    folder = out or report_folder(data_dir, str(run.get("run_id")))
    with tempfile.TemporaryDirectory(prefix="etl-report-") as logs:
        results = fetch(spec, report.queries(), target, data_dir, logs, spark)
    return build_bundle(spec, report, folder, results, run)

"""The page's data-quality table comes from the run record's `quality` list."""

from __future__ import annotations

from framework.report.build import _quality
from framework.report.model import QUALITY_COLUMNS


def test_failed_checks_come_first_with_counts_shares_and_where_the_samples_are():
    run = {"data_dir": "/data", "quality": [
        {"table": "dim_users", "check": "not_null(user_id)", "at": "sink", "severity": "error",
         "status": "passed", "failing": 0, "rows": 1000, "share": 0.0, "threshold": "> 0",
         "samples": None},
        {"table": "fact_events", "check": "accepted_values(event_type)", "at": "sink",
         "severity": "warn", "status": "warned", "failing": 12, "rows": 4000, "share": 0.003,
         "threshold": "> 0", "samples": "/data/quality/fact_events/r1/accepted_values.csv"},
        {"table": "events", "check": "row_count(min=1)", "at": "source", "severity": "error",
         "status": "failed", "failing": 1, "rows": 0, "share": None, "threshold": "> 0",
         "samples": None},
        "not a check",  # a hand-edited record: skipped, not a crash
    ]}
    rows = _quality(run)
    assert len(QUALITY_COLUMNS) == len(rows[0])
    assert [(r[0], r[3]) for r in rows] == [("events", "failed"), ("fact_events", "warned"),
                                            ("dim_users", "passed")]
    assert rows[0][5] == "–" and rows[0][6] == "source check; when failing rows > 0"
    assert rows[1][4:] == ("12", "0.3%", "sink check; when failing rows > 0; failing rows in "
                           "quality/fact_events/r1/accepted_values.csv")
    assert rows[2][4:6] == ("0", "0.0%") and rows[2][6] == "sink check"
    assert _quality({}) == ()

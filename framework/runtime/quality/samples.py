"""Failing-row samples: up to N rows per failed or warned check, as CSV files a person opens.

    <data-dir>/quality/<table>/<run_id>/<check slug>.csv

Each file is written whole or not at all (framework.atomicfile). A folder per run, like the
quarantine's: a later run never overwrites what an earlier one showed.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from framework.atomicfile import write_text
from framework.masking import hide

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

QUALITY_DIR = "quality"
SAMPLE_ROWS = 20


def folder(data_dir: str, table: str, run_id: str) -> str:
    return os.path.join(data_dir, QUALITY_DIR, _safe(table), _safe(run_id))


def slugs(names: Iterable[str]) -> list[str]:
    """A file name per check name: `not_null(event_id)` -> `not_null_event_id`; repeats get
    `-2`, `-3`, ..."""
    out: list[str] = []
    for name in names:
        base = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:80] or "check"
        slug, n = base, 1
        while slug in out:
            n += 1
            slug = f"{base}-{n}"
        out.append(slug)
    return out


def write(df: DataFrame, where: str, slug: str, limit: int = SAMPLE_ROWS,
          secrets: Sequence[str] = ()) -> str:
    """Up to `limit` rows of `df` (its columns as the header) to `<where>/<slug>.csv`, with the
    pipeline's secret values (`secrets`) masked wherever they show (a query may select one)."""
    rows = df.limit(limit).collect()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([hide(c, secrets) for c in df.columns])
    writer.writerows([hide(_cell(v), secrets) for v in row] for row in rows)
    path = os.path.join(where, f"{slug}.csv")
    write_text(path, buf.getvalue(), make_folders=True)
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") or "_"

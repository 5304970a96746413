"""The run record: `runs/<run_id>/run.json`, written when a run starts and rewritten as it goes.

A record is plain data (timings, row counts, outputs, Spark settings, status, error); `etl runs`
and reports read records, never engine state. Secrets are masked before anything is written.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from framework.atomicfile import write_text
from framework.errors import UsageError, printable
from framework.masking import hide_all, mask_mapping, mask_text, mask_vars, secret_values
from framework.spec import PIPELINE_NAME_PATTERN


def new_run_id(pipeline: str) -> str:
    """`<UTC time>-<pipeline>-<4 hex>`: a folder name under runs/ (validation allows only names
    that keep it one; this refuses the rest again rather than write elsewhere)."""
    if not re.search(PIPELINE_NAME_PATTERN, pipeline):
        raise UsageError(f"pipeline name {printable(pipeline)!r} cannot name a run folder",
                         hint="use a letter, then up to 63 letters, digits, '_' or '-'")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{pipeline}-{secrets.token_hex(2)}"


@dataclass
class TaskRecord:
    key: str
    kind: str
    id: str
    status: str = "pending"  # pending | running | succeeded | failed | skipped
    started: float | None = None  # seconds after the run started (tasks overlap)
    seconds: float | None = None
    rows: int | None = None
    path: str | None = None
    bytes: int | None = None
    files: int | None = None
    malformed: int | None = None
    input_rows: int | None = None  # a source: records read, valid + malformed
    quarantine: str | None = None
    cache: str | None = None
    metrics: dict[str, Any] | None = None  # counts a step observed (e.g. rows dropped)
    postgres: dict[str, Any] | None = None  # a sink's PostgreSQL load: table, rows, seconds, views
    note: str = ""
    error: str | None = None


@dataclass
class RunRecord:
    run_id: str
    pipeline: str
    file: str
    spec_hash: str
    data_dir: str
    vars: dict[str, Any] = field(default_factory=dict)
    selection: list[str] = field(default_factory=list)
    status: str = "running"
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None
    seconds: float | None = None
    pid: int = field(default_factory=os.getpid)
    spark: dict[str, Any] = field(default_factory=dict)
    tasks: list[TaskRecord] = field(default_factory=list)
    # one dict per data-quality check run (framework.runtime.quality.result): task, at, table,
    # check, rule, column, severity, status, failing, rows, share, threshold, samples, engine,
    # seconds, detail
    quality: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    secret_vars: frozenset[str] = field(default=frozenset(), repr=False)  # never shown
    _t0: float = field(default_factory=time.monotonic, repr=False)

    @property
    def folder(self) -> str:
        return os.path.join(self.data_dir, "runs", self.run_id)

    def elapsed(self) -> float:
        return round(time.monotonic() - self._t0, 3)

    def task(self, key: str) -> TaskRecord:
        return next(t for t in self.tasks if t.key == key)

    def finish(self, status: str, error: str | None = None, hint: str | None = None) -> None:
        self.status = status
        self.error = mask_text(error) if error else None
        self.hint = mask_text(hint) if hint else None
        self.finished_at = datetime.now(UTC).isoformat()
        self.seconds = self.elapsed()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_t0", None)
        data.pop("secret_vars", None)
        data["spark"] = mask_mapping(data.get("spark", {}))
        data["vars"] = mask_vars(data.get("vars", {}), self.secret_vars)
        # a secret variable's value, wherever it is quoted (errors, notes, Spark settings, ...)
        return hide_all(data, secret_values(self.vars, self.secret_vars))

    def save(self) -> str:
        """Write run.json (atomically). On a full disk, the record is written again compactly
        over the blocks the last one holds, so a failed run still ends with a finished record."""
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, "run.json")
        data = self.to_json()
        try:
            write_json(path, data)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT) or not _rewrite_in_place(path, data):
                raise
        return path


def write_json(path: str, data: Any) -> None:
    """Write JSON beside `path`, then rename it in: a reader never sees half a file, and a
    failed write (a full disk) leaves no partial file behind."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str))


def _rewrite_in_place(path: str, data: dict[str, Any]) -> bool:
    """Overwrite `path` with a compact form of `data` when it fits in the file's current size
    (no new blocks needed on a full disk); first without indentation, then without the Spark
    settings and task metrics. False when the file is missing or nothing fits."""
    try:
        room = os.path.getsize(path)
    except OSError:
        return False
    slim = {**data, "spark": {k: v for k, v in data.get("spark", {}).items() if k != "conf"},
            "tasks": [{k: v for k, v in t.items() if k != "metrics"} for t in data["tasks"]],
            "note": "written compactly: the disk was full"}
    for form in (data, slim):
        text = json.dumps(form, separators=(",", ":"), sort_keys=True, default=str).encode()
        if len(text) <= room:
            with open(path, "r+b") as fh:
                fh.write(text)
                fh.truncate(len(text))
            return True
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (OSError, ValueError, TypeError, OverflowError):
        return False
    return True


MAX_RECORD_BYTES = 64 * 2**20  # a record of thousands of tasks is a few MB; more is not one


def list_runs(data_dir: str, limit: int = 20) -> list[dict[str, Any]]:
    """The newest run records first; a 'running' record whose process is gone is 'interrupted'.
    A record that cannot be read (truncated, not a run record) is listed as 'unreadable' with
    its path and why, so one broken file never hides the others."""
    folder = os.path.join(data_dir, "runs")
    if not os.path.isdir(folder):
        return []
    runs = []
    for name in sorted(os.listdir(folder), reverse=True):
        path = os.path.join(folder, name, "run.json")
        if not os.path.isfile(path):
            continue
        record, problem = _read_record(path)
        if problem:
            record = {"run_id": name, "pipeline": "", "status": "unreadable", "tasks": [],
                      "seconds": None, "error": f"{path}: {problem}"}
        elif record.get("status") == "running" and not _pid_alive(record.get("pid", -1)):
            record["status"] = "interrupted"
        runs.append(record)
        if len(runs) >= limit:
            break
    return runs


def _read_record(path: str) -> tuple[dict[str, Any], str]:
    """The record in `path`, or why it is not one."""
    try:
        if os.path.getsize(path) > MAX_RECORD_BYTES:
            return {}, f"larger than {MAX_RECORD_BYTES // 2**20} MB, not a run record"
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON (cut short, say)
        return {}, f"cannot be read ({type(exc).__name__}: {str(exc)[:120]})"
    if not isinstance(record, dict):
        return {}, f"holds a JSON {type(record).__name__}, not a run record"
    missing = [k for k in ("run_id", "pipeline", "status") if not isinstance(record.get(k), str)]
    tasks = record.get("tasks", [])
    if missing or not isinstance(tasks, list) or not all(
            isinstance(t, dict) and isinstance(t.get("kind"), str) for t in tasks):
        what = f"no {', '.join(missing)}" if missing else "a malformed task list"
        return {}, f"not a run record ({what})"
    if not isinstance(record.get("seconds"), (int, float, type(None))):
        return {}, "not a run record (seconds is not a number)"
    return record, ""

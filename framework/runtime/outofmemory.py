"""Telling that the driver JVM ran out of memory, in which task, and what to raise.

On a local master the driver's JVM runs every Spark task, so one heap holds the data of all the
run's tasks running side by side. When it runs out, Spark stops the JVM; every task running then
fails with a consequence (a refused connection, "SparkContext was shut down") and whichever
notices first would otherwise be reported. The cause is in Spark's log: an `OutOfMemoryError`
after "Exception in task ... in stage N". The stage names the task through the job group its jobs
ran under (`SparkProgress` remembers which task's jobs each stage belonged to).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_OOM = re.compile(r"java\.lang\.OutOfMemoryError(?::\s*([^\r\n]*))?")
# "Exception in task 0.0 in stage 8.0 (TID 7)\njava.lang.OutOfMemoryError: ..." (the executor)
# or "Lost task 0.0 in stage 8.0 (TID 7) (host executor driver): java.lang.OutOfMemoryError"
_STAGE = re.compile(r"in stage (\d+)\.\d+ \(TID \d+\)[^\n]*?(?:\n|: )java\.lang\.OutOfMemoryError")
_TAIL_BYTES = 4 * 2**20  # the end of the log is where the JVM's last words are


@dataclass(frozen=True)
class OutOfMemory:
    what: str  # "Java heap space", "GC overhead limit exceeded", ...
    stage: int | None  # the Spark stage whose task ran out, when the log says


def find(text: str) -> OutOfMemory | None:
    """The first OutOfMemoryError `text` (an error message or a log) mentions, and the stage
    of the task that hit it."""
    match = _OOM.search(text)
    if match is None:
        return None
    stage = _STAGE.search(text)
    what = (match.group(1) or "").strip() or "out of memory"
    return OutOfMemory(what, int(stage.group(1)) if stage else None)


def in_log(path: str) -> OutOfMemory | None:
    """`find` over the end of a log file (missing or unreadable: None)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - _TAIL_BYTES))
            return find(fh.read().decode("utf-8", "replace"))
    except OSError:
        return None


def hint(driver_memory: str | None, log_file: str) -> str:
    """What to raise, and where the JVM said it."""
    now = f"now {driver_memory}" if driver_memory else "Spark's default is 1g"
    return (f"give the driver more memory: `spark: driver_memory: 4g` in the pipeline ({now}; "
            f"on a local master the driver's heap holds the data of every task running at "
            f"once), or run fewer tasks side by side: `optimizations: parallel_tasks: 1`; "
            f"Spark's log: {log_file}")

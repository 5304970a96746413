"""Decisions taken from the size of a run's input before its JVM starts.

Some settings cannot change once the driver JVM runs (its JIT compilers, say), so they are taken
from an estimate of what the run will read: the files its sources name, as they are on disk, and
for a generator's tables the files it already landed with the same parameters or, when it will
generate them, the estimate its registration gives (`@generator(..., estimate=...)`).

`jit: auto` picks the JVM's quick C1-only compiler below `JIT_FULL_FROM` bytes of input and the
full tiered JIT (C1 then C2) from there: C2's optimised code repays its compile time once a run
spends more than about half a minute computing, and costs several seconds of compiling in a
shorter one (measured: ~115,000 events, quick 8 s faster; ~1,000,000 events, full ~10 s faster).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from framework.paths import data_path

if TYPE_CHECKING:
    from framework.plan import Plan
    from framework.registry import Registry
    from framework.spec import PipelineSpec

JIT_FULL_FROM = 48 * 2**20  # bytes of input from which `jit: auto` chooses the full JIT


@dataclass(frozen=True)
class InputEstimate:
    """Bytes a run is expected to read, and how much of that is a guess (tables to generate)."""

    bytes: int
    estimated: int = 0  # of which: generators' estimates of tables not landed yet
    unknown: tuple[str, ...] = ()  # sources or generators whose size could not be known

    def describe(self) -> str:
        mb = self.bytes / 2**20
        text = f"{mb:,.0f} MB of input" if mb >= 1 else f"{self.bytes:,} bytes of input"
        if self.estimated:
            text += f" ({self.estimated / 2**20:,.0f} MB of it to be generated, estimated)"
        if self.unknown:
            text += f"; size unknown: {', '.join(self.unknown)}"
        return text


def estimate_input(spec: PipelineSpec, plan: Plan, registry: Registry, data_dir: str,
                   regenerate: bool = False) -> InputEstimate:
    """What the run's sources will read, before any of it is read."""
    from framework.runtime.io import path_size
    from framework.runtime.landing import landed_with

    total = estimated = 0
    unknown: list[str] = []
    for task in plan.tasks():
        if task.kind != "generator":
            continue
        wanted = {"generator": task.generator, "params": task.params, "format": task.format}
        if not regenerate and landed_with(task.landing, wanted):
            total += path_size(task.landing)
            continue
        gdef = registry.generators.get(task.generator)
        guess = gdef.estimate(dict(task.params)) if gdef and gdef.estimate else None
        if guess is None:
            unknown.append(f"generator {task.id}")
        else:
            total, estimated = total + int(guess), estimated + int(guess)
    for source in spec.sources:
        if source.generated_by:
            continue  # counted with its generator
        size = _files_size(data_path(data_dir, source.path))
        if size is None:
            unknown.append(f"source {source.id}")
        else:
            total += size
    return InputEstimate(total, estimated, tuple(unknown))


def _files_size(path: str) -> int | None:
    """Bytes under a local path or glob pattern; None for a URI (hdfs://, s3a://)."""
    from framework.runtime.io import path_size

    if "://" in path:
        return None
    if os.path.exists(path):
        return path_size(path)
    return sum(path_size(p) for p in glob.glob(path))


def choose_jit(setting: str, estimate: InputEstimate | None) -> str:
    """`quick` or `full` for the driver JVM: as set, or for `auto` from the input's size (no
    estimate, as for `etl sql run` and `etl report`, which run a few queries: quick)."""
    if setting != "auto":
        return setting
    if estimate is None:
        return "quick"
    return "full" if estimate.bytes >= JIT_FULL_FROM else "quick"

"""What a transform or generator receives besides its inputs: the session, where it runs, and a
way to count rows without an extra pass over the data (`observe`)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framework.console import Console, NullConsole

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_IDS = itertools.count(1)


@dataclass
class Observed:
    """Metrics a step asked Spark to collect while its output is computed anyway."""

    step_id: str
    name: str
    observation: Any  # pyspark.sql.Observation


@dataclass
class Summary:
    """Turns a step's collected metrics (name -> {metric: value}) into one line for people."""

    step_id: str
    describe: Callable[[dict[str, dict[str, Any]]], str]


@dataclass
class TransformContext:
    spark: SparkSession
    step_id: str = "step"
    console: Console = field(default_factory=NullConsole)
    data_dir: str = "data"
    broadcast: tuple[str, ...] = ()  # input names the step marked for a broadcast hint
    views: dict[str, DataFrame] = field(default_factory=dict)  # every computed output so far
    observations: list[Observed] = field(default_factory=list)  # shared with the executor
    summaries: list[Summary] = field(default_factory=list)
    sql: str | None = None  # a SQL step's query (`sql:` in the pipeline), Jinja not yet rendered
    extra: dict[str, Any] = field(default_factory=dict)

    def info(self, message: str) -> None:
        self.console.info(f"[{self.step_id}] {message}")

    def observe(self, df: DataFrame, name: str, **metrics: Column) -> DataFrame:
        """`df` with aggregate `metrics` collected by the first job that computes it: counts
        without a pass of their own. The run record and the console get them afterwards."""
        from pyspark.sql import Observation

        obs = Observation(f"{self.step_id}.{name}.{next(_IDS)}")
        self.observations.append(Observed(self.step_id, name, obs))
        return df.observe(obs, *[col.alias(key) for key, col in metrics.items()])

    def summarize(self, describe: Callable[[dict[str, dict[str, Any]]], str]) -> None:
        """Once every observation of this step is in, report `describe(metrics)`."""
        self.summaries.append(Summary(self.step_id, describe))


def _done(observed: Observed) -> bool:
    jo = getattr(observed.observation, "_jo", None)
    try:
        return jo is not None and bool(jo.future().isCompleted())
    except Exception:  # an older Spark without the future: never block on it
        return False


def collect_observed(observations: list[Observed], summaries: list[Summary]
                     ) -> list[tuple[str, dict[str, dict[str, Any]], str | None]]:
    """(step id, metrics, message) for each step whose observations have all completed; the
    collected ones are removed from both lists. Never blocks."""
    steps = {o.step_id for o in observations}
    results = []
    for step_id in sorted(steps):
        mine = [o for o in observations if o.step_id == step_id]
        if not all(_done(o) for o in mine):
            continue
        metrics = {o.name: dict(o.observation.get) for o in mine}
        messages = [s.describe(metrics) for s in summaries if s.step_id == step_id]
        results.append((step_id, metrics, "; ".join(messages) or None))
        for o in mine:  # removed one by one: a step on another thread may be appending
            observations.remove(o)
        for s in [s for s in summaries if s.step_id == step_id]:
            summaries.remove(s)
    return results

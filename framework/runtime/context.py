"""What a transform or generator receives besides its inputs: the session and where it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framework.console import Console, NullConsole

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass
class TransformContext:
    spark: SparkSession
    step_id: str = "step"
    console: Console = field(default_factory=NullConsole)
    data_dir: str = "data"
    broadcast: tuple[str, ...] = ()  # input names the step marked for a broadcast hint
    views: dict[str, DataFrame] = field(default_factory=dict)  # every published step output
    extra: dict[str, Any] = field(default_factory=dict)

    def info(self, message: str) -> None:
        self.console.info(f"[{self.step_id}] {message}")

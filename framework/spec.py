"""The pipeline spec: frozen dataclasses a validated YAML document becomes. No I/O, no pyspark.

Every object keeps `loc` (where it was declared) and `locs` (field path -> Location, e.g.
"inputs[1]" or "params.on") so later checks (graph, plan) can point at the exact line.
Data locations (`path`, landing, warehouse) are kept as written: relative ones resolve against the
data directory at run time. File references (schema files, SQL templates, report) are resolved
against the pipeline file's folder by the builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from framework.checks import CheckSpec, Threshold
from framework.dialects import spark_ident
from framework.errors import Location

MALFORMED_POLICIES = ("fail", "drop", "quarantine")
SINK_MODES = ("overwrite", "append", "overwrite_partitions")
FILE_FORMATS = ("csv", "json", "parquet")
STORAGE_LEVELS = (
    "MEMORY_ONLY", "MEMORY_AND_DISK", "MEMORY_AND_DISK_DESER", "DISK_ONLY",
    "MEMORY_ONLY_2", "MEMORY_AND_DISK_2", "OFF_HEAP",
)
COMPRESSIONS = ("snappy", "zstd", "gzip", "lz4", "none")
# A pipeline's name becomes part of its run ids, hence of folder names under `runs/`.
PIPELINE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$(?![\s\S])"  # no final line break either


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Spark SQL type name: string, int, bigint, double, decimal(10,2), timestamp, ...
    nullable: bool = True


@dataclass(frozen=True)
class TableSchema:
    columns: tuple[Column, ...]
    origin: Location | None = None  # the schema file or inline mapping it came from

    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def ddl(self) -> str:
        """Spark DDL string, e.g. "`a` string, `b` int"."""
        return ", ".join(f"{spark_ident(c.name)} {c.type}" for c in self.columns)


@dataclass(frozen=True)
class GeneratorSpec:
    """A synthetic source: a registered generator run with params, landed as raw files."""

    id: str
    generator: str
    params: dict[str, Any]
    landing_path: str  # folder; each output table lands in <landing_path>/<table>
    landing_format: str = "csv"
    loc: Location | None = None
    locs: dict[str, Location] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSpec:
    """One input table read from files (possibly landed by a generator)."""

    id: str
    format: str
    path: str
    schema: TableSchema | None = None
    generated_by: str | None = None  # generator id when declared as `generated: gen.table`
    table: str | None = None  # the generator's output table
    options: dict[str, str] = field(default_factory=dict)  # reader options (header, sep, ...)
    on_malformed: str = "fail"
    encoding: str | None = None  # the files' character set (Spark's reader option); None: UTF-8
    allow_empty: bool = False  # a read of 0 rows is refused unless the source allows it
    max_malformed: Threshold | None = None  # above it (count or share of rows) the run fails
    checks: tuple[CheckSpec, ...] = ()  # run on the rows read (the valid ones)
    loc: Location | None = None
    locs: dict[str, Location] = field(default_factory=dict)


@dataclass(frozen=True)
class Repartition:
    num: int | None = None
    by: tuple[str, ...] = ()
    coalesce: bool = False  # coalesce(num) instead of a shuffle


@dataclass(frozen=True)
class StepSpec:
    id: str
    transform: str  # "sql" for SQL steps
    inputs: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    sql: str | None = None
    cache: str | None = None  # a storage level, or None
    broadcast: tuple[str, ...] = ()  # inputs to mark with a broadcast hint
    repartition: Repartition | None = None
    tags: tuple[str, ...] = ()
    description: str = ""
    checks: tuple[CheckSpec, ...] = ()  # run on the step's output when it is computed
    loc: Location | None = None
    locs: dict[str, Location] = field(default_factory=dict)


@dataclass(frozen=True)
class SinkSpec:
    table: str
    source: str  # the step or source id (`from:` in YAML)
    partition_by: tuple[str, ...] = ()
    mode: str = "overwrite"
    repartition: Repartition | None = None
    compression: str | None = None  # None: the warehouse default
    targets: tuple[str, ...] = ("parquet",)
    description: str = ""
    primary_key: tuple[str, ...] = ()
    references: dict[str, str] = field(default_factory=dict)  # column -> "other_table.column"
    indexes: tuple[tuple[str, ...], ...] = ()
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # column -> {description..}
    checks: tuple[CheckSpec, ...] = ()  # `checks:` and the `columns:` shorthand, on the staged
    # version before the swap
    loc: Location | None = None
    locs: dict[str, Location] = field(default_factory=dict)

    def foreign_keys(self) -> list[tuple[str, str, str]]:
        """(column, referenced table, referenced column) of each `references` entry."""
        return [(col, *ref.partition(".")[::2]) for col, ref in self.references.items()]

    def column_description(self, name: str) -> str:
        value = (self.columns.get(name) or {}).get("description")
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class SparkSpec:
    master: str = "local[*]"
    app_name: str | None = None
    driver_memory: str | None = None
    conf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Optimizations:
    adaptive: bool = True
    coalesce_partitions: bool = True
    skew_join: bool = True
    shuffle_partitions: int | str = "auto"  # a number, or "auto"
    broadcast_threshold: str = "10MB"
    auto_cache: bool = True  # cache a step that feeds two or more consumers
    storage_level: str = "MEMORY_AND_DISK"
    jit: str = "auto"  # "quick": C1-only JIT; "full": C1 then C2; "auto": from the input size
    parallel_tasks: int | str = "auto"  # tasks run at once: a number, or "auto"


@dataclass(frozen=True)
class WarehouseSpec:
    path: str = "warehouse"  # Parquet warehouse folder (data-dir relative)
    compression: str = "snappy"
    postgres_dsn: str | None = None  # already substituted from the environment; never logged
    postgres_schema: str = "public"


@dataclass(frozen=True)
class SqlSpec:
    """The `sql:` section: the Jinja SQL templates folder (framework.sqltemplates) and the views
    and queries the pipeline offers ("all": every template in views/ or queries/)."""

    templates: str | None = None  # folder, resolved against the pipeline file
    views: tuple[str, ...] | str = "all"
    queries: tuple[str, ...] | str = "all"
    loc: Location | None = None
    locs: dict[str, Location] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    file: str  # the pipeline file as given
    base_dir: str  # its folder (absolute)
    description: str = ""
    vars: dict[str, Any] = field(default_factory=dict)
    spark: SparkSpec = field(default_factory=SparkSpec)
    optimizations: Optimizations = field(default_factory=Optimizations)
    generators: tuple[GeneratorSpec, ...] = ()
    sources: tuple[SourceSpec, ...] = ()
    steps: tuple[StepSpec, ...] = ()
    sinks: tuple[SinkSpec, ...] = ()
    warehouse: WarehouseSpec = field(default_factory=WarehouseSpec)
    sql: SqlSpec | None = None
    report: str | None = None
    spec_hash: str = ""  # sha256 of the resolved document (after substitution)
    secret_vars: frozenset[str] = frozenset()  # variables never shown (they flow into a DSN, ...)

    def source(self, sid: str) -> SourceSpec | None:
        return next((s for s in self.sources if s.id == sid), None)

    def step(self, sid: str) -> StepSpec | None:
        return next((s for s in self.steps if s.id == sid), None)

    def generator(self, gid: str) -> GeneratorSpec | None:
        return next((g for g in self.generators if g.id == gid), None)

"""Runs pipeline tests on one local Spark session, with the pipeline's own code.

For each test: its fixtures become DataFrames (a source's rows get its declared schema; a step's
rows get the columns and types the step really outputs, found by running the steps before it
on empty sources, or the `columns:` the test declares); the steps between the fixtures and the
target run through the runtime's own step runner (`framework.runtime.tasks`), exactly as
`etl run` computes them, checks left out; a sink target is published by the sink runner into a
scratch warehouse and read back as readers of the warehouse read it. The rows are collected
and compared (`framework.testing.compare`); each test's verdict and diff go to the console.

One session serves every test of a run (an already running one is used and left running).
Nothing is read from or written to the data directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from framework.console import Console, NullConsole
from framework.errors import EtlError, Problem, SpecError, did_you_mean, printable
from framework.plan import build_plan
from framework.registry import Registry
from framework.runtime.record import RunRecord, TaskRecord, new_run_id
from framework.runtime.state import RunOptions, RunState
from framework.runtime.tasks import runner_for
from framework.testing.compare import Output, compare, diff_lines
from framework.testing.model import Fixture, PipelineTest
from framework.testing.scope import scope, upstream_sources
from framework.testing.suite import Prepared
from framework.testing.values import convert, infer, normalize

TEST_MASTER = "local[2]"
TEST_SHUFFLE_PARTITIONS = 2  # a few rows each: more partitions only cost scheduling


class TestsFailed(EtlError):
    """Some tests failed: their diffs were shown."""

    __test__ = False
    exit_code = 1


class _FixtureProblems(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Result:
    test: PipelineTest
    status: str  # passed | failed | error (the test file is wrong: problems)
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Report:
    results: list[Result]
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def line(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in ("passed", "failed", "error")
                 if self.count(s) or s == "passed"]
        return f"{len(self.results)} test(s): {', '.join(parts)} in {self.seconds:.1f}s"


def run_tests(prepared: list[Prepared], console: Console, registry: Registry,
              spark: Any = None) -> Report:
    """Run every prepared test on one session (`spark`, else one started for them)."""
    t0 = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="etl-test-")
    owned = False
    try:
        if spark is None:
            spark, owned = _session(prepared[0].spec, scratch)
        runner = _Runner(spark, registry, scratch)
        console.stage("test", len(prepared))
        results = [runner.run(p, n, console) for n, p in enumerate(prepared)]
    finally:
        if owned:
            spark.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    report = Report(results, time.monotonic() - t0)
    console.show(report.line())
    return report


def verdict(report: Report, rerun: str) -> None:
    """Raise for a report that did not pass: SpecError (exit 2) when a test file is wrong,
    TestsFailed (exit 1) when tests failed."""
    problems = [p for r in report.results for p in r.problems]
    if problems:
        raise SpecError(problems)
    failed = [r.test.name for r in report.results if r.status == "failed"]
    if failed:
        names = ", ".join(repr(n) for n in failed[:5]) + (", ..." if len(failed) > 5 else "")
        raise TestsFailed(f"{len(failed)} of {len(report.results)} test(s) failed: {names}",
                          hint=f"the diffs are above; fix the step or the expected rows, then "
                               f"rerun one with: {rerun} -k {_quoted(failed[0])}")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _session(spec, scratch: str) -> tuple[Any, bool]:
    """The running session (left running), else a local one for the tests (stopped after)."""
    from framework.runtime import classarchive
    from framework.runtime.session import (
        build_session,
        prewarm,
        running_session,
        session_settings,
    )

    running = running_session()
    if running is not None:
        return running, False
    opts = replace(spec.optimizations, shuffle_partitions=TEST_SHUFFLE_PARTITIONS, jit="quick")
    log_file = os.path.join(scratch, "spark.log")
    settings = session_settings(replace(spec.spark, master=TEST_MASTER), opts,
                                f"etl-test-{spec.name}", log_file,
                                classarchive.runtime_options())
    spark = build_session(settings, log_file)
    prewarm(spark)  # one-time set-up costs paid beside the first test, as a run does
    return spark, True


class _Runner:
    def __init__(self, spark: Any, registry: Registry, scratch: str):
        self.spark, self.registry, self.scratch = spark, registry, scratch
        self.schemas: dict[tuple[str, str], Any] = {}  # (spec hash, step key) -> StructType

    def run(self, prepared: Prepared, n: int, console: Console) -> Result:
        test = prepared.test
        label = f"{test.target.replace(':', ' ')}"
        console.task_started(test.name, f"{test.name} ({label})")
        t0 = time.monotonic()
        result = self.outcome(prepared, n)
        result.seconds = time.monotonic() - t0
        mark = {"passed": "succeeded", "failed": "failed", "error": "failed"}[result.status]
        console.task_finished(test.name, mark, f"{label}, {result.seconds:.1f}s")
        if result.status == "failed":
            where = f"{test.loc}" if test.loc else test.file
            console.show("\n".join([f"FAILED {test.name}  ({where}, target {label})",
                                    *(f"  {line}" for line in result.lines)]))
        return result

    def outcome(self, prepared: Prepared, n: int) -> Result:
        test = prepared.test
        try:
            output = self.compute(prepared, os.path.join(self.scratch, f"test-{n}"))
        except _FixtureProblems as exc:
            return Result(test, "error", problems=exc.problems)
        except Exception as exc:  # the code under test failed: that is the test failing
            return Result(test, "failed", lines=[f"the target could not be computed: "
                                                 f"{_short(exc)}"])
        diff = compare(test.expect, output)
        if diff.problems:
            return Result(test, "error", problems=diff.problems)
        return Result(test, "passed" if diff.passed else "failed",
                      lines=[] if diff.passed else diff_lines(diff, test.expect))

    # -- computing the target --------------------------------------------------------------
    def state(self, prepared: Prepared, data_dir: str) -> RunState:
        # its own warehouse, even when the pipeline names an absolute one
        spec = replace(prepared.spec, warehouse=replace(
            prepared.spec.warehouse, path=os.path.join(data_dir, "warehouse")))
        plan = build_plan(spec, data_dir, None, prepared.graph)
        record = RunRecord(run_id=new_run_id(spec.name), pipeline=spec.name, file=spec.file,
                           spec_hash=spec.spec_hash, data_dir=data_dir)
        state = RunState(spec, plan, RunOptions(data_dir=data_dir), NullConsole(),
                         self.registry, record)
        state.spark = self.spark
        return state

    def compute(self, prepared: Prepared, data_dir: str) -> Output:
        test, spec, graph = prepared.test, prepared.spec, prepared.graph
        state = self.state(prepared, data_dir)
        problems: list[Problem] = []
        for fixture in test.given:
            try:
                state.outputs[fixture.name] = self.fixture_frame(prepared, fixture)
            except _FixtureProblems as exc:
                problems += exc.problems
        if problems:
            raise _FixtureProblems(problems)
        steps = scope(spec, graph, test.target, [f.key for f in test.given]).steps
        self.run_steps(state, steps)
        if test.target_kind == "sink":
            return collect(self.publish(state, test.target))
        return collect(state.outputs[test.target_id])

    def run_steps(self, state: RunState, steps: tuple[str, ...]) -> None:
        """The steps, in order, by the runtime's own runner; no cache, no checks."""
        for key in steps:
            task = replace(state.plan.task(key), cache=None, checks=())
            runner_for(task)(task, TaskRecord(key, task.kind, task.id), state)

    def publish(self, state: RunState, key: str):
        """The sink published (Parquet only, no checks) into the test's own warehouse, read
        back as `etl sql run` and the report read the warehouse."""
        from framework.runtime.io import literal_path

        task = replace(state.plan.task(key), checks=(), targets=("parquet",),
                       postgres_table=None)
        rec = TaskRecord(key, task.kind, task.id)
        runner_for(task)(task, rec, state)
        return self.spark.read.parquet(literal_path(rec.path))

    # -- fixtures ---------------------------------------------------------------------------
    def fixture_frame(self, prepared: Prepared, fixture: Fixture):
        from pyspark.sql.types import StructType

        schema = self.fixture_schema(prepared, fixture)
        types = {f.name: normalize(f.dataType.simpleString()) for f in schema.fields}
        problems, rows = [], []
        what = "source" if fixture.key.startswith("source:") else "step"
        for column in fixture.rows.columns:
            if column not in types:
                i = next(i for i, r in enumerate(fixture.rows.rows) if column in r)
                problems.append(Problem(
                    f"{what} {fixture.name!r} has no column {column!r}",
                    fixture.rows.cell(i, column), hint=did_you_mean(
                        column, list(types), f"its columns: {', '.join(types)}")))
        for i, row in enumerate(fixture.rows.rows):
            values = []
            for column, kind in types.items():
                try:
                    values.append(convert(row.get(column), kind))
                except ValueError as exc:
                    values.append(None)
                    problems.append(Problem(f"{fixture.name}.{column} ({kind}): {exc}",
                                            fixture.rows.cell(i, column),
                                            hint="write a value of the column's type, or null"))
            rows.append(tuple(values))
        if problems:
            raise _FixtureProblems(problems)
        return self.spark.createDataFrame(rows, StructType(schema.fields))

    def fixture_schema(self, prepared: Prepared, fixture: Fixture):
        """A source's declared schema; else the step's real output columns (or a schemaless
        source's columns from the rows), with the `columns:` the test declares."""
        from pyspark.sql.types import StructField, StructType

        source = prepared.spec.source(fixture.name)
        if source is not None and source.schema is not None:
            return StructType.fromDDL(source.schema.ddl())
        base = self.output_schema(prepared, fixture.key) if source is None else None
        if base is None:  # the rows' own types: YAML and JSON values typed, CSV text
            base = _struct({c: infer([r.get(c) for r in fixture.rows.rows])
                            for c in fixture.rows.columns})
        fields = {f.name: f for f in base.fields}
        fields.update({f.name: f for f in _struct(fixture.types).fields})
        # nullable: a column the rows leave out is null, whatever the step promises
        return StructType([StructField(f.name, f.dataType, True) for f in fields.values()])

    def output_schema(self, prepared: Prepared, key: str):
        """The columns step `key` outputs: the steps up to it run on empty sources with their
        declared schemas (Spark only analyses them: no job). None when a source on the way
        declares no schema or a step cannot run on empty input."""
        from pyspark.sql.types import StructType

        spec, graph = prepared.spec, prepared.graph
        cache_key = (spec.spec_hash, key)
        if cache_key not in self.schemas:
            sources = upstream_sources(spec, graph, key)
            declared = {s: spec.source(s.partition(":")[2]) for s in sources}
            schema = None
            if all(src is not None and src.schema is not None for src in declared.values()):
                state = self.state(prepared, os.path.join(self.scratch, "schemas"))
                for src in declared.values():
                    state.outputs[src.id] = self.spark.createDataFrame(
                        [], StructType.fromDDL(src.schema.ddl()))
                try:
                    self.run_steps(state, scope(spec, graph, key, sources).steps)
                    schema = state.outputs[key.partition(":")[2]].schema
                except Exception:  # e.g. a step that needs rows: the rows' own types then
                    schema = None
            self.schemas[cache_key] = schema
        return self.schemas[cache_key]


def _struct(types: dict[str, str]):
    """A StructType of nullable columns from {name: Spark SQL type}."""
    from pyspark.sql.types import StructType

    from framework.dialects import spark_ident

    ddl = ", ".join(f"{spark_ident(name)} {kind}" for name, kind in types.items())
    return StructType.fromDDL(ddl) if ddl else StructType([])


def collect(df) -> Output:
    """The DataFrame's rows as Python values: timestamps as aware UTC datetimes (read as
    microseconds, whatever this process's time zone), nested rows as mappings."""
    from pyspark.sql import functions as F

    from framework.dialects import spark_ident

    types = {f.name: normalize(f.dataType.simpleString()) for f in df.schema.fields}
    cols = [F.unix_micros(F.col(spark_ident(c))).alias(c) if kind == "timestamp"
            else F.col(spark_ident(c)) for c, kind in types.items()]
    rows = []
    for row in df.select(*cols).collect():
        values = {}
        for (column, kind), value in zip(types.items(), row, strict=True):
            if kind == "timestamp" and value is not None:
                value = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)
            values[column] = _plain(value)
        rows.append(values)
    return Output(tuple(types), types, tuple(rows))


def _plain(value: Any) -> Any:
    from pyspark.sql import Row

    if isinstance(value, Row):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _short(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, EtlError) else str(exc).strip() or type(exc).__name__
    lines = [ln for ln in text.splitlines() if ln.strip()]
    head = printable(" ".join(lines[:3])[:600])
    return head if isinstance(exc, EtlError) else f"{type(exc).__name__}: {head}"

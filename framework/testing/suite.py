"""Which tests an `etl test` runs, each with the pipeline built with its own variables.

`--select` picks tests by their target, as `etl run` picks steps (`scope.selected`); `-k` by a
part of their name. A test's `vars` (over the file's `vars`, over `--var`) are applied by
loading the pipeline again with them as overrides, the way `--var` is, so its steps get the
parameters those variables give; a pipeline those variables break is a problem of the test.
No pyspark.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from framework.errors import Problem, SpecError, UsageError
from framework.graph import Graph
from framework.registry import Registry
from framework.spec import PipelineSpec
from framework.testing.model import PipelineTest, TestFile
from framework.testing.scope import selected
from framework.testing.testfile import load_tests, suite_path


@dataclass(frozen=True)
class Prepared:
    """A test and the pipeline (spec and graph) it runs against."""

    test: PipelineTest
    spec: PipelineSpec
    graph: Graph


def choose(files: Sequence[TestFile], graph: Graph, select: Sequence[str] = (),
           names: Sequence[str] = ()) -> list[PipelineTest]:
    """The tests `--select` (by target) and `-k` (a part of the name, any case) pick."""
    tests = [t for f in files for t in f.tests]
    if select:
        keys = selected(graph, select)
        tests = [t for t in tests if t.target in keys]
    if names:
        tests = [t for t in tests if any(n.casefold() in t.name.casefold() for n in names)]
    if not tests:
        every = [t for f in files for t in f.tests]
        targets = sorted({t.target_id for t in every})
        what = " ".join([*(f"--select {s}" for s in select), *(f"-k {n!r}" for n in names)])
        raise UsageError(f"no test matches {what}",
                         hint=f"the tests target: {', '.join(targets)}" if targets else None)
    return tests


def prepare(path: str, tests: Sequence[PipelineTest], base: tuple[PipelineSpec, Graph],
            overrides: Mapping[str, str], registry: Registry) -> list[Prepared]:
    """Each test with its pipeline; SpecError naming every test whose variables break it."""
    from framework.validate import load_checked

    built: dict[tuple, tuple[PipelineSpec, Graph] | None] = {(): base}
    out, problems = [], []
    for test in tests:
        key = tuple(sorted(test.vars.items()))
        if key not in built:
            try:
                built[key] = tuple(load_checked(path, {**overrides, **test.vars},
                                                registry=registry))  # type: ignore[assignment]
            except SpecError as exc:
                built[key] = None
                first = exc.problems[0].format().replace("\n    hint:", ";")
                problems.append(Problem(
                    f"with the vars of test {test.name!r} the pipeline is not valid: {first}",
                    test.vars_loc or test.loc, hint="give the variables values the pipeline "
                    "accepts (`etl validate PIPELINE --var NAME=VALUE` shows every problem)"))
        pipeline = built[key]
        if pipeline is not None:
            out.append(Prepared(test, *pipeline))
    if problems:
        raise SpecError(problems)
    return out


def collect(pipeline_file: str, test_files: Sequence[str], base: tuple[PipelineSpec, Graph],
            select: Sequence[str], names: Sequence[str], overrides: Mapping[str, str],
            registry: Registry) -> list[Prepared]:
    """The tests `etl test` runs: every problem of every test file at once (SpecError), the
    selection applied, each test with its pipeline."""
    paths = list(test_files) or [suite_path(pipeline_file)]
    for path in paths:
        if not os.path.isfile(path):
            raise UsageError(f"no test file {path}",
                             hint="write the tests there (README: Testing a pipeline), or name "
                                  "the test file with --tests FILE")
    files, problems = [], []
    for path in paths:
        try:
            files.append(load_tests(path, *base))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)
    chosen = choose(files, base[1], select, names)
    return prepare(pipeline_file, chosen, base, overrides, registry)

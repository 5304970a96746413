"""The `etl` command: thin wrappers, one engine call each, one error handler for exit codes.

Exit codes: 0 ok, 1 a run failed (published tables untouched), 2 invalid pipeline or arguments,
3 something outside the pipeline is missing (Java, a writable folder). Heavy imports (pyspark,
the transforms) are deferred so `etl --help` is instant.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from framework.errors import EnvironmentProblem, EtlError, SpecError, UsageError
from framework.paths import LOCAL_ONLY_HINT, written_uri

DATA_DIR_ENV = "ETL_DATA_DIR"


def _terminal(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=stderr)


def handle_errors(func: Callable) -> Callable:
    """Map engine errors to messages and exit codes; a traceback only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return func(*args, **kwargs)
        except EtlError as exc:
            if debug:
                raise
            _report(exc, _secrets())
            sys.exit(exc.exit_code)
        except OSError as exc:  # a file-system fault no check above foresaw: still no traceback
            if debug:
                raise
            from framework.runtime.folders import os_problem

            problem = os_problem(exc)
            _report(problem, _secrets())
            sys.exit(problem.exit_code)
        except KeyboardInterrupt:
            _terminal(stderr=True).print("[yellow]interrupted[/]: published tables are unchanged")
            sys.exit(130)

    return wrapper


def _report(exc: EtlError, secrets: list[str]) -> None:
    from rich.markup import escape

    from framework.masking import hide
    from framework.text import printable_lines

    def shown(text: str) -> str:  # no secret, no markup, no control character
        return escape(printable_lines(hide(text, secrets)))

    err = _terminal(stderr=True)
    if isinstance(exc, SpecError):
        for problem in exc.problems:
            err.print(f"[red]error[/] {shown(problem.format())}")
        err.print(f"[red]{shown(exc.message)}[/]")
        return
    err.print(f"[red]error:[/] {shown(exc.message)}")
    if exc.hint:
        err.print(f"  [dim]hint:[/] {shown(exc.hint)}")


# -- secret values: once a pipeline is loaded, nothing the CLI prints shows them ---------------
def _secrets() -> list[str]:
    """The loaded pipeline's secret values (see `_load`); none before a pipeline is loaded."""
    return click.get_current_context().find_root().meta.get("etl.secrets", [])


def _hidden_plan(plan: Any, secrets: list[str]) -> Any:
    """The plan with its tasks' details (params, SQL, paths) hidden, as `etl plan` shows it."""
    from dataclasses import replace

    from framework.checks import CheckSpec
    from framework.masking import hide_all

    def hidden(value: Any) -> Any:  # a check's name is made from its params (or its label)
        if isinstance(value, tuple) and value and isinstance(value[0], CheckSpec):
            return tuple(replace(c, params=hide_all(c.params, secrets),
                                 label=hide_all(c.label, secrets)) for c in value)
        return hide_all(value, secrets)

    return replace(plan, stages=tuple(
        replace(stage, tasks=tuple(t.map_facts(hidden) for t in stage.tasks))
        for stage in plan.stages))


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--var {pair!r} is not NAME=VALUE",
                             hint="write it as --var sessions=1000")
        out[key.strip()] = value
    return out


def _data_dir(value: str | None) -> str:
    """The data directory as an absolute path; an empty one (an unset shell variable, most
    likely) is refused rather than read as the current folder's ./data."""
    if value is not None and not value.strip():
        raise UsageError("--data-dir is empty",
                         hint="give it a folder (a shell variable that is not set expands to "
                              "nothing), or leave --data-dir out to use ./data")
    env = os.environ.get(DATA_DIR_ENV)
    if value is None and env is not None and not env.strip():
        raise UsageError(f"{DATA_DIR_ENV} is set but empty",
                         hint=f"set it to a folder, or unset it (unset {DATA_DIR_ENV}) to use "
                              f"./data")
    chosen = value or env or "data"
    if written_uri(chosen):
        raise UsageError(f"the data directory {chosen!r} (--data-dir or {DATA_DIR_ENV}) is a "
                         f"URI, not a folder", hint=LOCAL_ONLY_HINT)
    return os.path.abspath(chosen)


def pipeline_options(func: Callable) -> Callable:
    """--var, --data-dir, --select and --target, shared by plan and run."""
    func = click.option("--target", type=click.Choice(["parquet", "postgres"]), default=None,
                        help="postgres: load every table into PostgreSQL too (the DSN from "
                             "warehouse.postgres.dsn, else $PG_DSN). Default: as the pipeline "
                             "says.")(func)
    func = click.option("--select", "-s", "select", multiple=True, metavar="EXPR",
                        help="Only these: STEP, STEP+ (and downstream), +STEP (and upstream), "
                             "tag:NAME. Repeatable.")(func)
    func = click.option("--data-dir", envvar=DATA_DIR_ENV, type=click.Path(file_okay=False),
                        help=f"Where raw data, warehouse, runs and reports live "
                             f"(default ./data, or ${DATA_DIR_ENV}).")(func)
    func = click.option("--var", "-v", "vars_", multiple=True, metavar="NAME=VALUE",
                        help="Override a pipeline variable. Repeatable.")(func)
    return func


def _load(path: str, vars_: tuple[str, ...], target: str | None = None):
    """The valid spec and its graph, built once: `plan` and `run` hand it to `build_plan`."""
    from framework.masking import secret_values
    from framework.registry import REGISTRY
    from framework.validate import load_checked

    REGISTRY.load_plugins()
    checked = load_checked(path, overrides=parse_vars(vars_), registry=REGISTRY, target=target)
    click.get_current_context().find_root().meta["etl.secrets"] = secret_values(
        checked.spec.vars, checked.spec.secret_vars)
    return checked


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(package_name="sparketl")
def cli(debug: bool) -> None:
    """Declarative ETL on Apache Spark: validate, plan and run YAML pipelines."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--var", "-v", "vars_", multiple=True, metavar="NAME=VALUE")
@handle_errors
def validate(files: tuple[str, ...], vars_: tuple[str, ...]) -> None:
    """Check pipeline files, and the test file beside each (<pipeline>.tests.yaml); every
    problem is reported at once, each with file:line."""
    from framework.registry import REGISTRY
    from framework.testing.suite import collect
    from framework.testing.testfile import suite_path

    out, problems = _terminal(), []
    for path in files:
        try:
            checked = _load(path, vars_)
            _check_report(checked.spec)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        spec = checked.spec
        out.print(f"[green]ok[/] {path}: {len(spec.sources)} sources, {len(spec.steps)} steps, "
                  f"{len(spec.sinks)} sinks")
        tests = suite_path(path)
        if not os.path.isfile(tests):
            continue
        try:  # what `etl test --list` checks: the file, its fixtures and targets; no Spark
            prepared = collect(path, [tests], (spec, checked.graph), (), (), parse_vars(vars_),
                               REGISTRY)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        out.print(f"[green]ok[/] {tests}: {len(prepared)} test(s)")
    if problems:
        raise SpecError(problems)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pipeline_options
@click.option("--format", "fmt", type=click.Choice(["tree", "json"]), default="tree",
              show_default=True)
@handle_errors
def plan(file: str, vars_: tuple[str, ...], data_dir: str | None, select: tuple[str, ...],
         target: str | None, fmt: str) -> None:
    """Show what a run would do, without starting Spark."""
    from framework.explain import plan_json_text, plan_tree
    from framework.plan import build_plan

    spec, graph = _load(file, vars_, target)
    the_plan = _hidden_plan(build_plan(spec, _data_dir(data_dir), list(select), graph),
                            _secrets())
    if fmt == "json":
        click.echo(plan_json_text(the_plan))
    else:
        _terminal().print(plan_tree(the_plan))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pipeline_options
@click.option("--regenerate", is_flag=True,
              help="Generate raw data again even when it was landed with the same parameters.")
@click.option("--no-report", is_flag=True,
              help="Do not build the report bundle the pipeline names (`etl report` builds it "
                   "later).")
@handle_errors
def run(file: str, vars_: tuple[str, ...], data_dir: str | None, select: tuple[str, ...],
        target: str | None, regenerate: bool, no_report: bool) -> None:
    """Run a pipeline: generate, read, transform and publish its tables, then build the report
    bundle it names (a whole run only: not with --select)."""
    from framework.masking import HidingConsole, hiding_output
    from framework.plan import build_plan
    from framework.richconsole import RichConsole
    from framework.runtime.executor import RunOptions, run_pipeline

    spec, graph = _load(file, vars_, target)
    with_report = bool(spec.report) and not select and not no_report
    if with_report:  # a report that cannot be built is said before any work (exit 2)
        _check_report(spec)
    directory = _data_dir(data_dir)
    the_plan = build_plan(spec, directory, list(select), graph)
    options = RunOptions(data_dir=directory, select=tuple(select), regenerate=regenerate,
                         vars=dict(spec.vars), overrides=tuple(vars_), target=target,
                         stop_session=not with_report)  # the report's queries reuse it
    console = RichConsole(_terminal())
    with hiding_output(_secrets()):
        try:
            record = run_pipeline(spec, the_plan, options, HidingConsole(console, _secrets()))
        except BaseException:
            if with_report:  # left running for the report, which a failed run does not get
                _stop_session()
            raise
        finally:
            console.close()
    _terminal().print(f"[dim]run record: {os.path.join(record.folder, 'run.json')}[/]",
                      soft_wrap=True)  # a path broken over two lines cannot be copied
    if with_report:
        _report_after_run(spec, directory, record, file)


def _check_report(spec) -> None:
    """The report the pipeline names, checked like the pipeline (SpecError: located, exit 2)."""
    if spec.report:
        from framework.report.bundle import pipeline_report

        pipeline_report(spec)


def _report_after_run(spec, directory: str, record, file: str) -> None:
    """Build the bundle of the run that just succeeded on its still running session. The
    tables are published whatever happens here: a failure says so and how to build it again."""
    import time

    from framework.masking import hiding_output
    from framework.report.bundle import make_bundle
    from framework.runtime.session import running_session

    again = f"etl report {file} --run {record.run_id} --data-dir {directory}"
    t0 = time.monotonic()
    try:
        with hiding_output(_secrets()):
            bundle = make_bundle(spec, directory, run=record.to_json(), spark=running_session())
    except SpecError:  # the report's own mistakes (a column a query lacks), located
        _terminal(stderr=True).print(
            f"[red]the run succeeded and its tables are published, but its report could not be "
            f"built[/]; fix the report, then: {again}")
        raise
    except EtlError as exc:
        raise EtlError(f"the run succeeded and its tables are published, but its report "
                       f"could not be built: {exc.message}",
                       hint=f"{exc.hint + '; then ' if exc.hint else ''}build it with: {again}"
                       ) from exc
    finally:
        _stop_session()
    _terminal().print(f"report: {os.path.join(bundle.folder, 'index.html')} ({bundle.charts} "
                      f"charts, {bundle.tables} sections, {time.monotonic() - t0:.1f}s)",
                      soft_wrap=True)


def _stop_session() -> None:
    from framework.runtime.session import stop_running_session

    stop_running_session()


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--var", "-v", "vars_", multiple=True, metavar="NAME=VALUE",
              help="Override a pipeline variable (a small scale is enough). Repeatable.")
@click.option("--data-dir", envvar=DATA_DIR_ENV, type=click.Path(file_okay=False),
              help=f"Where sources with a relative path are read from, as for `etl run` "
                   f"(default ./data, or ${DATA_DIR_ENV}); nothing is written there.")
@click.option("--if-missing", is_flag=True,
              help="Do nothing when an archive for this Java and Spark already exists.")
@click.option("--prune", is_flag=True,
              help="Also delete archives recorded for another Java or Spark (~180 MB each).")
@handle_errors
def warmup(file: str, vars_: tuple[str, ...], data_dir: str | None, if_missing: bool,
           prune: bool) -> None:
    """Record a class-data archive so later runs start Spark about twice as fast.

    Runs FILE once in a scratch folder (your data is not touched; sources with a relative path
    are read from --data-dir) and keeps the JVM's archive of the classes it loaded, keyed by Java
    and Spark version. Set ETL_CLASS_ARCHIVE=off to not use it.
    """
    from framework.masking import HidingConsole, hiding_output
    from framework.richconsole import RichConsole
    from framework.runtime import classarchive
    from framework.runtime.warmup import warmup as record_archive

    spec, graph = _load(file, vars_)
    directory = _data_dir(data_dir)
    existing = classarchive.archive_path()
    if if_missing and existing and os.path.isfile(existing):
        _terminal().print(f"class-data archive: {existing} (already recorded)")
    else:
        console = RichConsole(_terminal())
        with hiding_output(_secrets()):
            try:
                result = record_archive(spec, HidingConsole(console, _secrets()), directory,
                                        graph)
            finally:
                console.close()
        _terminal().print(f"class-data archive: {result.archive} "
                          f"({result.size / 2**20:.0f} MB, recorded in {result.seconds:.0f} s); "
                          f"later runs on this Java and Spark start from it")
    for path, size in classarchive.prune() if prune else []:
        _terminal().print(f"removed {path} ({size / 2**20:.0f} MB, for another Java or Spark)")


@cli.command("test")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--tests", "-t", "test_files", multiple=True, type=click.Path(dir_okay=False),
              metavar="FILE",
              help="The test file (default: <pipeline>.tests.yaml beside it). Repeatable.")
@click.option("--select", "-s", "select", multiple=True, metavar="EXPR",
              help="Only tests whose target these pick, as for `etl run`: STEP, STEP+, +STEP, "
                   "tag:NAME (a step brings its sinks). Repeatable.")
@click.option("-k", "names", multiple=True, metavar="TEXT",
              help="Only tests whose name contains TEXT (any case). Repeatable.")
@click.option("--var", "-v", "vars_", multiple=True, metavar="NAME=VALUE",
              help="Override a pipeline variable (a test's own vars win). Repeatable.")
@click.option("--list", "list_only", is_flag=True,
              help="Check the test file and list the tests that would run; no Spark.")
@handle_errors
def pipeline_tests(file: str, test_files: tuple[str, ...], select: tuple[str, ...],
                   names: tuple[str, ...], vars_: tuple[str, ...], list_only: bool) -> None:
    """Run the pipeline's tests: fixture rows in, expected rows out, computed on local Spark
    with the steps' own code. Exit 1 when a test fails (its diff is shown), 2 when a test
    file is wrong."""
    import shlex

    from framework.masking import HidingConsole, hiding_output
    from framework.registry import REGISTRY
    from framework.richconsole import RichConsole
    from framework.testing.suite import collect

    spec, graph = _load(file, vars_)
    prepared = collect(file, test_files, (spec, graph), select, names, parse_vars(vars_),
                       REGISTRY)
    if list_only:
        from framework.richconsole import escape

        term = _terminal()
        for p in prepared:
            term.print(f"{escape(p.test.name)}  [dim]{p.test.target.replace(':', ' ')}  "
                       f"({escape(str(p.test.loc))})[/]", soft_wrap=True)
        return
    from framework.testing.runner import run_tests, verdict  # pyspark: only when tests run

    console = RichConsole(_terminal())
    with hiding_output(_secrets()):
        try:
            report = run_tests(prepared, HidingConsole(console, _secrets()), REGISTRY)
        finally:
            console.close()
    rerun = shlex.join(["etl", "test", file, *(a for v in vars_ for a in ("--var", v)),
                        *(a for t in test_files for a in ("--tests", t))])
    verdict(report, rerun)


@cli.command()
@click.argument("name")
@click.option("--from", "samples", type=click.Path(file_okay=False), metavar="FOLDER",
              help="Propose sources from the sample CSV files of FOLDER (copied into the new "
                   "folder; review the proposed types).")
@click.option("--dir", "parent", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Where to create the folder NAME.")
@handle_errors
def init(name: str, samples: str | None, parent: str) -> None:
    """Scaffold a pipeline folder NAME: the pipeline, its tests, schemas, SQL, a report and
    sample data; it validates, plans, runs and tests as it is."""
    from framework.registry import REGISTRY
    from framework.scaffold import create

    if not parent.strip():
        raise UsageError("--dir is empty", hint="give a folder, or leave --dir out")
    REGISTRY.load_plugins()
    made = create(name, parent, REGISTRY, samples)
    term = _terminal()
    term.print(f"created {made.folder}/ ({len(made.files)} files)", soft_wrap=True,
               markup=False)
    for sample in made.samples:
        types = ", ".join(f"{c.name} {c.type}" for c in sample.columns)
        term.print(f"  source {sample.id}: {types}", soft_wrap=True, markup=False)
    pipeline = os.path.join(made.folder, f"{name}.yaml")
    term.print("next:", soft_wrap=True)
    for command in (f"etl validate {pipeline}", f"etl test {pipeline}",
                    f"etl run {pipeline}"):
        term.print(f"  {command}", soft_wrap=True, markup=False)


@cli.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              default="schema/pipeline.schema.json", show_default=True,
              help="Where to write the JSON Schema ('-' for standard output).")
@handle_errors
def schema(output: str) -> None:
    """Write the pipeline JSON Schema (for editor validation and autocompletion)."""
    import json

    from framework.registry import REGISTRY
    from framework.schema import editor_schema, write_schema

    if not output.strip():
        raise UsageError("-o is empty", hint="give a file name, or '-' for standard output")
    REGISTRY.load_plugins()
    if output == "-":
        click.echo(json.dumps(editor_schema(REGISTRY), indent=2))
        return
    try:
        written = write_schema(output, REGISTRY)  # whole or not at all: an old file stays intact
    except OSError as exc:
        from framework.runtime.folders import reason

        where = os.fsdecode(exc.filename) if exc.filename else output
        raise EnvironmentProblem(
            f"cannot write the schema to {output}: {reason(exc)}"
            + (f" ({where})" if where != output else ""),
            hint="choose a writable place with -o FILE ('-' for standard output)") from exc
    click.echo(f"wrote {written}")


@cli.command()
@click.option("--output", "-o", type=click.Path(file_okay=False), default="docs",
              show_default=True, help="The folder the pages are written to.")
@click.option("--sql-templates", "templates", type=click.Path(file_okay=False),
              help="A SQL templates folder whose macros/ to document (default: ./sql_templates "
                   "when it has macros/, else the built-in macros).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when a page is missing or differs from what would be "
                   "written.")
@handle_errors
def docs(output: str, templates: str | None, check: bool) -> None:
    """Write the reference pages (Markdown): transforms and generators, installed plugins' too,
    every pipeline key, the check rules and the SQL macros."""
    from framework.refdocs import render_docs, stale_docs, write_docs
    from framework.registry import REGISTRY

    if not output.strip():
        raise UsageError("-o is empty", hint="give a folder, e.g. -o docs")
    if templates is None:
        from framework.sqltemplates import BUILTIN_TEMPLATES

        own = os.path.isdir(os.path.join("sql_templates", "macros"))
        templates = "sql_templates" if own else str(BUILTIN_TEMPLATES)
    elif not os.path.isdir(os.path.join(templates, "macros")):
        raise UsageError(f"{templates} has no macros/ folder",
                         hint="give the templates folder a pipeline names under sql.templates")
    REGISTRY.load_plugins()
    for message in REGISTRY.load_errors:
        _terminal(stderr=True).print(f"[yellow]warning:[/] {message}")
    pages = render_docs(REGISTRY, templates)
    if check:
        stale = stale_docs(output, pages)
        if stale:
            raise EtlError(f"{len(stale)} of {len(pages)} reference pages under {output} differ "
                           f"from what `etl docs` writes: {', '.join(stale)}",
                           hint=f"run `etl docs -o {output}` and commit the pages")
        click.echo(f"{len(pages)} reference pages under {output} are current")
        return
    try:
        written = write_docs(output, pages)
    except OSError as exc:
        from framework.runtime.folders import reason

        raise EnvironmentProblem(f"cannot write the reference under {output}: {reason(exc)}",
                                 hint="choose a writable folder with -o DIR") from exc
    click.echo(f"wrote {len(written)} pages under {output}: {', '.join(pages)}")


@cli.command()
@click.argument("name", required=False)
@handle_errors
def transforms(name: str | None) -> None:
    """List registered transforms and generators, or show one with its parameters."""
    from framework.catalog import show_catalog, show_transform
    from framework.registry import REGISTRY

    REGISTRY.load_plugins()
    term = _terminal()
    for message in REGISTRY.load_errors:
        term.print(f"[yellow]warning:[/] {message}")
    term.print(show_transform(REGISTRY, name) if name else show_catalog(REGISTRY))


@cli.command()
@click.option("--data-dir", envvar=DATA_DIR_ENV, type=click.Path(file_okay=False))
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=1))
@handle_errors
def runs(data_dir: str | None, limit: int) -> None:
    """List recent runs with their status and tables."""
    from rich.table import Table

    from framework.richconsole import escape  # a record may hold anything: shown escaped
    from framework.runtime.record import list_runs

    records = list_runs(_data_dir(data_dir), limit)
    if not records:
        click.echo(f"no runs under {_data_dir(data_dir)}")
        return
    table = Table("run", "pipeline", "status", "time", "tables", "error")
    for r in records:
        sinks = [t for t in r.get("tasks", []) if t["kind"] == "sink"]
        done = sum(1 for t in sinks if t.get("status") == "succeeded")
        secs = f"{r['seconds']:.1f}s" if r.get("seconds") is not None else ""
        error = str(r.get("error") or "")
        unreadable = r["status"] == "unreadable"
        table.add_row(escape(str(r["run_id"])), escape(str(r["pipeline"])),
                      escape(str(r["status"])), secs,
                      "" if unreadable else f"{done}/{len(sinks)}",
                      "(below)" if unreadable else escape(error[:80]))
    term = _terminal()
    term.print(table)
    for r in records:  # whole, on lines of their own: the path is what to look at
        if r["status"] == "unreadable":
            term.print(f"[yellow]unreadable run record:[/] {escape(r['error'])}", soft_wrap=True)


@cli.group()
def sql() -> None:
    """The analysts' SQL of a pipeline's `sql:` section: render it for Spark SQL or PostgreSQL."""


@sql.command("render")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dialect", "-d", type=click.Choice(["spark", "postgres"]), default="spark",
              show_default=True, help="The SQL dialect to write.")
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Write ddl/, views/ and queries/ under this folder (default: print them).")
@click.option("--var", "-v", "vars_", multiple=True, metavar="NAME=VALUE",
              help="Override a pipeline variable. Repeatable.")
@click.option("--data-dir", envvar=DATA_DIR_ENV, type=click.Path(file_okay=False),
              help=f"Where the warehouse is: the DDL takes each table's columns from its "
                   f"published version (default ./data, or ${DATA_DIR_ENV}).")
@handle_errors
def sql_render(file: str, dialect: str, out: str | None, vars_: tuple[str, ...],
               data_dir: str | None) -> None:
    """Render the pipeline's DDL, views and queries for one dialect (no JVM)."""
    from framework.atomicfile import write_text
    from framework.sqlsection import render_section

    spec = _load(file, vars_).spec
    if spec.sql is None:
        raise UsageError(f"{file} has no sql: section",
                         hint="add `sql: {templates: ../sql_templates}` to the pipeline")
    rendered = render_section(spec, dialect, _data_dir(data_dir))
    if out is None:
        for name, text in rendered.items():
            click.echo(f"-- {name} ({dialect})\n{text.rstrip()}\n")
        return
    if not out.strip():
        raise UsageError("--out is empty", hint="give a folder, or leave --out out to print")
    for name, text in rendered.items():
        write_text(os.path.join(out, *name.split("/")), text, make_folders=True)
    _terminal().print(f"wrote {len(rendered)} {dialect} SQL files under {out}")


@sql.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("query")
@click.option("--target", "-t", type=click.Choice(["spark", "postgres"]), default="spark",
              show_default=True,
              help="spark: the published Parquet tables; postgres: the schema `etl run --target "
                   "postgres` loaded.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("--var", "-v", "vars_", multiple=True, metavar="NAME=VALUE",
              help="Override a pipeline variable. Repeatable.")
@click.option("--data-dir", envvar=DATA_DIR_ENV, type=click.Path(file_okay=False),
              help=f"Where the warehouse is (default ./data, or ${DATA_DIR_ENV}).")
@handle_errors
def sql_run(file: str, query: str, target: str, fmt: str, vars_: tuple[str, ...],
            data_dir: str | None) -> None:
    """Run one query (or view) of the pipeline's sql: section and print its rows."""
    import tempfile

    from framework.errors import did_you_mean
    from framework.runtime.sqlrun import offered, run_query

    spec = _load(file, vars_, "postgres" if target == "postgres" else None).spec
    names = offered(spec)
    if query not in names:
        raise UsageError(f"{file} offers no query or view {query!r}",
                         hint=did_you_mean(query, list(names),
                                           "`etl sql render FILE` lists what it offers"))
    with tempfile.TemporaryDirectory(prefix="etl-sql-") as logs:
        result = run_query(spec, names[query], target, _data_dir(data_dir), logs)
    _print_rows(result, fmt)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--run", "run_id", metavar="ID",
              help="The run to report on (default: the pipeline's latest succeeded run).")
@click.option("--target", "-t", type=click.Choice(["spark", "postgres"]), default="spark",
              show_default=True,
              help="spark: the published Parquet tables; postgres: the schema `etl run --target "
                   "postgres` loaded.")
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Write the bundle here (default: <data-dir>/reports/<run id>).")
@click.option("--var", "-v", "vars_", multiple=True, metavar="NAME=VALUE",
              help="Override a pipeline variable. Repeatable.")
@click.option("--data-dir", envvar=DATA_DIR_ENV, type=click.Path(file_okay=False),
              help=f"Where the warehouse and runs are (default ./data, or ${DATA_DIR_ENV}).")
@handle_errors
def report(file: str, run_id: str | None, target: str, out: str | None, vars_: tuple[str, ...],
           data_dir: str | None) -> None:
    """Build the report bundle the pipeline names: charts, tables, SQL and one HTML page."""
    from framework.report.bundle import make_bundle

    spec = _load(file, vars_, "postgres" if target == "postgres" else None).spec
    if out is not None and not out.strip():
        raise UsageError("--out is empty", hint="give a folder, or leave --out out")
    bundle = make_bundle(spec, _data_dir(data_dir), run_id=run_id, target=target, out=out)
    _terminal().print(f"report: {os.path.join(bundle.folder, 'index.html')} "
                      f"({bundle.charts} charts, {bundle.tables} sections, "
                      f"{bundle.queries} queries, {bundle.seconds:.1f}s)", soft_wrap=True)


def _print_rows(result, fmt: str) -> None:
    import csv
    import json
    import sys

    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(["" if v is None else v for v in row] for row in result.rows)
    elif fmt == "json":
        click.echo(json.dumps([dict(zip(result.columns, row, strict=True))
                               for row in result.rows], indent=2, default=str))
    else:
        from rich.table import Table

        from framework.richconsole import escape  # values may hold anything: shown escaped

        table = Table(*(escape(c) for c in result.columns))
        for row in result.rows:
            table.add_row(*("" if v is None else escape(str(v)) for v in row))
        term = _terminal()
        term.print(table)
        term.print(f"[dim]{len(result.rows)} row(s)[/]")


def main() -> None:
    cli(prog_name="etl")


if __name__ == "__main__":
    main()

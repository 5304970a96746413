"""Runs a plan on Spark: generate, read, transform, publish -- the same stages `etl plan` explains.

Transforms are plain functions called with named DataFrames; every call into user code is wrapped
so a failure is reported as that step's failure. Sinks publish atomically
(framework.runtime.publish) so a failed or killed run leaves every published table as it was.
Tasks run on a few threads, each as soon as the tasks it reads have finished (`_Scheduler`).
The run record is rewritten after each task so an interrupted run still says how far it got.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from framework.console import Console
from framework.errors import EtlError, RunFailed, StepFailure, printable
from framework.masking import hide, mask_var, secret_values
from framework.plan import Plan, Task, data_path
from framework.registry import REGISTRY, Registry
from framework.runtime.context import Observed, Summary, TransformContext, collect_observed
from framework.runtime.folders import (
    DATA_DIR_HINT,
    full_disk_hint,
    is_disk_full,
    os_problem,
    require_apart,
    require_writable,
    written_by,
    written_folders,
)
from framework.runtime.record import RunRecord, TaskRecord, new_run_id
from framework.spec import PipelineSpec
from framework.text import human_size


@dataclass(frozen=True)
class RunOptions:
    data_dir: str = "data"
    select: tuple[str, ...] = ()
    regenerate: bool = False
    run_id: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()  # the --var NAME=VALUE given, for the command that reruns
    stop_session: bool = True
    class_archive: bool = True  # start the JVM from `etl warmup`'s archive when there is one
    java_options: tuple[str, ...] = ()  # more driver JVM options (the warmup's recording)


class StepError(EtlError):
    """User code (a transform, a generator, a source or a write) failed. The run adds the
    command that reruns what did not finish once the tasks running beside it have ended."""


def _jvm_gone(exc: BaseException) -> bool:
    """The driver JVM died (a crash, out of memory, killed): every call into it now fails."""
    from py4j.protocol import Py4JNetworkError

    return isinstance(exc, (ConnectionError, Py4JNetworkError))


class _LogFile(logging.FileHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """A log line that cannot be written (a full disk) is lost quietly: logging would print
        a traceback on the terminal instead."""


class _Hiding(logging.Formatter):
    """Log lines with the pipeline's secret values (and DSN passwords) masked: a failed query's
    context quotes the SQL, which may hold a value built from a secret variable."""

    def __init__(self, secrets: list[str]):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return hide(super().format(record), self.secrets)


@contextlib.contextmanager
def _python_log_to(path: str, secrets: list[str]):
    """Python logging of the run (py4j's complaints when the JVM dies, say) and library warnings
    (pyspark's UserWarnings) go to `path` in the run's folder, not the terminal; the handlers
    and warning display the process had come back afterwards."""
    from pyspark.logger import PySparkLogger

    root = logging.getLogger()
    # pyspark's loggers of a failed query's context write JSON to stderr and never propagate
    quiet = [PySparkLogger.getLogger(name) for name in _PYSPARK_STDERR_LOGGERS]
    saved, show = [lg.handlers[:] for lg in (root, *quiet)], warnings.showwarning
    handler = _LogFile(path, encoding="utf-8", delay=True)
    handler.setFormatter(_Hiding(secrets))
    for lg in (root, *quiet):
        lg.handlers = [handler]
    logging.captureWarnings(True)  # warnings become records of the `py.warnings` logger
    try:
        yield
    finally:
        logging.captureWarnings(False)
        warnings.showwarning = show
        for lg, handlers in zip((root, *quiet), saved, strict=True):
            lg.handlers = handlers
        handler.close()


_PYSPARK_STDERR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = [ln for ln in text.splitlines() if ln.strip()]
    head = " ".join(lines[:3])
    # the text may quote row data; a stack trace's tabs stay plain spaces
    return f"{type(exc).__name__}: {printable(head[:600].replace(chr(9), ' '))}"


class Executor:
    def __init__(self, spec: PipelineSpec, plan: Plan, options: RunOptions, console: Console,
                 registry: Registry | None = None):
        self.spec, self.plan, self.options, self.console = spec, plan, options, console
        self.registry = registry or REGISTRY
        self.outputs: dict[str, Any] = {}  # source/step id -> DataFrame
        self.cached: dict[str, set[str]] = {}  # cached node id -> sinks still to publish
        self.observations: list[Observed] = []  # counts steps asked Spark to collect
        self.summaries: list[Summary] = []
        self.record = RunRecord(
            run_id=options.run_id or new_run_id(spec.name), pipeline=spec.name, file=spec.file,
            spec_hash=spec.spec_hash, data_dir=options.data_dir, vars=dict(options.vars),
            selection=list(options.select), secret_vars=spec.secret_vars,
            tasks=[TaskRecord(t.key, t.kind, t.id) for t in plan.tasks()],
        )
        self.spark = None
        self._lock = threading.RLock()  # record, console, outputs and caches: tasks run in parallel
        self._jvm_lost: set[str] = set()  # tasks that failed because the JVM died under them
        self._first_failed: Task | None = None  # named first in the command that reruns
        self._lock_file = None  # the warehouse's one-run-at-a-time lock, while the run holds it
        self._record_unsaved = False  # a save of the record failed (said once on the console)

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> RunRecord:
        require_apart(self.spec, self.options.data_dir)  # before any work: exit 2 naming both
        require_writable(written_folders(self.spec, self.plan, self.options.data_dir))  # exit 3
        try:
            self.record.save()
        except OSError as exc:
            with contextlib.suppress(OSError):  # an empty run folder says nothing
                os.rmdir(self.record.folder)
            raise os_problem(exc, "cannot write the run record in", self.record.folder,
                             DATA_DIR_HINT) from exc
        with _python_log_to(os.path.join(self.record.folder, "python.log"),
                            secret_values(self.spec.vars, self.spec.secret_vars)):
            return self._run()

    def _run(self) -> RunRecord:
        from framework.runtime.progress import SparkProgress

        try:
            self._check_targets()
            self._prepare()
            self.spark = self._session()
            with SparkProgress(self.spark, self.console, self._running_keys), \
                    _Scheduler(self, self._threads()) as scheduler:
                for name, tasks in self._groups():
                    if name not in ("generate", "read"):  # every source is read by now
                        self._size_shuffles()
                    self.console.stage(name, len(tasks))
                    scheduler.run(tasks)
        except EtlError as exc:
            self._fail(exc)
            raise
        except Exception as exc:  # an engine bug or a JVM lost between tasks: still recorded
            if isinstance(exc, OSError) and not _jvm_gone(exc):  # a folder the run writes
                problem = os_problem(exc, "cannot write", self.options.data_dir, DATA_DIR_HINT)
                self._fail(problem)
                raise problem from exc
            what = f"the Spark JVM stopped ({_short(exc)})" if _jvm_gone(exc) else _short(exc)
            failed = RunFailed(f"the run stopped: {what}")
            self._fail(failed)
            raise failed from exc
        except KeyboardInterrupt:
            self.record.finish("interrupted", "interrupted by the user", self._resume_hint())
            self._save()
            raise
        finally:
            self._release_all()
            if self._lock_file is not None:
                self._lock_file.release()
            if self.spark is not None and self.options.stop_session:
                try:
                    self.spark.stop()
                except Exception:  # the JVM is already gone (it crashed): nothing to stop
                    pass
        self.record.finish("succeeded")
        self._save()
        self._summary()
        return self.record

    def _save(self) -> None:
        """Rewrite the run record. One that cannot be written (a full disk: the record falls
        back to a compact copy first) is said once, and the run goes on: the record is written
        again after each task and at the end, and the run's own error is what matters."""
        try:
            self.record.save()
        except OSError as exc:
            if not self._record_unsaved:
                self._record_unsaved = True
                self.console.warn(os_problem(exc, "the run record could not be written to",
                                             self.record.folder).message)

    def _groups(self) -> list[tuple[str, list[Task]]]:
        """The plan's stages as the scheduler runs them: generate, read, then the steps and
        sinks together (with one thread: steps, then sinks). Each group waits for the last, so
        every source is read before shuffle partitions are sized from what they read."""
        stages = {stage.name: list(stage.tasks) for stage in self.plan.stages}
        groups = [("generate", stages.get("generate", [])), ("read", stages.get("read", []))]
        if self._threads() > 1:
            groups.append(("transform + publish",
                           stages.get("transform", []) + stages.get("publish", [])))
        else:
            groups += [("transform", stages.get("transform", [])),
                       ("publish", stages.get("publish", []))]
        return [(name, tasks) for name, tasks in groups if tasks]

    def _running_keys(self) -> list[str]:
        with self._lock:
            return [t.key for t in self.record.tasks if t.status == "running"]

    def _check_targets(self) -> None:
        """A selected sink that loads PostgreSQL needs the server: connect before any work."""
        from framework.runtime.pgload import check_connection

        keys = {t.key for t in self.plan.tasks()}
        if any(f"sink:{s.table}" in keys and "postgres" in s.targets for s in self.spec.sinks):
            check_connection(self._postgres_target())

    def _prepare(self) -> None:
        from framework.runtime.publish import WarehouseLock, cleanup

        self.console.stage("prepare", 1)
        for folder in self.plan.prepare:
            os.makedirs(folder, exist_ok=True)
        self._lock_file = WarehouseLock(self._warehouse_dir(), self.record.run_id)
        self._lock_file.acquire()  # held until the run ends: nobody cleans up under our feet
        cleanup(self._warehouse_dir())

    def _session(self):
        from framework.runtime import classarchive
        from framework.runtime.session import build_session, prewarm, session_settings

        log_file = os.path.join(self.record.folder, "spark.log")
        java_options = list(self.options.java_options)
        if self.options.class_archive:
            java_options = classarchive.runtime_options() + java_options
        settings = session_settings(self.spec.spark, self.spec.optimizations,
                                    f"etl-{self.spec.name}", log_file, java_options)
        t0 = time.monotonic()
        spark = build_session(settings, log_file)
        self.record.spark = {"version": spark.version, "master": settings.master,
                             "app_name": settings.app_name, "conf": settings.conf,
                             "log": log_file, "startup_seconds": round(time.monotonic() - t0, 3)}
        if settings.master.startswith("local"):  # the driver's JVM runs the tasks too
            prewarm(spark)
        return spark

    def _size_shuffles(self) -> None:
        """`shuffle_partitions: auto` grows with the input read, so big inputs get blocks small
        enough to cache and sort; small inputs keep few partitions."""
        from framework.runtime.session import shuffle_partitions

        value = self.spec.optimizations.shuffle_partitions
        if value != "auto":
            return
        read = sum(t.bytes or 0 for t in self.record.tasks if t.kind == "source")
        n = shuffle_partitions(value, self.spec.spark.master, read)
        self.spark.conf.set("spark.sql.shuffle.partitions", str(n))
        self.record.spark.setdefault("conf", {})["spark.sql.shuffle.partitions"] = str(n)

    def _threads(self) -> int:
        """`parallel_tasks`: a number as given; auto: two per core of this machine, 2 to 8.
        Tasks spend much of their time waiting on the JVM (planning a query, checking files),
        so more tasks than cores keep the cores busy."""
        value = self.spec.optimizations.parallel_tasks
        if isinstance(value, int):
            return value
        return max(2, min(8, 2 * (os.cpu_count() or 1)))

    def _warehouse_dir(self) -> str:
        return data_path(self.options.data_dir, self.spec.warehouse.path)

    # -- one task --------------------------------------------------------------------------
    def _run_task(self, task: Task) -> None:
        rec = self.record.task(task.key)
        with self._lock:
            rec.status, rec.started = "running", self.record.elapsed()
            self.console.task_started(task.key, _describe(task))
        t0 = time.monotonic()
        try:
            self.spark.sparkContext.setJobGroup(task.key, task.key)  # per thread: per-task progress
            getattr(self, f"_run_{task.kind}")(task, rec)
        except EtlError as exc:
            self._task_failed(rec, t0, exc.message)
            self._first_failed = self._first_failed or task
            raise
        except Exception as exc:  # user code: report it as this task's failure
            full = is_disk_full(exc)
            where = written_by(self.spec, self.options.data_dir, task, exc, self.spark) \
                if full else ""
            short = f"no space left on device in {where}" if full else _short(exc)
            self._task_failed(rec, t0, short, jvm_gone=_jvm_gone(exc) or not self._jvm_answers())
            message, hint = f"{task.kind} {task.id!r} failed: {short}", None
            if task.key in self._jvm_lost:
                message, hint = self._jvm_gone_message(task, exc)
            elif full:
                hint = full_disk_hint(where)
            self._first_failed = self._first_failed or task
            raise StepError(message, hint=hint) from exc
        with self._lock:
            rec.seconds = round(time.monotonic() - t0, 3)
            rec.status = "succeeded" if rec.status == "running" else rec.status
            self.console.task_finished(task.key, rec.status, _detail(rec))
            self._report_observed()
            self._save()

    def _jvm_answers(self) -> bool:
        """The driver JVM still answers a call. A task whose call was cut off when the JVM died
        may see a plain Py4JError (an empty answer) rather than a lost connection."""
        if self.spark is None:
            return True
        try:
            self.spark.sparkContext._jvm.java.lang.System.nanoTime()
        except Exception:  # noqa: BLE001 (any failure to get an answer means no JVM)
            return False
        return True

    def _jvm_gone_message(self, task: Task, exc: Exception) -> tuple[str, str]:
        """What to say when the JVM died under `task`. Tasks running beside it lose the JVM at
        the same moment and any of them may notice first, so the message names them all."""
        from framework.runtime.session import JVM_OUT

        with self._lock:
            beside = [t for t in self.record.tasks if t.key != task.key
                      and (t.status == "running" or t.key in self._jvm_lost)]
        what = f"the Spark JVM stopped ({_short(exc)})"
        if beside:
            names = ", ".join(f"{t.kind} {t.id!r}" for t in beside)
            message = f"{what} while {task.kind} {task.id!r} and {names} were running"
        else:
            message = f"{task.kind} {task.id!r} failed: {what}"
        out = os.path.join(self.record.folder, JVM_OUT)
        return message, (f"see what the JVM printed last in {out} (java.lang.OutOfMemoryError "
                         f"there needs a bigger `spark: driver_memory`)")

    def _report_observed(self) -> None:
        """Counts observed by steps whose data has been computed since the last task."""
        for step_id, metrics, message in collect_observed(self.observations, self.summaries):
            rec = self.record.task(f"step:{step_id}")
            rec.metrics = metrics
            if message:
                rec.note = message
                self.console.info(f"[{step_id}] {message}")

    def _task_failed(self, rec: TaskRecord, t0: float, message: str,
                     jvm_gone: bool = False) -> None:
        with self._lock:
            if jvm_gone:
                self._jvm_lost.add(rec.key)
            rec.status, rec.error = "failed", message
            rec.seconds = round(time.monotonic() - t0, 3)
            self.console.task_finished(rec.key, "failed", message)

    def _run_generator(self, task: Task, rec: TaskRecord) -> None:
        from framework.runtime.io import check_landing, land_generated, landed_with, path_size

        gen = self.spec.generator(task.id)
        folder = data_path(self.options.data_dir, gen.landing_path)
        wanted = {"generator": gen.generator, "params": gen.params, "format": gen.landing_format}
        rec.path = folder
        if not self.options.regenerate and landed_with(folder, wanted):
            check_landing(folder, gen, landed=True)  # a file dropped in since is not its own
            rec.status, rec.note = "skipped", "raw data already landed for these parameters"
            rec.bytes = path_size(folder)
            return
        check_landing(folder, gen)  # before any work: files it did not write are never replaced
        gdef = self.registry.generators[gen.generator]
        tables = gdef.func(self._ctx(task.id), dict(gen.params))
        land_generated(tables, folder, gen.landing_format, self._threads(), wanted)
        rec.bytes = path_size(folder)

    def _run_source(self, task: Task, rec: TaskRecord) -> None:
        from framework.runtime.io import path_size, read_source

        src = self.spec.source(task.id)
        result = read_source(self.spark, src, self.options.data_dir, self.record.run_id)
        rec.malformed, rec.quarantine = result.malformed, result.quarantine_path
        rec.rows, rec.note = result.rows, "; ".join(result.notes)
        for message in result.warnings:
            self.console.warn(message)
        rec.path = data_path(self.options.data_dir, src.path)
        rec.bytes = path_size(rec.path) if "://" not in rec.path else None
        if result.malformed:
            self.console.warn(f"source {src.id!r}: {result.malformed} malformed row(s) "
                              f"{_POLICY_WORDS[src.on_malformed]}"
                              + (f" to {result.quarantine_path}" if result.quarantine_path else ""))
        self._set_output(task, result.df, rec)

    def _run_step(self, task: Task, rec: TaskRecord) -> None:
        step = self.spec.step(task.id)
        tdef = self.registry.transforms[step.transform]
        inputs = {name: self.outputs[name] for name in step.inputs}
        params = dict(step.params)
        if step.sql is not None:
            params["__sql__"] = step.sql
        result = tdef.func(self._ctx(step.id, step.broadcast), inputs, params)
        if isinstance(result, Mapping):
            for name, df in result.items():
                if name != step.id:
                    self.outputs[f"{step.id}.{name}"] = df
            result = result.get(step.id, next(iter(result.values())))
        from framework.runtime.publish import repartitioned

        self._set_output(task, repartitioned(result, step.repartition), rec)

    def _run_sink(self, task: Task, rec: TaskRecord) -> None:
        from framework.runtime.pgload import check_columns, read_published
        from framework.runtime.publish import publish_table

        sink = next(s for s in self.spec.sinks if s.table == task.id)
        df, expected = self.outputs[sink.source], None
        if "postgres" in sink.targets:  # before Parquet too: the sink is all or nothing
            check_columns(df.columns, sink)
        if "parquet" in sink.targets:
            compression = sink.compression or self.spec.warehouse.compression
            result = publish_table(df, self._warehouse_dir(), sink, compression,
                                   self.record.run_id)
            with self._lock:
                rec.rows, rec.path, rec.bytes, rec.files = (result.rows, result.path,
                                                            result.bytes, result.files)
            # PostgreSQL gets what this publish wrote, read back from the published version
            df, expected = read_published(self.spark, df, result, sink.mode)
        if "postgres" in sink.targets:
            self._load_postgres(sink, df, expected, rec)
        with self._lock:
            self._release_after(task.key)

    def _postgres_target(self):
        from framework.runtime.pgload import PostgresTarget

        wh = self.spec.warehouse
        if not wh.postgres_dsn:
            raise EtlError("a sink targets postgres but warehouse.postgres.dsn is not set",
                           hint="add warehouse: {postgres: {dsn: ${PG_DSN}}} and export PG_DSN")
        return PostgresTarget(wh.postgres_dsn, wh.postgres_schema)

    def _load_postgres(self, sink, df, expected: int | None, rec: TaskRecord) -> None:
        from framework.runtime.pgload import load_table

        staging = os.path.join(self._warehouse_dir(), ".staging")
        os.makedirs(staging, exist_ok=True)
        loaded = load_table(df, self._postgres_target(), sink, staging, expected)
        with self._lock:
            rec.rows = loaded.rows if rec.rows is None else rec.rows
            rec.postgres = {"table": loaded.table, "rows": loaded.rows,
                            "seconds": loaded.seconds, "views": list(loaded.views)}
            rec.note = f"postgres {loaded.table}"

    # -- helpers -----------------------------------------------------------------------------
    def _ctx(self, step_id: str, broadcast: tuple[str, ...] = ()) -> TransformContext:
        return TransformContext(spark=self.spark, step_id=step_id, console=self.console,
                                data_dir=self.options.data_dir, broadcast=broadcast,
                                views=self.outputs, observations=self.observations,
                                summaries=self.summaries)

    def _set_output(self, task: Task, df, rec: TaskRecord) -> None:
        if task.cache:
            from pyspark import StorageLevel

            df = df.persist(getattr(StorageLevel, task.cache))
            rec.cache = f"{task.cache} ({task.cache_reason})"
            rec.rows = df.count()  # materialise now: the step's real cost lands on the step
        with self._lock:  # tasks on other threads read outputs and release caches
            if task.cache:
                self.cached[task.id] = self._downstream_sinks(task.key)
            self.outputs[task.id] = df

    def _downstream_sinks(self, key: str) -> set[str]:
        by_key = {t.key: t for t in self.plan.tasks()}
        todo, sinks = [key], set()
        while todo:
            for consumer in by_key[todo.pop()].consumers:
                (sinks.add if consumer.startswith("sink:") else todo.append)(consumer)
        return sinks

    def _release_after(self, sink_key: str) -> None:
        for node, pending in list(self.cached.items()):
            pending.discard(sink_key)
            if not pending:
                self.outputs[node].unpersist()
                del self.cached[node]

    def _release_all(self) -> None:
        for node in list(self.cached):
            try:
                self.outputs[node].unpersist()
            except Exception:  # the session may already be gone
                pass
        self.cached.clear()

    def _resume_hint(self, task: Task | None = None) -> str:
        """The command that reruns only what did not finish: each unfinished step or sink that
        no other unfinished one feeds, with what depends on it (the failed task first). With
        tasks in parallel these can be on separate branches: a sink that was still waiting
        when another branch failed is named too."""
        unfinished = {t.key for t in self.record.tasks if t.kind in ("step", "sink")
                      and t.status in ("failed", "running", "pending")}
        by_key = {t.key: t for t in self.plan.tasks()}

        def fed_by_unfinished(key: str) -> bool:
            todo, seen = list(by_key[key].deps), set()
            while todo:
                dep = todo.pop()
                if dep in unfinished:
                    return True
                if dep not in seen and dep in by_key:
                    seen.add(dep)
                    todo.extend(by_key[dep].deps)
            return False

        roots = [t for t in self.plan.tasks() if t.key in unfinished
                 and not fed_by_unfinished(t.key)]
        roots.sort(key=lambda t: task is None or t.key != task.key)  # stable: plan order after
        command = self._rerun_command()
        if not roots or unfinished == {t.key for t in self.plan.tasks()
                                       if t.kind in ("step", "sink")}:
            again = "".join(f" --select {shlex.quote(s)}" for s in self.plan.selection)
            return f"fix the cause above, then run again: {command}{again}"
        names = {}
        for t in self.plan.tasks():
            names.setdefault(t.id, []).append(t.key)
        select = " ".join(f"--select {t.key if len(names[t.id]) > 1 else t.id}"
                          + ("+" if t.kind == "step" else "") for t in roots)
        return (f"fix the cause above; tables not published by this run are unchanged. Rerun "
                f"only what did not finish: {command} {select}")

    def _rerun_command(self) -> str:
        """`etl run` of this file with the same --var overrides and data folder."""
        parts = ["etl", "run", self.spec.file]
        for override in self.options.overrides:  # a secret's value is never repeated
            name, _, value = override.partition("=")
            parts += ["--var", f"{name}={mask_var(name, value, self.spec.secret_vars)}"]
        if os.path.abspath(self.options.data_dir) != os.path.abspath("data"):
            parts += ["--data-dir", self.options.data_dir]
        return " ".join(shlex.quote(p) for p in parts)

    def _fail(self, exc: EtlError) -> None:
        """Record the failure; a task's error gets the command that reruns what is left (every
        task has ended by now, so that is known)."""
        if self._first_failed is not None:
            resume = self._resume_hint(self._first_failed)
            exc.hint = f"{exc.hint}; {resume}" if exc.hint else resume
        hint = exc.hint or self._resume_hint()
        failures = [StepFailure(t.id, t.kind, t.error or "") for t in self.record.tasks
                    if t.status == "failed"]
        self.record.finish("failed", exc.message, hint)
        self._save()
        if isinstance(exc, RunFailed):
            exc.failures = failures

    def _summary(self) -> None:
        sinks = [t for t in self.record.tasks if t.kind == "sink"]
        rows = [[t.id, f"{t.rows:,}" if t.rows is not None else "",
                 _size(t.bytes), f"{t.seconds:.1f}s" if t.seconds is not None else ""]
                for t in sinks]
        columns = ["table", "rows", "size", "time"]
        if any(t.postgres for t in sinks):  # where each table went, when not only to Parquet
            columns.append("postgres")
            for row, t in zip(rows, sinks, strict=True):
                row.append(t.postgres["table"] if t.postgres else "")
        self.console.summary(f"Published {len(rows)} table(s) in {self.record.seconds:.1f}s",
                             columns, rows)


class _Scheduler:
    """Runs a group of tasks on a few threads, each as soon as the tasks it reads have finished,
    the earliest in plan order first (with one thread: one by one, in plan order).

    The first failure stops new tasks from starting; running ones finish (each publish is
    atomic) and the failure is raised in the main thread. An interrupt cancels Spark's jobs.
    """

    def __init__(self, executor: Executor, threads: int):
        self.ex, self.threads = executor, threads
        self.pool = None

    def __enter__(self) -> _Scheduler:
        if self.threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="etl-task")
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if self.pool is None:
            return
        if exc_type is KeyboardInterrupt:
            self.ex.spark.sparkContext.cancelAllJobs()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, tasks: list[Task]) -> None:
        if self.pool is None:
            for task in tasks:
                self.ex._run_task(task)
            return
        from concurrent.futures import FIRST_COMPLETED, wait

        keys = {t.key for t in tasks}
        done: set[str] = set()
        waiting, running = list(tasks), {}
        failure: BaseException | None = None
        while True:
            ready = [t for t in waiting if all(d in done or d not in keys for d in t.deps)]
            while failure is None and ready and len(running) < self.threads:
                task = ready.pop(0)
                waiting.remove(task)
                running[self.pool.submit(self.ex._run_task, task)] = task
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task = running.pop(future)
                if future.exception() is not None:
                    failure = failure or future.exception()
                else:
                    done.add(task.key)
        if failure is not None:
            raise failure
        if waiting:  # only a plan whose tasks wait on each other: build_plan never makes one
            raise RuntimeError(f"tasks never ready: {', '.join(t.key for t in waiting)}")


_POLICY_WORDS = {"fail": "refused", "drop": "dropped", "quarantine": "quarantined"}


def _describe(task: Task) -> str:
    d = task.detail
    if task.kind == "step":
        return f"{task.id} = {d['transform']}({', '.join(d['inputs'])})"
    if task.kind == "sink":
        return f"{task.id} <- {d['from']}"
    return f"{task.kind} {task.id}"


def _detail(rec: TaskRecord) -> str:
    bits = []
    if rec.rows is not None:
        bits.append(f"{rec.rows:,} rows")
    if rec.malformed:
        bits.append(f"{rec.malformed:,} malformed")
    if rec.note:
        bits.append(rec.note)
    if rec.seconds is not None:
        bits.append(f"{rec.seconds:.1f}s")
    return ", ".join(bits)


def _size(n: int | None) -> str:
    return "" if n is None else human_size(n)


def run_pipeline(spec: PipelineSpec, plan: Plan, options: RunOptions, console: Console,
                 registry: Registry | None = None) -> RunRecord:
    return Executor(spec, plan, options, console, registry).run()

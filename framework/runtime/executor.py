"""Runs a plan on Spark: the run's lifecycle around the tasks `etl plan` explains.

The executor checks the places the run writes, saves the run record, prepares the warehouse,
starts the session, hands each stage's tasks to the `Scheduler` (framework.runtime.scheduler) and
each task to the runner of its kind (framework.runtime.tasks). It words every failure as the
failure of a task -- with the command that reruns what did not finish (framework.runtime.rerun) --
and rewrites the run record after each task, so an interrupted run still says how far it got.
Sinks publish atomically: a failed or killed run leaves every published table as it was.
"""

from __future__ import annotations

import contextlib
import os
import time

from framework.console import Console
from framework.errors import EtlError, QualityError, RunFailed, StepError, StepFailure, printable
from framework.masking import secret_values
from framework.plan import Plan, Task
from framework.registry import REGISTRY, Registry
from framework.runtime.context import collect_observed
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
from framework.runtime.pylog import python_log_to
from framework.runtime.quality import summary_line
from framework.runtime.record import RunRecord, TaskRecord, new_run_id
from framework.runtime.rerun import rerun_command, rerun_hint
from framework.runtime.scheduler import Scheduler
from framework.runtime.state import RunOptions, RunState
from framework.runtime.tasks import runner_for
from framework.spec import PipelineSpec
from framework.text import human_size

__all__ = ["Executor", "RunOptions", "run_pipeline"]


def _jvm_gone(exc: BaseException) -> bool:
    """The driver JVM died (a crash, out of memory, killed): every call into it now fails."""
    from py4j.protocol import Py4JNetworkError

    return isinstance(exc, (ConnectionError, Py4JNetworkError))


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
        self.record = RunRecord(
            run_id=options.run_id or new_run_id(spec.name), pipeline=spec.name, file=spec.file,
            spec_hash=spec.spec_hash, data_dir=options.data_dir, vars=dict(options.vars),
            selection=list(options.select), secret_vars=spec.secret_vars,
            tasks=[TaskRecord(t.key, t.kind, t.id) for t in plan.tasks()],
        )
        self.state = RunState(spec, plan, options, console, registry or REGISTRY, self.record)
        self._lock = self.state.lock  # record, console, outputs and caches: tasks in parallel
        self.spark = None
        self._jvm_lost: set[str] = set()  # tasks that failed because the JVM died under them
        self._first_failed: Task | None = None  # named first in the command that reruns
        self._record_unsaved = False  # a save of the record failed (said once on the console)
        self._progress = None  # SparkProgress while the session runs (which task ran a stage)

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
        with python_log_to(os.path.join(self.record.folder, "python.log"),
                           secret_values(self.spec.vars, self.spec.secret_vars)):
            return self._run()

    def _run(self) -> RunRecord:
        from framework.runtime.progress import SparkProgress

        groups = self._groups()
        try:
            self._check_targets()
            for name, tasks in groups[:1]:  # prepare: before the session, on this thread
                self.console.stage(name, len(tasks))
                Scheduler(self._run_task, 1).run(tasks)
            self.spark = self.state.spark = self._session()
            self._progress = SparkProgress(self.spark, self.console, self._running_keys)
            with self._progress, \
                    Scheduler(self._run_task, self.state.threads(),
                              self.spark.sparkContext.cancelAllJobs) as scheduler:
                for name, tasks in groups[1:]:
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
            oom = self._out_of_memory(None, exc) if _jvm_gone(exc) else None
            what = f"the Spark JVM stopped ({_short(exc)})" if _jvm_gone(exc) else _short(exc)
            failed = RunFailed(*oom) if oom else RunFailed(f"the run stopped: {what}")
            self._fail(failed)
            raise failed from exc
        except KeyboardInterrupt:
            self.record.finish("interrupted", "interrupted by the user", self._rerun_hint())
            self._save()
            raise
        finally:
            self.state.release_all()
            if self.state.warehouse_lock is not None:
                self.state.warehouse_lock.release()
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
        """The plan's stages as the scheduler runs them, in order, the steps and sinks together
        (with one thread: steps, then sinks). Each group waits for the last, so every source is
        read before shuffle partitions are sized from what they read."""
        groups: list[tuple[str, list[Task]]] = []
        for stage in self.plan.stages:
            if stage.name == "publish" and self.state.threads() > 1 and groups \
                    and groups[-1][0] == "transform":
                groups[-1] = ("transform + publish", groups[-1][1] + list(stage.tasks))
            else:
                groups.append((stage.name, list(stage.tasks)))
        return [(name, tasks) for name, tasks in groups if tasks or name == "prepare"]

    def _running_keys(self) -> list[str]:
        with self._lock:
            return [t.key for t in self.record.tasks if t.status == "running"]

    def _check_targets(self) -> None:
        """A selected sink that loads PostgreSQL needs the server: connect before any work."""
        from framework.runtime.pgload import check_connection

        if any(t.kind == "sink" and "postgres" in t.targets for t in self.plan.tasks()):
            check_connection(self.state.postgres_target())

    def _session(self):
        from framework.runtime import classarchive
        from framework.runtime.session import JVM_LOG, build_session, prewarm, session_settings

        log_file = os.path.join(self.record.folder, "spark.log")
        java_options = list(self.options.java_options)
        archive = classarchive.runtime_options() if self.options.class_archive else []
        java_options = archive + java_options
        jit, why = self._jit()
        settings = session_settings(self.spec.spark, self.spec.optimizations,
                                    f"etl-{self.spec.name}", log_file, java_options, jit)
        t0 = time.monotonic()
        spark = build_session(settings, log_file)
        self.record.spark = {"version": spark.version, "master": settings.master,
                             "app_name": settings.app_name, "conf": settings.conf,
                             "log": log_file, "startup_seconds": round(time.monotonic() - t0, 3),
                             "jit": jit, "jit_reason": why}
        if archive:  # the JVM goes on without an archive it cannot use: say so
            path = archive[0].partition("=")[2]
            refused = classarchive.refused(os.path.join(self.record.folder, JVM_LOG))
            self.record.spark["class_archive"] = {"path": path, "used": refused is None,
                                                  **({"why": refused} if refused else {})}
            if refused:
                self.console.warn(classarchive.refused_message(path, refused))
        if settings.master.startswith("local"):  # the driver's JVM runs the tasks too
            prewarm(spark)
        return spark

    def _jit(self) -> tuple[str, str]:
        """The driver JVM's JIT mode; `auto` decides from the input the run will read."""
        from framework.runtime.sizing import JIT_FULL_FROM, choose_jit, estimate_input

        setting = self.spec.optimizations.jit
        if setting != "auto":
            return setting, "optimizations.jit"
        estimate = estimate_input(self.spec, self.plan, self.state.registry,
                                  self.options.data_dir, self.options.regenerate)
        jit = choose_jit(setting, estimate)
        side = "at least" if jit == "full" else "under"
        return jit, (f"jit: auto: {estimate.describe()}, {side} "
                     f"{JIT_FULL_FROM // 2**20} MB")

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

    # -- one task --------------------------------------------------------------------------
    def _run_task(self, task: Task) -> None:
        rec = self.record.task(task.key)
        with self._lock:
            rec.status, rec.started = "running", self.record.elapsed()
            self.console.task_started(task.key, task.label())
        t0 = time.monotonic()
        try:  # a JVM already gone fails here too: this task then reports it, cause first
            if self.spark is not None:  # per thread: per-task progress
                self.spark.sparkContext.setJobGroup(task.key, task.key)
            runner_for(task)(task, rec, self.state)
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
            oom = self._out_of_memory(task, exc)
            if oom:
                message, hint = oom
            elif task.key in self._jvm_lost:
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

    def _out_of_memory(self, task: Task | None, exc: Exception) -> tuple[str, str] | None:
        """When the JVM ran out of memory under this failure, say so first: which task's Spark
        job ran out (from Spark's log and the stages each task ran), what ran beside it, and
        which setting to raise. `task`: the one that noticed (None: the run noticed between
        tasks)."""
        from framework.runtime import outofmemory

        log_file = os.path.join(self.record.folder, "spark.log")
        # the failure may be a consequence ("SparkContext was shut down", a lost connection):
        # an OutOfMemoryError stops the JVM, so one in its log is the cause
        oom = outofmemory.find(str(exc))
        if oom is None or oom.stage is None:
            oom = outofmemory.in_log(log_file) or oom
        if oom is None:
            return None
        owners = self._progress.stage_owners if self._progress is not None else {}
        owner = owners.get(oom.stage) if oom.stage is not None else None
        culprit = next((t for t in self.plan.tasks() if t.key == owner), None)
        first = culprit or task
        with self._lock:
            beside = [f"{t.kind} {t.id!r}" for t in self.record.tasks
                      if (first is None or t.key != first.key)
                      and (t.status == "running" or t.key in self._jvm_lost)]
        where = f" in {culprit.kind} {culprit.id!r}" if culprit else ""
        message = f"the Spark JVM ran out of memory{where} (java.lang.OutOfMemoryError: {oom.what})"
        if culprit is None:
            names = ([f"{task.kind} {task.id!r}"] if task is not None else []) + beside
            if names:
                message += f" while {', '.join(names)} {'were' if len(names) > 1 else 'was'} " \
                           "running"
        elif beside:
            message += f"; {', '.join(beside)} ran beside it and stopped with it"
        return message, outofmemory.hint(self.spec.spark.driver_memory, log_file)

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
        for step_id, metrics, message in collect_observed(self.state.observations,
                                                          self.state.summaries):
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

    # -- the end ---------------------------------------------------------------------------
    def _rerun_hint(self, first_failed: Task | None = None) -> str:
        command = rerun_command(self.spec.file, self.options.overrides, self.options.data_dir,
                                self.spec.secret_vars, self.options.target)
        status = {t.key: t.status for t in self.record.tasks}
        return rerun_hint(self.plan.tasks(), status, command, self.plan.selection,
                          first_failed.key if first_failed else None)

    def _fail(self, exc: EtlError) -> None:
        """Record the failure; a task's error gets the command that reruns what is left (every
        task has ended by now, so that is known)."""
        if self._first_failed is not None:
            others = [t for t in self.record.tasks
                      if t.status == "failed" and t.key != self._first_failed.key]
            if others and isinstance(exc, QualityError):  # the scheduler raises the first only
                exc.message += "\n  also failed (said above): " + ", ".join(
                    f"{t.kind} {t.id!r}" for t in others)
            resume = self._rerun_hint(self._first_failed)
            exc.hint = f"{exc.hint}; {resume}" if exc.hint else resume
        hint = exc.hint or self._rerun_hint()
        if any(t.postgres for t in self.record.tasks):  # staged tables no load will take
            from framework.runtime.tasks.postgres import drop_unpublished

            drop_unpublished(self.state)
        failures = [StepFailure(t.id, t.kind, t.error or "") for t in self.record.tasks
                    if t.status == "failed"]
        self.record.finish("failed", exc.message, hint)
        self._save()
        if self.record.quality:
            self.console.info(f"data-quality {summary_line(self.record.quality)}")
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
        title = f"Published {len(rows)} table(s) in {self.record.seconds:.1f}s"
        if self.record.quality:
            title += f"; {summary_line(self.record.quality)}"
        self.console.summary(title, columns, rows)


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

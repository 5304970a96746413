"""Builds the one SparkSession a run uses, from the spec's `spark` and `optimizations` sections.

Also owns the Java check (Spark 4 needs Java 17+) and keeps Spark's own console output out of the
terminal: the JVM's log goes to a file in the run's folder and the console progress bar is off.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from framework.errors import EnvironmentProblem, printable
from framework.spec import Optimizations, SparkSpec

JAVA_HINT = (
    "install Java 17 or newer (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless; "
    "macOS: brew install openjdk@17) or set JAVA_HOME to a JDK 17+"
)

JVM_OUT = "jvm.out"  # in the run's folder: what the JVM prints to its own console
JVM_LOG = "jvm.log"  # in the run's folder: the JVM's own warnings (class-data archive notes)

_LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = {path}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{{ISO8601}} %p %c{{1}}: %m%n
logger.parquet.name = org.apache.parquet
logger.parquet.level = error
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = error
"""


JAVA_TIMEOUT = 30.0  # seconds `java -version` may take before it counts as hanging


def java_binary() -> str | None:
    """The `java` Spark would use ($JAVA_HOME/bin/java, else the PATH's), or None."""
    try:
        java = _find_java()[0]
    except EnvironmentProblem:
        return None
    return java if os.path.exists(java) else None


def java_version(timeout: float | None = None) -> int | None:
    """The major version of the `java` Spark would use, or None when there is none."""
    try:
        return require_java(0, timeout)
    except EnvironmentProblem:
        return None


def require_java(minimum: int = 17, timeout: float | None = None) -> int:
    """The major version of the `java` Spark would use; an EnvironmentProblem naming that Java
    (and JAVA_HOME when it chose it) when there is none, it cannot run, hangs, or is too old."""
    java, which = _find_java()
    if not os.access(java, os.X_OK) or os.path.isdir(java):
        raise EnvironmentProblem(f"{which} is not an executable program",
                                 hint=f"make it executable (chmod +x {java}) or {_fix(which)}")
    said, version = _run_version(java, which, JAVA_TIMEOUT if timeout is None else timeout)
    if version is None:
        raise EnvironmentProblem(
            f"{which} did not report a Java version" + (f" (it said: {said})" if said else ""),
            hint=f"{_fix(which)}; `{java} -version` should print `openjdk version \"17...\"`")
    if version < minimum:
        raise EnvironmentProblem(f"Java {version} was found ({which}); Spark 4 needs {minimum}+",
                                 JAVA_HINT)
    return version


def _find_java() -> tuple[str, str]:
    """The `java` to use and how to name it in a message."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = os.path.join(home, "bin", "java")
        if not os.path.lexists(java):
            what = ("a file, not a JDK folder" if os.path.isfile(home)
                    else "a folder without bin/java" if os.path.isdir(home)
                    else "a folder that does not exist")
            raise EnvironmentProblem(
                f"JAVA_HOME is {home}, {what}",
                hint="set JAVA_HOME to the folder of a JDK 17+ (the one holding bin/java), or "
                     "unset it to use the java on the PATH; " + JAVA_HINT)
        return java, f"JAVA_HOME's {java}"
    java = shutil.which("java")
    if java is None:
        raise EnvironmentProblem("Java was not found; Spark needs Java 17 or newer", JAVA_HINT)
    return java, f"the java on the PATH ({java})"


def _fix(which: str) -> str:
    if which.startswith("JAVA_HOME"):
        return "set JAVA_HOME to a JDK 17+ folder (or unset it to use the java on the PATH)"
    return "put a JDK 17+ first on the PATH or set JAVA_HOME to one"


def _run_version(java: str, which: str, timeout: float) -> tuple[str, int | None]:
    """What `java -version` printed (its last line, short) and the major version in it. A
    `java` that hangs is stopped (with whatever it started) after `timeout` seconds."""
    try:
        proc = subprocess.Popen([java, "-version"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:  # not a program this system can run (no #! line, wrong machine)
        raise EnvironmentProblem(f"{which} cannot be run: {exc.strerror or exc}",
                                 hint=_fix(which) + "; " + JAVA_HINT) from None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):  # a child of its own session
            proc.communicate(timeout=5)  # may hold the pipe open: never wait on it for ever
        raise EnvironmentProblem(
            f"{which} did not answer `java -version` within {timeout:g} s",
            hint=f"check that `{java} -version` prints a version and exits; {_fix(which)}"
        ) from None
    text = out.decode("utf-8", "replace")
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    said = printable(lines[-1][:200]) if lines else ""
    if not match:
        return said, None
    major = int(match.group(1))
    return said, int(match.group(2) or 0) if major == 1 else major


AUTO_BYTES_PER_PARTITION = 32 * 2**20


def shuffle_partitions(value: int | str, master: str, input_bytes: int = 0) -> int:
    """A number as given; "auto": four per core of a local master (200 on a cluster), raised
    to one per 32 MB of input once the sources are read (so cached blocks stay small), at most
    2,000. AQE then coalesces what turns out small."""
    if isinstance(value, int):
        return value
    by_size = min(2000, -(-input_bytes // AUTO_BYTES_PER_PARTITION))
    match = re.fullmatch(r"local\[(\d+|\*)(?:,\d+)?\]", master)
    cores = os.cpu_count() or 2
    if match and match.group(1) != "*":
        cores = int(match.group(1))
    elif not master.startswith("local"):
        return max(200, by_size)  # a cluster: Spark's default, AQE coalesces
    return max(4, 4 * cores, by_size)


@dataclass(frozen=True)
class SessionSettings:
    master: str
    app_name: str
    conf: dict[str, str]


def session_settings(spark: SparkSpec, opts: Optimizations, app_name: str,
                     log_file: str | None, java_options: Sequence[str] = (),
                     jit: str | None = None) -> SessionSettings:
    """Every Spark setting a run uses, derived from the spec (pure: tested without Spark).

    `java_options` go to the driver JVM after the spec's own (a class-data archive, say). `jit`:
    the JIT mode chosen for `jit: auto` (framework.runtime.sizing); without one, auto is quick."""
    from framework.runtime.sizing import choose_jit

    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.sql.adaptive.enabled": str(opts.adaptive).lower(),
        "spark.sql.adaptive.coalescePartitions.enabled": str(opts.coalesce_partitions).lower(),
        "spark.sql.adaptive.skewJoin.enabled": str(opts.skew_join).lower(),
        "spark.sql.shuffle.partitions": str(shuffle_partitions(opts.shuffle_partitions,
                                                               spark.master)),
        "spark.sql.autoBroadcastJoinThreshold": str(opts.broadcast_threshold),
        "spark.sql.sources.partitionOverwriteMode": "static",
        "spark.sql.parquet.compression.codec": "snappy",
        # SQL is Jinja-rendered by the engine: Spark's own ${...} substitution would expand
        # `${env:X}` (a secret into a table) and turn a written `$${` into something else
        "spark.sql.variable.substitute": "false",
    }
    java_opts = ["-Duser.timezone=UTC"]
    if (jit or choose_jit(opts.jit, None)) == "quick":
        # C1 only; its code cache would default to 48 MB, which a run followed by its report's
        # queries fills (the JVM then stops compiling and says so on standard output)
        java_opts += ["-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=240m"]
    if log_file:
        java_opts.append(f"-Dlog4j2.configurationFile=file:{log_file}.properties")
        jvm_log = os.path.join(os.path.dirname(log_file), JVM_LOG)
        # the JVM's own warnings (class-data archive notes, say) go to the same folder
        java_opts += ["-Xlog:disable", f"-Xlog:all=warning:file={jvm_log}"]
    java_opts.extend(java_options)
    # Spark splits this string like a shell: quote what holds a space (a path, say)
    ours = " ".join(f'"{o}"' if " " in o else o for o in java_opts)
    if spark.driver_memory:
        conf["spark.driver.memory"] = spark.driver_memory
    if spark.master.startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
        # Python UDFs run in worker processes; on this machine they get this interpreter (the
        # venv with the project's packages), not whatever `python3` comes first on the PATH
        conf["spark.pyspark.python"] = sys.executable
    conf.update({k: str(v) for k, v in spark.conf.items()})
    # the spec's own driver JVM options come after ours (the JVM takes the last of a repeated
    # flag), so they add to the time zone, log and archive settings rather than drop them
    theirs = conf.get("spark.driver.extraJavaOptions", "").strip()
    conf["spark.driver.extraJavaOptions"] = f"{ours} {theirs}".strip()
    return SessionSettings(spark.master, spark.app_name or app_name, conf)


def build_session(settings: SessionSettings, log_file: str | None = None):
    """Start (or reuse) the SparkSession; the JVM's log goes to `log_file`, and what the JVM
    itself prints (its start-up warnings, say) to `jvm.out` beside it."""
    require_java()
    console_file = None
    if log_file:
        os.makedirs(os.path.dirname(log_file), exist_ok=True)
        with open(f"{log_file}.properties", "w", encoding="utf-8") as fh:
            fh.write(_LOG4J.format(path=log_file))
        console_file = os.path.join(os.path.dirname(log_file), JVM_OUT)
    python = settings.conf.get("spark.pyspark.python")
    if python and not os.environ.get("PYSPARK_PYTHON"):
        os.environ["PYSPARK_PYTHON"] = python  # PySpark starts its UDF workers from this variable
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in settings.conf.items():
        builder = builder.config(key, value)
    try:
        with _stderr_to(console_file):
            session = builder.getOrCreate()
    except Exception as exc:
        if "JAVA_GATEWAY_EXITED" not in str(exc):
            raise
        said = _tail(console_file)
        raise EnvironmentProblem(
            "the Spark JVM exited while starting" + (f": {said}" if said else ""),
            hint="check the driver settings in the pipeline's `spark:` section (driver_memory, "
                 "conf: spark.driver.extraJavaOptions); ETL_CLASS_ARCHIVE=off rules out the "
                 "class-data archive" + (f"; the JVM's output: {console_file}"
                                         if console_file else "")) from None
    for key, value in settings.conf.items():  # a reused session still gets the SQL settings
        if key.startswith("spark.sql.") and "staticConf" not in key:
            try:
                session.conf.set(key, value)
            except Exception:  # static settings of an existing session cannot change
                pass
    return session


def running_session():
    """The session a run left running (`RunOptions(stop_session=False)`), or None."""
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession() or SparkSession._instantiatedSession


def stop_running_session() -> None:
    """Stop the session a run left running, if any (a JVM already gone is not an error)."""
    import sys

    if "pyspark" not in sys.modules:  # no session was ever started by this process
        return
    session = running_session()
    if session is not None:
        try:
            session.stop()
        except Exception:
            pass


# What a query pays for on first use only, once per JVM. ICU's case mappings, which Spark's
# lower() and upper() use, cost a couple of seconds of set-up on a cold JVM; a folded constant
# pays it during planning, on the driver, without a Spark job.
_PREWARM_SQL = "SELECT lower('A') AS lower_case, upper('a') AS upper_case"


def prewarm(spark) -> threading.Thread:
    """Pay one-time set-up costs on a background thread while the run goes on. The first
    stages of a run (landing generated data, reading sources) leave a core partly idle, so
    the cost is mostly hidden instead of landing on the first step that lower-cases a column.
    Best effort: a failure here changes nothing but the timing."""

    def run() -> None:
        try:
            spark.sql(_PREWARM_SQL).collect()
        except Exception:  # the session stopped first, say: nothing depends on this
            pass

    thread = threading.Thread(target=run, name="etl-prewarm", daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def _stderr_to(path: str | None):
    """Point this process's stderr (file descriptor 2) at `path` while the JVM starts: the JVM
    inherits it, so its own console output lands in the run's folder instead of the terminal."""
    if path is None:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(target, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def _tail(path: str | None, lines: int = 4) -> str:
    """The last lines the JVM printed, joined (empty when there is nothing)."""
    if not path or not os.path.isfile(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as fh:
        said = [ln.strip() for ln in fh if ln.strip()]
    return " ".join(said[-lines:])[:600]

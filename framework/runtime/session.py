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

from framework.errors import EnvironmentProblem
from framework.spec import Optimizations, SparkSpec

JAVA_HINT = (
    "install Java 17 or newer (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless; "
    "macOS: brew install openjdk@17) or set JAVA_HOME to a JDK 17+"
)

JVM_OUT = "jvm.out"  # in the run's folder: what the JVM prints to its own console

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


def java_binary() -> str | None:
    """The `java` Spark would use ($JAVA_HOME/bin/java, else the PATH's), or None."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    return java if java and os.path.exists(java) else None


def java_version() -> int | None:
    """The major version of the `java` Spark would use, or None when there is none."""
    java = java_binary()
    if java is None:
        return None
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def require_java(minimum: int = 17) -> int:
    version = java_version()
    if version is None:
        raise EnvironmentProblem("Java was not found; Spark needs Java 17 or newer", JAVA_HINT)
    if version < minimum:
        raise EnvironmentProblem(f"Java {version} was found; Spark 4 needs {minimum}+", JAVA_HINT)
    return version


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
                     log_file: str | None, java_options: Sequence[str] = ()) -> SessionSettings:
    """Every Spark setting a run uses, derived from the spec (pure: tested without Spark).

    `java_options` go to the driver JVM after the spec's own (a class-data archive, say)."""
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
    }
    java_opts = ["-Duser.timezone=UTC"]
    if opts.jit == "quick":
        java_opts.append("-XX:TieredStopAtLevel=1")
    if log_file:
        java_opts.append(f"-Dlog4j2.configurationFile=file:{log_file}.properties")
        jvm_log = os.path.join(os.path.dirname(log_file), "jvm.log")
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

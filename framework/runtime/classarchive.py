"""A class-data sharing archive (JDK AppCDS) of the classes a Spark run loads.

A cold driver JVM spends seconds finding, parsing and verifying the ~15,000 classes of Spark,
Scala and Hadoop in some 250 jars; a run that starts from an archive maps them in ready-made and
starts in about half the time. `etl warmup` records one: it runs a pipeline with
`-XX:ArchiveClassesAtExit`, then makes the JVM exit normally so the JDK writes the archive.
Every later `etl run` on the same Java and Spark passes `-XX:SharedArchiveFile`.

Safety: the JVM validates the archive itself (JDK build, class path, jar sizes and times) and
starts without it on any mismatch, which it notes in the run's `jvm.log` (`refused`: the run
then warns and its record says `class_archive.used: false`); the file name also carries a
fingerprint of the Java binary and Spark's jars so a stale archive is not even offered.
`ETL_CLASS_ARCHIVE=off` turns it off (do so before attaching JVM agents such as profilers or
JFR: JDK 17 can crash combining them); `ETL_CLASS_ARCHIVE=require` makes the JVM refuse to start
when it cannot use the archive.
"""

from __future__ import annotations

import hashlib
import os

from framework.errors import EnvironmentProblem
from framework.runtime.session import java_binary

ENV_SWITCH = "ETL_CLASS_ARCHIVE"
ENV_CACHE = "ETL_CACHE_DIR"


def mode() -> str:
    """off, on (use the archive when it fits) or require (fail when it does not)."""
    value = os.environ.get(ENV_SWITCH, "on").strip().lower()
    if value in {"off", "0", "false", "no"}:
        return "off"
    return "require" if value == "require" else "on"


def cache_dir() -> str:
    """$ETL_CACHE_DIR, else $XDG_CACHE_HOME/sparketl, else ~/.cache/sparketl."""
    if os.environ.get(ENV_CACHE):
        return os.path.abspath(os.environ[ENV_CACHE])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sparketl")


def _spark_jars() -> str | None:
    home = os.environ.get("SPARK_HOME")
    if not home:
        try:
            import pyspark
        except ImportError:
            return None
        home = os.path.dirname(pyspark.__file__)
    jars = os.path.join(home, "jars")
    return jars if os.path.isdir(jars) else None


def fingerprint() -> str | None:
    """A short hash of the Java binary and Spark's jar folder (names, sizes, times)."""
    java, jars = java_binary(), _spark_jars()
    if not java or not jars:
        return None
    java = os.path.realpath(java)
    digest = hashlib.sha256()
    for path in [java, *sorted(os.path.join(jars, n) for n in os.listdir(jars))]:
        st = os.stat(path)
        digest.update(f"{path}\0{st.st_size}\0{int(st.st_mtime)}\n".encode())
    return digest.hexdigest()[:16]


def archive_path() -> str | None:
    key = fingerprint()
    return os.path.join(cache_dir(), f"spark-classes-{key}.jsa") if key else None


def prune() -> list[tuple[str, int]]:
    """Remove the archives recorded for another Java or Spark (their fingerprint differs), and
    return them with their sizes. Only on request (`etl warmup --prune`): another install of the
    project on this machine may share the folder and still use its own archive."""
    current = archive_path()
    folder = cache_dir()
    removed = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        path = os.path.join(folder, name)
        if name.startswith("spark-classes-") and name.endswith(".jsa") and path != current:
            size = os.path.getsize(path)
            os.remove(path)
            removed.append((path, size))
    return removed


def runtime_options() -> list[str]:
    """JVM options for a run: start from the archive when there is a current one."""
    how = mode()
    if how == "off":
        return []
    path = archive_path()
    if not path or not os.path.isfile(path):
        if how == "require":
            raise EnvironmentProblem(
                f"{ENV_SWITCH}=require, but there is no class-data archive for this Java and Spark",
                hint="record one with `etl warmup PIPELINE`, or unset " + ENV_SWITCH)
        return []
    return [f"-XX:SharedArchiveFile={path}", "-Xshare:on" if how == "require" else "-Xshare:auto"]


def refused(jvm_log: str) -> str | None:
    """What the JVM said when it started without the archive it was given (it logs a warning
    to the run's `jvm.log` and goes on: `-Xshare:auto`), else None."""
    try:
        with open(jvm_log, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    said = [line.split("] ", 1)[-1].strip() for line in text.splitlines()
            if "[cds" in line and "shared archive" in line.lower()]
    return said[0] if said else None


def refused_message(path: str, why: str) -> str:
    return (f"the JVM could not use the class-data archive {path} and started without it "
            f"(about twice as slow to start; it said: {why}); usually the class path differs "
            f"from the one `etl warmup` recorded (SPARK_CONF_DIR, extra jars): run `etl warmup "
            f"PIPELINE` again in the same setting, or set {ENV_SWITCH}=off")


def recording_options(target: str) -> list[str]:
    """JVM options that make the JDK write an archive of every class loaded, at a normal exit."""
    return [f"-XX:ArchiveClassesAtExit={target}"]


def exit_jvm(spark, timeout: float = 600.0) -> int | None:
    """End the driver JVM with System.exit (so the archive is written) and wait for it.

    Returns the JVM's exit code, or None when the JVM process is not ours to wait for.
    """
    proc = getattr(spark.sparkContext._gateway, "proc", None)
    try:
        spark.sparkContext._jvm.java.lang.System.exit(0)
    except Exception:  # the connection drops as the JVM goes away: expected
        pass
    if proc is None:
        return None
    return proc.wait(timeout=timeout)


def install(recorded: str, target: str) -> None:
    """Move a freshly recorded archive into place atomically (a reader never sees half)."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(recorded, target)

"""Session settings come from the spec without Spark; the Java check reads `java -version`."""

import os
import stat
import sys

import pytest

from framework.errors import EnvironmentProblem
from framework.runtime import session
from framework.spec import Optimizations, SparkSpec


def test_settings_follow_the_spec():
    opts = Optimizations(adaptive=False, skew_join=False, shuffle_partitions=12,
                         broadcast_threshold="20MB")
    s = session.session_settings(SparkSpec(master="local[2]", conf={"spark.x": "1"}), opts,
                                 "etl-test", None)
    assert s.master == "local[2]" and s.app_name == "etl-test"
    assert s.conf["spark.sql.adaptive.enabled"] == "false"
    assert s.conf["spark.sql.adaptive.skewJoin.enabled"] == "false"
    assert s.conf["spark.sql.shuffle.partitions"] == "12"
    assert s.conf["spark.sql.autoBroadcastJoinThreshold"] == "20MB"
    assert s.conf["spark.sql.session.timeZone"] == "UTC"
    assert s.conf["spark.ui.showConsoleProgress"] == "false"
    assert s.conf["spark.x"] == "1"


def test_quick_jit_stops_at_c1():
    quick = session.session_settings(SparkSpec(), Optimizations(jit="quick"), "a", None)
    full = session.session_settings(SparkSpec(), Optimizations(jit="full"), "a", None)
    assert "-XX:TieredStopAtLevel=1" in quick.conf["spark.driver.extraJavaOptions"]
    assert "TieredStopAtLevel" not in full.conf["spark.driver.extraJavaOptions"]


def test_user_conf_wins_over_derived_settings():
    s = session.session_settings(
        SparkSpec(conf={"spark.sql.shuffle.partitions": "3"}), Optimizations(), "a", None)
    assert s.conf["spark.sql.shuffle.partitions"] == "3"


@pytest.mark.parametrize("master,cores,expected", [
    ("local[2]", 8, 8), ("local[1]", 8, 4), ("local[*]", 3, 12), ("spark://h:7077", 2, 200),
])
def test_auto_shuffle_partitions(monkeypatch, master, cores, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert session.shuffle_partitions("auto", master) == expected
    assert session.shuffle_partitions(7, master) == 7
    big = 100 * session.AUTO_BYTES_PER_PARTITION  # 100 x 32 MB of input
    assert session.shuffle_partitions("auto", master, big) == max(expected, 100)


def test_log_file_goes_into_java_options(tmp_path):
    log = str(tmp_path / "spark.log")
    s = session.session_settings(SparkSpec(), Optimizations(), "a", log)
    assert f"-Dlog4j2.configurationFile=file:{log}.properties" in \
        s.conf["spark.driver.extraJavaOptions"]


def test_extra_java_options_follow_and_paths_with_spaces_are_quoted(tmp_path):
    log = str(tmp_path / "run folder" / "spark.log")
    s = session.session_settings(SparkSpec(), Optimizations(), "a", log,
                                 ["-XX:SharedArchiveFile=/a b/x.jsa", "-Xshare:auto"])
    opts = s.conf["spark.driver.extraJavaOptions"]
    assert opts.endswith('"-XX:SharedArchiveFile=/a b/x.jsa" -Xshare:auto')
    jvm_log = str(tmp_path / "run folder" / "jvm.log")
    assert f'"-Xlog:all=warning:file={jvm_log}"' in opts  # the JVM's own warnings: a file
    assert opts.index("-Xlog:disable") < opts.index("-Xlog:all")


def test_spec_java_options_add_to_the_engines_own(tmp_path):
    spec = SparkSpec(conf={"spark.driver.extraJavaOptions": "-XX:+UseSerialGC -Dx=1"})
    s = session.session_settings(spec, Optimizations(jit="quick"), "a",
                                 str(tmp_path / "spark.log"), ["-Xshare:auto"])
    opts = s.conf["spark.driver.extraJavaOptions"].split()
    # the engine's settings survive, and the spec's come last so they win a repeated flag
    assert "-Duser.timezone=UTC" in opts and "-XX:TieredStopAtLevel=1" in opts
    assert "-Xshare:auto" in opts
    assert opts[-2:] == ["-XX:+UseSerialGC", "-Dx=1"]


def test_local_python_workers_use_this_interpreter(monkeypatch):
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    local = session.session_settings(SparkSpec(master="local[2]"), Optimizations(), "a", None)
    assert local.conf["spark.pyspark.python"] == sys.executable
    # a cluster's workers are other machines: this path means nothing there
    remote = session.session_settings(SparkSpec(master="spark://h:7077"), Optimizations(), "a",
                                      None)
    assert "spark.pyspark.python" not in remote.conf
    mine = SparkSpec(conf={"spark.pyspark.python": "/opt/py/bin/python3"})
    assert session.session_settings(mine, Optimizations(), "a", None).conf[
        "spark.pyspark.python"] == "/opt/py/bin/python3"
    monkeypatch.setenv("PYSPARK_PYTHON", "/usr/bin/python3")  # Spark reads the variable itself
    env = session.session_settings(SparkSpec(), Optimizations(), "a", None)
    assert "spark.pyspark.python" not in env.conf


def _fake_java(tmp_path, version_line: str) -> str:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return str(home)


@pytest.mark.parametrize("line,major", [
    ('openjdk version "17.0.15" 2025-04-15', 17),
    ('openjdk version "21" 2023-09-19', 21),
    ('java version "1.8.0_392"', 8),
])
def test_java_version_parsing(tmp_path, monkeypatch, line, major):
    monkeypatch.setenv("JAVA_HOME", _fake_java(tmp_path, line))
    assert session.java_version() == major


def test_old_java_is_refused_with_install_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", _fake_java(tmp_path, 'openjdk version "11.0.2"'))
    with pytest.raises(EnvironmentProblem) as info:
        session.require_java()
    assert "Java 11" in info.value.message and "openjdk-17" in info.value.hint


def test_missing_java_is_reported(tmp_path, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    with pytest.raises(EnvironmentProblem) as info:
        session.require_java()
    assert "not found" in info.value.message and "openjdk-17" in info.value.hint


def _script(folder, body: str, executable: bool = True) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    java = folder / "java"
    java.write_text(f"#!/bin/sh\n{body}\n")
    if executable:
        java.chmod(java.stat().st_mode | stat.S_IEXEC | stat.S_IXGRP | stat.S_IXOTH)
    else:
        java.chmod(0o644)
    return str(java)


def test_a_java_home_without_bin_java_is_named(tmp_path, monkeypatch):
    (tmp_path / "jre-but-empty").mkdir()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jre-but-empty"))
    with pytest.raises(EnvironmentProblem) as info:
        session.require_java()
    home = tmp_path / "jre-but-empty"
    assert info.value.message == f"JAVA_HOME is {home}, a folder without bin/java"
    assert "JAVA_HOME" in info.value.hint and info.value.exit_code == 3


def test_a_java_home_naming_the_binary_or_nothing_is_named(tmp_path, monkeypatch):
    java = _script(tmp_path / "bin", "echo 'openjdk version \"17.0.1\"' >&2")
    for home, what in ((java, "a file, not a JDK folder"),
                       (str(tmp_path / "gone"), "a folder that does not exist")):
        monkeypatch.setenv("JAVA_HOME", home)
        with pytest.raises(EnvironmentProblem) as info:
            session.require_java()
        assert info.value.message == f"JAVA_HOME is {home}, {what}"
        assert "the one holding bin/java" in info.value.hint


def test_a_java_home_holding_no_java_is_named(tmp_path, monkeypatch):
    _script(tmp_path / "home" / "bin", "echo 'Python 3.11.7'")  # some other program
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "home"))
    with pytest.raises(EnvironmentProblem) as info:
        session.require_java()
    java = tmp_path / "home" / "bin" / "java"
    assert info.value.message == (f"JAVA_HOME's {java} did not report a Java version "
                                  f"(it said: Python 3.11.7)")
    assert "set JAVA_HOME to a JDK 17+" in info.value.hint
    assert session.java_version() is None


def test_a_java_that_is_not_executable_is_named(tmp_path, monkeypatch):
    java = _script(tmp_path / "home" / "bin", "echo 'openjdk version \"17.0.1\"' >&2",
                   executable=False)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "home"))
    with pytest.raises(EnvironmentProblem) as info:
        session.require_java()
    assert info.value.message == f"JAVA_HOME's {java} is not an executable program"
    assert f"chmod +x {java}" in info.value.hint


def test_a_java_that_cannot_be_run_is_named(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_bytes(b"\x7fELF garbage, not a program")
    (home / "bin" / "java").chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(EnvironmentProblem) as info:
        session.require_java()
    assert info.value.message.startswith(f"JAVA_HOME's {home / 'bin' / 'java'} cannot be run: ")


def test_a_java_that_hangs_is_stopped_and_named(tmp_path, monkeypatch):
    import time

    # the script starts a child that holds the output pipe open too: both must be stopped
    pidfile = tmp_path / "child.pid"
    _script(tmp_path / "home" / "bin", f"sleep 60 & echo $! > {pidfile}; wait")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "home"))
    t0 = time.monotonic()
    with pytest.raises(EnvironmentProblem) as info:
        session.require_java(timeout=1)
    assert time.monotonic() - t0 < 10
    assert "did not answer `java -version` within 1 s" in info.value.message
    assert "JAVA_HOME's" in info.value.message and info.value.exit_code == 3
    child = int(pidfile.read_text())
    time.sleep(0.2)
    assert _gone(child), "the sleeping child of the hanging java is still running"


def _gone(pid: int) -> bool:
    """No such process, or a zombie waiting for a parent that no longer cares."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True

"""The class-data archive: when it is offered to the JVM, and what invalidates it (no Spark)."""

from __future__ import annotations

import os

import pytest

from framework.errors import EnvironmentProblem
from framework.runtime import classarchive


@pytest.fixture
def fake_install(tmp_path, monkeypatch):
    """A fake JAVA_HOME and SPARK_HOME with two jars, and a private cache folder."""
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\n")
    jars = tmp_path / "spark" / "jars"
    jars.mkdir(parents=True)
    (jars / "a.jar").write_bytes(b"a" * 10)
    (jars / "b.jar").write_bytes(b"b" * 20)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    monkeypatch.setenv("SPARK_HOME", str(tmp_path / "spark"))
    monkeypatch.setenv(classarchive.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.delenv(classarchive.ENV_SWITCH, raising=False)
    return jars


def test_no_archive_no_options(fake_install):
    assert classarchive.runtime_options() == []


def test_a_recorded_archive_is_offered(fake_install):
    path = classarchive.archive_path()
    assert path.startswith(os.path.join(os.environ[classarchive.ENV_CACHE], "spark-classes-"))
    os.makedirs(os.path.dirname(path))
    open(path, "wb").close()
    assert classarchive.runtime_options() == [f"-XX:SharedArchiveFile={path}", "-Xshare:auto"]


def test_switched_off_or_required(fake_install, monkeypatch):
    path = classarchive.archive_path()
    monkeypatch.setenv(classarchive.ENV_SWITCH, "require")
    with pytest.raises(EnvironmentProblem) as info:
        classarchive.runtime_options()
    assert "etl warmup" in info.value.hint
    os.makedirs(os.path.dirname(path))
    open(path, "wb").close()
    assert "-Xshare:on" in classarchive.runtime_options()
    monkeypatch.setenv(classarchive.ENV_SWITCH, "off")
    assert classarchive.runtime_options() == []


def test_a_changed_jar_or_java_means_another_archive(fake_install, tmp_path):
    first = classarchive.archive_path()
    (fake_install / "b.jar").write_bytes(b"b" * 21)
    second = classarchive.archive_path()
    (fake_install / "c.jar").write_bytes(b"c")
    third = classarchive.archive_path()
    java = tmp_path / "jdk" / "bin" / "java"
    java.write_text("#!/bin/sh\n# another build\n")
    fourth = classarchive.archive_path()
    assert len({first, second, third, fourth}) == 4


def test_without_java_there_is_no_archive(fake_install, tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    assert classarchive.archive_path() is None
    assert classarchive.runtime_options() == []


def test_recording_replaces_the_archive_whole(tmp_path):
    recorded, target = tmp_path / "rec.jsa", tmp_path / "cache" / "spark-classes-x.jsa"
    recorded.write_bytes(b"new")
    classarchive.install(str(recorded), str(target))
    assert target.read_bytes() == b"new" and not recorded.exists()


def _touch(path: str, size: int = 0) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"x" * size)


def test_prune_removes_only_archives_of_other_installs(fake_install):
    current = classarchive.archive_path()
    folder = os.path.dirname(current)
    stale = [os.path.join(folder, f"spark-classes-{key}.jsa") for key in ("0" * 16, "1" * 16)]
    _touch(current, 5)
    for path in stale:
        _touch(path, 7)
    _touch(os.path.join(folder, "notes.txt"))
    assert classarchive.prune() == [(p, 7) for p in stale]
    assert sorted(os.listdir(folder)) == sorted([os.path.basename(current), "notes.txt"])
    assert classarchive.prune() == []


def test_warmup_prune_keeps_the_current_archive(fake_install):
    from click.testing import CliRunner

    from framework.cli import cli

    current = classarchive.archive_path()
    old = os.path.join(os.path.dirname(current), "spark-classes-" + "0" * 16 + ".jsa")
    _touch(current, 5)
    _touch(old, 3 * 2**20)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    pipeline = os.path.join(root, "pipelines", "clickstream.yaml")
    result = CliRunner().invoke(cli, ["warmup", "--if-missing", "--prune", pipeline])
    assert result.exit_code == 0, result.output
    assert "already recorded" in result.output and "removed" in result.output
    assert os.path.exists(current) and not os.path.exists(old)


def test_a_refused_archive_is_read_from_the_jvm_log(tmp_path):
    log = tmp_path / "jvm.log"
    assert classarchive.refused(str(log)) is None  # no log: nothing to say
    log.write_text("[0.101s][warning][gc] something else\n")
    assert classarchive.refused(str(log)) is None
    log.write_text("[0.101s][warning][gc] something else\n"
                   "[0.158s][warning][cds,dynamic] Unable to use shared archive. The top archive "
                   "failed to load: /c/spark-classes-1.jsa\n")
    why = classarchive.refused(str(log))
    assert why == "Unable to use shared archive. The top archive failed to load: " \
                  "/c/spark-classes-1.jsa"
    message = classarchive.refused_message("/c/spark-classes-1.jsa", why)
    assert message.startswith("the JVM could not use the class-data archive /c/spark-classes-1")
    assert "etl warmup PIPELINE" in message and "ETL_CLASS_ARCHIVE=off" in message

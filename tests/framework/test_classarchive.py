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

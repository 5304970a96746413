"""A driver JVM that cannot start is a clear error (exit 3), not a Python traceback."""

from __future__ import annotations

import pytest
import yaml

from tests.e2e.helpers import run_etl
from tests.framework.test_executor import _write

pytestmark = pytest.mark.spark


def test_a_bad_driver_java_option_is_reported_without_traceback(tmp_path):
    path = _write(tmp_path)
    with open(path, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    # a diagnostic flag without -XX:+UnlockDiagnosticVMOptions: the JVM refuses to start
    # (Spark adds -XX:+IgnoreUnrecognizedVMOptions, so a merely unknown flag would pass)
    conf = spec.setdefault("spark", {}).setdefault("conf", {})
    conf["spark.driver.extraJavaOptions"] = "-XX:-BytecodeVerificationRemote"
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(spec, fh, sort_keys=False)
    out = run_etl("run", path, "--data-dir", str(tmp_path / "data"), check=False)
    assert out.returncode == 3, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "the Spark JVM exited while starting" in text
    assert "spark.driver.extraJavaOptions" in text  # the next thing to look at
    assert "BytecodeVerificationRemote" in text  # the JVM's own words, in the error message
    assert "Traceback" not in text

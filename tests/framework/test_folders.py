"""The folders a run writes are checked before any work; OS errors become one located message."""

from __future__ import annotations

import errno
import os

import pytest

from framework.errors import EnvironmentProblem
from framework.runtime.folders import is_disk_full, os_problem, require_writable

HERE = "choose another --data-dir"


def _refusal(*folders: tuple[str, str, str]) -> EnvironmentProblem:
    with pytest.raises(EnvironmentProblem) as info:
        require_writable(folders)
    assert info.value.exit_code == 3
    return info.value


def test_folders_that_exist_or_can_be_created_pass(tmp_path):
    (tmp_path / "data").mkdir()
    require_writable([("data folder", str(tmp_path / "data"), HERE),
                      ("warehouse", str(tmp_path / "data" / "not" / "yet"), HERE),
                      ("warehouse", "s3a://bucket/wh", HERE)])  # Spark's business
    assert not (tmp_path / "data" / "not").exists()  # checking creates nothing


def test_a_file_in_the_way_is_named(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "runs").write_text("oops")
    error = _refusal(("data folder", str(tmp_path / "data"), HERE),
                     ("runs folder", str(tmp_path / "data" / "runs"), HERE))
    assert error.message == f"the runs folder {tmp_path}/data/runs is a file, not a folder"
    assert error.hint == HERE


def test_a_broken_link_is_named(tmp_path):
    os.symlink(tmp_path / "gone", tmp_path / "wh")
    error = _refusal(("warehouse", str(tmp_path / "wh" / "tables"), "set another path"))
    assert error.message == (f"the warehouse {tmp_path}/wh/tables cannot be created: "
                             f"{tmp_path}/wh is a link to {tmp_path}/gone, which does not exist")


def test_os_errors_name_the_path_and_what_to_do(tmp_path):
    full = os_problem(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "f")))
    assert full.message == f"cannot use {tmp_path}/f: no space left on device"
    assert "free some space on the disk holding" in full.hint and f"df -h {tmp_path}" in full.hint
    assert "--data-dir" not in full.hint  # said only where the data folder is the question
    denied = os_problem(PermissionError(errno.EACCES, "Permission denied"), "cannot write",
                        "/x/runs", "choose another --data-dir")
    assert denied.message == "cannot write /x/runs: permission denied"
    assert denied.hint == ("check the permissions of /x/runs and of its folders for this user, "
                           "or choose another --data-dir")


def test_a_full_disk_is_recognised_in_spark_errors_too():
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(RuntimeError("... Caused by: java.io.IOException: No space left on device"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(RuntimeError("amount too big"))

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


def _landings(tmp_path, *paths: str, warehouse: str = "warehouse"):
    """A valid pipeline whose generators g0, g1... land in `paths` (one per line from line 3)."""
    from fixtures.testplugin import make_registry
    from framework.validate import load_pipeline

    gens = "".join(f"  g{i}: {{generator: shop, params: {{users: 5}}, landing: {{path: '{p}'}}}}\n"
                   for i, p in enumerate(paths))
    path = tmp_path / "p.yaml"
    path.write_text(f"pipeline: x\ngenerators:\n{gens}warehouse: {{path: '{warehouse}'}}\n")
    return load_pipeline(path, registry=make_registry(), env={})  # validation finds nothing


def _apart_refusal(spec, data_dir) -> str:
    from framework.errors import SpecError
    from framework.runtime.folders import require_apart

    with pytest.raises(SpecError) as info:
        require_apart(spec, data_dir)
    assert info.value.exit_code == 2
    [problem] = info.value.problems
    return problem.format()


def test_a_relative_and_an_absolute_landing_folder_that_overlap_are_refused(tmp_path):
    d = str(tmp_path / "d")
    spec = _landings(tmp_path, "raw", f"{d}/raw/users", warehouse=f"{d}/wh")
    said = _apart_refusal(spec, d)
    assert said.startswith(f"{tmp_path / 'p.yaml'}:4:")  # at g1's landing path
    assert (f"generators.g1.landing.path: generator 'g1' lands in '{d}/raw/users', inside the "
            f"landing folder of generator 'g0' ('raw', line 3, which is {d}/raw)") in said
    assert f"relative paths are under {d}" in said


@pytest.mark.parametrize(("landing", "how", "other"), [
    ("{d}/warehouse", "the same folder as", "the warehouse ('warehouse', which is {d}/warehouse)"),
    ("{d}/runs/x", "inside", "the runs folder ('runs', which is {d}/runs)"),
    ("{d}", "a folder holding", "the warehouse ('warehouse', which is {d}/warehouse)"),
    ("{d}/QUARANTINE", "the same folder as",  # file systems that ignore case: one folder
     "the quarantine folder ('quarantine', which is {d}/quarantine)"),
])
def test_an_absolute_landing_folder_overlapping_the_run_folders_is_refused(tmp_path, landing,
                                                                           how, other):
    d = str(tmp_path / "d")
    said = _apart_refusal(_landings(tmp_path, landing.format(d=d)), d)
    assert f"lands in '{landing.format(d=d)}', {how} {other.format(d=d)}" in said


def test_a_link_into_another_landing_folder_is_followed(tmp_path):
    d = tmp_path / "d"
    (d / "raw").mkdir(parents=True)
    (tmp_path / "elsewhere").symlink_to(d / "raw")
    said = _apart_refusal(_landings(tmp_path, "raw", str(tmp_path / "elsewhere" / "b")), str(d))
    assert f"({d}/raw/b), inside the landing folder of generator 'g0'" in said


def test_landing_folders_apart_pass(tmp_path):
    from framework.runtime.folders import require_apart

    d = str(tmp_path / "d")
    spec = _landings(tmp_path, "raw/a", f"{d}/raw/b", f"{tmp_path}/elsewhere/raw",
                     warehouse=f"{d}/wh")
    assert require_apart(spec, d) is None
    assert len(spec.generators) == 3

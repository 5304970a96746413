"""The run record on a full disk: a finished record where possible, never a stray .tmp file."""

from __future__ import annotations

import errno
import json
import os

import pytest

from framework import atomicfile
from framework.runtime import record as record_module
from framework.runtime.record import RunRecord, TaskRecord
from tests.disks import fill, small_disk


def _record(data_dir, run_id="20260101T000000Z-p-aaaa") -> RunRecord:
    tasks = [TaskRecord(f"sink:t{i}", "sink", f"t{i}") for i in range(5)]
    return RunRecord(run_id=run_id, pipeline="p", file="p.yaml", spec_hash="h",
                     data_dir=str(data_dir), tasks=tasks,
                     spark={"conf": {f"spark.setting.{i}": "x" * 40 for i in range(20)}})


def _leftovers(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n != "run.json"]


def test_a_full_disk_still_ends_the_record_as_failed(tmp_path):
    with small_disk(tmp_path / "disk", "64k") as disk:
        rec = _record(disk)
        path = rec.save()  # at the start of a run: status running
        fill(disk)
        rec.tasks[0].status, rec.tasks[0].error = "failed", "no space left on device"
        rec.finish("failed", "sink 't0' failed: no space left on device", "free some space")
        with pytest.raises(OSError) as info:  # the normal, atomic write cannot succeed
            record_module.write_json(path + ".probe", rec.to_json())
        assert info.value.errno == errno.ENOSPC
        assert rec.save() == path  # ... so the record is rewritten in place, compactly
        with open(path) as fh:
            saved = json.load(fh)
        assert saved["status"] == "failed" and saved["finished_at"]
        assert saved["error"] == "sink 't0' failed: no space left on device"
        assert saved["tasks"][0]["status"] == "failed"
        assert _leftovers(rec.folder) == []  # no run.json.*.tmp, no .probe


def test_a_record_that_cannot_be_written_at_all_says_so(tmp_path):
    with small_disk(tmp_path / "disk", "64k") as disk:
        fill(disk)
        rec = _record(disk)
        os.makedirs(rec.folder, exist_ok=True)
        with pytest.raises(OSError) as info:  # no earlier record to write over
            rec.save()
        assert info.value.errno == errno.ENOSPC
        assert os.listdir(rec.folder) == []


def test_the_compact_fallback_drops_details_only_when_it_must(tmp_path, monkeypatch):
    rec = _record(tmp_path)
    path = rec.save()
    small = os.path.getsize(path)

    def full(target, data):
        raise OSError(errno.ENOSPC, "No space left on device", f"{target}.1.tmp")

    monkeypatch.setattr(record_module, "write_json", full)
    rec.finish("failed", "boom")
    rec.save()
    with open(path) as fh:
        saved = json.load(fh)
    assert saved["status"] == "failed" and len(saved["spark"]["conf"]) == 20  # all of it fit
    assert os.path.getsize(path) <= small

    for task in rec.tasks:  # now the full record no longer fits in the old one's size
        task.metrics = {"rows_dropped": 1, "note": "y" * 300}
    rec.save()
    with open(path) as fh:
        saved = json.load(fh)
    assert saved["status"] == "failed" and "conf" not in saved["spark"]
    assert saved["note"] == "written compactly: the disk was full"


def test_a_failed_write_removes_its_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "run.json"

    class HalfWritten:  # a file that takes part of the text, then finds the disk full
        def __init__(self, path, mode, encoding):
            self.fh = open(path, mode, encoding=encoding)  # noqa: SIM115

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            self.fh.write(text[:len(text) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomicfile, "open", HalfWritten, raising=False)
    with pytest.raises(OSError):
        record_module.write_json(str(target), {"a": 1})
    assert os.listdir(tmp_path) == []
    target.write_text('{"a": 0}')  # an older record stays as it was
    with pytest.raises(OSError):
        record_module.write_json(str(target), {"a": 1})
    assert os.listdir(tmp_path) == ["run.json"] and target.read_text() == '{"a": 0}'

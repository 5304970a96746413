import json

from framework.runtime.record import RunRecord, TaskRecord, list_runs


def _record(tmp_path, run_id, **kw):
    return RunRecord(run_id=run_id, pipeline="p", file="p.yaml", spec_hash="h",
                     data_dir=str(tmp_path), tasks=[TaskRecord("sink:t", "sink", "t")], **kw)


def test_record_is_written_and_listed_newest_first(tmp_path):
    a = _record(tmp_path, "20260101T000000Z-p-aaaa")
    a.finish("succeeded")
    a.save()
    b = _record(tmp_path, "20260102T000000Z-p-bbbb")
    b.finish("failed", "boom", "rerun")
    b.save()
    runs = list_runs(str(tmp_path))
    assert [r["run_id"] for r in runs] == [b.run_id, a.run_id]
    assert runs[0]["status"] == "failed" and runs[0]["hint"] == "rerun"
    assert runs[1]["seconds"] is not None


def test_a_running_record_of_a_dead_process_reads_as_interrupted(tmp_path):
    rec = _record(tmp_path, "20260103T000000Z-p-cccc", pid=2**22 + 7)  # no such process
    rec.save()
    assert list_runs(str(tmp_path))[0]["status"] == "interrupted"


def test_secrets_never_reach_the_record(tmp_path):
    rec = _record(tmp_path, "20260104T000000Z-p-dddd",
                  vars={"pg_password": "hunter2"},
                  spark={"conf": {"spark.jdbc.url": "postgresql://u:hunter2@h/db"}})
    rec.finish("failed", "cannot reach postgresql://u:hunter2@h/db")
    path = rec.save()
    text = open(path).read()
    assert "hunter2" not in text
    assert json.loads(text)["error"] == "cannot reach postgresql://u:***@h/db"


def test_variables_the_loader_found_secret_are_masked_whatever_their_name(tmp_path):
    rec = _record(tmp_path, "20260105T000000Z-p-eeee",
                  vars={"db_pwd": "Zq9-pass-Word", "note": "x-Zq9-pass-Word", "users": 10},
                  secret_vars=frozenset({"db_pwd"}))
    rec.tasks[0].error = "cannot use Zq9-pass-Word"
    rec.finish("failed", "step failed near Zq9-pass-Word",
               "rerun: etl run p.yaml --var db_pwd=Zq9-pass-Word")
    text = open(rec.save()).read()
    assert "Zq9-pass-Word" not in text
    data = json.loads(text)
    assert data["vars"] == {"db_pwd": "***", "note": "x-***", "users": 10}
    assert data["error"] == "step failed near ***"
    assert data["hint"] == "rerun: etl run p.yaml --var db_pwd=***"
    assert data["tasks"][0]["error"] == "cannot use ***"
    assert "secret_vars" not in data


def test_a_secret_variable_in_a_spark_setting_or_any_other_field_is_hidden(tmp_path):
    rec = _record(tmp_path, "20260105T000000Z-p-ffff", vars={"s3": "AKIAxyz/abc+def="},
                  secret_vars=frozenset({"s3"}),
                  spark={"conf": {"spark.hadoop.fs.s3a.access.key": "AKIAxyz/abc+def="}})
    rec.tasks[0].metrics = {"filter": "key = 'AKIAxyz/abc+def='"}
    text = open(rec.save()).read()
    assert "AKIAxyz/abc+def=" not in text
    assert json.loads(text)["spark"]["conf"]["spark.hadoop.fs.s3a.access.key"] == "***"


def test_a_run_id_never_names_a_folder_outside_runs():
    import pytest

    from framework.errors import UsageError
    from framework.runtime.record import new_run_id

    assert new_run_id("country_revenue").split("-")[1] == "country_revenue"
    for name in ("x/../../tmp/ESCAPED", "abc\n", "", ".."):
        with pytest.raises(UsageError):
            new_run_id(name)

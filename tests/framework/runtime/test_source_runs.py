"""Sources within whole runs: empty inputs, quarantine kept per run, warnings, the new options."""

from __future__ import annotations

import json
import os

import pytest

from framework.console import CapturingConsole
from framework.errors import DataError, SpecError
from framework.registry import REGISTRY
from framework.validate import load_pipeline
from tests.framework.runtime.test_executor import FAILING_REVENUE, ORDERS, _run, _write

pytestmark = pytest.mark.spark


def _quarantined(data_dir: str) -> dict[str, list[str]]:
    """Every quarantined record under quarantine/orders, by the folder holding it."""
    found: dict[str, list[str]] = {}
    for root, _dirs, files in os.walk(os.path.join(data_dir, "quarantine", "orders")):
        for name in sorted(f for f in files if f.endswith(".json")):
            with open(os.path.join(root, name), encoding="utf-8") as fh:
                found.setdefault(os.path.basename(root), []).extend(
                    json.loads(line)["record"] for line in fh)
    return found


def test_a_failed_run_keeps_the_quarantine_of_the_published_tables(tmp_path):
    path, data = _write(tmp_path), str(tmp_path / "data")
    first = _run(path, data)
    bad_line = next(ln for ln in ORDERS.splitlines() if "not-a-number" in ln)
    assert list(_quarantined(data).values()) == [[bad_line]]
    other_bad = "o7,IT,lots,2026-01-04T08:00:00Z"  # the next delivery: o4 fixed, o7 broken
    failing = _write(tmp_path, FAILING_REVENUE)  # (writes ORDERS again)
    (tmp_path / "data" / "input" / "orders.csv").write_text(
        ORDERS.replace("not-a-number", "1.0") + other_bad + "\n")
    with pytest.raises(Exception, match="amount too big"):
        _run(failing, data)
    found = _quarantined(data)
    assert [bad_line] in found.values()  # still beside the tables it belongs to
    assert found[first.run_id] == [bad_line] and [other_bad] in found.values()


def test_a_header_only_input_fails_the_run_before_anything_is_published(tmp_path):
    path, data = _write(tmp_path), str(tmp_path / "data")
    _run(path, data)
    before = os.readlink(os.path.join(data, "warehouse", "valid_orders"))
    (tmp_path / "data" / "input" / "orders.csv").write_text(ORDERS.splitlines()[0] + "\n")
    with pytest.raises(DataError, match="source 'orders'.*read 0 rows"):
        _run(path, data)
    assert os.readlink(os.path.join(data, "warehouse", "valid_orders")) == before


def test_an_allowed_empty_source_publishes_empty_tables_with_a_warning(tmp_path):
    path = _write(tmp_path, ("on_malformed: quarantine", "on_malformed: quarantine\n"
                                                         "    allow_empty: true"))
    (tmp_path / "data" / "input" / "orders.csv").write_text(ORDERS.splitlines()[0] + "\n")
    console = CapturingConsole()
    record = _run(path, str(tmp_path / "data"), console)
    assert record.task("sink:valid_orders").rows == 0
    assert [w for w in console.messages("warn") if "'orders': read 0 rows" in w]
    assert record.task("source:orders").note == "0 rows (allow_empty)"


def test_replaced_characters_are_warned_about_on_the_console_and_in_the_run_record(tmp_path):
    path, data = _write(tmp_path), str(tmp_path / "data")
    (tmp_path / "data" / "input" / "orders.csv").write_bytes(
        ORDERS.replace("o1,DE", "o1,Düsseldorf").encode("latin-1"))
    console = CapturingConsole()
    record = _run(path, data, console)
    warned = [w for w in console.messages("warn") if "1 character(s) could not be decoded" in w]
    assert warned and "encoding" in warned[0]
    saved = json.load(open(os.path.join(record.folder, "run.json")))
    source = next(t for t in saved["tasks"] if t["key"] == "source:orders")
    assert source["note"] == "1 undecodable character(s) replaced by U+FFFD"
    assert source["rows"] == 5


def _pipeline(tmp_path, source_yaml: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text("pipeline: p\nsources:\n  s:\n" + source_yaml
                    + "steps:\n  - {id: t, transform: filter, input: s, "
                      "params: {condition: 'true'}}\nsinks:\n  t: {from: t}\n")
    return str(path)


def test_encoding_and_allow_empty_are_source_options(tmp_path):
    path = _pipeline(tmp_path, "    path: in.csv\n    format: csv\n    encoding: ISO-8859-1\n"
                               "    allow_empty: true\n    schema: {columns: {a: string}}\n")
    src = load_pipeline(path, registry=REGISTRY).source("s")
    assert (src.encoding, src.allow_empty) == ("ISO-8859-1", True)
    plain = _pipeline(tmp_path, "    path: in.csv\n    format: csv\n")
    src = load_pipeline(plain, registry=REGISTRY).source("s")
    assert (src.encoding, src.allow_empty) == (None, False)


def test_encoding_on_a_parquet_source_is_refused_located(tmp_path):
    path = _pipeline(tmp_path, "    path: in\n    format: parquet\n    encoding: UTF-16\n")
    with pytest.raises(SpecError) as err:
        load_pipeline(path, registry=REGISTRY)
    text = err.value.format()
    assert "p.yaml:6" in text and "encoding only applies to csv and json sources" in text

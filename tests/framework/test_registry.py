"""Registration: plain functions with declared parameters; duplicates refused; broken plugins
reported and skipped."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import pytest

from framework import registry as registry_module
from framework.errors import RegistryError
from framework.registry import Registry, transform


def _fn(ctx, inputs, params):
    """Keeps rows.

    Example:
      - id: kept
        transform: keep
        input: raw
    """
    return next(iter(inputs.values()))


def test_decorator_records_schema_inputs_doc_and_example():
    reg = Registry()
    transform("keep", {"properties": {"n": {"type": "integer"}}}, inputs=(1, 3),
              registry=reg)(_fn)
    tdef = reg.transforms["keep"]
    assert tdef.params["additionalProperties"] is False
    assert tdef.params["properties"]["n"] == {"type": "integer"}
    assert (tdef.min_inputs, tdef.max_inputs) == (1, 3)
    assert tdef.summary == "Keeps rows."
    assert tdef.example.startswith("- id: kept")


def test_duplicate_names_are_refused():
    reg = Registry()
    transform("keep", registry=reg)(_fn)
    with pytest.raises(RegistryError) as info:
        transform("keep", registry=reg)(_fn)
    assert "twice" in info.value.message


def test_a_broken_plugin_is_reported_and_the_rest_still_load(monkeypatch):
    good = types.ModuleType("etl_test_good_plugin")
    reg = Registry()

    def load_good():
        transform("from_plugin", registry=reg)(_fn)
        return good

    monkeypatch.setitem(sys.modules, "etl_test_good_plugin", good)
    broken = EntryPoint(name="broken", value="etl_no_such_module_xyz",
                        group="etl.transforms")
    working = EntryPoint(name="working", value="etl_test_good_plugin", group="etl.transforms")
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [broken, working])
    monkeypatch.setattr(EntryPoint, "load", lambda self: load_good() if self.name == "working"
                        else __import__(self.value))
    reg.load_plugins()
    assert len(reg.load_errors) == 1
    assert "broken" in reg.load_errors[0] and "etl_no_such_module_xyz" in reg.load_errors[0]
    assert "from_plugin" in reg.transforms


def test_the_built_ins_load_through_their_entry_point_only(monkeypatch):
    """The engine imports no transform module by name: the built-ins come from the package's own
    `builtin` entry point like any plugin's, so with no entry point nothing is imported."""
    import importlib

    declared = {ep.name: ep.value for ep in registry_module.entry_points(group="etl.transforms")}
    assert declared.get("builtin") == "transforms"
    imported: list[str] = []
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a: imported.append(name) or real(name, *a))
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [])
    Registry().load_plugins()
    assert imported == []

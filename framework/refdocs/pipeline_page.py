"""pipeline.md: every section and key of a pipeline file, read from the pipeline JSON Schema."""

from __future__ import annotations

from typing import Any

from framework.refdocs import schematext
from framework.refdocs.markdown import cell, code, link, page, prose, table

FILE = "pipeline.md"
HEADER = ("key", "type", "required", "default", "allowed values", "description")
# a mapping's keys are names the user chooses: how the reference writes them
_PLACEHOLDER = {"generators": "<id>", "sources": "<id>", "sinks": "<table>",
                "columns": "<column>"}
# keys documented on another page
_ELSEWHERE = {"checks": ("the check rules", "checks.md", "Data-quality checks"),
              "params": ("the transform's or generator's parameters", "transforms.md",
                         "Transforms and generators")}
_NAMED = {"transform": "a transform", "generator": "a generator"}

INTRO = """\
A pipeline is one YAML file; these are all its keys. Unknown keys are errors, and `etl validate`
reports every mistake at once with its `file:line:col`. Any value may use `${name}` (a variable
of `vars:`, else an environment variable, else the default of `${name:-default}`). File
references (`schema:` files, `sql_file:`, `sql.templates`, `report`) resolve against the
pipeline file's folder; data locations (`path`, `landing.path`, `warehouse.path`) against the
data directory (`--data-dir`) unless absolute. `etl schema` writes the same rules as a JSON
Schema for editors."""


def _heading(path: str) -> str:
    return f"`{path}`" if path else "The pipeline file"


def _nested(prop: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(how the path goes on, the object schema) when `prop` holds keys worth a section."""
    if "properties" in prop:
        return "", prop
    for holder, suffix in (("additionalProperties", ".{}"), ("items", "[]")):
        inner = prop.get(holder)
        if isinstance(inner, dict) and "properties" in inner:
            return suffix, inner
    then = prop.get("then")
    if isinstance(then, dict) and "properties" in then:
        return "", then
    return None


def _child(path: str, key: str, prop: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    if key in _ELSEWHERE:
        return None
    found = _nested(prop)
    if found is None:
        return None
    suffix, schema = found
    base = f"{path}.{key}" if path else key
    return base + suffix.format(_PLACEHOLDER.get(key, "<name>")), schema


def _row(path: str, row: schematext.Row, prop: dict[str, Any]) -> tuple[str, ...]:
    child = _child(path, row.key, prop)
    key = link(code(row.key), _heading(child[0])) if child else code(row.key)
    allowed, description = row.allowed, row.description
    if row.key in _NAMED and "enum" in prop:
        allowed = link(f"{_NAMED[row.key]} name", "Transforms and generators", "transforms.md")
    if row.key in _ELSEWHERE:
        words, target, heading = _ELSEWHERE[row.key]
        description += f" (see {link(words, heading, target)})"
    return (key, row.type, "yes" if row.required else "", row.default, allowed, description)


def _sections(path: str, schema: dict[str, Any]) -> list[str]:
    props = schema.get("properties", {})
    rows = [_row(path, r, props[r.key]) for r in schematext.rows(schema)]
    together = schematext.rules(schema)
    parts = [f"## {_heading(path)}", prose(str(schema.get("description", ""))) if path else "",
             table(HEADER, rows), "\n".join(f"- {cell(t)}" for t in together)]
    out = ["\n\n".join(p for p in parts if p)]
    for key, prop in props.items():
        child = _child(path, key, prop) if isinstance(prop, dict) else None
        if child:
            out += _sections(*child)
    return out


def render(schema: dict[str, Any]) -> str:
    return page("Pipeline files", INTRO, _sections("", schema))

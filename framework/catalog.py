"""`etl transforms`: the registered transforms and generators, their parameters and examples."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from framework.errors import UsageError, did_you_mean
from framework.registry import GeneratorDef, Registry, TransformDef


def _inputs(t: TransformDef) -> str:
    if t.max_inputs is None:
        return f"{t.min_inputs}+"
    return str(t.min_inputs) if t.min_inputs == t.max_inputs else f"{t.min_inputs}-{t.max_inputs}"


def _param_names(schema: dict) -> str:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    return ", ".join(f"{k}{'*' if k in required else ''}" for k in props)


def show_catalog(registry: Registry) -> Table:
    table = Table(title="transforms (* required parameter)", title_justify="left")
    for col in ("name", "inputs", "parameters", "summary"):
        table.add_column(col)
    for t in registry.iter_transforms():
        table.add_row(t.name, _inputs(t), escape(_param_names(t.params)), escape(t.summary))
    for g in sorted(registry.generators.values(), key=lambda g: g.name):
        table.add_row(f"{g.name} [dim](generator)[/]", "-", escape(_param_names(g.params)),
                      escape(g.doc.splitlines()[0] if g.doc else ""))
    return table


def _params_table(schema: dict) -> Table:
    table = Table("parameter", "type", "default", "description", title_justify="left")
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type", "/".join(str(x.get("type", "")) for x in prop.get("oneOf", [])))
        default = "required" if name in required else str(prop.get("default", ""))
        table.add_row(name, escape(str(kind)), escape(default),
                      escape(prop.get("description", "")))
    return table


def show_transform(registry: Registry, name: str) -> Group:
    item: TransformDef | GeneratorDef | None = (registry.transforms.get(name)
                                                or registry.generators.get(name))
    if item is None:
        known = list(registry.transforms) + list(registry.generators)
        raise UsageError(f"no transform or generator named {name!r}", hint=did_you_mean(
            name, known, otherwise="run `etl transforms` to list them"))
    parts = [f"[bold]{escape(item.name)}[/]  [dim]{escape(item.module)}[/]", escape(item.doc),
             _params_table(item.params)]
    if item.example:
        parts += ["[bold]Example[/]", Syntax(item.example, "yaml", theme="ansi_dark")]
    return Group(*parts)

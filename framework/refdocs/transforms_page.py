"""transforms.md: every registered transform and generator, its parameters and its example."""

from __future__ import annotations

from framework.refdocs import schematext
from framework.refdocs.markdown import cell, code, fenced, link, page, prose, table
from framework.registry import GeneratorDef, Registry, TransformDef

FILE = "transforms.md"
PARAMS_HEADER = ("parameter", "type", "required", "default", "allowed values", "description")


def inputs_text(t: TransformDef) -> str:
    """`1`, `2`, `0-1`, `2 or more`."""
    if t.max_inputs is None:
        return f"{t.min_inputs} or more"
    return str(t.min_inputs) if t.min_inputs == t.max_inputs else f"{t.min_inputs}-{t.max_inputs}"


def generator_heading(g: GeneratorDef) -> str:
    return f"`{g.name}` (generator)"


def _generators(registry: Registry) -> list[GeneratorDef]:
    return sorted(registry.generators.values(), key=lambda g: g.name)


def params_section(schema: dict) -> str:
    """The parameters table and what it asks of them together; a line when there are none."""
    rows = schematext.rows(schema)
    if not rows:
        return "No parameters."
    body = table(PARAMS_HEADER, [(code(r.key), r.type, "yes" if r.required else "", r.default,
                                  r.allowed, r.description) for r in rows])
    together = schematext.rules(schema)
    return body + ("\n\n" + "\n".join(f"- {cell(t)}" for t in together) if together else "")


def _transform(t: TransformDef) -> str:
    facts = [f"inputs: {inputs_text(t)}", f"module: {code(t.module)}"]
    if t.broadcastable:
        facts.append("takes a `broadcast:` hint")
    parts = [f"## `{t.name}`", " · ".join(facts), prose(t.doc), "**Parameters**",
             params_section(t.params)]
    if t.example:
        parts += ["**Example**", fenced(t.example, "yaml")]
    return "\n\n".join(p for p in parts if p)


def _generator(g: GeneratorDef) -> str:
    facts = [f"tables: {', '.join(code(o) for o in g.outputs)}", f"module: {code(g.module)}"]
    parts = [f"## {generator_heading(g)}", " · ".join(facts), prose(g.doc), "**Parameters**",
             params_section(g.params)]
    if g.example:
        parts += ["**Example**", fenced(g.example, "yaml")]
    return "\n\n".join(p for p in parts if p)


def _index(registry: Registry) -> str:
    transforms = table(("transform", "inputs", "parameters", "what it does"), [
        (link(code(t.name), f"`{t.name}`"), inputs_text(t),
         ", ".join(code(n) for n in t.params.get("properties", {})), t.summary)
        for t in registry.iter_transforms()])
    generators = table(("generator", "tables", "what it makes"), [
        (link(code(g.name), generator_heading(g)), ", ".join(code(o) for o in g.outputs),
         g.doc.splitlines()[0] if g.doc else "") for g in _generators(registry)])
    return transforms + ("\n\n" + generators if registry.generators else "")


INTRO = """\
A step names a transform and gives its parameters under `params:`; a parameter left out takes
its default (`etl plan` shows the values a step receives). A generator is named under
`generators:` and lands its tables as files that sources read (`generated: <id>.<table>`).
`etl transforms NAME` shows the same in a terminal. Transforms of installed plugins (the
`etl.transforms` entry-point group) are listed with the built-ins once they are installed."""


def render(registry: Registry) -> str:
    sections = [_index(registry), *(_transform(t) for t in registry.iter_transforms()),
                *(_generator(g) for g in _generators(registry))]
    return page("Transforms and generators", INTRO, sections)

"""checks.md: every data-quality rule with its parameters and an example, and the severity and
threshold syntax, read from the checks' JSON Schema and the rule catalogue (framework.checks)."""

from __future__ import annotations

from typing import Any

import yaml

from framework.checks import COLUMN_RULES, RULES, THRESHOLD_OPERATORS
from framework.refdocs import schematext
from framework.refdocs.markdown import code, fenced, link, page, prose, table

FILE = "checks.md"
PARAMS_HEADER = ("parameter", "type", "required", "default", "allowed values", "description")
_PLAIN_FORMS = {"string": "<text>", "array": "[<column>, ...]"}

INTRO = """\
A check is a promise about a table, written next to the table it guards: under
`sources.<id>.checks` (the rows read), `steps[].checks` (the step's output) or
`sinks.<table>.checks` (the staged version, before it replaces the published one), and as
column rules in `sinks.<table>.columns.<column>` (see
[the column shorthand](#the-column-shorthand)). Each item of a `checks:` list holds exactly one
rule, plus optional `severity`, `warn_if`, `error_if` and `name`. A column rule names its column
plainly (`- not_null: event_id`) or in a mapping with its parameters. Nulls pass every rule but
`not_null`, as in SQL. `to:` and a query's `{name}` name a table of this run: a source or step
id, or a sink's table."""


def check_item(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of one item of a sink's `checks:` list (sources and steps take the same)."""
    sink = schema["properties"]["sinks"]["additionalProperties"]
    return sink["properties"]["checks"]["items"]


def column_entry(schema: dict[str, Any]) -> dict[str, Any]:
    sink = schema["properties"]["sinks"]["additionalProperties"]
    return sink["properties"]["columns"]["additionalProperties"]


def example_yaml(rule: str, example: Any) -> str:
    """`- rule: value` as a pipeline writes it, the value in flow style on one line."""
    text = yaml.safe_dump(example, default_flow_style=True, sort_keys=False, width=1000,
                          allow_unicode=True)
    return f"- {rule}: {text.removesuffix(chr(10) + '...' + chr(10)).strip()}"


def _mapping(value_schema: dict[str, Any]) -> dict[str, Any]:
    return value_schema.get("then", value_schema)


def _forms(rule: str, value_schema: dict[str, Any]) -> str:
    mapping = code(f"- {rule}: {{" + ", ".join(
        f"{name}: ..." for name in _mapping(value_schema).get("properties", {})) + "}")
    if "else" not in value_schema:
        return f"Written as {mapping}."
    first = value_schema["type"][0]
    plain = "<column>" if rule in COLUMN_RULES else _PLAIN_FORMS.get(first, "...")
    return f"Written as {mapping}, or plainly as {code(f'- {rule}: {plain}')}."


def _rule(rule: str, value_schema: dict[str, Any]) -> str:
    scope = ("a column rule: counts the rows that fail it" if RULES[rule][0]
             else "a table rule")
    mapping = _mapping(value_schema)
    params = table(PARAMS_HEADER, [
        (code(r.key), r.type, "yes" if r.required else "", r.default, r.allowed, r.description)
        for r in schematext.rows(mapping)])
    together = [f"- {t}" for t in schematext.rules(mapping)]
    fails = prose(value_schema["description"])
    parts = [f"## `{rule}`", f"{scope.capitalize()}. {fails[:1].upper()}{fails[1:]}.",
             _forms(rule, value_schema), params, "\n".join(together), "**Example**",
             fenced(example_yaml(rule, value_schema["examples"][0]), "yaml")]
    return "\n\n".join(p for p in parts if p)


def _summary(item: dict[str, Any]) -> str:
    rows = []
    for rule in RULES:
        value_schema = item["properties"][rule]
        names = ", ".join(code(n) for n in _mapping(value_schema).get("properties", {}))
        rows.append((link(code(rule), f"`{rule}`"), "column" if RULES[rule][0] else "table",
                     names, value_schema["description"].removeprefix("a row fails when "),
                     code(example_yaml(rule, value_schema["examples"][0]))))
    return table(("rule", "looks at", "parameters", "a row fails when", "example"), rows)


def _severity(item: dict[str, Any]) -> str:
    keys = [r for r in schematext.rows(item) if r.key not in RULES]
    rows = table(("key", "type", "default", "allowed values", "description"),
                 [(code(r.key), r.type, r.default, r.allowed, r.description) for r in keys])
    operators = ", ".join(code(op) for op in THRESHOLD_OPERATORS)
    return "\n\n".join([
        "## Severity and thresholds", rows,
        f"`warn_if` and `error_if` compare the failing rows with a count (`>= 10`) or with "
        f"their share of the rows checked (`> 1%`); operators: {operators}. A check's status:",
        "- **failed**: severity `error` and `error_if` holds: the table is not published "
        "(a sink keeps its previous version) and the run fails;\n"
        "- **warned**: otherwise, when `warn_if` holds: a console line and the run record, "
        "never blocking;\n"
        "- **passed**: neither.",
        fenced('- not_null: referrer\n  warn_if: "> 0"       # any null: a warning ...\n'
               '  error_if: "> 5%"     # ... more than 5% of the rows: not published\n'
               "- unique: event_id\n  severity: warn       # recorded, never blocks", "yaml")])


def _shorthand(entry: dict[str, Any]) -> str:
    rows = table(("key", "type", "allowed values", "description"),
                 [(code(r.key), r.type, r.allowed, r.description)
                  for r in schematext.rows(entry)])
    return "\n\n".join([
        "## The column shorthand",
        "A sink's `columns:` entry may carry column rules next to the column's description; "
        "each becomes a check of severity `error` on that column.", rows,
        fenced("columns:\n  event_id: {description: the event's id, not_null: true, "
               "unique: true}\n  price: {range: {min: 0}}", "yaml")])


def render(schema: dict[str, Any]) -> str:
    item = check_item(schema)
    sections = ["## Rules", _summary(item), *(_rule(r, item["properties"][r]) for r in RULES),
                _severity(item), _shorthand(column_entry(schema))]
    return page("Data-quality checks", INTRO, sections)

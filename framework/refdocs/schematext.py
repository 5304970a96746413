"""A JSON Schema property in words: its type, default, allowed values and description.

The reference tables read the very schema validation uses (framework.schema and each
transform's `params`), so what they say is what the validator accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from framework.refdocs.markdown import code, value

_WORDS = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
          "array": "list", "object": "mapping", "null": "null"}


@dataclass(frozen=True)
class Row:
    """One documented key or parameter."""

    key: str
    type: str
    required: bool
    default: str
    allowed: str
    description: str


def kind(schema: dict[str, Any]) -> str:
    """`string`, `integer or string`, `list of string`, `mapping of string`, `one of the values`."""
    if "enum" in schema:
        return " or ".join(sorted({_scalar_type(v) for v in schema["enum"]}))
    if "const" in schema:
        return _scalar_type(schema["const"])
    types = schema.get("type")
    if types is None:
        alternatives = schema.get("oneOf") or schema.get("anyOf") or []
        kinds = [kind(alt) for alt in alternatives if isinstance(alt, dict)]
        return " or ".join(dict.fromkeys(k for k in kinds if k)) or "any"
    types = [types] if isinstance(types, str) else list(types)
    return " or ".join(_one_kind(t, schema) for t in types)


def _one_kind(name: str, schema: dict[str, Any]) -> str:
    if name == "array" and isinstance(schema.get("items"), dict):
        return f"list of {kind(schema['items'])}"
    if name == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"mapping of {kind(schema['additionalProperties'])}"
    return _WORDS.get(name, name)


def _scalar_type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    return "string"


def allowed(schema: dict[str, Any]) -> str:
    """The values accepted beyond the type: `a`, `b`; >= 1; 2 items; an age like 90m."""
    parts: list[str] = []
    if "enum" in schema:
        parts.append(", ".join(code(value(v)) for v in schema["enum"]))
    if "const" in schema:
        parts.append(code(value(schema["const"])))
    bounds = _bounds(schema)
    then = schema.get("then")
    if isinstance(then, dict) and "if" in schema:  # `auto` as the string form of a number
        words = [code(value(v)) for v in ([then["const"]] if "const" in then
                                          else then.get("enum", []))]
        if words and bounds:
            bounds[0] = f"{bounds[0]} or {', '.join(words)}"
        elif words:
            parts.append(", ".join(words))
    parts += bounds
    items = schema.get("items")
    if isinstance(items, dict) and "enum" in items:
        parts.append("each " + ", ".join(code(value(v)) for v in items["enum"]))
    message = (schema.get("x-messages") or {}).get("pattern", "")
    if message.startswith("expected "):
        parts.append(message.removeprefix("expected "))
    return "; ".join(parts)


def _bounds(schema: dict[str, Any]) -> list[str]:
    out = []
    for key, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
                    ("exclusiveMaximum", "<")):
        if key in schema:
            out.append(f"{op} {value(schema[key])}")
    low, high = schema.get("minItems"), schema.get("maxItems")
    if low is not None and low == high:
        out.append(f"{low} items")
    elif low:
        out.append(f"at least {low} item{'s' if low != 1 else ''}")
    elif high is not None:
        out.append(f"at most {high} items")
    if schema.get("minProperties"):
        out.append(f"at least {schema['minProperties']} entry")
    if schema.get("minLength") == 1:
        out.append("not empty")
    return out


def default(schema: dict[str, Any]) -> str:
    return code(value(schema["default"])) if "default" in schema else ""


def rows(schema: dict[str, Any]) -> list[Row]:
    """The rows of an object schema's properties, in declared order."""
    required = set(schema.get("required", []))
    return [Row(key=name, type=kind(prop), required=name in required, default=default(prop),
                allowed=allowed(prop), description=str(prop.get("description", "")))
            for name, prop in schema.get("properties", {}).items() if isinstance(prop, dict)]


def rules(schema: dict[str, Any]) -> list[str]:
    """What an object schema asks of its keys together, in words: exactly one of, at least one
    of, not both, needs."""
    out = []
    messages = schema.get("x-messages") or {}
    for keyword, words in (("oneOf", "exactly one of"), ("anyOf", "at least one of")):
        names = _required_only(schema.get(keyword))
        if names:
            out.append(f"{words}: " + ", ".join(code(n) for n in names))
        elif keyword in messages:
            out.append(messages[keyword])
    for name, needed in (schema.get("dependentRequired") or {}).items():
        out.append(f"{code(name)} needs " + ", ".join(code(n) for n in needed))
    for part in schema.get("allOf") or []:
        text = (part.get("x-messages") or {}).get("not") if isinstance(part, dict) else None
        if text:
            out.append(text)
    return out


def _required_only(alternatives: Any) -> list[str]:
    """The key of each alternative when every one is just `{required: [key]}`."""
    if not alternatives or not all(isinstance(a, dict) and set(a) == {"required"}
                                   and len(a["required"]) == 1 for a in alternatives):
        return []
    return [a["required"][0] for a in alternatives]

"""The one Jinja environment for SQL: `ref()` discovery, rendering and identifier quoting.

SQL lives in Jinja (never YAML). `find_refs` reads the template's syntax tree to learn which step
outputs a SQL step reads, without rendering it; `render_sql` renders with a caller-supplied `ref`
that maps a step name to the relation to read. Undefined names are errors (StrictUndefined) and
nothing is HTML-escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2 import nodes

from framework.dialects import spark_ident

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_identifier(name: object) -> bool:
    """True for a plain SQL identifier: a letter or '_' followed by letters, digits or '_'."""
    return isinstance(name, str) and _IDENTIFIER.fullmatch(name) is not None


def _quote_filter(name: object) -> str:
    """The `quote` / `ident` filters: `spark_ident`, for a name that is a non-empty string (a
    template quoting nothing, or a number, is a mistake)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"not an identifier: {name!r}")
    return spark_ident(name)


def make_environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """A SQL Jinja environment: StrictUndefined, no autoescape, `quote` / `ident` filters."""
    env = jinja2.Environment(
        loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["quote"] = _quote_filter
    env.filters["ident"] = _quote_filter
    return env


ENV = make_environment()


def find_refs(sql: str) -> list[str]:
    """Names used as `ref('x')` in `sql`, in order of appearance, without duplicates.

    Raises jinja2.TemplateSyntaxError when the template does not parse.
    """
    seen: dict[str, None] = {}
    for call in ENV.parse(sql).find_all(nodes.Call):
        if _is_ref_call(call):
            seen.setdefault(call.args[0].value, None)
    return list(seen)


def _is_ref_call(call: nodes.Call) -> bool:
    return (
        isinstance(call.node, nodes.Name) and call.node.name == "ref"
        and len(call.args) == 1 and isinstance(call.args[0], nodes.Const)
        and isinstance(call.args[0].value, str)
    )


def dynamic_refs(sql: str) -> list[int]:
    """Template lines where `ref(...)` is called with something other than a literal name."""
    return [call.lineno for call in ENV.parse(sql).find_all(nodes.Call)
            if isinstance(call.node, nodes.Name) and call.node.name == "ref"
            and not _is_ref_call(call)]


def render_sql(sql: str, ref: Callable[[str], str], **context: Any) -> str:
    """Render `sql` with `ref(name)` supplied by the caller plus any extra context values."""
    return ENV.from_string(sql).render(ref=ref, **context)

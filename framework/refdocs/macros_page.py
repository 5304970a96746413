"""sql-macros.md: the macros of a SQL templates folder (`macros/*.sql`; by default the built-in
ones of `framework/sql/`) and the functions every template sees, read from the files: each
macro's signature, its dialect variants and the comment above it (a `{#- ---- title ---- -#}`
comment opens a group)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2 import nodes

from framework.refdocs.markdown import cell, code, page, prose, table
from framework.sqltemplates import BUILTIN_TEMPLATES, MACROS, SUFFIX, TEMPLATE_GLOBALS

FILE = "sql-macros.md"
_COMMENT = re.compile(r"\{#-?(.*?)-?#\}", re.S)
_GROUP = re.compile(r"^-{2,}\s*(.*?)\s*-{2,}$", re.S)


@dataclass
class Macro:
    name: str
    signature: str
    doc: str = ""
    variants: list[str] = field(default_factory=list)  # spark, postgres, default


@dataclass
class Group:
    title: str
    macros: list[Macro] = field(default_factory=list)


def _signature(macro: nodes.Macro) -> str:
    names = [a.name for a in macro.args]
    defaults = [d.value if isinstance(d, nodes.Const) else "..." for d in macro.defaults]
    start = len(names) - len(defaults)
    args = [n if i < start else f"{n}={defaults[i - start]!r}" for i, n in enumerate(names)]
    return f"{macro.name}({', '.join(args)})"


def _comments(text: str) -> list[tuple[int, str]]:
    """(line, text) of each comment, its text on one line."""
    return [(text.count("\n", 0, m.start()) + 1, " ".join(m.group(1).split()))
            for m in _COMMENT.finditer(text)]


def read_file(text: str) -> tuple[str, list[Group]]:
    """The file's opening comment and its macros in groups, in file order."""
    events: list[tuple[int, int, object]] = [(line, 0, doc) for line, doc in _comments(text)]
    events += [(m.lineno, 1, m) for m in jinja2.Environment().parse(text).find_all(nodes.Macro)]
    intro, groups, pending, public = "", [Group("")], "", {}
    for _, _, item in sorted(events, key=lambda e: (e[0], e[1])):
        if isinstance(item, str):
            title = _GROUP.match(item)
            if title:
                groups.append(Group(title.group(1)))
            elif not public and not intro and len(groups) == 1:
                intro = item
            else:
                pending = item
            continue
        assert isinstance(item, nodes.Macro)
        prefix, sep, base = item.name.partition("__")
        if sep and base in public:
            public[base].variants.append(prefix)
        elif not sep and not item.name.startswith("_"):
            public[item.name] = Macro(item.name, _signature(item), pending)
            groups[-1].macros.append(public[item.name])
            pending = ""
    return intro, [g for g in groups if g.macros]


def _group(g: Group) -> str:
    rows = [(code(m.signature), ", ".join(m.variants) or "one for all", m.doc)
            for m in g.macros]
    heading = f"### {cell(g.title)}\n\n" if g.title else ""
    return heading + table(("macro", "variants", "notes"), rows)


def render(folder: str | Path) -> str:
    folder = Path(folder)
    builtin = folder.resolve() == BUILTIN_TEMPLATES.resolve()
    where = "framework/sql" if builtin else folder.name
    sections = ["## Functions every template sees", table(
        ("name", "what it gives"), [(code(n), d) for n, d in TEMPLATE_GLOBALS.items()])]
    for path in sorted((folder / MACROS).glob(f"*{SUFFIX}")):
        intro, groups = read_file(path.read_text(encoding="utf-8"))
        sections += [f"## `{where}/{MACROS}/{path.name}`", prose(intro),
                     *(_group(g) for g in groups)]
    if builtin:
        lead = (f"The built-in macros of `{where}/{MACROS}/`, which serve every templates folder "
                "(the one a pipeline names under `sql.templates`) without a `macros/` of its "
                "own: callable from every view, query and DDL template there. ")
    else:
        lead = (f"The macros of `{where}/{MACROS}/` (the templates folder a pipeline names under "
                "`sql.templates`), callable from every view, query and DDL template there. ")
    lead += ("Arguments are SQL expression strings; each macro returns one SQL expression. "
             "Where Spark SQL and PostgreSQL differ, a macro has a variant per dialect "
             "(`spark__x`, `postgres__x`, else `default__x`) and `dispatch` picks it.")
    return page("SQL macros", lead, sections)

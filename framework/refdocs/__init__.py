"""`etl docs`: the reference pages, generated from what validation itself reads.

- transforms.md from the registry (every transform and generator, built-in or plugin: its
  docstring, parameters and `Example:` block);
- pipeline.md from the pipeline JSON Schema (every section and key);
- checks.md from the checks' schema and the rule catalogue (framework.checks);
- sql-macros.md from a SQL templates folder's `macros/*.sql`, when one is given;
- README.md, the index.

Deterministic (sorted, no timestamps, no absolute paths), so a test can regenerate the pages and
compare them with the committed ones. Pure text: no pyspark.
"""

from __future__ import annotations

import os
from pathlib import Path

from framework.atomicfile import write_text
from framework.checks import RULES
from framework.refdocs import checks_page, macros_page, pipeline_page, transforms_page
from framework.refdocs.markdown import page, table
from framework.registry import Registry
from framework.schema import pipeline_schema

INDEX = "README.md"
COMMAND = "etl docs"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _index(registry: Registry, files: list[str]) -> str:
    what = {
        pipeline_page.FILE: "every section and key of a pipeline file: type, default, allowed "
                            "values",
        transforms_page.FILE: f"{_count(len(registry.transforms), 'transform')} and "
                              f"{_count(len(registry.generators), 'generator')}: parameters "
                              f"and an example each",
        checks_page.FILE: f"{len(RULES)} data-quality check rules, severity and thresholds",
        macros_page.FILE: "the SQL templates' macros and functions, per dialect",
    }
    rows = [(f"[{name}]({name})", what[name]) for name in files]
    intro = ("The reference of pipeline files, generated from the registry, the pipeline JSON "
             "Schema and the check rules by `etl docs` (with installed plugins, their transforms "
             "too). The README's guide walks through writing a pipeline; these pages list "
             "everything it can say.")
    return page("Reference", intro, [table(("page", "what it holds"), rows)])


def render_docs(registry: Registry, templates: str | os.PathLike[str] | None = None
                ) -> dict[str, str]:
    """File name -> Markdown text of every page (the index first)."""
    schema = pipeline_schema(registry)
    pages = {pipeline_page.FILE: pipeline_page.render(schema),
             transforms_page.FILE: transforms_page.render(registry),
             checks_page.FILE: checks_page.render(schema)}
    if templates is not None:
        pages[macros_page.FILE] = macros_page.render(templates)
    return {INDEX: _index(registry, list(pages)), **pages}


def write_docs(folder: str | os.PathLike[str], pages: dict[str, str]) -> list[Path]:
    """Write each page under `folder` (made when missing), each whole or not at all."""
    written = []
    for name, text in pages.items():
        target = Path(folder) / name
        write_text(target, text, make_folders=True)
        written.append(target)
    return written


def stale_docs(folder: str | os.PathLike[str], pages: dict[str, str]) -> list[str]:
    """The pages whose file under `folder` is missing or differs from `pages`."""
    out = []
    for name, text in pages.items():
        target = Path(folder) / name
        try:
            current = target.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            current = None
        if current != text:
            out.append(name)
    return out

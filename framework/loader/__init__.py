"""Reads a pipeline YAML file into a `Document`: plain data, a source map and `${...}` substitution.

Owns everything between the bytes on disk and a dict the schema can validate: reading within
limits and parsing with a source map (`parse`), substitution of `${NAME}` / `${NAME:-default}` /
`$${` in string scalars with variables in dependency order and secrets found (`variables`), and
refusal of passwords written into the file. Every problem found is collected; `load_document`
raises one `SpecError` with all of them. Paths inside the document are not resolved here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from framework.errors import KeyPath, Problem, SpecError, format_path
from framework.loader.document import Document, parse_scalar
from framework.loader.parse import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, parse_yaml
from framework.loader.targets import apply_target
from framework.loader.variables import substitute
from framework.masking import literal_passwords

__all__ = [
    "MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "Document", "load_document",
    "parse_file", "parse_scalar", "read_document",
]


def parse_file(path: str | os.PathLike[str]) -> Document:
    """Parse one YAML file into a Document without substitution; raises SpecError on problems."""
    doc, problems = parse_yaml(str(path))
    if problems:
        raise SpecError(problems)
    return doc


def read_document(
    path: str | os.PathLike[str],
    overrides: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    target: str | None = None,
) -> tuple[Document | None, list[Problem]]:
    """Like `load_document` but returns the problems instead of raising; `target` "postgres"
    loads every sink into PostgreSQL too (`loader.targets`).

    The Document is None when the file could not be parsed; after substitution problems it is
    returned (failed values are empty strings, their paths in `doc.unresolved`).
    """
    doc, problems = parse_yaml(str(path))
    if problems:
        return None, problems
    env = os.environ if env is None else env
    targeted = apply_target(doc, target, env)
    written = _written_passwords(doc, doc.data, ())
    problems = substitute(doc, overrides or {}, env)
    if targeted:  # said once, in the words of --target, not as an undefined variable
        problems = [p for p in problems if p.path != "warehouse.postgres.dsn"]
    return doc, targeted + written + problems


def _written_passwords(doc: Document, value: Any, path: KeyPath) -> list[Problem]:
    """A password written into the file (a DSN's, say) instead of read from the environment:
    pipeline files are committed, and a secret must never be."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _written_passwords(doc, v, path + (k,))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _written_passwords(doc, v, path + (i,))]
    if isinstance(value, str) and literal_passwords(value):
        return [Problem("a password is written into the pipeline file", doc.locate(path),
                        format_path(path),
                        "read it from the environment instead, e.g. "
                        "dsn: \"postgresql://user:${PG_PASSWORD}@host/db\" or the whole "
                        "DSN: \"${PG_DSN}\"")]
    return []


def load_document(
    path: str | os.PathLike[str],
    overrides: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Document:
    """Parse `path`, substitute variables and return the Document; raise SpecError on problems."""
    doc, problems = read_document(path, overrides, env)
    if problems or doc is None:
        raise SpecError(problems)
    return doc

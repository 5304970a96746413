"""`--target postgres`: the pipeline as written, with every sink also loaded into PostgreSQL.

Applied to the parsed document before substitution and validation, so a pipeline run this way is
checked exactly like one that declares `targets: [parquet, postgres]` on each sink (PostgreSQL's
naming rules, the DSN's password kept secret). The DSN is the pipeline's own
`warehouse.postgres.dsn` when it declares one, else the environment variable `PG_DSN`; the
schema likewise, else `PG_SCHEMA`, else `public`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from framework.errors import Problem
from framework.loader.document import Document

TARGETS = ("parquet", "postgres")
DSN_VARIABLE = "PG_DSN"
SCHEMA_VARIABLE = "PG_SCHEMA"


def apply_target(doc: Document, target: str | None, env: Mapping[str, str]) -> list[Problem]:
    """Rewrite `doc` in place for `target` (None or "parquet": as written); the problem when
    PostgreSQL has no DSN to connect with."""
    if target != "postgres" or not isinstance(doc.data, dict):
        return []
    sinks = doc.data.get("sinks")
    for raw in sinks.values() if isinstance(sinks, dict) else ():
        if isinstance(raw, dict):
            declared = raw.get("targets")
            written = list(declared) if isinstance(declared, list) else ["parquet"]
            raw["targets"] = written + [t for t in ("postgres",) if t not in written]
    warehouse = _mapping(doc.data, "warehouse")
    postgres = _mapping(warehouse, "postgres") if warehouse is not None else None
    if postgres is None:
        return []  # not a mapping: the schema says so
    if not postgres.get("schema"):
        postgres["schema"] = "${" + SCHEMA_VARIABLE + ":-public}"
    if postgres.get("dsn"):
        return []
    postgres["dsn"] = "${" + DSN_VARIABLE + "}"
    if env.get(DSN_VARIABLE):
        return []
    where = ("warehouse", "postgres") if doc.has(("warehouse", "postgres")) else ("warehouse",)
    doc.unresolved.add(("warehouse", "postgres", "dsn"))  # no second word on the empty value
    return [Problem(f"--target postgres needs a DSN: the pipeline declares none and "
                    f"${DSN_VARIABLE} is not set", doc.key_location(where),
                    "warehouse.postgres.dsn",
                    f"export {DSN_VARIABLE}=postgresql://USER@HOST:5432/DATABASE (the password "
                    f"in it or in PGPASSWORD; never in the file), or declare "
                    f"warehouse.postgres.dsn")]


def _mapping(parent: dict[str, Any], key: str) -> dict[str, Any] | None:
    """`parent[key]`, created empty when missing; None when it is something else (the schema
    reports that)."""
    if parent.get(key) is None:
        parent[key] = {}
    value = parent[key]
    return value if isinstance(value, dict) else None

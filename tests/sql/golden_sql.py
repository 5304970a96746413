"""The golden rendered SQL: what `etl sql render` gives for the clickstream pipeline (one DDL
per sink from its declared columns, every view and query) and every public macro, rendered for
each dialect, as files under tests/sql/golden/<dialect>/.

`scripts/update_golden_sql.py` writes them; tests/sql/test_golden_sql.py renders again and
compares, so a change to a macro or a template shows as a reviewable diff of the SQL it makes.
PostgreSQL relations use the clickstream pipeline's warehouse schema, as `etl sql render` does.
"""

from __future__ import annotations

from pathlib import Path

from framework.dialects import DIALECTS
from framework.sqltemplates import SqlRenderer

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "sql_templates"
GOLDEN = ROOT / "tests" / "sql" / "golden"
PIPELINE = ROOT / "pipelines" / "clickstream.yaml"
MACROS_FILE = "macros.sql"

# arguments for macros whose parameters are not free SQL expressions (else: the parameter names)
SAMPLE_ARGS: dict[str, tuple] = {
    "date_trunc_to": ("week", "event_ts"),
    "round_half_up": ("x", 2),
    "pct": ("num", "den"),
    "percentile": ("x", 0.5),
    "string_agg_ordered": ("page", "' > '", "event_ts"),
    "add_days": ("d", 7),
    "order_nulls_last": ("x",),  # and once more with desc=True
}


NO_WAREHOUSE = "/nonexistent-data"  # the DDL from declared columns, the same on every machine


def clickstream():
    from framework.validate import default_registry, load_pipeline

    return load_pipeline(PIPELINE, registry=default_registry(), env={})


def postgres_schema() -> str:
    return clickstream().warehouse.postgres_schema


def macro_samples(renderer: SqlRenderer) -> str:
    """Each public macro called once: `-- name(args)` then the SQL it gives."""
    namespace = renderer.namespace()
    lines = []
    for name in renderer.macros():
        macro = namespace[name]
        args = SAMPLE_ARGS.get(name, tuple(macro.arguments))
        shown = ", ".join(repr(a) for a in args)
        lines += [f"-- {name}({shown})", str(macro(*args)), ""]
        if name == "order_nulls_last":
            lines += [f"-- {name}({shown}, desc=True)", str(macro(*args, desc=True)), ""]
    return "\n".join(lines)


def golden_files(schema: str | None = None) -> dict[str, str]:
    """'<dialect>/<kind>/<name>.sql' and '<dialect>/macros.sql' -> the rendered text."""
    from dataclasses import replace

    from framework.sqlsection import render_section

    spec = clickstream()
    schema = schema or spec.warehouse.postgres_schema
    spec = replace(spec, warehouse=replace(spec.warehouse, postgres_schema=schema))
    out: dict[str, str] = {}
    for dialect in DIALECTS:
        renderer = SqlRenderer(TEMPLATES, dialect, schema=schema)
        out[f"{dialect}/{MACROS_FILE}"] = macro_samples(renderer)
        for name, text in render_section(spec, dialect, NO_WAREHOUSE).items():
            out[f"{dialect}/{name}"] = text
    return out


def on_disk() -> dict[str, str]:
    return {p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(GOLDEN.rglob("*.sql"))} if GOLDEN.is_dir() else {}


def write_golden() -> tuple[list[str], list[str]]:
    """Write every golden file, remove the ones no template makes any more; (written, removed)
    names, only those that changed."""
    fresh, old = golden_files(), on_disk()
    written = [name for name, text in fresh.items() if old.get(name) != text]
    removed = sorted(set(old) - set(fresh))
    for name in written:
        path = GOLDEN / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fresh[name], encoding="utf-8")
    for name in removed:
        (GOLDEN / name).unlink()
    return written, removed

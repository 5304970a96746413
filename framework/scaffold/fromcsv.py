"""The scaffold `etl init NAME --from FOLDER` writes: one source per sample CSV file (its schema
proposed by `infer`, the file copied under sample/), a step renaming columns SQL cannot use
unquoted, a SQL step counting each source's rows, a sink per source and one for the counts, a
view and a query, a report, and tests built from the samples' first rows."""

from __future__ import annotations

import os
import re

from framework.scaffold import parts
from framework.scaffold.infer import Column, Sample, source_id
from framework.text import printable

COUNTS_STEP, COUNTS_SINK = "row_counts", "source_row_counts"
RESERVED = {COUNTS_STEP, COUNTS_SINK}
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def renames(sample: Sample) -> dict[str, str]:
    """Column -> a plain name, for the columns that are not plain identifiers."""
    plain = {c.name for c in sample.columns if _PLAIN.match(c.name)}
    taken = {n.lower() for n in plain}
    out = {}
    for column in sample.columns:
        if column.name not in plain:
            new = source_id(column.name, taken)
            taken.add(new)
            out[column.name] = new
    return out


def _typed(text: str | None, column: Column):
    """A sample cell as the YAML value a test writes for it."""
    if text is None:
        return None
    if column.type in ("int", "bigint"):
        return int(text)
    if column.type == "double":
        return float(text)
    if column.type == "boolean":
        return text.lower() == "true"
    return text


def _row(sample: Sample, values: tuple[str | None, ...], names: dict[str, str]) -> str:
    return parts.flow({names.get(c.name, c.name): _typed(v, c)
                       for c, v in zip(sample.columns, values, strict=True)})


def schema_file(sample: Sample) -> str:
    base = os.path.basename(sample.path)
    cut = "" if sample.complete else f", the first {sample.rows_read:,} of them"
    lines = [f"# Proposed by `etl init` from sample/{base} ({sample.rows_read:,} rows read{cut}):",
             "# review each type. A column with no value in the sample is string; times are UTC.",
             "columns:"]
    entries = [f"  {parts.key(c.name)}: {c.type}" for c in sample.columns]
    width = max(len(e) for e in entries) + 2
    for entry, c in zip(entries, sample.columns, strict=True):
        note = f"e.g. {printable(c.example)[:60]}" if c.example is not None \
            else "no value in the sample"
        lines.append(f"{entry:<{width}}# {note}")
    return "\n".join(lines) + "\n"


def _source(sample: Sample) -> str:
    base = os.path.basename(sample.path)
    lines = [f"  {sample.id}:",
             f"    path: {parts.scalar('${pipeline_dir}/sample/' + base)}",
             "    format: csv",
             f"    schema: schemas/{sample.id}.yaml   # proposed from the sample: review it",
             "    on_malformed: quarantine"]
    if sample.encoding:
        lines.append(f"    encoding: {sample.encoding}   # the sample is not UTF-8: check it "
                     f"(windows-1252?)")
    options = {"sep": sample.delimiter} if sample.delimiter != "," else {}
    options |= {"multiLine": "true"} if sample.multiline else {}
    if options:
        lines.append(f"    options: {parts.flow(options)}")
    key = next((c for c in sample.columns if c.key), None)
    if key is not None:
        lines += [f"    checks:                 # {key.name!r} is set and unique in the "
                  f"whole sample",
                  f"      - not_null: {parts.scalar(key.name)}",
                  f"      - unique: {parts.scalar(key.name)}"]
    return "\n".join(lines)


def _steps(samples: list[Sample]) -> str:
    out = ["steps:"]
    for sample in samples:
        names = renames(sample)
        if names:
            out += [f"  - id: {sample.id}_named",
                    "    description: column names SQL can use without quoting",
                    "    transform: rename",
                    f"    input: {sample.id}",
                    f"    params: {{columns: {parts.flow(names)}}}", ""]
    unions = "\n      UNION ALL\n".join(
        f"      SELECT '{s.id}' AS source, count(*) AS row_count FROM {{{{ ref('{s.id}') }}}}"
        for s in samples)
    first = samples[0]
    some = next((c.name for c in first.columns if _PLAIN.match(c.name)), None)
    out += [f"  - id: {COUNTS_STEP}",
            "    description: how many rows each source read",
            "    sql: |",
            unions, ""]
    out += ["  # - id: " + f"{first.id}_unique" + "        # more: `etl transforms` lists them",
            "  #   transform: dedupe",
            f"  #   input: {first.id}",
            f"  #   params: {{keys: [{some or 'a_column'}]}}"]
    return "\n".join(out)


def _sinks(samples: list[Sample]) -> str:
    out = ["sinks:"]
    for sample in samples:
        base = os.path.basename(sample.path)
        named = bool(renames(sample))
        key = next((c for c in sample.columns if c.key), None)
        out.append(f"  {sample.id}:")
        out.append(f"    from: {sample.id}_named" if named else f"    from: {sample.id}")
        out.append(f"    description: the rows of {base}")
        if key is not None and not named:
            out.append(f"    primary_key: [{parts.scalar(key.name)}]")
    out += [f"  {COUNTS_SINK}:",
            f"    from: {COUNTS_STEP}",
            "    description: one source",
            "    primary_key: [source]",
            "    columns:",
            "      source: {description: the source's id, not_null: true, unique: true}",
            "      row_count: {description: the rows it read, range: {min: 1}}"]
    return "\n".join(out)


def pipeline(name: str, samples: list[Sample], folder: str) -> str:
    body = [parts.head(name, f"the sample CSV files of {folder}").rstrip("\n"),
            f"description: Sample data from {parts.scalar(folder)[:100]}",
            "", parts.SPARK_AND_OPTIMIZATIONS, parts.GENERATORS,
            "sources:", "\n".join(_source(s) for s in samples), "",
            _steps(samples), "", _sinks(samples), "", parts.WAREHOUSE,
            "sql:                            # the analysts' SQL: `etl sql render`, `etl sql run`",
            "  templates: sql                # views/ and queries/ (macros, DDL: built in)", "",
            "report: report.yaml             # built after `etl run`; `etl report` again", ""]
    return "\n".join(body)


def view(sample: Sample) -> str:
    base = os.path.basename(sample.path)
    return (f"-- name: v_{sample.id}\n-- kind: view\n"
            f"-- question: What does the sample {base} hold, as published?\n"
            f"-- grain: one row per row of {base}\n-- tables: {sample.id}\n"
            f"SELECT * FROM {{{{ rel('{sample.id}') }}}}\n")


QUERY = f"""\
-- name: {COUNTS_STEP}
-- question: How many rows did each source read?
-- grain: one row per source
-- tables: {COUNTS_SINK}
SELECT source, row_count
FROM {{{{ rel('{COUNTS_SINK}') }}}}
ORDER BY source
"""


def report(name: str) -> str:
    return f"""\
# The report `etl run` builds after a run (`etl report` builds it again): cards and sections,
# each naming a query or view of the pipeline's sql: section.
title: {parts.scalar(name)}
subtitle: The sample data as loaded

cards:
  - label: Rows loaded
    query: {COUNTS_STEP}
    column: row_count
    agg: sum
    format: integer

sections:
  - id: row_counts
    title: Rows per source
    query: {COUNTS_STEP}
    charts:
      - id: rows_per_source
        kind: bar
        title: Rows per source
        x: source
        y: row_count
        x_label: Source
        y_label: Rows
        format: integer
"""


def tests(name: str, samples: list[Sample]) -> str:
    given = []
    for s in samples:
        given.append(f"      {s.id}:")
        given += [f"        - {_row(s, values, {})}" for values in s.rows[:2]]
    counts = [f"        - {{source: {s.id}, row_count: {len(s.rows[:2])}}}" for s in samples]
    first = samples[0]
    names = renames(first)
    target = first.id
    key = next((c for c in first.columns if c.key), None)
    rows_in = [f"        - {_row(first, values, {})}" for values in first.rows]
    rows_out = [f"        - {_row(first, values, names)}" for values in first.rows]
    key_line = [f"      key: {parts.scalar(names.get(key.name, key.name))}"] if key else []
    return "\n".join([
        f"# Tests of {name}.yaml: `etl test {name}/{name}.yaml`. Built from the samples' first",
        "# rows: change them into the cases your steps must get right (README: Testing a",
        "# pipeline). A source's rows get its declared types; columns left out are null.",
        "tests:",
        f"  - name: {COUNTS_STEP} counts the rows of each source",
        f"    target: {COUNTS_STEP}",
        "    given:", *given,
        "    expect:", "      key: source", "      rows:", *counts, "",
        f"  - name: {target} is published as it was read",
        f"    target: sink:{target}",
        "    given:", f"      {first.id}:", *rows_in,
        "    expect:", *key_line, "      rows:", *rows_out, ""])


def files(name: str, samples: list[Sample], folder: str) -> dict[str, str]:
    """Path in the folder -> text (the samples themselves are copied apart)."""
    out = {
        f"{name}.yaml": pipeline(name, samples, folder),
        f"{name}.tests.yaml": tests(name, samples),
        "sql/queries/row_counts.sql": QUERY,
        f"sql/views/v_{samples[0].id}.sql": view(samples[0]),
        "report.yaml": report(name),
        "README.md": parts.readme(name, f"Proposed from the CSV files of {folder} (copied "
                                        f"under `sample/`): review the types in `schemas/`."),
    }
    out |= {f"schemas/{s.id}.yaml": schema_file(s) for s in samples}
    return out

"""The pipeline JSON Schema (assembled from the registry) and the mapping of its errors to Problems.

`pipeline_schema(registry)` is the base schema of the pipeline file plus each registered transform's
and generator's `params` schema, attached with `if transform == NAME then params: <schema>`, so an
editor can autocomplete and validate every step. `validate_document` runs the schema over a loaded
Document and turns EVERY error into a located, plain-words Problem with did-you-mean; noise from
`oneOf`/`anyOf` is reduced to its most specific error. Custom wording lives in the schema itself
under `x-messages` (validator keyword -> message).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from framework.atomicfile import write_text
from framework.checks import COLUMN_RULES, DEFAULT_THRESHOLD, RULE_DOCS, RULES, SEVERITIES
from framework.errors import KeyPath, Problem, did_you_mean, format_path
from framework.loader import Document
from framework.registry import Registry
from framework.spec import (
    COMPRESSIONS,
    FILE_FORMATS,
    MALFORMED_POLICIES,
    PIPELINE_NAME_PATTERN,
    SINK_MODES,
    STORAGE_LEVELS,
    Optimizations,
    SparkSpec,
    WarehouseSpec,
)

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
MODELINE = "# yaml-language-server: $schema=../schema/pipeline.schema.json"
_SECONDARY = ("required", "oneOf", "dependentRequired")
_TYPE_WORDS = {
    "string": "a string", "integer": "a whole number", "number": "a number",
    "boolean": "true or false", "array": "a list", "object": "a mapping", "null": "nothing",
}
_SIZE = r"^[0-9]+(\.[0-9]+)?\s*([kKmMgGtT]?[bB]|[kKmMgGtT])?$"
_COLUMN_TYPE = (r"^(string|varchar\([0-9]+\)|char\([0-9]+\)|int|integer|bigint|long|smallint|"
                r"short|tinyint|byte|double|float|real|boolean|bool|date|timestamp|timestamp_ntz|"
                r"binary|decimal(\([0-9]+,\s*[0-9]+\))?|(array|map|struct)<.+>)$")


def _obj(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return {**schema, **extra}


def _str(description: str = "", **extra: Any) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **extra}


def _given(description: str, **extra: Any) -> dict:
    """A string that must not be empty: a name, a path, a query."""
    return _str(description, minLength=1, **extra)


def _names(description: str = "") -> dict:
    """A name or a list of names."""
    return {"type": ["string", "array"], "items": {"type": "string"}, "description": description}


def _scalar_map(description: str) -> dict:
    return {"type": "object", "description": description,
            "additionalProperties": {"type": ["string", "number", "boolean"]}}


def _repartition() -> dict:
    return _obj({
        "num": {"type": "integer", "minimum": 1, "description": "number of partitions"},
        "by": _names("columns to hash-partition by"),
        "coalesce": {"type": "boolean", "default": False,
                     "description": "coalesce(num) instead of a shuffle"},
    }, description="repartition the output before writing or passing it on")


def column_types_schema() -> dict:
    """`{columns: {name: type}}`, the form of a schema file or an inline source schema."""
    column = _str("a Spark SQL type", pattern=_COLUMN_TYPE, **{"x-messages": {
        "pattern": "unknown column type; use a Spark SQL type such as string, int, bigint, "
                   "double, boolean, date, timestamp or decimal(10,2)"}})
    return _obj({"columns": {"type": "object", "minProperties": 1,
                             "additionalProperties": column,
                             "description": "column name -> its Spark SQL type, in file order"}},
                required=("columns",))


def _spark() -> dict:
    return _obj({
        "master": _str("Spark master URL: local[*], spark://host:7077, ...",
                       default=SparkSpec().master),
        "app_name": _str("the Spark application's name (default: the pipeline's)"),
        "driver_memory": _str("e.g. 4g"),
        "conf": _scalar_map("extra Spark configuration, e.g. spark.sql.session.timeZone: UTC"),
    }, description="how the SparkSession is built")


def _optimizations() -> dict:
    default = Optimizations()
    return _obj({
        "adaptive": {"type": "boolean", "default": default.adaptive,
                     "description": "adaptive query execution (AQE): Spark re-plans each stage "
                                    "from the sizes it measured"},
        "coalesce_partitions": {"type": "boolean", "default": default.coalesce_partitions,
                                "description": "AQE merges small shuffle partitions"},
        "skew_join": {"type": "boolean", "default": default.skew_join,
                      "description": "AQE splits skewed partitions of a join"},
        "shuffle_partitions": {
            "type": ["integer", "string"], "minimum": 1, "default": default.shuffle_partitions,
            "description": "partitions of a shuffle (spark.sql.shuffle.partitions); auto: 4 "
                           "per local core, raised to one per 32 MB of input once the sources "
                           "are read",
            "if": {"type": "string"}, "then": {"const": "auto", "x-messages": {
                "const": "expected a number of partitions (>= 1) or 'auto'"}}},
        "broadcast_threshold": {
            "type": ["string", "integer"], "minimum": -1, "pattern": _SIZE,
            "default": default.broadcast_threshold,
            "description": "tables up to this size are broadcast in joins "
                           "(spark.sql.autoBroadcastJoinThreshold); -1 never",
            "x-messages": {"pattern": "expected a size like 10MB, a number of bytes, or -1"}},
        "auto_cache": {"type": "boolean", "default": default.auto_cache,
                       "description": "cache a step's output that feeds two or more consumers"},
        "storage_level": {"enum": list(STORAGE_LEVELS), "default": default.storage_level,
                          "description": "where cached outputs are kept (auto_cache, and "
                                         "`cache: true`)"},
        "jit": {"enum": ["auto", "full", "quick"], "default": default.jit, "description":
                "quick: the JVM compiles with C1 only (faster for runs under about half a "
                "minute of computing); full: C1 then C2; auto: quick below 48 MB of input, "
                "full from there"},
        "parallel_tasks": {
            "type": ["integer", "string"], "minimum": 1, "default": default.parallel_tasks,
            "description": "how many tasks (source reads, steps, sink writes) run at once, each "
                           "as soon as what it reads is ready (auto: two per core, 2 to 8; "
                           "1: one by one in plan order)",
            "if": {"type": "string"}, "then": {"const": "auto", "x-messages": {
                "const": "expected a number of tasks (>= 1) or 'auto'"}}},
    }, description="Spark optimizations: AQE, shuffle partitions, broadcast, caching")


def _generator(registry: Registry) -> dict:
    return _obj({
        "generator": {"enum": sorted(registry.generators), "description": "a registered generator"},
        "params": {"type": "object", "description": "the generator's parameters (see its "
                   "reference); the ones left out take their defaults"},
        "landing": _obj({"path": _given("folder the raw tables land in, one subfolder per "
                                        "table (relative to the data directory)"),
                         "format": {"enum": list(FILE_FORMATS), "default": "csv",
                                    "description": "file format of the landed tables"}},
                        required=("path",), description="where the generated tables are "
                        "written once, then read back like any source"),
    }, required=("generator", "landing"), description="a synthetic source: a registered "
       "generator run with its params, its tables landed as files", allOf=[
        _params_rule("generator", name, gdef.params) for name, gdef in
        sorted(registry.generators.items())])


def _source() -> dict:
    schema = {"type": ["string", "object"], "minLength": 1, "if": {"type": "object"},
              "then": column_types_schema(), "description": "a schema file or {columns: {...}}"}
    message = "a source needs either `generated: <generator>.<table>` or `path:` plus `format:`"
    return _obj({
        "generated": _str("a generator's landed table, <generator id>.<table> (instead of "
                          "path and format)", pattern=r"^[^.\s]+\.[^.\s]+$",
                          **{"x-messages": {"pattern": "expected <generator id>.<table>"}}),
        "path": _given("files to read (relative to the data directory)"),
        "format": {"enum": list(FILE_FORMATS), "description": "file format of `path`"},
        "schema": schema,
        "options": _scalar_map("reader options (header, sep, ...)"),
        "on_malformed": {"enum": list(MALFORMED_POLICIES), "default": "fail", "description":
                         "a csv or json row that does not fit the schema: fail the run, drop "
                         "it, or quarantine it (kept aside under the run's folder)"},
        "encoding": _str("the files' character set: UTF-8 (default), ISO-8859-1, windows-1252, "
                         "UTF-16, ...", default="UTF-8"),
        "allow_empty": {"type": "boolean", "default": False,
                        "description": "publish even when the source reads "
                        "0 rows (default false: such a run fails before publishing)"},
        "max_malformed": {
            "type": ["integer", "string"], "minimum": 0, "pattern": _SHARE,
            "description": "the most malformed rows a run accepts (a count, or a share of "
                           "the rows read like 1%); above it the run fails before publishing",
            "x-messages": {"pattern": "expected a number of rows or a share like 1% or 0.5%"}},
        "checks": _checks("the rows read (the valid ones)"),
        "description": _str("what the source holds, for people"),
    }, description="an input table: files read with a declared schema, or a generator's "
       "landed table", oneOf=[{"required": ["generated"],
               "not": {"anyOf": [{"required": ["format"]}, {"required": ["path"]}]}},
              {"required": ["path", "format"]}], **{"x-messages": {"oneOf": message}})


def _step(registry: Registry) -> dict:
    kind = "a step needs exactly one of `transform:`, `sql:` or `sql_file:`"
    return _obj({
        "id": _given("the step's name; also the name of its output"),
        "description": _str("what the step computes, for people"),
        "transform": {"enum": sorted(registry.transforms), "description": "registered transform"},
        "sql": _given("Spark SQL; read other outputs with {{ ref('name') }}"),
        "sql_file": _given("a .sql file, relative to the pipeline file"),
        "input": _given("the one input (a source or step id)"),
        "inputs": {"type": "array", "items": _given("a source or step id"),
                   "description": "the inputs, in the order the transform takes them"},
        "params": {"type": "object", "description": "the transform's parameters (see its "
                   "reference); the ones left out take their defaults"},
        "cache": {"type": ["boolean", "string"], "if": {"type": "string"},
                  "then": {"enum": list(STORAGE_LEVELS)},
                  "description": "keep the output once computed: true (at "
                                 "optimizations.storage_level) or a storage level"},
        "broadcast": _names("inputs to mark with a broadcast hint"),
        "repartition": _repartition(),
        "tags": {"type": "array", "items": {"type": "string"},
                 "description": "labels to select steps by (--select tag:NAME)"},
        "checks": _checks("the step's output, when it is computed"),
    }, required=("id",), description="one table computed from its inputs: a registered "
       "transform, or Spark SQL", oneOf=[{"required": [k]} for k in ("transform", "sql",
                                                                     "sql_file")],
        allOf=[{"not": {"required": ["input", "inputs"]},
                "x-messages": {"not": "use either `input:` or `inputs:`, not both"}}]
        + [_params_rule("transform", name, tdef.params)
           for name, tdef in sorted(registry.transforms.items())],
        **{"x-messages": {"oneOf": kind}})


def _params_rule(key: str, name: str, params: dict) -> dict:
    """if <key> == name then params must match the declared schema."""
    then: dict[str, Any] = {"properties": {"params": params}}
    needed = params.get("required") or []
    if needed:
        then["required"] = ["params"]
        then["x-messages"] = {"required": f"{key} {name!r} needs params: {', '.join(needed)}"}
    return {"if": {"properties": {key: {"const": name}}, "required": [key]}, "then": then}


def _sink() -> dict:
    return _obj({
        "from": _given("the step or source whose output this table receives"),
        "partition_by": _names("partition columns"),
        "mode": {"enum": list(SINK_MODES), "default": "overwrite", "description":
                 "overwrite: the table is replaced; append: rows are added; "
                 "overwrite_partitions: only the partitions written are replaced"},
        "repartition": _repartition(),
        "compression": {"enum": list(COMPRESSIONS), "description": "Parquet compression "
                        "(default: the warehouse's)"},
        "targets": {"type": "array", "items": {"enum": ["parquet", "postgres"]}, "minItems": 1,
                    "default": ["parquet"], "description": "where the table is published: "
                    "Parquet files, PostgreSQL (warehouse.postgres), or both"},
        "description": _str("what one row of the table is (COMMENT ON TABLE in PostgreSQL)"),
        "primary_key": _names("the columns that identify a row (PRIMARY KEY in PostgreSQL)"),
        "references": {"type": "object", "description": "foreign keys: column -> "
                       "other_sink.column, that sink's primary key",
                       "additionalProperties": _str(
                           pattern=r"^[^.\s]+\.[^.\s]+$",
                           **{"x-messages": {"pattern": "expected other_table.column"}})},
        "indexes": {"type": "array", "description": "indexes in PostgreSQL, each a list of "
                    "columns", "items": {"type": "array", "items": {"type": "string"},
                                         "minItems": 1}},
        "columns": {"type": "object", "description": "column -> what is known of it, and the "
                    "checks it must pass (severity error) before the table is published",
                    "additionalProperties": _column_entry()},
        "checks": _checks("the staged table, before it replaces the published one"),
    }, required=("from",), description="a warehouse table, published atomically")


_SHARE = r"^\s*[0-9]+(\.[0-9]+)?\s*%\s*$"
_THRESHOLD = r"^\s*(>|>=|<|<=|=|==|!=)\s*[0-9]+(\.[0-9]+)?\s*%?\s*$"
_MAX_AGE = r"^\s*[0-9]+\s*[smhdw]\s*$"
_SCALAR = {"type": ["string", "number", "boolean"]}
_BOUND = {"type": ["number", "string"], "description": "a number, or a date/timestamp text"}
# (rule, parameter) or parameter -> the schema of its value
_PARAMS: dict[tuple[str, str] | str, dict] = {
    "column": _given("the column checked"),
    "values": {"type": "array", "items": _SCALAR, "minItems": 1,
               "description": "the values allowed"},
    ("range", "min"): _BOUND, ("range", "max"): _BOUND,
    "inclusive": {"type": "boolean", "default": True,
                  "description": "min and max themselves allowed"},
    "pattern": _given("a regular expression every value matches (Java syntax, as Spark's "
                      "rlike)"),
    "type": _str("a Spark SQL type", pattern=_COLUMN_TYPE, **{"x-messages": {
        "pattern": "unknown column type; use a Spark SQL type such as string, int, bigint, "
                   "double, boolean, date, timestamp or decimal(10,2)"}}),
    ("row_count", "min"): {"type": "integer", "minimum": 0, "description": "the fewest rows"},
    ("row_count", "max"): {"type": "integer", "minimum": 0, "description": "the most rows"},
    "columns": {"type": "array", "items": _given("a column"), "minItems": 1,
                "description": "the columns whose combination is checked"},
    "to": _str("<sink table or source/step id>.<column> where every value must be found",
               pattern=r"^[^.\s]+\.[^.\s]+$",
               **{"x-messages": {"pattern": "expected <table or id>.<column>"}}),
    "expr": _given("a Spark SQL boolean every row satisfies"),
    "max_age": _str("how old the newest value may be, relative to the run's start: 90m, "
                    "36h, 2d, 1w", pattern=_MAX_AGE, **{"x-messages": {
                        "pattern": "expected an age like 90m, 36h, 2d or 1w"}}),
    "sql": _given("Spark SQL returning the failing rows; {this} is the checked table, "
                  "{<id>} another source's, step's or sink's rows in this run"),
}
# a rule whose whole value may be its one parameter written plainly
_PLAIN = {"unique_combination": ("columns", "array"), "expression": ("expr", "string"),
          "query": ("sql", "string")}


def _rule_params(rule: str) -> dict:
    """The mapping form of a rule's value: its parameters (a column rule's `column` first)."""
    per_column, params, required = RULES[rule]
    names = (("column",) if per_column else ()) + params
    return _obj({n: _PARAMS.get((rule, n), _PARAMS.get(n, {})) for n in names},
                required=(("column",) if per_column else ()) + required)


def _rule_value(rule: str) -> dict:
    """`rule: column` or `rule: {column: c, ...}`; a table rule a mapping, or its plain form.
    Described by when a row fails it, with an example (checks.RULE_DOCS)."""
    per_column, params, _ = RULES[rule]
    fails_when, example = RULE_DOCS[rule]
    docs = {"description": f"a row fails when {fails_when}", "examples": [example]}
    mapping = _rule_params(rule)
    if per_column and not params:
        plain, kind = "column", "string"
    elif rule in _PLAIN:
        plain, kind = _PLAIN[rule]
    else:
        return {**mapping, **docs}
    form = _PARAMS[plain] if kind == "array" else {"minLength": 1}
    return {"type": [kind, "object"], "if": {"type": "object"}, "then": mapping,
            "else": form, **docs}


def _checks(what: str) -> dict:
    """A `checks:` list: each item one rule, plus how much it matters."""
    rules = ", ".join(RULES)
    def threshold(when: str) -> dict:
        return _str(f"{when}: `> 0`, `>= 10` (failing rows) or `> 1%` (their share of the rows "
                    f"checked)", default=DEFAULT_THRESHOLD.text, pattern=_THRESHOLD,
                    **{"x-messages": {"pattern": "expected a comparison and a number of failing "
                                                 "rows or a share: `> 0`, `>= 10`, `> 1%`"}})

    item = _obj({**{rule: _rule_value(rule) for rule in RULES},
                 "severity": {"enum": list(SEVERITIES), "default": SEVERITIES[0], "description":
                              "error: the table is not published when error_if holds; warn: "
                              "never blocks"},
                 "warn_if": threshold("the check warns when this holds (and it did not fail)"),
                 "error_if": threshold("a check of severity error fails when this holds"),
                 "name": _given("how messages and the run record name the check")},
                oneOf=[{"required": [rule]} for rule in RULES],
                **{"x-messages": {"oneOf": "a check has exactly one rule"},
                   "x-hints": {"oneOf": f"write one rule per list item, e.g. `- not_null: id`; "
                                        f"the rules: {rules}"}})
    return {"type": "array", "items": item, "description": f"data-quality checks on {what}"}


def _column_entry() -> dict:
    """A sink's `columns:` entry: its description and the shorthand column rules."""
    shorthand = {"not_null": {"type": "boolean", "description": "no row holds null"},
                 "unique": {"type": "boolean", "description": "no value repeats"}}
    for rule in COLUMN_RULES:
        _, params, _ = RULES[rule]
        if rule in shorthand:
            continue
        if len(params) == 1:
            shorthand[rule] = _PARAMS.get((rule, params[0]), _PARAMS[params[0]])
        else:
            shorthand[rule] = _obj({p: _PARAMS.get((rule, p), _PARAMS.get(p, {}))
                                    for p in params},
                                   description=f"a row fails when {RULE_DOCS[rule][0]}")
    return _obj({"description": _str("what the column holds (COMMENT ON COLUMN in PostgreSQL)"),
                 **shorthand}, description="a column: what it holds, and column rules it must "
                "pass before the table is published (severity error)")


def _warehouse() -> dict:
    default = WarehouseSpec()
    return _obj({
        "path": _given("Parquet warehouse folder (relative to the data directory)",
                       default=default.path),
        "compression": {"enum": list(COMPRESSIONS), "default": default.compression,
                        "description": "Parquet compression of every table (a sink may say "
                                       "otherwise)"},
        "postgres": _obj({
            "dsn": _given("postgresql://user@host/db; from the environment: \"${PG_DSN}\""),
            "schema": _given("the PostgreSQL schema the tables are loaded into (at most 63 "
                             "bytes, not starting with pg_)", default=default.postgres_schema)},
            required=("dsn",), description="the PostgreSQL server of sinks that target "
            "postgres"),
    }, description="where the tables are published")


def _selection(folder: str) -> dict:
    return {"type": ["string", "array"], "items": {"type": "string"}, "default": "all",
            "description": f"all (every template of {folder}) or a list of names",
            "if": {"type": "string"}, "then": {"const": "all", "x-messages": {
                "const": "expected 'all' or a list of names"}}}


def pipeline_schema(registry: Registry) -> dict:
    """The JSON Schema (draft 2020-12) of a pipeline file for the transforms in `registry`."""
    return _obj({
        "pipeline": _str("the pipeline's name; part of its run ids and their folders",
                         pattern=PIPELINE_NAME_PATTERN, **{"x-messages": {"pattern": (
                             "not a usable pipeline name: it becomes part of run ids and "
                             "folder names, so use a letter, then up to 63 letters, digits, "
                             "'_' or '-'")}}),
        "description": _str("what the pipeline does, for people"),
        "vars": {"type": "object", "description": "variables for ${name}; override with --var"},
        "spark": _spark(),
        "optimizations": _optimizations(),
        "generators": {"type": "object", "additionalProperties": _generator(registry),
                       "description": "synthetic sources by id"},
        "sources": {"type": "object", "additionalProperties": _source(),
                    "description": "input tables by id"},
        "steps": {"type": "array", "items": _step(registry),
                  "description": "the steps, each computing one output from its inputs"},
        "sinks": {"type": "object", "additionalProperties": _sink(),
                  "description": "warehouse tables by name"},
        "warehouse": _warehouse(),
        "sql": _obj({"templates": _given("folder of Jinja SQL, relative to the pipeline file"),
                     "views": _selection("views/"), "queries": _selection("queries/")},
                    required=("templates",), description="the analysts' SQL: DDL, views and "
                    "queries rendered for Spark SQL or PostgreSQL"),
        "report": _given("report definition file, relative to the pipeline file"),
    }, required=("pipeline",), **{"$schema": SCHEMA_URI, "title": "sparketl pipeline"})


_SUBSTITUTION = {"type": "string", "pattern": r"\$\{[^}]+\}",
                 "description": "a ${variable}, substituted before validation"}
_NON_STRING = {"integer", "number", "boolean", "array", "object"}


def _accepts_substitution(node: Any) -> Any:
    """Where a value may not be a string, also accept a `${name}` string (editors see the file
    before substitution)."""
    if isinstance(node, list):
        return [_accepts_substitution(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: v if k in ("x-messages", "x-hints", "const", "default", "examples")
           else _properties(v)
           if k == "properties" else _accepts_substitution(v) for k, v in node.items()}
    types = out.get("type")
    types = set(types) if isinstance(types, list) else {types} if types else set()
    typed_leaf = types and "string" not in types and types <= _NON_STRING - {"object"}
    constrained = "enum" in out or "pattern" in out  # "${x}" matches neither
    if typed_leaf or constrained:
        return {"anyOf": [out, _SUBSTITUTION]}
    return out


def _properties(node: Any) -> Any:
    """A `properties` mapping: its keys are names (`type` too), each value a schema."""
    if not isinstance(node, dict):
        return node
    return {name: _accepts_substitution(schema) for name, schema in node.items()}


def editor_schema(registry: Registry) -> dict:
    """The schema for editors: as `pipeline_schema`, but `${...}` is welcome in typed values."""
    return _accepts_substitution(pipeline_schema(registry))


def write_schema(path: str | os.PathLike[str], registry: Registry) -> Path:
    """Write the editor schema as JSON (for `etl schema` and editors); returns the path. Written
    whole or not at all: a failed write keeps the file's old content and makes no folder."""
    target = Path(path)
    write_text(target, json.dumps(editor_schema(registry), indent=2) + "\n", make_folders=True)
    return target


def validate_document(doc: Document, registry: Registry) -> list[Problem]:
    """Every schema error in `doc`, as located Problems (empty when the document is valid)."""
    return validate_data(doc, pipeline_schema(registry))


def validate_data(doc: Document, schema: dict, root: KeyPath = ()) -> list[Problem]:
    """Validate `doc.data` (or the part at `root`) against `schema`; every error as a Problem."""
    data: Any = doc.data
    for part in root:
        data = data[part]
    found: list[tuple[Problem, KeyPath, str]] = []
    for error in Draft202012Validator(schema).iter_errors(data):
        found.extend(_explain(error, doc, root))
    return _tidy(found)


def _tidy(found: list[tuple[Problem, KeyPath, str]]) -> list[Problem]:
    """Drop duplicates, and 'missing key' noise on objects that have an unknown (misspelt) key."""
    misspelt = {path for _, path, validator in found if validator == "additionalProperties"}
    out: dict[tuple[str, str], Problem] = {}
    for problem, path, validator in found:
        if validator in _SECONDARY and path in misspelt:
            continue
        out.setdefault((problem.path, problem.message), problem)
    return list(out.values())


def _explain(error: ValidationError, doc: Document, root: KeyPath) -> list[tuple]:
    path = root + tuple(error.absolute_path)
    validator = str(error.validator)
    custom = _custom_message(error)
    if validator == "additionalProperties" and error.validator_value is False:
        return [(p, path, validator) for p in _unknown_keys(error, doc, path)]
    if validator == "required" and not custom:
        return [(p, path, validator) for p in _missing_keys(error, doc, path)]
    if validator in ("anyOf", "oneOf") and not custom and error.context:
        return _explain(best_match(error.context), doc, root)
    message, hint = (custom, _custom_hint(error) or _context_hint(error)) if custom \
        else _describe(error, path)
    loc = doc.key_location(path) if validator in _SECONDARY else doc.locate(path)
    return [(Problem(message, loc, format_path(path), hint or None), path, validator)]


def _custom_message(error: ValidationError) -> str | None:
    messages = error.schema.get("x-messages", {}) if isinstance(error.schema, dict) else {}
    return messages.get(error.validator)


def _custom_hint(error: ValidationError) -> str | None:
    hints = error.schema.get("x-hints", {}) if isinstance(error.schema, dict) else {}
    return hints.get(error.validator)


def _context_hint(error: ValidationError) -> str:
    """did-you-mean from an enum inside an anyOf/oneOf/if that failed."""
    for sub in error.context or ():
        if sub.validator == "enum" and isinstance(sub.instance, str):
            return did_you_mean(sub.instance, sub.validator_value)
    return ""


def _unknown_keys(error: ValidationError, doc: Document, path: KeyPath) -> list[Problem]:
    allowed = list(error.schema.get("properties", {}))
    extra = [k for k in error.instance if k not in allowed]
    return [Problem(f"unknown key {key!r}", doc.key_location(path + (key,)),
                    format_path(path + (key,)),
                    did_you_mean(key, allowed, f"allowed here: {', '.join(allowed) or 'nothing'}"))
            for key in extra]


def _missing_keys(error: ValidationError, doc: Document, path: KeyPath) -> list[Problem]:
    missing = [k for k in error.validator_value if k not in error.instance]
    return [Problem(f"missing required key {key!r}", doc.key_location(path), format_path(path),
                    f"add `{key}:` here") for key in missing]


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(error: ValidationError, path: KeyPath) -> tuple[str, str]:
    """(message, hint) in plain words for one jsonschema error."""
    v, value, inst = str(error.validator), error.validator_value, error.instance
    if v == "type":
        types = [value] if isinstance(value, str) else list(value)
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
        return f"expected {wanted}, got {_kind(inst)}", ""
    if v == "enum":
        return _describe_enum(path, inst, list(value))
    if v == "const":
        return f"expected {value!r}, got {_kind(inst)}", ""
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
              "exclusiveMaximum": "<"}[v]
        return f"must be {op} {value}, got {_kind(inst)}", ""
    if v == "minItems":
        return f"needs at least {value} item{'s' if value != 1 else ''}", ""
    if v == "maxItems":
        return f"takes at most {value} item{'s' if value != 1 else ''}", ""
    if v == "minLength" and value == 1:
        return "must not be empty", ""
    if v == "pattern":
        return f"{_kind(inst)} does not have the expected form ({value})", ""
    return error.message, ""


def _describe_enum(path: KeyPath, inst: Any, choices: list[Any]) -> tuple[str, str]:
    what = path[-1] if path and isinstance(path[-1], str) else "value"
    if what in ("transform", "generator"):
        listing = "run `etl transforms` to list transforms and generators"
        return f"unknown {what} {inst!r}", did_you_mean(inst, choices, listing)
    shown = ", ".join(str(c) for c in choices)
    return f"{_kind(inst)} is not one of: {shown}", did_you_mean(inst, choices)

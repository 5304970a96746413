"""Declared data-quality checks: from the pipeline file to `CheckSpec`s, and what is wrong there.

The JSON Schema (framework.schema) already refuses unknown rules and parameters, a wrong
severity and a threshold of another form; this module owns what a schema cannot say:
  - `parse_checks` / `parse_shorthand` / `parse_threshold`: a (possibly invalid) document's
    `checks:` items and a sink's `columns:` shorthand become `Declared` checks (the CheckSpec,
    whose table it guards and where it is written); items the schema refused are skipped;
  - `item_problems`: a range or row count without bounds or with min > max, a regular
    expression that does not compile, a query whose `{name}` placeholders are malformed;
  - `spec_problems`: what needs the whole pipeline: `relationship.to` and query placeholders
    naming a table of the run, checked columns a declared schema does not have, two checks of
    one table with one name;
  - `check_reads` / `check_inputs`: which sources and steps a check reads besides the rows it
    checks (a relationship's `to`, a query's `{name}`s). The graph makes the checked node
    depend on them, so they are computed first and stay cached until the check has run; the
    engine resolves each name to `state.outputs[id]`.

A table name in `to:` or `{name}` is a step or source id (that output) or else a sink's table
(the output feeding that sink in this run). No pyspark, no I/O.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from framework.checks import DEFAULT_THRESHOLD, RULES, SEVERITIES, CheckSpec, Threshold
from framework.errors import KeyPath, Location, Problem, did_you_mean, format_path
from framework.loader import Document
from framework.spec import PipelineSpec

THIS = "this"  # a query's name for the rows it checks
_THRESHOLD = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*$")
_SHARE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")
_PLAIN = {"unique_combination": "columns", "expression": "expr", "query": "sql"}
_SHORTHAND_FLAGS = ("not_null", "unique")  # `not_null: true`; the others carry their parameter
_REGEX_HINT = ("the pattern is checked with Python's `re`, close to the Java syntax Spark's "
               "rlike uses; fix the pattern (escape a literal with a backslash)")


@dataclass(frozen=True)
class Declared:
    """One check as declared: what it guards and where it is written."""

    at: str  # "source" | "step" | "sink"
    owner: str  # the source or step id, or the sink's table
    check: CheckSpec
    path: KeyPath  # the check item (a shorthand rule: its key under the column)

    @property
    def shorthand(self) -> bool:
        """Written in a sink's `columns:` rather than as a `checks:` item."""
        return self.path[-2:-1] != ("checks",)

    @property
    def rule_path(self) -> KeyPath:
        """Where the rule's value is written."""
        return self.path if self.shorthand else self.path + (self.check.rule,)


# -- parsing --------------------------------------------------------------------------------

def parse_threshold(value: Any) -> Threshold | None:
    """`> 0`, `>= 10`, `> 1%` as a Threshold; None when it has another form."""
    match = _THRESHOLD.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    op, number, percent = match.groups()
    return Threshold(op, float(number), percent == "%", value.strip())


def parse_max_malformed(value: Any) -> Threshold | None:
    """A source's `max_malformed`: a count (`100`) or a share (`1%`); above it the run fails."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Threshold(">", float(value), False, f"> {value}")
    match = _SHARE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    return Threshold(">", float(match.group(1)), True, f"> {match.group(1)}%")


def parse_checks(doc: Document, base: KeyPath, raw: dict[str, Any], at: str, owner: str,
                 ) -> list[Declared]:
    """The `checks:` items under `base` (a source, step or sink) that have one rule."""
    items = raw.get("checks")
    found = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        path = base + ("checks", i)
        check = _check(doc, path, item)
        if check is not None:
            found.append(Declared(at, owner, check, path))
    return found


def parse_shorthand(doc: Document, base: KeyPath, columns: dict[str, Any], table: str,
                    ) -> list[Declared]:
    """A sink's `columns:` rules (`not_null: true`, `range: {min: 0}`, ...): error severity."""
    found = []
    for column, entry in columns.items():
        for rule, value in (entry.items() if isinstance(entry, dict) else ()):
            params = _shorthand_params(rule, value)
            if params is None:
                continue
            path = base + ("columns", column, rule)
            check = CheckSpec(rule, str(column), params, loc=doc.key_location(path))
            found.append(Declared("sink", table, check, path))
    return found


def _shorthand_params(rule: str, value: Any) -> dict[str, Any] | None:
    if rule not in RULES or not RULES[rule][0]:
        return None  # `description`, or a key the schema refuses
    if rule in _SHORTHAND_FLAGS:
        return {} if value is True else None
    params = RULES[rule][1]
    if len(params) == 1:
        return {params[0]: value}
    return {k: v for k, v in value.items() if k in params} if isinstance(value, dict) else None


def _check(doc: Document, path: KeyPath, item: Any) -> CheckSpec | None:
    if not isinstance(item, dict):
        return None
    rules = [key for key in item if key in RULES]
    if len(rules) != 1:
        return None
    rule = rules[0]
    args = _rule_args(rule, item[rule])
    if args is None:
        return None
    column, params = args
    severity = item.get("severity")
    label = item.get("name")
    return CheckSpec(
        rule, column, params, severity=severity if severity in SEVERITIES else "error",
        warn_if=parse_threshold(item.get("warn_if")) or DEFAULT_THRESHOLD,
        error_if=parse_threshold(item.get("error_if")) or DEFAULT_THRESHOLD,
        label=label if isinstance(label, str) and label else None, loc=doc.locate(path))


def _rule_args(rule: str, value: Any) -> tuple[str | None, dict[str, Any]] | None:
    """(column, params) of a rule's value in any of its forms; None when it has none of them."""
    per_column, names, _ = RULES[rule]
    if per_column:
        if isinstance(value, str) and not names:
            return value, {}
        if isinstance(value, dict) and isinstance(value.get("column"), str):
            return value["column"], {k: v for k, v in value.items() if k in names}
        return None
    if isinstance(value, dict):
        return None, {k: v for k, v in value.items() if k in names}
    plain = _PLAIN.get(rule)
    if plain == "columns" and isinstance(value, list):
        return None, {"columns": [str(v) for v in value]}
    if plain in ("expr", "sql") and isinstance(value, str):
        return None, {plain: value}
    return None


# -- problems of one check ------------------------------------------------------------------

def item_problems(doc: Document, declared: Declared) -> list[Problem]:
    """What is wrong with one check on its own."""
    check, rule_path = declared.check, declared.rule_path
    if check.rule in ("range", "row_count"):
        return _bounds(doc, check, rule_path)
    if check.rule == "regex":
        return _regex(doc, check, rule_path)
    if check.rule == "query":
        return _query_form(doc, check, _sql_path(doc, rule_path))
    return []


def _problem(doc: Document, message: str, path: KeyPath, hint: str,
             loc: Location | None = None) -> Problem:
    return Problem(message, loc or doc.locate(path), format_path(path), hint)


def _bounds(doc: Document, check: CheckSpec, path: KeyPath) -> list[Problem]:
    low, high = check.params.get("min"), check.params.get("max")
    what = "a range" if check.rule == "range" else "row_count"
    written = _value(doc, path)
    if isinstance(written, dict) and set(written) - {"column", *RULES[check.rule][1]}:
        return []  # a misspelt key: the schema names it, with the one meant
    if low is None and high is None:
        return [_problem(doc, f"{what} needs min, max or both", path,
                         f"e.g. `{check.rule}: {{{'column: price, ' if check.column else ''}"
                         "min: 0}`")]
    comparable = (isinstance(low, int | float) and isinstance(high, int | float)) or \
        (isinstance(low, str) and isinstance(high, str))
    if comparable and not isinstance(low, bool) and not isinstance(high, bool) and low > high:
        where = path + ("min",) if doc.has(path + ("min",)) else path
        return [_problem(doc, f"{what} has min {low!r} above max {high!r}: nothing can pass",
                         where, "swap them, or fix the one that is wrong")]
    return []


def _value(doc: Document, path: KeyPath) -> Any:
    """The value written at `path` of the document (None when there is none)."""
    value: Any = doc.data
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _regex(doc: Document, check: CheckSpec, path: KeyPath) -> list[Problem]:
    # Spark's rlike uses java.util.regex; Python's re accepts nearly the same syntax, so a
    # pattern it cannot compile is almost surely wrong for Java too (an approximation).
    pattern = check.params.get("pattern")
    if not isinstance(pattern, str):
        return []
    try:
        re.compile(pattern)
    except re.error as exc:
        where = path + ("pattern",) if doc.has(path + ("pattern",)) else path
        return [_problem(doc, f"regular expression {pattern!r} does not compile: {exc.msg} "
                              f"at position {exc.pos}", where, _REGEX_HINT)]
    return []


def _sql_path(doc: Document, path: KeyPath) -> KeyPath:
    return path + ("sql",) if doc.has(path + ("sql",)) else path


def placeholders(sql: str) -> list[str]:
    """The `{name}`s of a query, in order, once each (`{{` is a literal brace). Raises
    ValueError when the braces do not pair up."""
    names = [field for _, field, _, _ in string.Formatter().parse(sql) if field is not None]
    return list(dict.fromkeys(names))


def _query_form(doc: Document, check: CheckSpec, path: KeyPath) -> list[Problem]:
    sql = check.params.get("sql")
    if not isinstance(sql, str):
        return []
    try:
        names = placeholders(sql)
    except ValueError as exc:
        return [_problem(doc, f"the query's braces do not pair up ({exc})", path,
                         "{name} reads a table of the run; write a literal brace as {{ or }}")]
    return [_problem(doc, f"{{{name}}} is not a table name", path,
                     "write {this} for the checked rows, or {<id>} for a source's, step's or "
                     "sink's rows, with nothing else between the braces",
                     _text_location(doc, path, sql, "{" + name + "}"))
            for name in names if not name.isidentifier()]


def _text_location(doc: Document, path: KeyPath, text: str, needle: str) -> Location:
    at = text.find(needle)
    if at < 0:
        return doc.locate(path)
    before = text[:at]
    return doc.text_location(path, before.count("\n") + 1, at - (before.rfind("\n") + 1) + 1)


# -- problems that need the whole pipeline ---------------------------------------------------

def resolve_table(spec: PipelineSpec, name: str) -> str | None:
    """The source or step id whose rows `name` means: the id itself, else the output feeding
    the sink of that table; None when nothing is called so."""
    if spec.step(name) is not None or spec.source(name) is not None:
        return name
    sink = next((s for s in spec.sinks if s.table == name), None)
    return sink.source if sink is not None and sink.source else None


def table_names(spec: PipelineSpec) -> list[str]:
    """Every name a check may read: source and step ids, sink tables."""
    names = [s.id for s in spec.sources] + [s.id for s in spec.steps if s.id]
    return list(dict.fromkeys(names + [s.table for s in spec.sinks]))


def check_reads(spec: PipelineSpec, check: CheckSpec) -> dict[str, str]:
    """Name as written (`to:`'s table, a query's `{name}` other than `{this}`) -> the source or
    step id whose output the engine hands the check under that name; names of nothing left out."""
    if check.rule == "relationship" and isinstance(check.params.get("to"), str):
        names = [check.params["to"].partition(".")[0]]
    elif check.rule == "query" and isinstance(check.params.get("sql"), str):
        try:
            names = [n for n in placeholders(check.params["sql"]) if n != THIS]
        except ValueError:
            names = []
    else:
        names = []
    found = {name: resolve_table(spec, name) for name in names}
    return {name: sid for name, sid in found.items() if sid is not None}


def check_inputs(spec: PipelineSpec, check: CheckSpec) -> tuple[str, ...]:
    """The source and step ids a check reads besides the rows it checks, each once."""
    return tuple(dict.fromkeys(check_reads(spec, check).values()))


def declared_checks(spec: PipelineSpec) -> list[tuple[str, str, CheckSpec]]:
    """(node key of the checked table, its owner's path, check) for every check of the spec."""
    out = [(f"source:{s.id}", format_path(("sources", s.id)), c)
           for s in spec.sources for c in s.checks]
    out += [(f"step:{s.id}", f"steps[{i}]", c)
            for i, s in enumerate(spec.steps) if s.id for c in s.checks]
    out += [(f"sink:{s.table}", format_path(("sinks", s.table)), c)
            for s in spec.sinks for c in s.checks]
    return out


def known_columns(spec: PipelineSpec, at: str, owner: str) -> list[str] | None:
    """The columns of a checked table when a declared schema says them: a source's, or that of
    the source a sink reads; None when unknown (a step's output)."""
    if at == "sink":
        sink = next((s for s in spec.sinks if s.table == owner), None)
        owner = sink.source if sink is not None else ""
    src = spec.source(owner) if at in ("source", "sink") else None
    return list(src.schema.names()) if src is not None and src.schema is not None else None


def spec_problems(spec: PipelineSpec, doc: Document, declared: list[Declared]) -> list[Problem]:
    problems: list[Problem] = []
    names = table_names(spec)
    for d in declared:
        problems += _columns(spec, doc, d)
        if d.check.rule == "relationship":
            problems += _relationship(spec, doc, d, names)
        if d.check.rule == "query":
            problems += _query_names(doc, d, names)
    return problems + _duplicate_names(doc, declared)


def _checked_columns(d: Declared) -> list[tuple[str, KeyPath]]:
    """(column, where it is written) of each column a check names in the checked table."""
    check, rule_path = d.check, d.rule_path
    if d.shorthand:
        return []  # a column the sink declares
    if check.column is not None:
        return [(check.column, rule_path + ("column",))]
    p = check.params
    if check.rule in ("relationship", "freshness") and isinstance(p.get("column"), str):
        return [(p["column"], rule_path + ("column",))]
    if check.rule == "unique_combination" and isinstance(p.get("columns"), list):
        return [(str(c), rule_path + ("columns", k)) for k, c in enumerate(p["columns"])]
    return []


def _columns(spec: PipelineSpec, doc: Document, d: Declared) -> list[Problem]:
    known = known_columns(spec, d.at, d.owner)
    if not known:
        return []
    table = f"source {d.owner!r}" if d.at == "source" else \
        f"sink {d.owner!r} (its source's declared schema)"
    return [_problem(doc, f"checked column {col!r} is not a column of {table}", _at(doc, path),
                     did_you_mean(col, known, f"its columns are: {', '.join(known)}"))
            for col, path in _checked_columns(d) if col not in known]


def _at(doc: Document, path: KeyPath) -> KeyPath:
    """`path`, or its unique_combination list when the column is written there plainly."""
    if doc.has(path) or not isinstance(path[-1], int):
        return path if doc.has(path) else path[:-1]
    plain = path[:-2] + (path[-1],)
    return plain if doc.has(plain) else path


def _relationship(spec: PipelineSpec, doc: Document, d: Declared, names: list[str],
                  ) -> list[Problem]:
    to = d.check.params.get("to")
    if not isinstance(to, str) or "." not in to:
        return []  # the schema says so
    table, _, column = to.partition(".")
    path = d.rule_path + ("to",)
    if resolve_table(spec, table) is None:
        return [_problem(doc, f"relationship to {table!r}: no sink table, source or step has "
                              "this name", path, did_you_mean(
                                  table, names, f"tables of this run: {', '.join(names)}"))]
    known = known_columns(spec, "source", resolve_table(spec, table) or "")
    if known and column not in known:
        return [_problem(doc, f"relationship to {to!r}: {table!r} has no column {column!r}",
                         path, did_you_mean(column, known, f"its columns are: "
                                                           f"{', '.join(known)}"))]
    return []


def _query_names(doc: Document, d: Declared, names: list[str]) -> list[Problem]:
    sql = d.check.params.get("sql")
    if not isinstance(sql, str):
        return []
    try:
        used = placeholders(sql)
    except ValueError:
        return []  # item_problems says so
    path = _sql_path(doc, d.rule_path)
    return [_problem(doc, f"query reads {{{name}}}: no sink table, source or step has this "
                          "name", path, did_you_mean(
                              name, [THIS, *names], f"{{this}} is the checked rows; tables of "
                                                    f"this run: {', '.join(names)}"),
                     _text_location(doc, path, sql, "{" + name + "}"))
            for name in used if name.isidentifier() and name != THIS and name not in names]


def _duplicate_names(doc: Document, declared: list[Declared]) -> list[Problem]:
    """Two checks of one table with one name: the run record and the samples' folder could not
    tell them apart."""
    first: dict[tuple[str, str, str], Declared] = {}
    problems = []
    for d in declared:
        key = (d.at, d.owner, d.check.name)
        was = first.setdefault(key, d)
        if was is not d:
            line = was.check.loc.line if was.check.loc else "?"
            problems.append(_problem(doc, f"a second check named {d.check.name!r} on {d.at} "
                                          f"{d.owner!r} (the first is on line {line})", d.path,
                                     "give one of them a `name:` of its own, or remove it",
                                     d.check.loc))
    return problems

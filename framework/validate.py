"""Turns a pipeline file into a validated, frozen `PipelineSpec`, or one SpecError: all problems.

Owns the whole `load_pipeline` pass: load (source map, substitution) -> JSON Schema -> build the
spec dataclasses (resolving schema files, `sql_file`, templates and report against the pipeline's
folder; `ref()`s become inputs) -> semantic checks that need the whole pipeline (ids, input
counts, generated tables, broadcast hints, partition columns, identifiers), with references to
nothing and cycles found where the graph is built (`graph.check_graph`), once: `load_checked`
hands that graph on to the planner.
Names are checked for what they become: ids and columns must differ in more than case (Spark
ignores case), names PostgreSQL holds must fit its 63 bytes, and column names must survive the
engine's backtick quoting.
The builder is defensive: it runs on documents that failed the schema, so all problems are found
in one pass; checks that would only repeat a schema error are skipped for that step. No check may
fail on what an earlier one found broken (tests/framework/test_validate_fuzz.py breaks the good
pipelines at random to hold it to that).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import jinja2

from framework import spec as S
from framework.checkspec import (
    Declared,
    item_problems,
    parse_checks,
    parse_max_malformed,
    parse_shorthand,
    spec_problems,
)
from framework.errors import (
    KeyPath,
    Location,
    Problem,
    SpecError,
    did_you_mean,
    format_path,
    within_path,
)
from framework.graph import Graph, check_graph
from framework.loader import Document, parse_file, read_document
from framework.masking import hide, secret_values
from framework.names import column_name_problem, pg_identifier_problem
from framework.paths import LOCAL_ONLY_HINT, overlap, written_uri
from framework.registry import REGISTRY, Registry, with_defaults
from framework.schema import column_types_schema, validate_data, validate_document
from framework.sqlsection import check_sql
from framework.templating import dynamic_refs, find_refs, is_identifier

_STEP_PATH = re.compile(r"^steps\[\d+\]")
_IDENT_HINT = "use letters, digits and '_' only, not starting with a digit"
_CASE_HINT = "Spark reads names in any case, so both would name one thing; rename one of them"
_TABLE_CASE_HINT = ("a table name is a warehouse folder, and file systems that ignore case "
                    "(macOS, Windows) would make both one folder; rename one of them")
_COLUMN_HINT = ("the engine quotes column names in backticks: use letters, digits and '_' "
                "(other printable characters work too, but never a backtick)")


def default_registry() -> Registry:
    """The global registry with built-in transforms and plugins loaded."""
    REGISTRY.load_plugins()
    return REGISTRY


class Checked(NamedTuple):
    """A valid pipeline and its DAG, built once by validation for the planner to reuse."""

    spec: S.PipelineSpec
    graph: Graph


def load_pipeline(
    path: str | os.PathLike[str],
    overrides: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    target: str | None = None,
) -> S.PipelineSpec:
    """Load, validate and build the spec of the pipeline at `path`; raise SpecError on problems."""
    return load_checked(path, overrides, env, registry, target).spec


def load_checked(
    path: str | os.PathLike[str],
    overrides: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    target: str | None = None,
) -> Checked:
    """`load_pipeline`, and the graph validation built (pass it to `build_plan`); `target`
    "postgres" loads every sink into PostgreSQL too (framework.loader.targets)."""
    registry = registry or default_registry()
    doc, problems = read_document(path, overrides, env, target)
    if doc is None:
        raise SpecError(problems)
    schema_problems = doc.explain_vars(_without_unresolved(validate_document(doc, registry), doc))
    problems += schema_problems
    broken = {m.group(0) for p in problems if (m := _STEP_PATH.match(p.path))}
    builder = _Builder(doc, registry)
    spec = builder.pipeline()
    rejected = _rejected_values(schema_problems, doc)
    graph, found = check_spec(spec, registry, broken)
    found += spec_problems(spec, doc, builder.declared)
    problems += builder.problems + [p for p in found
                                    if not any(within_path(p.path, r) for r in rejected)]
    if problems:  # a schema file two sources share is checked twice: say each thing once
        raise SpecError(_hidden(list(dict.fromkeys(problems)), doc))
    return Checked(spec, graph)


def _hidden(problems: list[Problem], doc: Document) -> list[Problem]:
    """Each problem with the secret variables' values masked: a check or a step's text quoting
    `${api_token}` is quoted by its problems with the value substituted."""
    secrets = secret_values(_dict(doc.data.get("vars")), doc.secret_vars)
    return [Problem(hide(p.message, secrets), p.location, p.path,
                    hide(p.hint, secrets) if p.hint else p.hint) for p in problems]


def _without_unresolved(problems: list[Problem], doc: Document) -> list[Problem]:
    """Drop schema complaints about values whose substitution already failed."""
    bad = {format_path(p) for p in doc.unresolved}
    return [p for p in problems if not any(within_path(p.path, b) for b in bad)]


def _rejected_values(problems: list[Problem], doc: Document) -> set[str]:
    """Paths of values the schema refused as they are (a wrong type, an unknown choice): the
    semantic checks would only repeat it from the garbled value (`from: 0` names no step)."""
    at_value = {format_path(path): loc for path, loc in doc.values.items()}
    rejected = {p.path for p in problems if p.path and at_value.get(p.path) == p.location}
    return rejected | {r + "s" for r in rejected if r.endswith(".input")}  # input: inputs[0]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def spec_hash(data: Any) -> str:
    """sha256 of the canonical JSON of the substituted document."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Builder:
    """Builds the spec dataclasses from a (possibly invalid) Document, collecting file problems."""

    def __init__(self, doc: Document, registry: Registry):
        self.doc = doc
        self.registry = registry
        self.data = doc.data
        self.problems: list[Problem] = []
        self.declared: list[Declared] = []  # every check, in file order
        self.folder = Path(doc.file).parent
        self.opts = self.optimizations()

    def locs(self, base: KeyPath, aliases: Mapping[str, str] | None = None,
             ) -> dict[str, Location]:
        """Field path (relative to `base`) -> Location for everything under `base`."""
        n = len(base)
        out = {format_path(p[n:]).lstrip("."): loc for p, loc in self.doc.values.items()
               if p[:n] == base and len(p) > n}
        for src, dst in (aliases or {}).items():
            if src in out and dst not in out:
                out[dst] = out[src]
        return out

    def fail(self, message: str, path: KeyPath, hint: str, loc: Location | None = None) -> None:
        where = loc or self.doc.locate(path)
        self.problems.append(Problem(message, where, format_path(path), hint))

    def checks(self, found: list[Declared]) -> tuple:
        """The checks of one table, kept for the whole-pipeline checks; their own problems."""
        self.declared += found
        for declared in found:
            self.problems += item_problems(self.doc, declared)
        return tuple(d.check for d in found)

    def pipeline(self) -> S.PipelineSpec:
        d = self.data
        generators = tuple(self.generator(g, _dict(raw))
                           for g, raw in _dict(d.get("generators")).items())
        by_id = {g.id: g for g in generators}
        return S.PipelineSpec(
            name=_text(d.get("pipeline")), file=self.doc.file, base_dir=self.doc.base_dir,
            description=_text(d.get("description")), vars=_dict(d.get("vars")),
            spark=self.spark(), optimizations=self.opts, generators=generators,
            sources=tuple(self.source(s, _dict(raw), by_id)
                          for s, raw in _dict(d.get("sources")).items()),
            steps=tuple(self.step(i, _dict(raw)) for i, raw in enumerate(_list(d.get("steps")))),
            sinks=tuple(self.sink(t, _dict(raw)) for t, raw in _dict(d.get("sinks")).items()),
            warehouse=self.warehouse(), sql=self.sql(),
            report=self.file_ref(("report",), d.get("report"), folder=False),
            spec_hash=spec_hash(d), secret_vars=self.doc.secret_vars,
        )

    def spark(self) -> S.SparkSpec:
        raw = _dict(self.data.get("spark"))
        return S.SparkSpec(
            master=_text(raw.get("master")) or "local[*]",
            app_name=_text(raw.get("app_name")) or None,
            driver_memory=_text(raw.get("driver_memory")) or None,
            conf={str(k): _text(v) for k, v in _dict(raw.get("conf")).items()},
        )

    def optimizations(self) -> S.Optimizations:
        raw = _dict(self.data.get("optimizations"))
        fields = {k: raw[k] for k in ("adaptive", "coalesce_partitions", "skew_join",
                                      "shuffle_partitions", "auto_cache", "storage_level", "jit",
                                      "parallel_tasks")
                  if k in raw}
        if "broadcast_threshold" in raw:
            fields["broadcast_threshold"] = _text(raw["broadcast_threshold"])
        return S.Optimizations(**fields)

    def warehouse(self) -> S.WarehouseSpec:
        raw = _dict(self.data.get("warehouse"))
        pg = _dict(raw.get("postgres"))
        if isinstance(pg.get("schema"), str):
            self.pg_schema(pg["schema"])
        if climbs_out(_text(raw.get("path"))):
            self.fail(f"warehouse path {raw['path']!r} climbs out of the data directory",
                      ("warehouse", "path"), CLIMB_HINT)
        if written_uri(_text(raw.get("path"))):
            self.fail(f"warehouse path {raw['path']!r} is a URI: the warehouse is written "
                      "with local file operations", ("warehouse", "path"), LOCAL_ONLY_HINT)
        return S.WarehouseSpec(
            path=_text(raw.get("path")) or "warehouse",
            compression=_text(raw.get("compression")) or "snappy",
            postgres_dsn=_text(pg.get("dsn")) if "dsn" in pg else None,  # "" when unresolved
            postgres_schema=_text(pg.get("schema")) or "public",
        )

    def pg_schema(self, name: str) -> None:
        path = ("warehouse", "postgres", "schema")
        reason = pg_identifier_problem(name)
        if reason is None and name.startswith("pg_"):  # PostgreSQL compares as written
            reason = "starts with 'pg_', which PostgreSQL keeps for its own schemas"
        if reason:
            self.fail(f"schema name {name!r} {reason}", path,
                      "use a short plain name such as `warehouse` or `analytics`")

    def sql(self) -> S.SqlSpec | None:
        if "sql" not in self.data:
            return None
        raw = _dict(self.data.get("sql"))

        def pick(key: str) -> tuple[str, ...] | str:
            value = raw.get(key, "all")
            return value if isinstance(value, str) else _names(value)

        templates = self.file_ref(("sql", "templates"), raw.get("templates"), folder=True)
        return S.SqlSpec(templates=templates, views=pick("views"), queries=pick("queries"),
                         loc=self.doc.key_location(("sql",)), locs=self.locs(("sql",)))

    def file_ref(self, path: KeyPath, value: Any, folder: bool) -> str | None:
        """`value` resolved against the pipeline's folder; a problem when it does not exist."""
        if not isinstance(value, str) or not value:
            return None
        target = Path(self.doc.base_dir) / value
        ok = target.is_dir() if folder else target.is_file()
        if not ok:
            kind = "folder" if folder else "file"
            self.fail(f"{kind} not found: {self.folder / value}", path,
                      f"paths are relative to the pipeline file's folder ({self.folder or '.'})")
        return str(target.resolve())

    def generator(self, gid: str, raw: dict[str, Any]) -> S.GeneratorSpec:
        landing = _dict(raw.get("landing"))
        base = ("generators", gid)
        return S.GeneratorSpec(
            id=gid, generator=_text(raw.get("generator")),
            params=self.params(self.registry.generators, raw.get("generator"), raw),
            landing_path=_text(landing.get("path")), landing_format=_text(landing.get("format"))
            or "csv", loc=self.doc.key_location(base), locs=self.locs(base),
        )

    def source(self, sid: str, raw: dict[str, Any],
               generators: dict[str, S.GeneratorSpec]) -> S.SourceSpec:
        base = ("sources", sid)
        gen_id, table, path, fmt = self.source_origin(raw, generators)
        return S.SourceSpec(
            id=sid, format=fmt, path=path, schema=self.table_schema(base + ("schema",),
                                                                    raw.get("schema")),
            generated_by=gen_id, table=table,
            options={str(k): _text(v) for k, v in _dict(raw.get("options")).items()},
            on_malformed=_text(raw.get("on_malformed")) or "fail",
            encoding=_text(raw.get("encoding")) or None,
            allow_empty=raw.get("allow_empty") is True,
            max_malformed=parse_max_malformed(raw.get("max_malformed")),
            checks=self.checks(parse_checks(self.doc, base, raw, "source", sid)),
            loc=self.doc.key_location(base), locs=self.locs(base),
        )

    @staticmethod
    def source_origin(raw: dict[str, Any], generators: dict[str, S.GeneratorSpec],
                      ) -> tuple[str | None, str | None, str, str]:
        """(generator id, table, path, format) of a source."""
        generated = raw.get("generated")
        if isinstance(generated, str) and "." in generated:
            gen_id, table = generated.split(".", 1)
            gen = generators.get(gen_id)
            if gen is None:
                return gen_id, table, "", "csv"
            return gen_id, table, f"{gen.landing_path.rstrip('/')}/{table}", gen.landing_format
        return None, None, _text(raw.get("path")), _text(raw.get("format")) or "parquet"

    def table_schema(self, path: KeyPath, value: Any) -> S.TableSchema | None:
        if isinstance(value, dict):
            columns = _dict(value.get("columns"))
            self.column_names(self.doc, path + ("columns",), columns)
            return _columns(columns, self.doc.locate(path))
        if not isinstance(value, str) or not value:
            return None
        shown = self.folder / value
        if not (Path(self.doc.base_dir) / value).is_file():
            self.fail(f"schema file not found: {shown}", path,
                      f"paths are relative to the pipeline file's folder ({self.folder or '.'})")
            return None
        try:
            schema_doc = parse_file(shown)
        except SpecError as exc:
            self.problems.extend(exc.problems)
            return None
        problems = validate_data(schema_doc, column_types_schema())
        self.problems.extend(problems)
        columns = _dict(schema_doc.data.get("columns")) if not problems else {}
        self.column_names(schema_doc, ("columns",), columns)
        return _columns(columns, Location(str(shown), 1, 1))

    def column_names(self, doc: Document, base: KeyPath, columns: dict[str, Any]) -> None:
        """Each declared column name must survive quoting, and be unique in any case."""
        seen: dict[str, str] = {}
        for name in columns:
            path = base + (name,)
            where = doc.key_location(path)
            reason = column_name_problem(name)
            if reason:
                self.fail(reason, path, _COLUMN_HINT, where)
            first = seen.setdefault(name.casefold(), name)
            if first != name:
                line = doc.key_location(base + (first,)).line
                self.fail(f"column {name!r} differs only in case from column {first!r} "
                          f"(line {line})", path, _CASE_HINT, where)

    def step(self, i: int, raw: dict[str, Any]) -> S.StepSpec:
        base = ("steps", i)
        inputs = _names(raw.get("inputs")) or _names(raw.get("input"))
        sql, refs, ref_locs = self.step_sql(base, raw)
        inputs += tuple(r for r in refs if r not in inputs)
        locs = self.locs(base, {"input": "inputs[0]", "broadcast": "broadcast[0]"})
        for name, loc in ref_locs.items():
            locs.setdefault(f"inputs[{inputs.index(name)}]", loc)
        transform = raw.get("transform") if sql is None else "sql"
        if sql is None and transform == "sql":
            self.fail("a sql step needs its query", base + ("transform",),
                      "write the query under `sql:` (or put it in a file named by `sql_file:`); "
                      "`transform: sql` may then be left out")
        return S.StepSpec(
            id=_text(raw.get("id")), transform=_text(transform), inputs=inputs,
            params=self.params(self.registry.transforms, transform, raw),
            sql=sql,
            cache=self.storage_level(raw.get("cache")),
            broadcast=_names(raw.get("broadcast")),
            repartition=_repartition(raw.get("repartition")), tags=_names(raw.get("tags")),
            description=_text(raw.get("description")),
            checks=self.checks(parse_checks(self.doc, base, raw, "step", _text(raw.get("id")))),
            loc=self.doc.locate(base), locs=locs,
        )

    @staticmethod
    def params(known: Mapping[str, Any], name: Any, raw: dict[str, Any]) -> dict[str, Any]:
        """The step's or generator's params with its function's declared defaults applied."""
        params = _dict(raw.get("params"))
        found = known.get(name) if isinstance(name, str) else None
        return with_defaults(found.params, params) if found is not None else params

    def storage_level(self, cache: Any) -> str | None:
        """`cache: true` means the pipeline's storage level; a level name is kept as written."""
        if cache is True:
            return self.opts.storage_level
        return cache if isinstance(cache, str) and cache else None

    def step_sql(self, base: KeyPath, raw: dict[str, Any],
                 ) -> tuple[str | None, list[str], dict[str, Location]]:
        """(sql text, ref names, where each ref is written) of an sql / sql_file step."""
        if isinstance(raw.get("sql"), str):
            sql, where = raw["sql"], _InlineSql(self.doc, base + ("sql",))
        elif isinstance(raw.get("sql_file"), str) and raw["sql_file"]:  # "": a schema error
            sql, where = self.read_sql(base + ("sql_file",), raw["sql_file"])
            if sql is None:
                return "", [], {}
        else:
            return None, [], {}
        try:
            refs = find_refs(sql)
            dynamic = dynamic_refs(sql)
        except jinja2.TemplateSyntaxError as exc:
            self.fail(f"SQL template error: {exc.message}", where.path,
                      "check the {{ }} and {% %} pairs on this line", where.at(exc.lineno or 1))
            return sql, [], {}
        for line in dynamic:
            self.fail("ref() needs a quoted step name, like ref('events_clean')", where.path,
                      "inputs are found without rendering, so the name must be literal",
                      where.at(line))
        return sql, refs, {name: where.find_ref(sql, name) for name in refs}

    def read_sql(self, path: KeyPath, value: str) -> tuple[str | None, _FileSql]:
        shown = self.folder / value
        where = _FileSql(str(shown), path)
        try:
            return (Path(self.doc.base_dir) / value).read_text(encoding="utf-8"), where
        except OSError:
            self.fail(f"SQL file not found: {shown}", path,
                      f"paths are relative to the pipeline file's folder ({self.folder or '.'})")
            return None, where

    def sink(self, table: str, raw: dict[str, Any]) -> S.SinkSpec:
        base = ("sinks", table)
        return S.SinkSpec(
            table=table, source=_text(raw.get("from")),
            partition_by=_names(raw.get("partition_by")), mode=_text(raw.get("mode")) or
            "overwrite", repartition=_repartition(raw.get("repartition")),
            compression=_text(raw.get("compression")) or None,
            targets=_names(raw.get("targets")) or ("parquet",),
            description=_text(raw.get("description")),
            primary_key=_names(raw.get("primary_key")),
            references={str(k): _text(v) for k, v in _dict(raw.get("references")).items()},
            indexes=tuple(_names(i) for i in raw.get("indexes") or [] if isinstance(i, list)),
            columns={str(k): _dict(v) for k, v in _dict(raw.get("columns")).items()},
            checks=self.checks(parse_shorthand(self.doc, base, _dict(raw.get("columns")), table)
                               + parse_checks(self.doc, base, raw, "sink", table)),
            loc=self.doc.key_location(base), locs=self.locs(base, {"partition_by":
                                                                    "partition_by[0]"}),
        )


class _InlineSql:
    """Positions inside a step's `sql:` value, mapped back to the pipeline file."""

    def __init__(self, doc: Document, path: KeyPath):
        self.doc, self.path = doc, path

    def at(self, line: int, col: int = 0) -> Location:
        return self.doc.text_location(self.path, line, col)

    def find_ref(self, sql: str, name: str) -> Location:
        line, col = _ref_position(sql, name)
        return self.at(line, col)


class _FileSql:
    """Positions inside a `sql_file:`."""

    def __init__(self, file: str, path: KeyPath):
        self.file, self.path = file, path

    def at(self, line: int, col: int = 0) -> Location:
        return Location(self.file, line, col)

    def find_ref(self, sql: str, name: str) -> Location:
        return self.at(*_ref_position(sql, name))


def _ref_position(sql: str, name: str) -> tuple[int, int]:
    """1-based (line, col) of `ref('name')` in `sql`."""
    match = re.search(r"ref\(\s*['\"]" + re.escape(name) + r"['\"]", sql)
    if not match:
        return 1, 0
    before = sql[:match.start()]
    return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _columns(columns: dict[str, Any], origin: Location) -> S.TableSchema:
    return S.TableSchema(tuple(S.Column(str(k), _text(v)) for k, v in columns.items()), origin)


def _repartition(value: Any) -> S.Repartition | None:
    if not isinstance(value, dict):
        return None
    num = value.get("num")
    return S.Repartition(num=num if isinstance(num, int) else None,
                         by=_names(value.get("by")), coalesce=value.get("coalesce") is True)


CLIMB_HINT = ("a relative folder a run writes stays inside the data directory (--data-dir); "
              "to write elsewhere, give an absolute path")


def climbs_out(path: str | None) -> bool:
    """A relative path that leaves the folder it is relative to (`../x`, `a/../../x`)."""
    if not path or posixpath.isabs(path) or "://" in path:
        return False
    return posixpath.normpath(path).split("/")[0] == ".."


def check_spec(spec: S.PipelineSpec, registry: Registry,
               broken: set[str] | frozenset[str] = frozenset()) -> tuple[Graph, list[Problem]]:
    """Checks that need the whole pipeline, and its graph (`check_graph` owns references and
    cycles); `broken` names steps (steps[i]) the schema rejected."""
    checker = _Checker(spec, registry, broken)
    for check in (checker.ids, checker.step_inputs, checker.sinks, checker.sources,
                  checker.column_lists, checker.landings):
        check()
    graph, problems = check_graph(spec)
    return graph, checker.problems + problems + check_sql(spec)


class _Checker:
    def __init__(self, spec: S.PipelineSpec, registry: Registry, broken: set[str] | frozenset[str]):
        self.spec, self.registry, self.broken = spec, registry, broken
        self.problems: list[Problem] = []

    def add(self, message: str, loc: Location | None, path: str, hint: str) -> None:
        self.problems.append(Problem(message, loc, path, hint))

    def ids(self) -> None:
        first: dict[str, S.StepSpec] = {}
        for i, step in enumerate(self.spec.steps):
            where, path = step.locs.get("id", step.loc), f"steps[{i}].id"
            if not step.id:
                continue
            if step.id in first:
                line = first[step.id].locs.get("id", first[step.id].loc)
                self.add(f"duplicate step id {step.id!r} (first declared on line "
                         f"{line.line if line else '?'})", where, path,
                         "a step id names its output; rename one of them")
            elif self.spec.source(step.id) is not None:
                self.add(f"step id {step.id!r} is also a source id", where, path,
                         "an id names exactly one output; rename the step")
            first.setdefault(step.id, step)
            self.identifier(step.id, "step id", where, path)
        for src in self.spec.sources:
            self.identifier(src.id, "source id", src.loc, format_path(("sources", src.id)))
        for gen in self.spec.generators:  # names its task, its logs and warmup's landing folder
            self.identifier(gen.id, "generator id", gen.loc, format_path(("generators", gen.id)))
        for sink in self.spec.sinks:
            self.identifier(sink.table, "table name", sink.loc, format_path(("sinks", sink.table)))
        self.unique_in_any_case(
            [("source id", s.id, s.loc, format_path(("sources", s.id))) for s in self.spec.sources]
            + [("step id", s.id, s.locs.get("id", s.loc), f"steps[{i}].id")
               for i, s in enumerate(self.spec.steps) if s.id], _CASE_HINT)
        self.unique_in_any_case([("table name", s.table, s.loc, format_path(("sinks", s.table)))
                                 for s in self.spec.sinks], _TABLE_CASE_HINT)

    def unique_in_any_case(self, named: list[tuple[str, str, Location | None, str]],
                           hint: str) -> None:
        """Names that differ only in case, reported at the later one in the file. Spark's view
        names ignore case, and so do some file systems the warehouse may live on. Names equal
        as written are reported by the duplicate checks."""
        first: dict[str, tuple[str, str, Location | None]] = {}
        for what, name, loc, path in sorted(named, key=lambda n: n[2] or Location("")):
            was, was_name, was_loc = first.setdefault(name.casefold(), (what, name, loc))
            if was_name != name:
                self.add(f"{what} {name!r} differs only in case from {was} {was_name!r} "
                         f"(line {was_loc.line if was_loc else '?'})", loc, path, hint)

    def column_lists(self) -> None:
        """Columns named by `partition_by` and `repartition.by`, which the engine quotes too."""
        owners = [(f"steps[{i}]", s.locs, s.loc, {"repartition.by": s.repartition})
                  for i, s in enumerate(self.spec.steps)]
        owners += [(format_path(("sinks", s.table)), s.locs, s.loc,
                    {"partition_by": s.partition_by, "repartition.by": s.repartition})
                   for s in self.spec.sinks]
        for base, locs, loc, fields in owners:
            for field, value in fields.items():
                names = value.by if isinstance(value, S.Repartition) else value or ()
                for k, name in enumerate(names):
                    if reason := column_name_problem(name):
                        self.add(reason, locs.get(f"{field}[{k}]", locs.get(field, loc)),
                                 f"{base}.{field}[{k}]", _COLUMN_HINT)

    def identifier(self, name: str, what: str, loc: Location | None, path: str) -> None:
        if not is_identifier(name):
            self.add(f"{name!r} is not a valid {what}", loc, path, _IDENT_HINT)

    def step_inputs(self) -> None:
        """Input counts and broadcast hints; inputs naming nothing are `check_graph`'s."""
        for i, step in enumerate(self.spec.steps):
            if f"steps[{i}]" not in self.broken:
                self.input_count(i, step)
                self.broadcast(i, step)

    def input_count(self, i: int, step: S.StepSpec) -> None:
        tdef = self.registry.transforms.get(step.transform)
        if tdef is None or step.transform == "sql":
            return
        n, lo, hi = len(step.inputs), tdef.min_inputs, tdef.max_inputs
        if lo <= n and (hi is None or n <= hi):
            return
        want = f"{lo}" if lo == hi else f"{lo} or more" if hi is None else f"{lo} to {hi}"
        where = step.locs.get("inputs", step.locs.get("input", step.loc))
        self.add(f"transform {tdef.name!r} takes {want} input{'s' if want != '1' else ''}, "
                 f"got {n}", where, f"steps[{i}].inputs",
                 "use `input: <id>` for one input, `inputs: [a, b]` for several")

    def broadcast(self, i: int, step: S.StepSpec) -> None:
        tdef = self.registry.transforms.get(step.transform)
        if step.broadcast and tdef is not None and not tdef.broadcastable:
            able = sorted(t.name for t in self.registry.transforms.values() if t.broadcastable)
            self.add(f"transform {step.transform!r} does not take a broadcast hint",
                     step.locs.get("broadcast", step.loc), f"steps[{i}].broadcast",
                     f"remove `broadcast:`; it applies to sql steps and to: {', '.join(able)}")
            return
        for k, name in enumerate(step.broadcast):
            if name not in step.inputs:
                self.add(f"broadcast {name!r} is not an input of step {step.id!r}",
                         step.locs.get(f"broadcast[{k}]", step.loc), f"steps[{i}].broadcast[{k}]",
                         did_you_mean(name, step.inputs,
                                      f"its inputs are: {', '.join(step.inputs) or 'none'}"))

    def sinks(self) -> None:
        for sink in self.spec.sinks:
            base = format_path(("sinks", sink.table))
            self.partition_columns(sink, base)
            self.pg_columns(sink, base)
            self.keys(sink, base)
            if "postgres" in sink.targets and (reason := pg_identifier_problem(sink.table)):
                self.add(f"table name {sink.table!r} {reason}", sink.loc, base,
                         "shorten the sink's name: it names the PostgreSQL table")
            if "postgres" in sink.targets and self.spec.warehouse.postgres_dsn is None:
                self.add(f"sink {sink.table!r} targets postgres, but warehouse.postgres.dsn is "
                         "not set", sink.locs.get("targets", sink.loc), f"{base}.targets",
                         "add `warehouse: {postgres: {dsn: \"${PG_DSN}\"}}` and export PG_DSN="
                         "postgresql://user@host/db (never write a password into the file)")

    def keys(self, sink: S.SinkSpec, base: str) -> None:
        """Primary key, foreign keys and indexes: each column one the sink has (when its columns
        are known: declared under `columns:`, or its source's schema), each reference to a sink
        of the pipeline, by that sink's (one-column) primary key, loaded where this one is."""
        known = list(sink.columns)
        src = self.spec.source(sink.source)
        if not known and src is not None and src.schema is not None:
            known = list(src.schema.names())
        what = "declared under columns:" if sink.columns else f"of source {sink.source!r}"
        named = [(f"primary_key[{k}]", c) for k, c in enumerate(sink.primary_key)]
        named += [(f"indexes[{i}][{k}]", c) for i, cols in enumerate(sink.indexes)
                  for k, c in enumerate(cols)]
        named += [(f"references.{c}", c) for c in sink.references]
        for field_path, col in named if known else []:
            if col not in known:
                self.add(f"key column {col!r} of sink {sink.table!r} is not a column "
                         f"{what}", sink.locs.get(field_path, sink.loc), f"{base}.{field_path}",
                         did_you_mean(col, known, f"its columns are: {', '.join(known)}"))
        sinks = {s.table: s for s in self.spec.sinks}
        for col, table, ref_col in sink.foreign_keys():
            where = sink.locs.get(f"references.{col}", sink.loc)
            path = f"{base}.references.{col}"
            other = sinks.get(table)
            if other is None:
                self.add(f"sink {sink.table!r}: {col} references {table!r}, which is not a sink "
                         "of the pipeline", where, path,
                         did_you_mean(table, list(sinks), f"sinks: {', '.join(sinks)}"))
                continue
            if other.primary_key != (ref_col,):
                has = (f"its primary key is ({', '.join(other.primary_key)})"
                       if other.primary_key else "it declares no primary_key")
                self.add(f"sink {sink.table!r}: {col} references {table}.{ref_col}, which is not "
                         f"the primary key of {table!r}", where, path,
                         did_you_mean(ref_col, list(other.primary_key), f"{has}; a foreign key "
                                      "names the one column of the primary key it refers to"))
            if "postgres" in sink.targets and "postgres" not in other.targets:
                self.add(f"sink {sink.table!r} targets postgres and references {table!r}, which "
                         "does not", where, path, f"add postgres to the targets of {table!r}")
        self.reference_cycle(sink, sinks, base)

    def reference_cycle(self, sink: S.SinkSpec, sinks: dict[str, S.SinkSpec], base: str) -> None:
        """Tables referencing each other in a ring: no order loads dimensions before facts."""
        todo = [t for _, t, _ in sink.foreign_keys() if t != sink.table]
        seen: set[str] = set()
        while todo:
            table = todo.pop()
            if table == sink.table:
                self.add(f"sink {sink.table!r} is in a ring of references (through "
                         f"{', '.join(sorted(seen))})", sink.locs.get("references", sink.loc),
                         f"{base}.references", "drop one of the references: facts refer to "
                                               "dimensions, never back")
                return
            if table in seen or table not in sinks:
                continue
            seen.add(table)
            todo += [t for _, t, _ in sinks[table].foreign_keys() if t != table]

    def pg_columns(self, sink: S.SinkSpec, base: str) -> None:
        """Declared columns a postgres sink would load under a name PostgreSQL cuts short."""
        src = self.spec.source(sink.source)
        if "postgres" not in sink.targets or src is None or src.schema is None:
            return
        for col in src.schema.names():
            reason = pg_identifier_problem(col)
            if reason and column_name_problem(col) is None:  # else reported at the column
                self.add(f"sink {sink.table!r} loads column {col!r} of source {src.id!r} into "
                         f"PostgreSQL, and the name {reason}", sink.locs.get("from", sink.loc),
                         f"{base}.from", "rename the column in a step and let the sink read "
                                         "that step")

    def landings(self) -> None:
        """Generators' landing folders: each is a generator's own (its manifest says what it
        wrote there and what it may replace), so no two may share one or lie one inside the
        other, nor inside a folder the run writes (warehouse, runs, quarantine). Compared as
        written, in any case: file systems that ignore case make `raw` and `RAW` one folder."""
        owned = [("the warehouse", self.spec.warehouse.path, None, "warehouse.path"),
                 ("the runs folder", "runs", None, ""),
                 ("the quarantine folder", "quarantine", None, "")]
        for gen in self.spec.generators:
            where = gen.locs.get("landing.path", gen.loc)
            path = format_path(("generators", gen.id, "landing", "path"))
            if climbs_out(gen.landing_path):
                self.add(f"generator {gen.id!r} lands in {gen.landing_path!r}, which climbs out "
                         "of the data directory", where, path, CLIMB_HINT)
            if written_uri(gen.landing_path):
                self.add(f"generator {gen.id!r} lands in {gen.landing_path!r}, a URI: landing is "
                         "written with local file operations", where, path, LOCAL_ONLY_HINT)
            for what, other, other_loc, _ in owned:
                if gen.landing_path and overlap(gen.landing_path, other):
                    line = f", line {other_loc.line}" if other_loc else ""
                    how = "the folder of" if overlap(other, gen.landing_path, same=True) \
                        else "a folder overlapping"
                    self.add(f"generator {gen.id!r} lands in {gen.landing_path!r}, {how} {what} "
                             f"({other!r}{line})", where, path,
                             "give each generator a landing folder of its own, outside every "
                             "other generator's and the run's folders")
                    break
            owned.append((f"the landing folder of generator {gen.id!r}", gen.landing_path,
                          where, path))

    def partition_columns(self, sink: S.SinkSpec, base: str) -> None:
        src = self.spec.source(sink.source)
        if src is None or src.schema is None or not src.schema.columns:
            return
        names = src.schema.names()
        for k, col in enumerate(sink.partition_by):
            if col not in names and column_name_problem(col) is None:  # else reported apart
                self.add(f"partition column {col!r} is not a column of source {src.id!r}",
                         sink.locs.get(f"partition_by[{k}]", sink.loc), f"{base}.partition_by[{k}]",
                         did_you_mean(col, names, f"its columns are: {', '.join(names)}"))

    def sources(self) -> None:
        for src in self.spec.sources:
            base = format_path(("sources", src.id))
            if src.generated_by:
                self.generated(src, base)
            if src.on_malformed != "fail" and src.format == "parquet":
                self.add(f"on_malformed: {src.on_malformed} only applies to csv and json sources",
                         src.locs.get("on_malformed", src.loc), f"{base}.on_malformed",
                         "remove it; parquet files are typed, so rows cannot be malformed")
            if src.max_malformed is not None:
                self.max_malformed(src, base)
            if src.encoding and src.format == "parquet":
                self.add("encoding only applies to csv and json sources",
                         src.locs.get("encoding", src.loc), f"{base}.encoding",
                         "remove it; parquet stores text as UTF-8")

    def max_malformed(self, src: S.SourceSpec, base: str) -> None:
        where, path = src.locs.get("max_malformed", src.loc), f"{base}.max_malformed"
        if src.format == "parquet":
            self.add("max_malformed only applies to csv and json sources", where, path,
                     "remove it; parquet files are typed, so rows cannot be malformed")
        elif src.on_malformed == "fail":
            self.add("max_malformed needs on_malformed: quarantine or drop", where, path,
                     "with on_malformed: fail (the default) one malformed row fails the run; "
                     "add `on_malformed: quarantine` to keep them aside up to this limit")

    def generated(self, src: S.SourceSpec, base: str) -> None:
        where, path = src.locs.get("generated", src.loc), f"{base}.generated"
        gen = self.spec.generator(src.generated_by or "")
        if gen is None:  # `check_graph` reports it
            return
        gdef = self.registry.generators.get(gen.generator)
        if gdef is not None and src.table not in gdef.outputs:
            self.add(f"generator {gen.id!r} ({gdef.name}) has no table {src.table!r}", where,
                     path, did_you_mean(src.table, gdef.outputs,
                                        f"it outputs: {', '.join(gdef.outputs)}"))

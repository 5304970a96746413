"""Reads a pipeline's test file (`<pipeline>.tests.yaml`) into `TestFile`, or one SpecError
naming every problem, each at its file:line:col with a hint.

The pass: the pipelines' YAML loader (source map, limits, duplicate keys; no `${...}`
substitution: a test file is data) -> a JSON Schema (unknown keys with did-you-mean, wrong
types, unknown option values) -> the tests, checked against the pipeline: the target is a step
or sink; each fixture names a source or step the target reads; every source the target needs
has rows; fixture columns and values fit a source's declared schema; the expected rows' key
columns exist and are unique; test names are unique; test `vars` are declared by the pipeline.
A test the schema refused is not checked further (its problems would only repeat). No pyspark.
"""

from __future__ import annotations

import os
from typing import Any

from framework.errors import KeyPath, Location, Problem, SpecError, did_you_mean, format_path
from framework.graph import Graph
from framework.loader.document import Document
from framework.loader.parse import MINIMAL_PIPELINE, parse_yaml
from framework.schema import column_types_schema, validate_data
from framework.spec import PipelineSpec
from framework.testing import model as M
from framework.testing.rows import FORMATS, file_rows, inline_rows
from framework.testing.scope import scope
from framework.testing.values import convert

MINIMAL_TESTS = (
    "a test file is:\n"
    "        tests:\n"
    "          - name: keeps orders above the minimum\n"
    "            target: valid_orders\n"
    "            given: {orders: [{order_id: o1, amount: 5}, {order_id: o2, amount: 0}]}\n"
    "            expect: [{order_id: o1}]"
)
_ROWS_HINT = "rows are a list of mappings: [{id: 1, name: a}, {id: 2, name: b}]"


def suite_path(pipeline_file: str) -> str:
    """`pipelines/shop.yaml` -> `pipelines/shop.tests.yaml`."""
    stem = os.path.splitext(pipeline_file)[0]
    return stem + M.SUFFIX


def _rows_schema() -> dict:
    return {"type": "array", "items": {"type": "object", "x-messages": {
        "type": "each row is a mapping of column: value"}}}


def _obj(properties: dict, required: tuple[str, ...] = (), **extra: Any) -> dict:
    out: dict[str, Any] = {"type": "object", "properties": properties,
                           "additionalProperties": False, **extra}
    if required:
        out["required"] = list(required)
    return out


def _either(rows: dict, mapping: dict, message: str) -> dict:
    """A plain list of rows, or a mapping with more to say."""
    return {"if": {"type": "array"}, "then": rows,
            "else": {**mapping, "x-messages": {"type": message}}}


def suite_schema() -> dict:
    """The JSON Schema of a test file."""
    text = {"type": "string", "minLength": 1}
    file = {"type": "string", "minLength": 1, "description": "a CSV, JSON or JSON-lines file"}
    scalars = {"type": "object", "additionalProperties": {"type": ["string", "number",
                                                                   "boolean"]}}
    fixture = _either(_rows_schema(), _obj({
        "rows": _rows_schema(), "file": file,
        "columns": column_types_schema()["properties"]["columns"],
    }), "a fixture is a list of rows, or a mapping with rows: or file: (and columns:)")
    expect = _either(_rows_schema(), _obj({
        "rows": _rows_schema(), "file": file,
        "key": {"type": ["string", "array"], "items": {"type": "string", "minLength": 1},
                "minLength": 1},
        "extra_columns": {"enum": list(M.EXTRA_COLUMNS)},
        "column_order": {"enum": list(M.COLUMN_ORDER)},
        "row_order": {"enum": list(M.ROW_ORDER)},
        "tolerance": {"type": "number", "minimum": 0},
    }), "expect: is a list of rows, or a mapping with rows: or file: (and key:, ...)")
    one = _obj({"name": text, "target": text, "description": {"type": "string"},
                "vars": scalars, "given": {"type": "object", "additionalProperties": fixture},
                "expect": expect}, required=("name", "target", "expect"))
    return _obj({"description": {"type": "string"}, "vars": scalars,
                 "tests": {"type": "array", "items": one, "minItems": 1}},
                required=("tests",))


def load_tests(path: str, spec: PipelineSpec, graph: Graph) -> M.TestFile:
    """The tests of the test file at `path` for the pipeline `spec`; SpecError with every
    problem found."""
    doc, problems = parse_yaml(path)
    problems = [Problem(p.message.replace("(pipeline:, sources:, ...)", "(tests:, vars:)"),
                        p.location, p.path,
                        MINIMAL_TESTS if p.hint == MINIMAL_PIPELINE else p.hint)
                for p in problems]
    if not problems:
        problems = [Problem(p.message, p.location, p.path, MINIMAL_TESTS)
                    if p.message == "missing required key 'tests'" else p
                    for p in validate_data(doc, suite_schema())]
    if problems and not doc.data:
        raise SpecError(problems)
    broken = {p.path for p in problems}
    builder = _Builder(doc, spec, graph, broken)
    tests = builder.tests()
    problems += builder.problems
    if problems:
        raise SpecError(list(dict.fromkeys(problems)))
    return M.TestFile(path, tests)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Builder:
    """Tests from a (possibly invalid) document, with what is wrong about them."""

    def __init__(self, doc: Document, spec: PipelineSpec, graph: Graph, broken: set[str]):
        self.doc, self.spec, self.graph = doc, spec, graph
        self.broken = broken
        self.problems: list[Problem] = []
        self.base_dir = os.path.dirname(doc.file)

    def fail(self, message: str, path: KeyPath, hint: str | None = None,
             loc: Location | None = None) -> None:
        self.problems.append(Problem(message, loc or self.doc.locate(path), format_path(path),
                                     hint))

    def is_broken(self, path: KeyPath) -> bool:
        prefix = format_path(path)
        return any(b == prefix or b.startswith((prefix + ".", prefix + "[")) for b in
                   self.broken)

    def tests(self) -> tuple[M.PipelineTest, ...]:
        items = self.doc.data.get("tests")
        shared = self.doc.data.get("vars")
        shared = shared if isinstance(shared, dict) and not self.is_broken(("vars",)) else {}
        self.check_vars(shared, ("vars",))
        out: list[M.PipelineTest] = []
        names: dict[str, int] = {}
        for i, raw in enumerate(items if isinstance(items, list) else []):
            path: KeyPath = ("tests", i)
            if not isinstance(raw, dict):
                continue
            name = raw.get("name")
            if isinstance(name, str) and name in names:
                self.fail(f"test name {name!r} is used twice (first at line {names[name]})",
                          path + ("name",), "give each test its own name")
            elif isinstance(name, str):
                names[name] = self.doc.locate(path + ("name",)).line
            test = self.test(raw, path, shared)
            if test is not None:
                out.append(test)
        return tuple(out)

    def part(self, raw: dict, path: KeyPath, key: str) -> Any:
        """`raw[key]` when it is there and the schema did not refuse it, else None."""
        return raw.get(key) if key in raw and not self.is_broken(path + (key,)) else None

    def test(self, raw: dict, path: KeyPath, shared: dict) -> M.PipelineTest | None:
        """The test, with what is wrong in its parts the schema accepted; None when a part is
        missing or wrong (the problems say why)."""
        name, written = self.part(raw, path, "name"), self.part(raw, path, "target")
        target = self.target(written, path + ("target",)) if written is not None else None
        own = self.part(raw, path, "vars") or {}
        self.check_vars(own, path + ("vars",))
        given = self.fixtures(raw.get("given") or {}, path + ("given",)) \
            if isinstance(raw.get("given", {}), dict) else None
        expect = self.part(raw, path, "expect")
        expect = self.expectation(expect, path + ("expect",)) if expect is not None else None
        if target is None or given is None:
            return None
        self.check_scope(raw, path, target, given)
        if name is None or expect is None or self.is_broken(path):
            return None
        variables = {str(k): _scalar_text(v) for k, v in shared.items()}
        variables.update({str(k): _scalar_text(v) for k, v in own.items()})
        return M.PipelineTest(
            name=str(name), target=target, given=given, expect=expect, vars=variables,
            description=str(raw.get("description") or ""), file=self.doc.file,
            loc=self.doc.locate(path), vars_loc=self.doc.key_location(path + ("vars",))
            if "vars" in raw else None)

    def check_scope(self, raw: dict, path: KeyPath, target: str,
                    given: tuple[M.Fixture, ...]) -> None:
        """Every source the target needs is given; every fixture is read."""
        where = scope(self.spec, self.graph, target, [f.key for f in given])
        for source, reader in sorted(where.missing.items()):
            sid = source.partition(":")[2]
            instead = f"; or give rows for {reader.partition(':')[2]!r} itself" \
                if reader != target else ""
            self.fail(f"{reader.replace(':', ' ')} reads source {sid!r}, and the test gives "
                      f"no rows for it", path + ("given",),
                      f"add `{sid}:` under given: (rows: [...], or file:){instead}",
                      loc=self.doc.key_location(path + ("given",)) if "given" in raw
                      else self.doc.locate(path))
        for key in where.unused:
            fid = key.partition(":")[2]
            self.fail(f"{fid!r} is given but the target does not read it "
                      f"(not even through other steps it computes)", path + ("given", fid),
                      "remove it, or give rows for what the target reads",
                      loc=self.doc.key_location(path + ("given", fid)))

    def check_vars(self, variables: dict, path: KeyPath) -> None:
        for name in variables:
            if name not in self.spec.vars:
                self.fail(f"no variable {name!r} is declared under the pipeline's vars:",
                          path + (name,), did_you_mean(name, list(self.spec.vars),
                                                       "a test sets the pipeline's variables"),
                          loc=self.doc.key_location(path + (name,)))

    # -- target and fixtures ---------------------------------------------------------------
    def target(self, name: str, path: KeyPath) -> str | None:
        nodes = self.graph.nodes
        if ":" in name and name in nodes and name.partition(":")[0] in ("step", "sink"):
            return name
        for kind in ("step", "sink"):
            if f"{kind}:{name}" in nodes:
                return f"{kind}:{name}"
        if f"source:{name}" in nodes:
            self.fail(f"{name!r} is a source: a test computes a step or a sink", path,
                      f"give {name!r} rows under given: and target a step or sink that "
                      f"reads it")
            return None
        names = [s.id for s in self.spec.steps] + [s.table for s in self.spec.sinks]
        self.fail(f"no step or sink is named {name!r}", path,
                  did_you_mean(name, names, "the target is a step id or a sink's table"))
        return None

    def fixtures(self, raw: dict, path: KeyPath) -> tuple[M.Fixture, ...] | None:
        out, ok = [], True
        for name, value in raw.items():
            where = path + (name,)
            if self.is_broken(where):
                ok = False
                continue
            key = next((f"{k}:{name}" for k in ("step", "source")
                        if f"{k}:{name}" in self.graph.nodes), None)
            if key is None:
                ids = [s.id for s in self.spec.sources] + [s.id for s in self.spec.steps]
                sink = next((s for s in self.spec.sinks if s.table == name), None)
                hint = f"sink {name!r} reads {sink.source!r}: give rows for that" if sink \
                    else did_you_mean(name, ids, "given: names sources and steps")
                self.fail(f"no source or step is named {name!r}", where, hint,
                          loc=self.doc.key_location(where))
                ok = False
                continue
            rows, types = self.rows_of(value, where, "given")
            if rows is None:
                ok = False
                continue
            fixture = M.Fixture(name, key, rows, types, self.doc.key_location(where))
            ok = self.check_fixture(fixture, where) and ok
            out.append(fixture)
        return tuple(out) if ok else None

    def rows_of(self, value: Any, path: KeyPath, what: str,
                ) -> tuple[M.Rows | None, dict[str, str]]:
        """Inline rows (a list, or `rows:`) or a file's (`file:`); the `columns:` types."""
        if isinstance(value, list):
            return inline_rows(self.doc, path, value), {}
        has_rows, has_file = "rows" in value, "file" in value
        if has_rows == has_file:
            self.fail(f"{'both rows: and file:' if has_rows else 'neither rows: nor file:'} "
                      f"given", path, f"{what} rows are written under rows: (a list of "
                      f"mappings) or read from file: ({', '.join(FORMATS)}), one of the two")
            return None, {}
        types = {str(k): str(v) for k, v in (value.get("columns") or {}).items()}
        if has_rows:
            return inline_rows(self.doc, path + ("rows",), value["rows"]), types
        rows, problems = file_rows(str(value["file"]), self.base_dir,
                                   self.doc.locate(path + ("file",)), path + ("file",))
        self.problems += problems
        return rows, types

    def check_fixture(self, fixture: M.Fixture, path: KeyPath) -> bool:
        """A source's rows against its declared schema: its columns, values of its types."""
        source = self.spec.source(fixture.name)
        if source is None or source.schema is None:
            return True
        if fixture.types:
            self.fail(f"source {fixture.name!r} declares its schema; columns: is for steps "
                      f"and sources without one", path + ("columns",),
                      "remove columns: here: the rows get the declared types")
            return False
        types = {c.name: c.type for c in source.schema.columns}
        before = len(self.problems)
        for column in fixture.rows.columns:
            if column not in types:
                i = next(i for i, r in enumerate(fixture.rows.rows) if column in r)
                self.fail(f"source {fixture.name!r} has no column {column!r}", path,
                          did_you_mean(column, list(types), f"its columns: {', '.join(types)}"),
                          loc=fixture.rows.cell(i, column))
        for i, row in enumerate(fixture.rows.rows):
            for column, value in row.items():
                if column in types:
                    self.value_problem(value, types[column], fixture.rows.cell(i, column),
                                       path, f"{fixture.name}.{column}")
        return len(self.problems) == before

    def value_problem(self, value: Any, type_name: str, loc: Location, path: KeyPath,
                      what: str) -> None:
        try:
            convert(value, type_name)
        except ValueError as exc:
            self.fail(f"{what} ({type_name}): {exc}", path, "write a value of the column's "
                      "type, or null", loc=loc)

    # -- expected rows ---------------------------------------------------------------------
    def expectation(self, raw: Any, path: KeyPath) -> M.Expectation | None:
        rows, _ = self.rows_of(raw, path, "expected")
        if rows is None:
            return None
        options = raw if isinstance(raw, dict) else {}
        key = options.get("key") or ()
        key = (key,) if isinstance(key, str) else tuple(str(k) for k in key)
        key_loc = self.doc.locate(path + ("key",)) if key else None
        ok = self.check_key(rows, key, path, key_loc)
        expect = M.Expectation(
            rows=rows, key=key, extra_columns=options.get("extra_columns", "ignore"),
            column_order=options.get("column_order", "ignore"),
            row_order=options.get("row_order", "ignore"),
            tolerance=float(options.get("tolerance", M.DEFAULT_TOLERANCE)),
            loc=self.doc.key_location(path), key_loc=key_loc)
        return expect if ok else None

    def check_key(self, rows: M.Rows, key: tuple[str, ...], path: KeyPath,
                  key_loc: Location | None) -> bool:
        if not key:
            return True
        absent = [k for k in key if k not in rows.columns]
        for column in absent:
            self.fail(f"key column {column!r} is not among the expected rows' columns",
                      path + ("key",), did_you_mean(column, rows.columns,
                                                    "rows are matched on the key's values"),
                      loc=key_loc)
        if absent:
            return False
        seen: dict[tuple, int] = {}
        ok = True
        for i, row in enumerate(rows.rows):
            values = tuple(repr(row.get(k)) for k in key)
            if values in seen:
                first = rows.where[seen[values]]
                self.fail(f"two expected rows have the key {', '.join(key)} = "
                          f"{', '.join(values)} (the first at line {first.line})", path,
                          "the key must tell the expected rows apart; add a column to it",
                          loc=rows.where[i])
                ok = False
            seen.setdefault(values, i)
        return ok

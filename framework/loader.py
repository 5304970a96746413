"""Reads a pipeline YAML file into a `Document`: plain data, a source map and `${...}` substitution.

Owns everything between the bytes on disk and a dict the schema can validate: safe YAML parsing
(no Python tags), a source map (every key and value knows file:line:col, 1-based), refusal of
duplicate keys and alias bombs, and substitution of `${NAME}` / `${NAME:-default}` / `$${` in string
scalars. Every problem found is collected; `load_document` raises one `SpecError` with all of them.
Paths inside the document are not resolved here.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from framework.errors import Location, Problem, SpecError
from framework.masking import literal_passwords

KeyPath = tuple[str | int, ...]

MAX_NODES = 100_000  # expanded size (aliases counted every time they are used)
MAX_ALIASES = 1_000
MINIMAL_PIPELINE = (
    "a minimal pipeline is:\n"
    "        pipeline: demo\n"
    "        sources: {raw: {path: data/raw.csv, format: csv}}\n"
    "        sinks: {raw_copy: {from: raw}}"
)
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
}
_STRING_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_REF_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Document:
    """A parsed pipeline file: `data` (after substitution) and where each key and value is."""

    data: dict[str, Any]
    file: str
    base_dir: str
    values: dict[KeyPath, Location] = field(default_factory=dict, repr=False)
    keys: dict[KeyPath, Location] = field(default_factory=dict, repr=False)
    styles: dict[KeyPath, str | None] = field(default_factory=dict, repr=False)
    lines: list[str] = field(default_factory=list, repr=False)
    unresolved: set[KeyPath] = field(default_factory=set, repr=False)  # failed substitutions

    def locate(self, path: KeyPath) -> Location:
        """Where the value at `path` starts; for a missing path, its nearest existing parent."""
        path = tuple(path)
        while path and path not in self.values:
            path = path[:-1]
        return self.values.get(path, Location(self.file, 1, 1))

    def key_location(self, path: KeyPath) -> Location:
        """Where the key of `path` is written (list items: the item itself)."""
        path = tuple(path)
        if path in self.keys:
            return self.keys[path]
        return self.locate(path)

    def has(self, path: KeyPath) -> bool:
        return tuple(path) in self.values

    def text_location(self, path: KeyPath, line: int, col: int = 0) -> Location:
        """The file position of `line` (1-based) inside the string scalar at `path`."""
        start = self.locate(path)
        style = self.styles.get(tuple(path))
        if style in ("|", ">"):  # block scalar: text starts on the line after the indicator
            return self._indented(start.line + line, col)
        if line <= 1:
            quote = 1 if style in ("'", '"') else 0
            return Location(self.file, start.line, start.col + quote + max(col - 1, 0))
        return self._indented(start.line + line - 1, col)

    def _indented(self, line: int, col: int) -> Location:
        """Column `col` of the text on file line `line`, counted after its indentation."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        indent = len(text) - len(text.lstrip(" "))
        return Location(self.file, line, indent + col if col else 0)


class _LimitExceeded(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None = None,
                 where: Location | None = None):
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.where = where


class _CountingLoader(yaml.SafeLoader):
    """A SafeLoader that refuses documents with too many aliases while composing."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.alias_count = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _LimitExceeded(f"more than {MAX_ALIASES} aliases", mark)
        return super().compose_node(parent, index)


def _location(file: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file)
    return Location(file, mark.line + 1, mark.column + 1)


def did_you_mean(word: str, choices: Any, hint: str = "") -> str:
    """'did you mean 'x'?' (plus `hint`) when a close match exists, else just `hint`."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    guess = f"did you mean {close[0]!r}?" if close else ""
    return " ".join(p for p in (guess, hint) if p)


class _Builder:
    """Turns composed YAML nodes into plain data while recording the source map."""

    def __init__(self, file: str):
        self.file = file
        self.doc = Document({}, file, "")
        self.problems: list[Problem] = []
        self.constructor = yaml.SafeLoader("")
        self.size = 0
        self.active: set[int] = set()
        self.entry: KeyPath = ()  # the top-level key being built (for size errors)

    def loc(self, node: Node) -> Location:
        return _location(self.file, node.start_mark)

    def build(self, node: Node, path: KeyPath) -> Any:
        self.size += 1
        if len(path) == 1:
            self.entry = path
        if self.size > MAX_NODES:
            raise _LimitExceeded(f"expands to more than {MAX_NODES} values", None,
                                 self.doc.key_location(self.entry))
        if id(node) in self.active:
            raise _LimitExceeded("an alias refers to itself (recursive anchor)", node.start_mark)
        self.doc.values[path] = self.loc(node)
        if isinstance(node, ScalarNode):
            self.doc.styles[path] = node.style
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        if node.tag in _SCALAR_TAGS:
            return self.constructor.construct_object(node, deep=True)
        if node.tag not in _STRING_TAGS:
            self.problems.append(Problem(
                f"unsupported YAML tag {node.tag!r}", self.loc(node), format_path(path),
                "remove the tag; pipelines use plain YAML values only"))
        return node.value

    def mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.merge(out, value_node, path)
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            if key in first_line:
                self.problems.append(Problem(
                    f"duplicate key {key!r} (first defined on line {first_line[key]})",
                    self.loc(key_node), format_path(path + (key,)),
                    "remove one of them; YAML would silently keep only the last"))
            first_line.setdefault(key, key_node.start_mark.line + 1)
            self.doc.keys[path + (key,)] = self.loc(key_node)
            out[key] = self.build(value_node, path + (key,))
        self.doc.values[path] = self.loc(node)
        return out

    def key(self, node: Node, path: KeyPath) -> str | None:
        if isinstance(node, ScalarNode):
            return str(node.value)
        self.problems.append(Problem("a key must be a plain string", self.loc(node),
                                     format_path(path), "write the key as a simple word"))
        return None

    def merge(self, out: dict[str, Any], node: Node, path: KeyPath) -> None:
        """`<<: *anchor` (or a list of anchors): copy keys not already present."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.problems.append(Problem("'<<' must name a mapping (an anchor like *defaults)",
                                             self.loc(source), format_path(path)))
                continue
            for key, value in self.mapping(source, path).items():
                out.setdefault(key, value)


def format_path(path: KeyPath) -> str:
    """('steps', 3, 'params', 'keys') -> 'steps[3].params.keys'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def parse_scalar(text: str) -> Any:
    """A string typed the way YAML would type a plain scalar: '1000' -> 1000, 'true' -> True."""
    tag = yaml.SafeLoader.resolve(yaml.SafeLoader, ScalarNode, text, (True, False))
    if tag not in _SCALAR_TAGS:
        return text
    return yaml.SafeLoader("").construct_object(ScalarNode(tag, text), deep=True)


_YAML_WORDS = (  # (part of PyYAML's message, plain words)
    ("that cannot start any token", "a tab or other character that cannot start a value"),
    ("expected <block end>", "this line is not indented like the lines above it"),
    ("mapping values are not allowed here",
     "unexpected ':' (quote a value that contains ': ', or fix the indentation)"),
    ("could not find expected ':'", "expected 'key: value' here"),
    ("found undefined alias", "an alias (*name) refers to no anchor (&name)"),
    ("expected a single document", "only one YAML document per file (remove the '---')"),
)
_UNCLOSED = {"flow sequence": "this '[' is never closed",
             "flow mapping": "this '{' is never closed",
             "quoted scalar": "this quote is never closed"}


def _yaml_problem(file: str, exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    what = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    message = next((words for part, words in _YAML_WORDS if part in what + context), what)
    unclosed = next((m for k, m in _UNCLOSED.items() if k in context), None)
    if unclosed and ("<stream end>" in what or "end of stream" in what):
        message, mark = unclosed, getattr(exc, "context_mark", None) or mark
    lines = text.splitlines()
    line_text = lines[mark.line] if mark and mark.line < len(lines) else ""
    if "\t" in line_text[: (mark.column + 1) if mark else None]:
        hint = "indent with spaces, not tabs"
    elif unclosed:
        hint = "add the closing character, or quote the value if it is text"
    else:
        hint = "check the indentation and quoting here; quote values containing ': ' or ' #'"
    return Problem(f"invalid YAML: {message}", _location(file, mark), "", hint)


def parse_file(path: str | os.PathLike[str]) -> Document:
    """Parse one YAML file into a Document without substitution; raises SpecError on problems."""
    doc, problems = _parse(str(path))
    if problems:
        raise SpecError(problems)
    return doc


def _read(file: str) -> tuple[str | None, list[Problem]]:
    try:
        return Path(file).read_text(encoding="utf-8"), []
    except FileNotFoundError:
        return None, [Problem(f"file not found: {file}", Location(file),
                              hint="check the path; it is relative to the current folder")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(f"cannot read the file: {exc}", Location(file))]


def _compose(file: str, text: str) -> tuple[Node | None, list[Problem]]:
    loader = _CountingLoader(text)
    try:
        return loader.get_single_node(), []
    except _LimitExceeded as exc:
        return None, [_bomb_problem(file, exc)]
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(file, exc, text)]
    finally:
        loader.dispose()


def _bomb_problem(file: str, exc: _LimitExceeded) -> Problem:
    where = exc.where or _location(file, exc.mark)
    return Problem(f"the document {exc.message}; refusing to expand it", where,
                   hint="anchors and aliases are for small repeated blocks; write the values out")


def _parse(file: str) -> tuple[Document, list[Problem]]:
    base_dir = str(Path(file).resolve().parent)
    text, problems = _read(file)
    if text is None:
        return Document({}, file, base_dir), problems
    node, problems = _compose(file, text)
    if problems:
        return Document({}, file, base_dir), problems
    if node is None:
        return Document({}, file, base_dir), [
            Problem("file is empty", Location(file, 1, 1), hint=MINIMAL_PIPELINE)]
    builder = _Builder(file)
    try:
        data = builder.build(node, ())
    except _LimitExceeded as exc:
        return Document({}, file, base_dir), [_bomb_problem(file, exc)]
    except RecursionError:
        return Document({}, file, base_dir), [Problem(
            "the document is nested too deeply", _location(file, node.start_mark))]
    doc = builder.doc
    doc.base_dir = base_dir
    doc.lines = text.splitlines()
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        return doc, builder.problems + [Problem(
            f"the top level must be a mapping of keys (pipeline:, sources:, ...), not {kind}",
            doc.locate(()), hint=MINIMAL_PIPELINE)]
    doc.data = data
    return doc, builder.problems


@dataclass
class _Substituter:
    """Expands `${NAME}`, `${NAME:-default}` and `$${` in the string scalars of a Document."""

    doc: Document
    env: Mapping[str, str]
    known: dict[str, Any] = field(default_factory=dict)
    declared: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)

    def walk(self, value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict):
            return {k: self.walk(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.walk(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self.expand(value, path)
        return value

    def expand(self, text: str, path: KeyPath) -> Any:
        whole = _REF.fullmatch(text)
        if whole and whole.group(0) != "$${":
            return self.lookup(whole.group(1), path, 0, typed=True)
        parts: list[str] = []
        pos = 0
        for match in _REF.finditer(text):
            parts.append(text[pos:match.start()])
            if match.group(0) == "$${":
                parts.append("${")
            else:
                parts.append(_as_text(self.lookup(match.group(1), path, match.start(), False)))
            pos = match.end()
        parts.append(text[pos:])
        return "".join(parts)

    def lookup(self, body: str, path: KeyPath, offset: int, typed: bool) -> Any:
        match = _REF_BODY.fullmatch(body)
        if not match:
            self.fail(f"bad substitution '${{{body}}}'", path, offset,
                      "write ${NAME} or ${NAME:-default}; use $${ for a literal '${'")
            return ""
        name, default = match.group(1), match.group(2)
        if name in self.known:
            value = self.known[name]
        elif name in self.env:
            value = parse_scalar(self.env[name])
        elif default is not None:
            value = parse_scalar(default)
        else:
            self.fail(f"undefined variable {name!r}", path, offset, did_you_mean(
                name, self.declared,
                f"define it under vars:, pass --var {name}=..., or export {name}"))
            return ""
        return value if typed else _as_text(value)

    def fail(self, message: str, path: KeyPath, offset: int, hint: str) -> None:
        self.doc.unresolved.add(path)
        loc = self.doc.text_location(path, 1, offset + 1) if offset else self.doc.locate(path)
        self.problems.append(Problem(message, loc, format_path(path), hint))


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _resolve_vars(sub: _Substituter, overrides: Mapping[str, str]) -> dict[str, Any]:
    raw = sub.doc.data.get("vars")
    declared = raw if isinstance(raw, dict) else {}
    sub.declared = tuple(declared)
    for name in overrides:
        if name not in declared:
            sub.problems.append(Problem(
                f"--var {name}=...: no variable {name!r} is declared under vars:",
                sub.doc.key_location(("vars",)), "vars",
                did_you_mean(name, declared, f"declare {name} under vars: first")))
    for name, value in declared.items():
        if name in overrides:
            sub.known[name] = parse_scalar(str(overrides[name]))
        else:
            sub.known[name] = sub.walk(value, ("vars", name))
    return dict(sub.known)


def read_document(
    path: str | os.PathLike[str],
    overrides: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Document | None, list[Problem]]:
    """Like `load_document` but returns the problems instead of raising.

    The Document is None when the file could not be parsed; after substitution problems it is
    returned (failed values are empty strings, their paths in `doc.unresolved`).
    """
    doc, problems = _parse(str(path))
    if problems:
        return None, problems
    written = _written_passwords(doc, doc.data, ())
    sub = _Substituter(doc, os.environ if env is None else env)
    resolved = _resolve_vars(sub, overrides or {})
    data = {k: v if k == "vars" else sub.walk(v, (k,)) for k, v in doc.data.items()}
    if isinstance(data.get("vars"), dict):
        data["vars"] = resolved
    doc.data = data
    return doc, written + sub.problems


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

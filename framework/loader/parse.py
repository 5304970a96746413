"""YAML bytes to a `Document` with a source map, within limits.

Owns safe YAML parsing (no Python tags), the source map (every key and value knows
file:line:col, 1-based), refusal of duplicate keys, and the limits that keep a hostile file from
taking the process down: the file's size (checked before reading, and at most that much is
read), the nesting depth and the number of values (checked while composing, before any Python
data is built) and alias bombs. Every problem is located; nothing here substitutes variables.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from framework.errors import KeyPath, Location, Problem, format_path
from framework.loader.document import SCALAR_TAGS, Document

MAX_FILE_BYTES = 2_000_000  # a pipeline file is a few KB; the clickstream one is 5 KB
MAX_DEPTH = 64  # nested mappings and lists
MAX_NODES = 100_000  # expanded size (aliases counted every time they are used)
MAX_ALIASES = 1_000
MINIMAL_PIPELINE = (
    "a minimal pipeline is:\n"
    "        pipeline: demo\n"
    "        sources: {raw: {path: data/raw.csv, format: csv}}\n"
    "        sinks: {raw_copy: {from: raw}}"
)
_ALIAS_HINT = "anchors and aliases are for small repeated blocks; write the values out"
_SIZE_HINT = "a pipeline file describes sources, steps and sinks; keep data in data files"
_DEPTH_HINT = "a pipeline nests a few levels (steps, params, ...); check the indentation here"
_STRING_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _LimitExceeded(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None = None,
                 where: Location | None = None, hint: str = _ALIAS_HINT):
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.where = where
        self.hint = hint


class _CountingLoader(yaml.SafeLoader):
    """A SafeLoader that refuses, while composing, documents nested too deeply or holding too
    many values or aliases: before the recursion runs out of stack or the nodes out of memory."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.alias_count = 0
        self.node_count = 0
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _LimitExceeded(f"the document has more than {MAX_ALIASES} aliases; "
                                     "refusing to expand it", mark)
            return super().compose_node(parent, index)
        self.node_count += 1
        if self.node_count > MAX_NODES:
            raise _LimitExceeded(f"the document holds more than {MAX_NODES:,} values; "
                                 "refusing to read it", self.peek_event().start_mark,
                                 hint=_SIZE_HINT)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _LimitExceeded(f"the document is nested more than {MAX_DEPTH} levels "
                                     "deep; refusing to read it",
                                     self.peek_event().start_mark, hint=_DEPTH_HINT)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _location(file: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file)
    return Location(file, mark.line + 1, mark.column + 1)


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
            raise _LimitExceeded(f"the document expands to more than {MAX_NODES} values; "
                                 "refusing to expand it", None,
                                 self.doc.key_location(self.entry))
        if len(path) > MAX_DEPTH:  # aliases can nest what the composer saw flat
            raise _LimitExceeded(f"the document is nested more than {MAX_DEPTH} levels deep; "
                                 "refusing to expand it", node.start_mark, hint=_DEPTH_HINT)
        if id(node) in self.active:
            raise _LimitExceeded("an alias refers to itself (recursive anchor); refusing to "
                                 "expand it", node.start_mark)
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
        if node.tag in SCALAR_TAGS:
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


def _read(file: str) -> tuple[str | None, list[Problem]]:
    """The file's text, read only when it is a regular file (or a pipe) of at most
    MAX_FILE_BYTES, and never more than that many bytes plus one."""
    try:
        info = os.stat(file)
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            return None, [Problem(f"not a regular file ({_kind(info.st_mode)})", Location(file),
                                  hint="name a pipeline YAML file")]
        data = b""
        if info.st_size <= MAX_FILE_BYTES:  # a pipe says 0: read, but never too much
            with open(file, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None, [Problem(f"file not found: {file}", Location(file),
                              hint="check the path; it is relative to the current folder")]
    except OSError as exc:
        return None, [Problem(f"cannot read the file: {exc.strerror or exc}", Location(file))]
    if info.st_size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        return None, [Problem(
            f"the file is larger than {MAX_FILE_BYTES:,} bytes, the most a pipeline file may "
            "be; refusing to read it", Location(file), hint=_SIZE_HINT)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, [Problem(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                              Location(file, line), hint="save the file as UTF-8")]


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a plain file")


def _compose(file: str, text: str) -> tuple[Node | None, list[Problem]]:
    loader = _CountingLoader(text)
    try:
        return loader.get_single_node(), []
    except _LimitExceeded as exc:
        return None, [_limit_problem(file, exc)]
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(file, exc, text)]
    finally:
        loader.dispose()


def _limit_problem(file: str, exc: _LimitExceeded) -> Problem:
    where = exc.where or _location(file, exc.mark)
    return Problem(exc.message, where, hint=exc.hint)


def parse_yaml(file: str) -> tuple[Document, list[Problem]]:
    """The Document of `file` (without substitution) and the problems found reading it."""
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
        return Document({}, file, base_dir), [_limit_problem(file, exc)]
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



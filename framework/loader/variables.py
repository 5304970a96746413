"""`${...}` substitution: variables resolved in dependency order, where each came from, which
ones are secrets.

The rule: `${NAME}` names a variable declared under `vars:` (or set by `--var`) when there is
one, wherever in `vars:` it is declared; otherwise a built-in variable (`BUILTINS`:
`pipeline_dir`, the absolute folder of the pipeline file, the one its file references resolve
against; `--var` may set it without declaring it); otherwise the environment variable NAME;
otherwise the default of `${NAME:-default}`. So variables win over the environment everywhere,
inside `vars:` too, and may refer to each other in any order; a cycle (`a: ${b}`, `b: ${a}`, or
`a: ${a}`) is a located error naming the path. A `--var` value is taken as written, never
substituted.

While substituting, the Document learns which variables each value came from (`var_uses`, so a
wrong value can be reported where it was set) and which variables are secrets (`secret_vars`):
those named like a secret (`api_token`), and those whose value flows, directly or through
other variables, into a field named like a password, into the password part of any DSN, or
makes up the whole of `warehouse.postgres.dsn` (its host and port are not secrets).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from framework.errors import KeyPath, Location, Problem, did_you_mean, format_path
from framework.loader.document import Document, parse_scalar
from framework.masking import is_secret_key, password_spans

_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_REF_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)
_DSN = ("warehouse", "postgres", "dsn")

# built-in variables: name -> what it holds (its value comes from the Document)
BUILTINS = {"pipeline_dir": "the pipeline file's folder"}


def builtin_values(doc: Document) -> dict[str, str]:
    """The built-in variables' values for `doc`: `pipeline_dir` is its folder, absolute, links
    resolved, without a trailing separator (the folder file references resolve against)."""
    return {"pipeline_dir": doc.base_dir}


@dataclass
class _Frame:
    """A variable being resolved, and where the reference that led to it is written."""

    name: str
    path: KeyPath
    offset: int


@dataclass
class Substituter:
    """Expands `${NAME}`, `${NAME:-default}` and `$${` in the string scalars of a Document."""

    doc: Document
    env: Mapping[str, str]
    declared: dict[str, Any] = field(default_factory=dict)
    overrides: Mapping[str, str] = field(default_factory=dict)
    known: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    stack: list[_Frame] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # variables whose value could not be made
    deps: dict[str, set[str]] = field(default_factory=dict)  # variable -> variables it uses
    secrets: set[str] = field(default_factory=set)
    builtins: dict[str, str] = field(default_factory=dict)  # name -> value (`BUILTINS`)

    # -- variables -----------------------------------------------------------------------
    def resolve_vars(self) -> dict[str, Any]:
        """Every declared variable's value (overrides applied), in the order declared."""
        raw = self.doc.data.get("vars")
        self.declared = raw if isinstance(raw, dict) else {}
        self.set_builtins()
        for name in self.overrides:
            if name not in self.declared and name not in self.builtins:
                self.problems.append(Problem(
                    f"--var {name}=...: no variable {name!r} is declared under vars:",
                    self.doc.key_location(("vars",)), "vars",
                    did_you_mean(name, [*self.declared, *BUILTINS],
                                 f"declare {name} under vars: first")))
        for name in self.declared:
            origin = f"--var {name}={self.overrides[name]}" if name in self.overrides else \
                self.doc.locate(("vars", name))
            self.doc.var_origins[name] = origin
            if is_secret_key(name):  # `vars: {api_token: ...}` is a secret wherever it goes
                self.secrets.add(name)
        for name in self.declared:
            self.variable(name, ("vars", name), 0)
        return {name: self.known.get(name, "") for name in self.declared}

    def set_builtins(self) -> None:
        """The built-in variables a `vars:` entry does not declare: a `--var` sets one as
        written (a folder stays text), else it holds its built-in value."""
        for name, value in builtin_values(self.doc).items():
            if name in self.declared:
                continue
            if name in self.overrides:
                value, origin = str(self.overrides[name]), f"--var {name}={self.overrides[name]}"
            else:
                origin = f"built in: {BUILTINS[name]}, {value}"
            self.builtins[name] = value
            self.doc.var_origins[name] = origin

    def variable(self, name: str, path: KeyPath, offset: int) -> Any:
        """The value of declared variable `name`, resolving it (and what it uses) first."""
        if name in self.known:
            return self.known[name]
        names = [f.name for f in self.stack]
        if name in names:
            self.cycle(self.stack[names.index(name):], path, offset)
            return ""
        if name in self.overrides:
            self.known[name] = parse_scalar(str(self.overrides[name]))
            return self.known[name]
        self.stack.append(_Frame(name, path, offset))
        try:
            value = self.walk(self.declared[name], ("vars", name))
        finally:
            self.stack.pop()
        self.known[name] = "" if name in self.broken else value
        return self.known[name]

    def cycle(self, frames: list[_Frame], path: KeyPath, offset: int) -> None:
        """`a: ${b}`, `b: ${a}`: one located problem naming the path and each link's line."""
        names = [f.name for f in frames] + [frames[0].name]
        links = [(frames[i].name, names[i + 1], self.where(frames[i + 1].path,
                                                           frames[i + 1].offset).line)
                 for i in range(len(frames) - 1)]
        links.append((frames[-1].name, names[0], self.where(path, offset).line))
        said = ", ".join(f"{a} uses ${{{b}}} on line {line}" for a, b, line in links)
        if len(frames) == 1:
            name = frames[0].name
            self.fail(f"variable {name!r} refers to itself", path, offset,
                      f"inside vars:, ${{{name}}} names this variable, not the environment "
                      f"variable {name}; to read the environment, give the variable another name")
            return
        self.fail(f"variables refer to each other in a cycle: {' -> '.join(names)}", path,
                  offset, f"{said}; give one of them a value of its own")

    # -- substitution --------------------------------------------------------------------
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
            value = self.lookup(whole.group(1), path, 0)
            if isinstance(value, str):
                self.flows(value, path, [(self.used(whole.group(1)), 0, len(value))])
            else:
                self.flows("", path, [(self.used(whole.group(1)), 0, 0)])
            return value
        parts: list[str] = []
        spans: list[tuple[str | None, int, int]] = []
        pos = size = 0
        for match in _REF.finditer(text):
            parts.append(text[pos:match.start()])
            size += match.start() - pos
            piece = "${" if match.group(0) == "$${" else \
                _as_text(self.lookup(match.group(1), path, match.start()))
            if match.group(0) != "$${":
                spans.append((self.used(match.group(1)), size, size + len(piece)))
            parts.append(piece)
            size += len(piece)
            pos = match.end()
        parts.append(text[pos:])
        result = "".join(parts)
        self.flows(result, path, spans)
        return result

    def used(self, body: str) -> str | None:
        """The declared or built-in variable a `${...}` body names, if any."""
        match = _REF_BODY.fullmatch(body)
        name = match.group(1) if match else None
        return name if name in self.declared or name in self.builtins else None

    def lookup(self, body: str, path: KeyPath, offset: int) -> Any:
        match = _REF_BODY.fullmatch(body)
        if not match:
            self.fail(f"bad substitution '${{{body}}}'", path, offset,
                      "write ${NAME} or ${NAME:-default}; use $${ for a literal '${'")
            return ""
        name, default = match.group(1), match.group(2)
        if name in self.declared:
            value = self.variable(name, path, offset)
            if name in self.broken:  # already reported where it went wrong
                self.doc.unresolved.add(path)
                self.mark_broken()
            return value
        if name in self.builtins:
            return self.builtins[name]
        if name in self.env:
            return parse_scalar(self.env[name])
        if default is not None:
            return parse_scalar(default)
        self.fail(f"undefined variable {name!r}", path, offset, did_you_mean(
            name, [*self.declared, *self.builtins],
            f"define it under vars:, pass --var {name}=..., or export {name}"))
        return ""

    def flows(self, result: str, path: KeyPath, spans: list[tuple[str | None, int, int]]) -> None:
        """Record which variables `path`'s value used, and mark secret the ones whose text
        lands in a DSN, a password-like field or the password part of any DSN."""
        names = tuple(dict.fromkeys(n for n, _, _ in spans if n))
        if not names:
            return
        self.doc.var_uses[path] = names
        if path[:1] == ("vars",) and len(path) > 1:
            self.deps.setdefault(str(path[1]), set()).update(names)
        keys = [p for p in path if isinstance(p, str)]
        whole = bool(keys and is_secret_key(keys[-1]) and path != _DSN)
        passwords = password_spans(result)
        for name, start, end in spans:
            if not name:
                continue
            # in a DSN: the variables in its password, or one holding the whole DSN; never
            # the host or the port, which messages and the rerun command must still show
            in_password = any(s < end and start < e for s, e in passwords)
            whole_dsn = path == _DSN and start == 0 and end == len(result)
            if whole or in_password or whole_dsn:
                self.secrets.add(name)

    def secret_closure(self) -> frozenset[str]:
        """The secret variables and every variable whose value flows into one."""
        todo, out = list(self.secrets), set()
        while todo:
            name = todo.pop()
            if name not in out:
                out.add(name)
                todo.extend(self.deps.get(name, ()))
        return frozenset(out)

    # -- problems ------------------------------------------------------------------------
    def where(self, path: KeyPath, offset: int) -> Location:
        return self.doc.text_location(path, 1, offset + 1) if offset else self.doc.locate(path)

    def fail(self, message: str, path: KeyPath, offset: int, hint: str) -> None:
        self.doc.unresolved.add(path)
        self.mark_broken()
        self.problems.append(Problem(message, self.where(path, offset), format_path(path), hint))

    def mark_broken(self) -> None:
        """The variables being resolved now depend on a failed value: they are broken too."""
        self.broken.update(f.name for f in self.stack)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def substitute(doc: Document, overrides: Mapping[str, str], env: Mapping[str, str],
               ) -> list[Problem]:
    """Substitute every `${...}` of `doc` in place (vars first); the problems found."""
    sub = Substituter(doc, env, overrides=overrides)
    resolved = sub.resolve_vars()
    data = {k: v if k == "vars" else sub.walk(v, (k,)) for k, v in doc.data.items()}
    if isinstance(data.get("vars"), dict):
        data["vars"] = resolved
    doc.data = data
    doc.secret_vars = sub.secret_closure()
    return sub.problems

"""The `Document` a pipeline file becomes: plain data, where each key and value is written, and
which variables each substituted value came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from framework.errors import KeyPath, Location, Problem, format_path, within_path
from framework.masking import hide, secret_values

SCALAR_TAGS = {
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
}


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
    # path -> the variables its value was substituted from; variable -> where it was set
    # (a Location under vars:, or the `--var NAME=VALUE` text); variables that are secrets
    var_uses: dict[KeyPath, tuple[str, ...]] = field(default_factory=dict, repr=False)
    var_origins: dict[str, Location | str] = field(default_factory=dict, repr=False)
    secret_vars: frozenset[str] = frozenset()

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

    def var_origin(self, name: str) -> str:
        """'defined on line 7', 'set by --var users=lots' (a secret's value masked) or, for a
    built-in variable, what it holds."""
        origin = self.var_origins.get(name)
        if isinstance(origin, Location):
            return f"defined on line {origin.line}" if origin.file == self.file else \
                f"defined at {origin}"
        if origin is None:
            return "not defined"
        if not origin.startswith("--var "):  # a built-in variable: what it holds
            return origin
        if name in self.secret_vars:
            return f"set by --var {name}=***"
        return f"set by {origin}"

    def explain_vars(self, problems: list[Problem]) -> list[Problem]:
        """`problems` with each one about a substituted value naming the variable(s) it came
        from and where each was set: the mistake may be there, not where the value is used.
        A secret variable's value is never quoted."""
        used = {format_path(p): names for p, names in self.var_uses.items() if p[:1] != ("vars",)}
        secrets = secret_values(_dict(self.data.get("vars")), self.secret_vars)
        out = []
        for problem in problems:
            names = next((n for path, n in used.items() if within_path(problem.path, path)), ())
            why = "; ".join(f"from variable {n!r}, {self.var_origin(n)}" for n in names)
            message = hide(f"{problem.message} ({why})" if why else problem.message, secrets)
            out.append(Problem(message, problem.location, problem.path, problem.hint))
        return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_scalar(text: str) -> Any:
    """A string typed the way YAML would type a plain scalar: '1000' -> 1000, 'true' -> True."""
    tag = yaml.SafeLoader.resolve(yaml.SafeLoader, ScalarNode, text, (True, False))
    if tag not in SCALAR_TAGS:
        return text
    return yaml.SafeLoader("").construct_object(ScalarNode(tag, text), deep=True)

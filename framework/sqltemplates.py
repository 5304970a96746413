"""The analysts' SQL: a templates folder (macros, ddl, views, queries) rendered for one dialect.

One Jinja environment (templating.make_environment: StrictUndefined, no autoescape) over the
templates folder. Every template sees `dialect`, `rel(name)`, `ident(name)`, `sql_type(name)`,
`dispatch(name)`, `fail(message)` and every macro of `macros/*.sql`. A macro that differs per
dialect calls `dispatch('x')(...)`, which finds `<dialect>__x`, else `default__x` (dbt's
adapter.dispatch). A template begins with `-- key: value` header lines (name, question, grain,
tables, kind). Every mistake (unknown dialect, undefined name, bad syntax, a missing macro) is an
EtlError naming the template file and line. Pure text: no pyspark.

A pipeline's own templates folder need hold only its views/ and queries/: when it has no
macros/ (or no ddl/) folder, the built-in `framework/sql/macros` (`framework/sql/ddl`, package
data: they ship in the wheel) serve instead (`SHARED`, `kind_dir`), so every pipeline writes the
dialect macros and the table DDL one way. A folder with a macros/ (ddl/) of its own uses only
its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Macro

from framework.dialects import DIALECTS, check_dialect, ident, sql_type
from framework.errors import EtlError, Location, SqlTemplateError, did_you_mean
from framework.templating import make_environment

TEMPLATES_DIR = "sql_templates"  # a project's templates folder, beside pipelines/
KINDS = ("ddl", "views", "queries")  # the folders of rendered SQL, in the order they run
MACROS = "macros"
SHARED = (MACROS, "ddl")  # what a folder without its own takes from the project's templates
# the macros and DDL every templates folder without its own takes: inside the package
BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "sql"
SUFFIX = ".sql"
DEFAULT_SCHEMA = "analytics"  # PostgreSQL schema rel() names when the caller gives none
HEADER_KEYS = ("name", "question", "grain", "tables", "kind")
# the names every template sees besides the macros, with what they give (the reference shows it)
TEMPLATE_GLOBALS = {
    "dialect": "the dialect rendered: `spark` or `postgres`",
    "rel(name)": "a table or view of the warehouse: its quoted name on Spark, "
                 "`\"<schema>\".\"<name>\"` on PostgreSQL",
    "ident(name)": "a column or other name, quoted for the dialect",
    "sql_type(name)": "a Spark SQL type name (`double`, `bigint`, ...) in the dialect's spelling",
    "dispatch(name)": "the macro `<dialect>__name`, else `default__name`: how a macro differs "
                      "per dialect",
    "fail(message)": "stop rendering with this message (a macro refusing its arguments)",
    "order_keys(order_by)": "ORDER BY keys, each with NULLS LAST unless it says where NULLs go: "
                            "`'ts'` or `['a DESC', 'b']`",
}
_GLOBALS = tuple(name.partition("(")[0] for name in TEMPLATE_GLOBALS)

_HEADER_LINE = re.compile(r"--\s*([A-Za-z_]+)\s*:\s*(.*?)\s*")


# -- headers and listing -----------------------------------------------------------------------
@dataclass(frozen=True)
class SqlHeader:
    """The `-- key: value` lines a template begins with; `tables` split at commas."""

    name: str = ""
    question: str = ""
    grain: str = ""
    tables: tuple[str, ...] = ()
    kind: str = ""
    lines: Mapping[str, int] | None = None  # key -> 1-based line, for located problems


def parse_header(text: str) -> SqlHeader:
    """The header of a template: the `-- key: value` comment lines at its top (blank lines and
    other comments among them are allowed; the first other line ends the header)."""
    found: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        match = _HEADER_LINE.fullmatch(stripped)
        if match and match.group(1).lower() in HEADER_KEYS:
            key = match.group(1).lower()
            found.setdefault(key, match.group(2))
            lines.setdefault(key, number)
    tables = tuple(t.strip() for t in found.get("tables", "").split(",") if t.strip())
    return SqlHeader(name=found.get("name", ""), question=found.get("question", ""),
                     grain=found.get("grain", ""), tables=tables, kind=found.get("kind", ""),
                     lines=lines)


@dataclass(frozen=True)
class SqlTemplate:
    """One view, query or DDL template: its folder (`kind`), name (file stem) and file."""

    kind: str
    name: str
    path: Path

    @property
    def template(self) -> str:
        """The Jinja name: 'views/v_daily_trends.sql'."""
        return f"{self.kind}/{self.path.name}"

    def header(self) -> SqlHeader:
        return parse_header(self.path.read_text(encoding="utf-8"))


def templates_dir(folder: str | os.PathLike) -> Path:
    """The templates folder: `folder` itself when it holds macros/ or a kind's folder, else its
    `sql_templates/` (so a project folder works too)."""
    path = Path(folder)
    own = any((path / sub).is_dir() for sub in (MACROS, *KINDS))
    if not own and (path / TEMPLATES_DIR).is_dir():
        return path / TEMPLATES_DIR
    return path


def kind_dir(folder: str | os.PathLike, sub: str) -> Path:
    """The folder `sub` (macros, ddl, views, queries) of the templates folder `folder`; for
    macros and ddl, the built-in ones (`BUILTIN_TEMPLATES`) when `folder` has none."""
    own = templates_dir(folder) / sub
    shared = BUILTIN_TEMPLATES / sub
    return shared if sub in SHARED and not own.is_dir() and shared.is_dir() else own


def _loader(folder: Path) -> jinja2.BaseLoader:
    """The folder's own files, then the built-in macros/ and ddl/ it takes (`kind_dir`)."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(folder))]
    for sub in SHARED:
        where = kind_dir(folder, sub)
        if where != folder / sub:
            loaders.append(jinja2.PrefixLoader({sub: jinja2.FileSystemLoader(str(where))}))
    return jinja2.ChoiceLoader(loaders)


def list_templates(folder: str | os.PathLike, kind: str) -> list[SqlTemplate]:
    """The templates of one kind ('ddl', 'views', 'queries'), sorted by name; none when the
    folder is missing."""
    if kind not in KINDS:
        raise EtlError(f"unknown kind of SQL template {kind!r}",
                       hint=did_you_mean(kind, KINDS, f"choose one of: {', '.join(KINDS)}"))
    sub = kind_dir(folder, kind)
    if not sub.is_dir():
        return []
    return [SqlTemplate(kind, p.stem, p) for p in sorted(sub.glob(f"*{SUFFIX}")) if p.is_file()]


def rel_calls(text: str) -> dict[str, int]:
    """Names used as `rel('x')` in a template -> the line of the first use, in order (no
    rendering). Raises jinja2.TemplateSyntaxError when the template does not parse."""
    seen: dict[str, int] = {}
    for call in make_environment().parse(text).find_all(nodes.Call):
        if (isinstance(call.node, nodes.Name) and call.node.name == "rel" and call.args
                and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str)):
            seen.setdefault(call.args[0].value, call.lineno)
    return seen


def find_rels(text: str) -> list[str]:
    """Names used as `rel('x')` in a template, in order, without duplicates."""
    return list(rel_calls(text))


def shown_path(path: str | os.PathLike) -> str:
    """A path as a message shows it: relative to the working folder when inside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative


def split_sql_list(text: str) -> list[str]:
    """'a, coalesce(b, c) DESC' -> ['a', 'coalesce(b, c) DESC']: commas outside brackets and
    quotes split."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def order_keys(order_by: str | Iterable[str]) -> str:
    """ORDER BY keys, each with NULLS LAST unless it says where NULLs go already: 'ts' ->
    'ts NULLS LAST'; ['a DESC', 'b'] -> 'a DESC NULLS LAST, b NULLS LAST'."""
    if isinstance(_defined(order_by), str):
        keys = split_sql_list(order_by)
    else:
        keys = [str(k) for k in order_by]
    if not keys:
        raise EtlError("an ORDER BY needs at least one key", hint="pass a column: 'event_ts'")
    return ", ".join(k if re.search(r"\bnulls\s+(first|last)\s*$", k, re.I) else f"{k} NULLS LAST"
                     for k in keys)


# -- rendering ---------------------------------------------------------------------------------
def _defined(value: Any) -> Any:
    """`value`, unless it is Jinja's Undefined (a global given an undefined name): then the
    'x is undefined' error it stands for."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return value


class _CompiledTemplates(jinja2.BytecodeCache):
    """The compiled code of every template a renderer of this process loaded, kept in memory
    and shared by all renderers (their environments are alike: `make_environment`). Jinja
    keys it by template name and file and reuses it only while the source's checksum is the
    same, so an edited file is compiled again; a validation or run that makes new renderers
    no longer parses and compiles each template and macro file anew."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class SqlRenderer:
    """Renders the templates of one folder for one dialect; macros load once, on first use.

    `relations` maps a name to the relation `rel(name)` gives, for names the default spelling
    does not suit (Spark: the quoted name; PostgreSQL: "<schema>"."<name>")."""

    def __init__(self, folder: str | os.PathLike, dialect: str, *, schema: str = DEFAULT_SCHEMA,
                 relations: Mapping[str, str] | None = None):
        self.folder = templates_dir(folder)
        self.dialect = dialect
        self.schema = schema
        self.relations = dict(relations or {})
        self.env = make_environment(_loader(self.folder))
        self.env.bytecode_cache = _COMPILED
        self._namespace: dict[str, Any] | None = None

    # the names every template sees
    def rel(self, name: str) -> str:
        if not isinstance(_defined(name), str) or not name:
            raise EtlError(f"rel() takes a table or view name, not {name!r}",
                           hint="write rel('fact_events')")
        if name in self.relations:
            return self.relations[name]
        if self.dialect == "spark":
            return ident("spark", name)
        return f"{ident('postgres', self.schema)}.{ident('postgres', name)}"

    def _ident(self, name: str) -> str:
        if not isinstance(_defined(name), str) or not name:
            raise EtlError(f"ident() takes a name, not {name!r}", hint="write ident('user_id')")
        return ident(self.dialect, name)

    def _sql_type(self, name: str) -> str:
        return sql_type(self.dialect, str(_defined(name)))

    def dispatch(self, name: str) -> Callable[..., str]:
        """The macro `<dialect>__name`, else `default__name`."""
        namespace = self.namespace()
        _defined(name)
        for candidate in (f"{self.dialect}__{name}", f"default__{name}"):
            if isinstance(namespace.get(candidate), Macro):
                return namespace[candidate]
        raise EtlError(
            f"no macro {self.dialect}__{name} or default__{name} for dispatch({name!r})",
            hint=f"define one of them in {self._shown(kind_dir(self.folder, MACROS))}/*.sql")

    def _fail(self, message: str) -> None:
        raise EtlError(str(message), hint="change the call; each macro's comment in "
                       f"{self._shown(kind_dir(self.folder, MACROS))}/*.sql says what it takes")

    def namespace(self) -> dict[str, Any]:
        """Globals plus every macro of macros/*.sql (loaded on first use, checked for clashes).
        Macro modules share this very dict, so a macro sees the macros of every file."""
        if self._namespace is not None:
            return self._namespace
        try:
            check_dialect(self.dialect)
        except EtlError as exc:
            raise SqlTemplateError(exc.message, exc.hint) from None
        namespace: dict[str, Any] = dict(self.env.globals)
        namespace.update(dialect=self.dialect, rel=self.rel, ident=self._ident,
                         sql_type=self._sql_type, dispatch=self.dispatch, fail=self._fail,
                         order_keys=order_keys)
        builtin = set(namespace)
        owner: dict[str, str] = {}
        macro_dir = kind_dir(self.folder, MACROS)
        files = sorted(macro_dir.glob(f"*{SUFFIX}")) if macro_dir.is_dir() else []
        self._namespace = namespace  # dispatch() during a module's top level finds it
        try:
            for path in files:
                template = f"{MACROS}/{path.name}"
                module = self._guarded(template, lambda t=template: self.env.get_template(t)
                                       .make_module(namespace, shared=True))
                for key, value in vars(module).items():
                    if not isinstance(value, Macro):
                        continue
                    if key in builtin or key in owner:
                        first = owner.get(key, "the renderer's globals")
                        raise SqlTemplateError(f"macro {key} is already defined in {first}",
                                               "rename one of them", Location(self._shown(path)))
                    owner[key] = self._shown(path)
                    namespace[key] = value
        except BaseException:
            self._namespace = None
            raise
        return namespace

    def macros(self) -> list[str]:
        """The names of the macros templates may call (not the per-dialect variants)."""
        return sorted(k for k, v in self.namespace().items()
                      if isinstance(v, Macro) and "__" not in k and not k.startswith("_"))

    def render(self, template: str | os.PathLike, **variables: Any) -> str:
        """One template ('views/v_x.sql', 'views/v_x', or a path inside the folder) rendered."""
        name = self.template_name(template)
        try:
            check_dialect(self.dialect)
        except EtlError as exc:
            raise SqlTemplateError(exc.message, exc.hint,
                                   Location(self._shown(self.folder / name))) from None
        self._check_variables(variables)
        namespace = self.namespace()
        return self._guarded(name, lambda: self.env.get_template(name)
                             .render({**namespace, **variables}), variables)

    def render_string(self, text: str, **variables: Any) -> str:
        """A template given as text (tests, one-off expressions), with the same globals and
        macros; errors name it '<string>'."""
        self._check_variables(variables)
        namespace = self.namespace()
        return self._guarded("<string>", lambda: self.env.from_string(text)
                             .render({**namespace, **variables}), variables)

    def _check_variables(self, variables: Mapping[str, Any]) -> None:
        clash = sorted(set(variables) & set(_GLOBALS))
        if clash:
            raise SqlTemplateError(f"render variable {clash[0]!r} would hide the renderer's own",
                                   hint="give the variable another name")

    def template_name(self, template: str | os.PathLike) -> str:
        """The Jinja name of `template` (relative to the folder, '/'-separated, '.sql' added)."""
        path = Path(template)
        if path.is_absolute() or path.exists():
            try:
                path = path.resolve().relative_to(self.folder.resolve())
            except ValueError:
                raise SqlTemplateError(f"{template} is not inside the SQL templates folder "
                               f"{self._shown(self.folder)}",
                               hint="name it relative to that folder: views/<name>.sql") from None
        name = path.as_posix()
        if not name.endswith(SUFFIX):
            name += SUFFIX
        if not self.file(name).is_file():
            kind = name.split("/", 1)[0]
            choices = [t.template for k in KINDS for t in list_templates(self.folder, k)]
            raise SqlTemplateError(f"no SQL template {name} in {self._shown(self.folder)}",
                           hint=did_you_mean(name, choices,
                                             f"templates live in {', '.join(KINDS)}/"
                                             if kind not in KINDS else
                                             f"add {self._shown(self.folder / name)}"))
        return name

    def file(self, name: str) -> Path:
        """The file of the Jinja name `name` ('ddl/table.sql' may be the built-in one)."""
        sub, _, rest = name.partition("/")
        return kind_dir(self.folder, sub) / rest if rest else self.folder / name

    # errors: each one names the template file and line, and what to do next
    def _guarded(self, name: str, work: Callable[[], Any],
                 variables: Mapping[str, Any] | None = None) -> Any:
        try:
            return work()
        except jinja2.TemplateSyntaxError as exc:
            file = Path(exc.filename) if exc.filename else self.file(exc.name or name)
            raise SqlTemplateError(f"Jinja syntax error: {exc.message}",
                                   "fix the template (Jinja: {{ expr }}, {% tag %}, {# note #})",
                                   Location(self._shown(file), exc.lineno or 0)) from None
        except jinja2.UndefinedError as exc:
            where, called = self._where(exc, name)
            raise SqlTemplateError(f"{exc.message}{called}", self._undefined_hint(exc, variables),
                                   where) from None
        except SqlTemplateError:
            raise  # located already (a macro file failing while a template renders)
        except EtlError as exc:  # dispatch() or fail() inside the template
            where, called = self._where(exc, name)
            raise SqlTemplateError(f"{exc.message}{called}", exc.hint, where) from None
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            where, called = self._where(exc, name)
            raise SqlTemplateError(f"{type(exc).__name__}: {exc}{called}",
                                   "check the call's arguments against the macro in "
                                   f"{self._shown(kind_dir(self.folder, MACROS))}/*.sql",
                                   where) from None

    def _where(self, exc: BaseException, name: str) -> tuple[Location, str]:
        """The innermost template frame of the traceback (file:line), and ' (called from
        queries/q.sql:3)' naming the outermost when they differ (an error inside a macro)."""
        frames: list[tuple[str, int]] = []
        roots = tuple(os.path.join(str(d.resolve()), "") for d in
                      (self.folder, *(kind_dir(self.folder, sub) for sub in SHARED)))
        tb = exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.endswith(SUFFIX) and os.path.abspath(filename).startswith(roots):
                frames.append((filename, tb.tb_lineno))
            tb = tb.tb_next
        if not frames:
            return Location(self._shown(self.file(name))), ""
        inner = Location(self._shown(Path(frames[-1][0])), frames[-1][1])
        if frames[0][0] == frames[-1][0]:
            return inner, ""
        return inner, f" (called from {self._shown(Path(frames[0][0]))}:{frames[0][1]})"

    def _undefined_hint(self, exc: jinja2.UndefinedError,
                        variables: Mapping[str, Any] | None) -> str:
        match = re.match(r"'([^']+)' is undefined", exc.message or "")
        known = [*(self._namespace or {}), *(variables or {})]
        hint = (f"pass it to the render call, or use a macro of "
                f"{self._shown(kind_dir(self.folder, MACROS))}/*.sql")
        if not match:
            return hint
        return did_you_mean(match.group(1), [k for k in known if "__" not in k], hint)

    @staticmethod
    def _shown(path: Path) -> str:
        return shown_path(path)


def render(project_dir: str | os.PathLike, template_path: str | os.PathLike, dialect: str, *,
           schema: str = DEFAULT_SCHEMA, **variables: Any) -> str:
    """One template rendered for `dialect` ('spark' or 'postgres'). `project_dir` is the
    templates folder or a folder holding `sql_templates/`; `template_path` is relative to the
    templates folder ('queries/conversion_funnel.sql'; the suffix may be left off)."""
    return SqlRenderer(project_dir, dialect, schema=schema).render(template_path, **variables)


def render_all(folder: str | os.PathLike, dialect: str, *, schema: str = DEFAULT_SCHEMA,
               views: Iterable[str] | None = None, queries: Iterable[str] | None = None,
               **variables: Any) -> dict[str, str]:
    """Every DDL, view and query template rendered: {'views/v_x.sql': sql, ...}, DDL first.
    `views` / `queries` choose names (None: all in the folder)."""
    renderer = SqlRenderer(folder, dialect, schema=schema)
    chosen = {"views": views, "queries": queries}
    out: dict[str, str] = {}
    for kind in KINDS:
        names = chosen.get(kind)
        templates = list_templates(renderer.folder, kind)
        if names is not None:
            wanted = list(names)
            templates = [t for t in templates if t.name in wanted]
            for missing in sorted(set(wanted) - {t.name for t in templates}):
                renderer.template_name(f"{kind}/{missing}")  # raises: no such template
        for template in templates:
            out[template.template] = renderer.render(template.template, **variables)
    return out


__all__ = ["BUILTIN_TEMPLATES", "DEFAULT_SCHEMA", "DIALECTS", "KINDS", "SHARED", "SqlHeader",
           "SqlRenderer", "SqlTemplate", "find_rels", "kind_dir", "list_templates",
           "parse_header", "rel_calls", "render", "render_all", "shown_path", "templates_dir"]

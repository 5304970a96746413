"""The registries of transforms and generators: plain functions plus their declared parameters.

A transform is a plain function `fn(ctx, inputs, params)`: `inputs` maps each input name (the
upstream step or source id, in declared order) to a DataFrame; it returns one DataFrame, or a
mapping of extra named outputs. Its parameters are declared once, as a JSON Schema next to the
function, and the pipeline schema is assembled from these. A generator is `fn(ctx, params)` that
returns a mapping of table name to DataFrame. Every package adds its own through the
`etl.transforms` entry-point group (each entry point names a module to import; importing it
registers), the built-ins too (`builtin = "transforms"`): the engine never imports them by name.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from framework.errors import RegistryError

ENTRY_POINT_GROUP = "etl.transforms"


@dataclass(frozen=True)
class TransformDef:
    name: str
    func: Callable[..., Any]
    params: dict  # JSON Schema of the step's `params` mapping
    min_inputs: int = 1
    max_inputs: int | None = 1  # None: any number
    doc: str = ""
    example: str = ""
    module: str = ""
    # Param names whose value must be a column list / input name, for plan-time checks.
    broadcastable: bool = False  # accepts a `broadcast:` hint (joins)

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


@dataclass(frozen=True)
class GeneratorDef:
    name: str
    func: Callable[..., Any]
    params: dict
    outputs: tuple[str, ...]
    doc: str = ""
    example: str = ""
    module: str = ""
    # params -> bytes its tables will take on disk, roughly (None: cannot say); sizes the run
    # (framework.runtime.sizing) before it generates anything
    estimate: Callable[[dict], int | None] | None = None


def _split_doc(func: Callable) -> tuple[str, str]:
    """Docstring text and the YAML example after a line reading 'Example:'."""
    doc = inspect.getdoc(func) or ""
    head, sep, example = doc.partition("Example:")
    return head.strip(), inspect.cleandoc(example) if sep else ""


def with_defaults(schema: dict, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """`params` as written, then each parameter left out that the schema gives a `default`:
    what the function really receives, and what `etl plan` shows."""
    out = dict(params or {})
    for name, prop in schema.get("properties", {}).items():
        if name not in out and isinstance(prop, dict) and "default" in prop:
            out[name] = copy.deepcopy(prop["default"])
    return out


def _object_schema(params: dict | None) -> dict:
    schema = dict(params or {"type": "object", "properties": {}})
    schema.setdefault("type", "object")
    schema.setdefault("additionalProperties", False)
    return schema


@dataclass
class Registry:
    transforms: dict[str, TransformDef] = field(default_factory=dict)
    generators: dict[str, GeneratorDef] = field(default_factory=dict)
    load_errors: list[str] = field(default_factory=list)
    _loaded: bool = False

    def add_transform(self, tdef: TransformDef) -> None:
        if tdef.name in self.transforms:
            other = self.transforms[tdef.name].module
            raise RegistryError(
                f"transform {tdef.name!r} is registered twice ({other} and {tdef.module})",
                hint="rename one of them; transform names are global",
            )
        self.transforms[tdef.name] = tdef

    def add_generator(self, gdef: GeneratorDef) -> None:
        if gdef.name in self.generators:
            raise RegistryError(f"generator {gdef.name!r} is registered twice",
                                hint="rename one of them; generator names are global")
        self.generators[gdef.name] = gdef

    def load_plugins(self) -> None:
        """Import every `etl.transforms` entry point (the built-ins' among them), once."""
        if self._loaded:
            return
        self._loaded = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                ep.load()
            except Exception as exc:  # a broken plugin is reported and skipped
                self.load_errors.append(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}")

    def iter_transforms(self) -> Iterator[TransformDef]:
        return iter(sorted(self.transforms.values(), key=lambda t: t.name))


REGISTRY = Registry()


def transform(
    name: str,
    params: dict | None = None,
    *,
    inputs: int | tuple[int, int | None] = 1,
    broadcastable: bool = False,
    registry: Registry | None = None,
) -> Callable[[Callable], Callable]:
    """Register `fn(ctx, inputs, params)` as transform `name` with a JSON Schema for its params."""
    lo, hi = (inputs, inputs) if isinstance(inputs, int) else inputs

    def decorate(func: Callable) -> Callable:
        doc, example = _split_doc(func)
        (registry or REGISTRY).add_transform(TransformDef(
            name=name, func=func, params=_object_schema(params), min_inputs=lo, max_inputs=hi,
            doc=doc, example=example, module=func.__module__, broadcastable=broadcastable,
        ))
        return func

    return decorate


def generator(
    name: str, params: dict | None = None, *, outputs: tuple[str, ...],
    estimate: Callable[[dict], int | None] | None = None, registry: Registry | None = None,
) -> Callable[[Callable], Callable]:
    """Register `fn(ctx, params) -> {table: DataFrame}` as generator `name`. `estimate`, when
    given, says from the params (defaults applied) about how many bytes the tables will land as:
    the run sizes itself from it before generating (`jit: auto`, say)."""

    def decorate(func: Callable) -> Callable:
        doc, example = _split_doc(func)
        (registry or REGISTRY).add_generator(GeneratorDef(
            name=name, func=func, params=_object_schema(params), outputs=tuple(outputs),
            doc=doc, example=example, module=func.__module__, estimate=estimate,
        ))
        return func

    return decorate

"""Strict pydantic base and a YAML loader whose errors name the line and the fix.

The config modules (and the API's schemas) do without ``from __future__ import annotations``: pydantic would
compile and evaluate each field's annotation string when the class is built (about 500 of them at every start);
a class naming itself in a method's annotation quotes the name.

>>> from pydantic import Field
>>> class Demo(StrictModel):
...     rate: int = Field(16000, ge=8000, description="Sample rate in Hz.")
>>> load_yaml_model(Demo, "rate: 100\\n", "demo.yaml")
Traceback (most recent call last):
...
appliance.errors.ConfigError: demo.yaml:1: rate: Input should be greater than or equal to 8000 (got 100). Sample rate in Hz.
"""

import difflib
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from appliance.config.yaml_loader import BoundedLoader, line_of, problem_of
from appliance.errors import ConfigError
from appliance.registry import KindOf

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Every config section: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def _unwrap(annotation: Any) -> tuple[Any, ...]:
    """The types ``annotation`` may hold a value of: a model, ``list[...]``, or the members of a union (a
    registry-backed kind union: every kind's config), with ``None`` and ``Annotated`` metadata left out."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        kinds = [m for m in metadata if isinstance(m, KindOf)]
        if kinds:
            return tuple(k.config_class() for k in kinds[0].registry.kinds(kinds[0].role).values())
        return _unwrap(base)
    if get_origin(annotation) in (Union, UnionType):
        return tuple(t for arg in get_args(annotation) if arg is not type(None) for t in _unwrap(arg))
    return (annotation,)


def _step(types: tuple[Any, ...], part: int | str) -> tuple[tuple[Any, ...], str | None, bool]:
    """Follow one part of an error location: (the types below it, the field's description, whether it is a
    union's tag, which names a kind and does not appear in the YAML)."""
    if isinstance(part, int):
        return tuple(t for x in types if get_origin(x) is list for t in _unwrap(get_args(x)[0])), None, False
    models = [t for t in types if isinstance(t, type) and issubclass(t, BaseModel)]
    tagged = [m for m in models if (t := m.model_fields.get("type")) is not None and t.default == part]
    if tagged and len(models) > 1:  # a union: pydantic names the member it tried
        return tuple(tagged), None, True
    for model in models:
        field = model.model_fields.get(part)
        if field is not None:
            inner = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            return _unwrap(inner), field.description, False
    return tuple(tagged), None, bool(tagged)


def locate(model: type[BaseModel], root: yaml.Node | None, loc: tuple[int | str, ...]) -> tuple[str, yaml.Node | None, str]:
    """Where a pydantic error location is: its dotted path (without union tags), the YAML node (the key of the
    last mapping step, or the mapping that lacks a missing key) and the description of the field it ends on."""
    types: tuple[Any, ...] = (model,)
    node, path, description, found = root, [], "", True
    for depth, part in enumerate(loc):
        types, field_description, tag = _step(types, part)
        if tag:
            continue
        description = field_description or ""
        path.append(str(part))
        if not found:
            continue
        if isinstance(node, yaml.MappingNode):
            pairs = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)]
            found = bool(pairs)  # a missing key: point at the mapping that lacks it
            if pairs:
                node = pairs[0][0] if depth == len(loc) - 1 else pairs[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
    return ".".join(path) or "(top level)", node, description


def _shorten(text: str, width: int = 80) -> str:
    """``text``, or its start and an ellipsis if it is longer than ``width``.

    >>> _shorten("x" * 100, 10)
    'xxxxxxx...'
    """
    return text if len(text) <= width else text[:width - 3] + "..."




def _near_key(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """The key of the section an unknown key at ``loc`` is in that it most likely misspells, if one is close.

    >>> class Join(StrictModel):
    ...     reward_wait_s: float = 10
    >>> _near_key(Join, ("reward_wiat_s",)), _near_key(Join, ("colour",))
    ('reward_wait_s', None)
    """
    types: tuple[Any, ...] = (model,)
    for part in loc[:-1]:
        types, _, _ = _step(types, part)
    keys = [key for t in types if isinstance(t, type) and issubclass(t, BaseModel) for key in t.model_fields]
    near = difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.8)
    return near[0] if near else None


KIND_ERRORS = ("unknown_kind", "union_tag_invalid")
"""A `type` that names no kind (a registry role's, an exploration's)."""


def format_validation_error(
    model: type[BaseModel], err: ValidationError, source: str, root: yaml.Node | None, schema_command: str = "wabbit config schema"
) -> str:
    """One line per problem: ``FILE:LINE: dotted.path: message (got VALUE). What the field is.``"""
    lines = []
    for problem in err.errors():
        path, node, hint = locate(model, root, tuple(problem["loc"]))
        if problem["type"] in KIND_ERRORS:  # at its `type:` line, not at the first line of its section
            type_key = locate(model, root, (*problem["loc"], "type"))[1]
            node = type_key if isinstance(type_key, yaml.ScalarNode) and type_key.value == "type" else node
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            near = _near_key(model, tuple(problem["loc"]))
            fix = f"did you mean `{near}`?" if near else "remove it or check its spelling"
            message = f"unknown key; {fix} (`{schema_command}` lists the keys)"
        got = problem.get("input")
        shown = "" if problem["type"] in ("extra_forbidden", "missing") or isinstance(got, (dict, list)) else f" (got {_shorten(repr(got))})"
        lines.append(f"{source}{line}: {path}: {message}{shown}." + (f" {hint}" if hint else ""))
    return "\n".join(lines).replace("..", ".")


def load_yaml_model(model: type[M], text: str, source: str = "<config>", schema_command: str = "wabbit config schema") -> M:
    """Parse ``text`` as YAML and validate it as ``model``; raise :class:`ConfigError` with line numbers. ``schema_command``
    is the command an error about an unknown key suggests."""
    loader = None
    try:
        loader = BoundedLoader(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}{line_of(err, text)}: not valid YAML: {problem_of(err)}. Fix it at that line.") from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the file must be a mapping of sections (`{schema_command}` lists them), not {type(data).__name__}.")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(model, err, source, root, schema_command)) from None


def load_yaml_file(model: type[M], path: Path, schema_command: str = "wabbit config schema") -> M:
    """Load and validate a YAML file; a missing file is a :class:`ConfigError` naming it."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config ({err.strerror}). Check the path.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x}); save the file as UTF-8.") from None
    return load_yaml_model(model, text, str(path), schema_command)

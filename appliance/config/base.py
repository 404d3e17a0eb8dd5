"""Strict pydantic base and a YAML loader whose errors name the line and the fix.

>>> from pydantic import Field
>>> class Demo(StrictModel):
...     rate: int = Field(16000, ge=8000, description="Sample rate in Hz.")
>>> load_yaml_model(Demo, "rate: 100\\n", "demo.yaml")
Traceback (most recent call last):
...
appliance.errors.ConfigError: demo.yaml:1: rate: Input should be greater than or equal to 8000 (got 100). Sample rate in Hz.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from appliance.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Every config section: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def _node_at(node: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
    """The YAML node that ``loc`` (a pydantic error location) names: the key of the last mapping step."""
    for depth, part in enumerate(loc):
        last = depth == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            pairs = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)]
            if not pairs:
                return node  # a missing key: point at the mapping that lacks it
            node = pairs[0][0] if last else pairs[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        # other parts (a union's tag name) do not appear in the YAML: stay on this node
    return node


def _field_description(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """The description of the field ``loc`` ends on, as a hint on what the value means ("" if unknown)."""
    current: Any = model
    description = ""
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if isinstance(part, int) or fields is None:
            continue  # list indexes and union tags do not name fields
        if part not in fields:
            return ""
        description = fields[part].description or ""
        annotation = fields[part].annotation
        current = annotation if isinstance(annotation, type) else None
    return description


def format_validation_error(
    model: type[BaseModel], err: ValidationError, source: str, root: yaml.Node | None
) -> str:
    """One line per problem: ``FILE:LINE: dotted.path: message (got VALUE). What the field is.``"""
    lines = []
    for problem in err.errors():
        loc = tuple(problem["loc"])
        node = _node_at(root, loc)
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        path = ".".join(str(p) for p in loc) or "(top level)"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown key; remove it or check its spelling (`wabbit config schema` lists the keys)"
        got = problem.get("input")
        shown = "" if problem["type"] in ("extra_forbidden", "missing") or isinstance(got, (dict, list)) else f" (got {got!r})"
        hint = _field_description(model, loc)
        lines.append(f"{source}{line}: {path}: {message}{shown}." + (f" {hint}" if hint else ""))
    return "\n".join(lines).replace("..", ".")


def load_yaml_model(model: type[M], text: str, source: str = "<config>") -> M:
    """Parse ``text`` as YAML and validate it as ``model``; raise :class:`ConfigError` with line numbers."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{source}{where}: not valid YAML: {problem}. Fix the syntax at that line.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the config must be a mapping of sections (policy:, join:, ...), not {type(data).__name__}.")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(model, err, source, root)) from None


def load_yaml_file(model: type[M], path: Path) -> M:
    """Load and validate a YAML file; a missing file is a :class:`ConfigError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config ({err.strerror}). Check the path.") from None
    return load_yaml_model(model, text, str(path))

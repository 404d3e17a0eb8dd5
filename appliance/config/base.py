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
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

from appliance.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Every config section: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


MAX_DEPTH = 32
MAX_VALUES = 100_000
MAX_INT_CHARS = 64
INT_TAG = "tag:yaml.org,2002:int"


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` for text from anyone: whatever it cannot read is a YAML error with a line, not a crash.

    Lists and mappings nest at most ``MAX_DEPTH`` deep and a document holds at most ``MAX_VALUES`` values, aliases
    counted each time they are used (a "billion laughs" document is refused before it is built); no alias
    is used inside its own anchor; integers have at most ``MAX_INT_CHARS`` characters (Python refuses to
    convert more than 4300 digits); a value its tag cannot read (``!!int abc``, ``2001-13-45``) is an error.

    >>> def problem(text: str) -> str:
    ...     try:
    ...         return repr(yaml.load(text, BoundedLoader))
    ...     except yaml.MarkedYAMLError as err:
    ...         return f"line {err.problem_mark.line + 1}: {err.problem}"
    >>> problem("a: &x [1, 2]\\nb: *x")
    "{'a': [1, 2], 'b': [1, 2]}"
    >>> problem("a: 1\\nb: " + "[" * 40 + "]" * 40)
    'line 2: lists and mappings nested more than 32 deep (aliases expanded); a config needs far fewer levels'
    >>> problem("a: &a [1, *a]")
    'line 1: the alias *a is used inside its own anchor &a; a config cannot contain itself'
    >>> problem("a: 1\\nb: " + "9" * 5000)
    'line 2: an integer of 5000 characters; numbers in a config have at most 64'
    >>> problem("when: 2001-13-45")
    "line 1: '2001-13-45' is not a valid timestamp"
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.measured: dict[yaml.Node, tuple[int, int]] = {}  # a composed node: (values it expands to, its height)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        mark: Any = event.start_mark  # PyYAML's Mark; the stubs allow libyaml's too
        if isinstance(event, yaml.AliasEvent) and event.anchor in self.anchors and self.anchors[event.anchor] not in self.measured:
            raise ComposerError(None, None, f"the alias *{event.anchor} is used inside its own anchor &{event.anchor}; "
                                "a config cannot contain itself", mark)
        too_deep = ComposerError(None, None, f"lists and mappings nested more than {MAX_DEPTH} deep (aliases expanded); "
                                 "a config needs far fewer levels", mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise too_deep
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if node is None:
            return None
        if node not in self.measured:
            children = node.value if isinstance(node, yaml.SequenceNode) else \
                [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else []
            counts = [self.measured[child] for child in children]
            self.measured[node] = 1 + sum(n for n, _ in counts), 1 + max((h for _, h in counts), default=0)
        values, height = self.measured[node]
        if values > MAX_VALUES:
            raise ComposerError(None, None, f"with its aliases expanded this holds more than {MAX_VALUES} values; "
                                "a config needs far fewer", mark)
        if self.depth + height > MAX_DEPTH:
            raise too_deep
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag == INT_TAG and len(node.value) > MAX_INT_CHARS:
            raise ConstructorError(None, None, f"an integer of {len(node.value)} characters; numbers in a config have "
                                   f"at most {MAX_INT_CHARS}", node.start_mark)
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            shown = f"{node.value[:40]!r}" if isinstance(node, yaml.ScalarNode) else "this value"
            raise ConstructorError(None, None, f"{shown} is not a valid {node.tag.rpartition(':')[2]}", node.start_mark) from None


def _line_of(err: yaml.YAMLError, text: str) -> str:
    """``:LINE`` where ``err`` happened (a character the reader refused has only a position), or ""."""
    mark = getattr(err, "problem_mark", None)
    if mark is not None:
        return f":{mark.line + 1}"
    if isinstance(err, ReaderError):
        return f":{text.count(chr(10), 0, err.position) + 1}"
    return ""


def _problem(err: yaml.YAMLError) -> str:
    if isinstance(err, ReaderError):
        return f"the character U+{err.character:04X} is not allowed in YAML; remove it"
    return getattr(err, "problem", None) or str(err)


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


def _shorten(text: str, width: int = 80) -> str:
    """``text``, or its start and an ellipsis if it is longer than ``width``.

    >>> _shorten("x" * 100, 10)
    'xxxxxxx...'
    """
    return text if len(text) <= width else text[:width - 3] + "..."


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
        shown = "" if problem["type"] in ("extra_forbidden", "missing") or isinstance(got, (dict, list)) else f" (got {_shorten(repr(got))})"
        hint = _field_description(model, loc)
        lines.append(f"{source}{line}: {path}: {message}{shown}." + (f" {hint}" if hint else ""))
    return "\n".join(lines).replace("..", ".")


def load_yaml_model(model: type[M], text: str, source: str = "<config>") -> M:
    """Parse ``text`` as YAML and validate it as ``model``; raise :class:`ConfigError` with line numbers."""
    loader = None
    try:
        loader = BoundedLoader(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}{_line_of(err, text)}: not valid YAML: {_problem(err)}. Fix it at that line.") from None
    finally:
        if loader is not None:
            loader.dispose()
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
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config ({err.strerror}). Check the path.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x}); save the file as UTF-8.") from None
    return load_yaml_model(model, text, str(path))

"""Reading YAML from anyone: a loader whose limits turn hostile or broken text into errors with a line.

Used for every config the appliance reads (files, ``PUT /api/config``): nothing in the text can exhaust memory,
recursion or Python's integer conversion, and every problem names its line.
"""

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

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
    >>> problem("policy: {type: vw}\\njoin: {}\\npolicy: {type: linucb}")
    "line 3: the key 'policy' is given twice (first on line 1); YAML would keep only the last: remove one"
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

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if key.value in seen:
                    raise ConstructorError(None, None, f"the key {key.value[:40]!r} is given twice (first on line "
                                           f"{seen[key.value]}); YAML would keep only the last: remove one", key.start_mark)
                seen[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag == INT_TAG and len(node.value) > MAX_INT_CHARS:
            raise ConstructorError(None, None, f"an integer of {len(node.value)} characters; numbers in a config have "
                                   f"at most {MAX_INT_CHARS}", node.start_mark)
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            shown = f"{node.value[:40]!r}" if isinstance(node, yaml.ScalarNode) else "this value"
            raise ConstructorError(None, None, f"{shown} is not a valid {node.tag.rpartition(':')[2]}", node.start_mark) from None


def line_of(err: yaml.YAMLError, text: str) -> str:
    """``:LINE`` where ``err`` happened (a character the reader refused has only a position), or ""."""
    mark = getattr(err, "problem_mark", None)
    if mark is not None:
        return f":{mark.line + 1}"
    if isinstance(err, ReaderError):
        return f":{text.count(chr(10), 0, err.position) + 1}"
    return ""


def problem_of(err: yaml.YAMLError) -> str:
    if isinstance(err, ReaderError):
        return f"the character U+{err.character:04X} is not allowed in YAML; remove it"
    return getattr(err, "problem", None) or str(err)

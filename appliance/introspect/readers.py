"""One read of a data file into :class:`~appliance.introspect.observed.Observations`: VW's text format or DSJSON.

Lines that do not fit the model (a label its reduction does not take, a multi-line example for a single-line
model, DSJSON for a model that is not a contextual bandit) are refused with their file and line number.

>>> import tempfile, vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--quiet --oaa 3")
>>> path = Path(tempfile.mkdtemp()) / "train.txt"
>>> _ = path.write_text("1 |room dark:0.5\\n3 |room dark:2 |time h5\\n")
>>> seen = read_data(ws, [path])
>>> seen.examples, seen.name(0), (seen.lo[0], seen.hi[0])
(2, 'room^dark', (0.5, 2.0))
>>> _ = path.write_text("1 |room dark\\n7 |room dark\\n")
>>> read_data(ws, [path])
Traceback (most recent call last):
...
appliance.errors.UsageError: ...train.txt:2: label '7' does not fit this model (multiclass): a class from 1 to 3
>>> ws.finish()
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from appliance.errors import UsageError
from appliance.introspect.layout import ModelLayout, _options
from appliance.introspect.observed import Observations
from appliance.introspect.terms import DEFAULT_NAMESPACE, Chained


def read_data(workspace: Any, paths: Iterable[str | Path], observations: Observations | None = None) -> Observations:
    """Read each file once (``.json``/``.dsjson``: DSJSON, else VW text) into ``observations`` (new ones by default)."""
    seen = observations if observations is not None else Observations.of(workspace)
    for path in map(Path, paths):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if path.suffix in (".json", ".dsjson"):
                    read_dsjson(seen, f, str(path))
                else:
                    read_text(seen, f, str(path))
        except OSError as err:
            raise UsageError(f"{path}: cannot read the data ({err.strerror})") from None
    return seen


def read_dsjson(seen: Observations, lines: Iterable[str], where: str = "<data>") -> None:
    """DSJSON (``vw --dsjson``): one contextual-bandit decision a line."""
    layout = seen.features.layout
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if not layout.multiline:
            raise UsageError(f"{where}:{number}: DSJSON holds contextual-bandit decisions, and this model is {layout.kind} "
                             f"({layout.arguments}); pass data in VW's text format")
        try:
            add_dsjson_line(seen, line)
        except (ValueError, KeyError, TypeError) as err:
            raise UsageError(f"{where}:{number}: not a DSJSON decision ({type(err).__name__}: {err}); each line needs "
                             '{"c": {namespace: {feature: value}, "_multi": [action, ...]}, ...}') from None


def add_dsjson_line(seen: Observations, line: str | bytes) -> None:
    """One DSJSON decision; ``ValueError``, ``KeyError`` or ``TypeError`` when the line is not one."""
    context = json.loads(line)["c"]
    chain = seen.features.layout.chain_hash
    actions = [_json_namespaces(action, chain=chain) for action in context["_multi"]]
    seen.add_multi(_json_namespaces(context, chain=chain), actions)


def _json_namespaces(obj: dict[str, Any], namespace: str = DEFAULT_NAMESPACE, chain: bool = False) -> list[tuple[str, list[tuple[str, float]]]]:
    """VW's JSON rules: an object is a namespace named by its key, a number a feature, ``"k": "v"`` the feature
    ``kv`` (under ``--chain_hash``: ``k^v``, hashed in two steps), ``true`` a feature of value 1; keys starting with
    ``_`` are not features."""
    own: list[tuple[str, float]] = []
    found = [(namespace, own)]
    for key, value in obj.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            found.extend(_json_namespaces(value, key, chain))
        elif isinstance(value, bool):
            if value:
                own.append((key, 1.0))
        elif isinstance(value, (int, float)):
            own.append((key, float(value)))
        elif isinstance(value, str):
            own.append((Chained(key, value) if chain else key + value, 1.0))
        elif value is not None:
            raise TypeError(f"feature {key!r} is a {type(value).__name__}; introspection reads numbers, strings, "
                            "booleans and objects (namespaces)")
    return found


def read_text(seen: Observations, lines: Iterable[str], where: str = "<data>") -> None:
    """VW's text format: one example a line, or for a multi-line model blocks of lines ended by an empty line."""
    layout = seen.features.layout
    check = _label_check(layout)
    block: list[tuple[int, str]] = []
    for number, line in enumerate((*lines, ""), start=1):
        line = line.rstrip("\r\n")
        if layout.multiline:
            if line.strip():
                block.append((number, line))
            elif block:
                _add_block(seen, block, where, check)
                block = []
        elif line.strip():
            label, example = _split(line, number, where)
            check(label, number, where)
            seen.add_example(example)


def _add_block(seen: Observations, block: list[tuple[int, str]], where: str, check: Any) -> None:
    shared: list[tuple[str, list[tuple[str, float]]]] = []
    actions = []
    for number, line in block:
        label, example = _split(line, number, where)
        if label.split()[:1] == ["shared"]:
            shared.extend(example)
        else:
            check(label, number, where)
            actions.append(example)
    seen.add_multi(shared, actions)


def _split(line: str, number: int, where: str) -> tuple[str, list[tuple[str, list[tuple[str, float]]]]]:
    """A text line's label part and its namespaces (``|ns:scale name:value name ...``)."""
    label, *parts = line.split("|")
    example = []
    for part in parts:
        head, *tokens = part.split() if part[:1].strip() else ("", *part.split())
        name, _, scale_text = head.partition(":")
        try:
            scale = float(scale_text) if scale_text else 1.0
            features = []
            for token in tokens:
                feature, colon, value = token.partition(":")
                features.append((feature, scale * (float(value) if colon else 1.0)))
        except ValueError as err:
            raise UsageError(f"{where}:{number}: {err} in namespace {name or 'default'!r}; write features as name or name:number") from None
        example.append((name or DEFAULT_NAMESPACE, features))
    return label, example


def _label_check(layout: ModelLayout) -> Any:
    """A function refusing a label this model's reduction cannot take (the first word of the label part)."""
    options = _options(layout.arguments)
    classes = int(options.get("--oaa", ["0"])[0])

    def fits(word: str) -> bool:
        if layout.kind == "multiclass" and not layout.multiline:
            return word.isdigit() and 1 <= int(word) <= classes
        if layout.multiline:
            parts = word.split(":")
            return len(parts) in (2, 3) and all(_number(p) for p in parts)
        return _number(word)

    expected = {"multiclass": f"a class from 1 to {classes}", "contextual bandit": "action:cost:probability (or none)",
                "binary": "a number (-1 or 1)", "regression": "a number"}[layout.kind]

    def check(label: str, number: int, where: str) -> None:
        words = label.split()
        if words[:1] == ["shared"]:
            raise UsageError(f"{where}:{number}: a 'shared' line belongs to multi-line data, and this model is {layout.kind} "
                             f"({layout.arguments})")
        if words and not words[0].startswith("'") and not fits(words[0]):
            raise UsageError(f"{where}:{number}: label {words[0]!r} does not fit this model ({layout.kind}): {expected}")
    return check


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


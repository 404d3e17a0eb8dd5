"""The shape of a DSJSON line checked before Vowpal Wabbit's JSON parser sees it.

VW's DSJSON readers trust their input. The streaming one keeps a stack of namespaces that a context given as a
number (``{"c": 1}``) empties, and the one for slates reads members with unchecked getters: a ``_multi`` that is
not a list of objects, a missing ``_slot_id`` or more ``_outcomes`` than slots read memory that is not there. Both
end the process with a segmentation fault. So a line reaches VW only if it has the shape VW documents: a ``c``
object (the shared features, ``_multi`` actions, ``_slots``), labels that are numbers, ``a`` and ``_inc`` lists of
action indexes, ``_outcomes`` as VW writes them. Anything else is a :class:`UsageError` naming where the line
went wrong. Keys VW does not read (``_id``, ``Version``, ...) may hold anything.

>>> check_line({"c": {"u": {"age": 3}, "_multi": [{"a": {"x": 1}}]}, "_label_cost": -1, "a": [1], "p": [1.0]})
>>> check_line({"c": 1})
Traceback (most recent call last):
...
appliance.errors.UsageError: "c" must be an object (the context's namespaces), not int
>>> check_line({"c": {"_multi": [{"_slot_id": 0, "x": {"a": 1}}], "_slots": [{}]}, "_outcomes": [{"_a": [0], "_p": [1]}]},
...            slates=True)
>>> check_line({"c": {"_multi": [{"x": {"a": 1}}]}}, slates=True)
Traceback (most recent call last):
...
appliance.errors.UsageError: c._multi[0]: a slates action needs its "_slot_id" (an index of "c._slots")
"""

from __future__ import annotations

from typing import Any, Callable

from appliance.errors import UsageError

Json = Any
UINT_MAX = 2**32 - 1
MAX_DEPTH = 32
"""Namespaces nested deeper than this are refused (the check recurses; VW flattens them anyway)."""


def check_line(line: Json, slates: bool = False) -> None:
    """``line`` (a parsed DSJSON line) in a shape VW's DSJSON reader takes; ``slates``: the workspace reads slates."""
    if not isinstance(line, dict):
        raise UsageError(f"a DSJSON line is a JSON object, not {_kind(line)}")
    if "c" not in line:
        raise UsageError('a DSJSON line holds its context under "c"; this one has none (leave such lines out)')
    context = line["c"]
    if not isinstance(context, dict):
        raise UsageError(f'"c" must be an object (the context\'s namespaces), not {_kind(context)}')
    _check_context(context, "c", slates)
    for key in ("a", "_ba"):
        if key in line:
            _indexes(line[key], key)
    for key in ("p", "_p"):
        if key in line:
            _numbers(line[key], key)
    for key in ("pdrop", "_original_label_cost"):
        if key in line:
            _number(line[key], key)
    for key in ("EventId", "Timestamp"):
        if key in line and not (isinstance(line[key], str) or (line[key] is None and not slates)):
            raise UsageError(f'"{key}" must be a string, not {_kind(line[key])}')
    if "_skipLearn" in line and not isinstance(line["_skipLearn"], bool):
        raise UsageError(f'"_skipLearn" must be true or false, not {_kind(line["_skipLearn"])}')
    if "pdf" in line:
        _list_of_objects(line["pdf"], "pdf", _all_numbers)
    if "_outcomes" in line:
        _outcomes(line["_outcomes"], context, slates)
    elif slates and "_label_cost" in line:
        raise UsageError('a slates line with a "_label_cost" needs its "_outcomes": what each slot chose, with what probability')
    if "o" in line:  # outcomes, as VW's logs write them: read as observations by --cb_explore_adf --coin with IGL
        _list_of_objects(line["o"], "o", lambda item, at: _namespaces(item, at, slates, top=False))
    _labels(line, "")


def _check_context(context: dict[str, Json], where: str, slates: bool) -> None:
    """A context: namespaces and features, with ``_multi`` actions and ``_slots`` at its top."""
    for key in ("_multi", "_slots"):
        if key in context:
            _list_of_objects(context[key], f"{where}.{key}", lambda item, at: _namespaces(item, at, slates, top=False))
    if slates:
        slots = len(context.get("_slots", ()))
        for index, action in enumerate(context.get("_multi", ())):
            if "_slot_id" not in action:
                raise UsageError(f'{where}._multi[{index}]: a slates action needs its "_slot_id" (an index of "{where}._slots")')
            if action["_slot_id"] not in range(slots):
                raise UsageError(f'{where}._multi[{index}]._slot_id must be an index of "{where}._slots" '
                                 f'(0 to {slots - 1}), not {action["_slot_id"]!r}')
        empty = sorted(set(range(slots)) - {a["_slot_id"] for a in context.get("_multi", ())})
        if empty:
            raise UsageError(f'{where}._slots[{empty[0]}] has no action: each slot needs at least one "_multi" action with '
                             f'its "_slot_id"')
    if "_slots" in context and len(context.get("_multi", ())) < len(context["_slots"]):
        raise UsageError(f'{where} has {len(context.get("_multi", ()))} action(s) in "_multi" for {len(context["_slots"])} slot(s) in '
                         '"_slots"; a slot needs an action of its own')
    if not slates and ("_slot_id" in context or any("_slot_id" in a for a in context.get("_multi", ()))):
        raise UsageError(f'{where}: "_slot_id" belongs to slates examples (a model made with --slates)')
    _namespaces(context, where, slates, top=True)


def _namespaces(value: dict[str, Json], where: str, slates: bool, top: bool, depth: int = 0) -> None:
    """The namespaces and features of one object; reserved ``_`` keys are checked for their types."""
    if depth > MAX_DEPTH:
        raise UsageError(f"{where[:120]} nests namespaces deeper than {MAX_DEPTH} levels")
    for key, item in value.items():
        at = f"{where}.{key}"
        if key in ("_multi", "_slots"):
            if not top:
                raise UsageError(f'{at}: "{key}" belongs at the top of "c", not inside an action, slot or namespace')
        elif key in ("_text", "_tag"):
            if not isinstance(item, str):
                raise UsageError(f'{at} must be a string, not {_kind(item)}')
        elif key in ("_inc", "_a"):
            _indexes(item, at)
        elif key == "_p":
            _numbers(item, at)
        elif key == "_slot_id":
            if not (type(item) is int and 0 <= item <= UINT_MAX):
                raise UsageError(f"{at} must be a slot's index (a whole number from 0), not {item!r}")
        elif key == "_original_label_cost":
            _number(item, at)
        elif key in ("__aid", "_graph"):
            raise UsageError(f'{at}: the appliance does not send "{key}" to VW; leave it out')
        elif key.startswith("_label"):
            continue  # checked by _labels
        elif key.startswith("_"):
            continue  # VW skips the reserved keys it does not know
        elif not key:
            raise UsageError(f"{where} has a feature or namespace with an empty name")
        else:
            _feature(item, at, slates, depth + 1)
    _labels(value, f"{where}.")


def _feature(value: Json, where: str, slates: bool, depth: int) -> None:
    if isinstance(value, dict):
        _namespaces(value, where, slates, top=False, depth=depth)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                _namespaces(item, f"{where}[{index}]", slates, top=False, depth=depth)
            elif not _is_number(item):
                raise UsageError(f"{where}[{index}] must be a number (a dense feature) or an object, not {_kind(item)}")
    elif value is None and slates:
        raise UsageError(f"{where} is null; a slates model takes numbers, strings, true or false as features")


def _labels(value: dict[str, Json], prefix: str) -> None:
    """``_label`` (a number, a string VW's label parser reads, or an object of them), ``_label_*`` (numbers) and
    ``_labelIndex`` (an action's index)."""
    for key, item in value.items():
        if not key.startswith("_label"):
            continue
        at = prefix + key
        if key == "_label":
            if isinstance(item, dict):
                for name, part in item.items():
                    if not (_is_number(part) or isinstance(part, str)):
                        raise UsageError(f"{at}.{name} must be a number or a string, not {_kind(part)}")
            elif not (_is_number(item) or isinstance(item, str)):
                raise UsageError(f"{at} must be a number, a string or an object, not {_kind(item)}")
        elif key.lower() == "_labelindex":
            _index(item, at)
        elif key.startswith("_label_ca"):
            if isinstance(item, dict):
                _all_numbers(item, at)
            else:
                _number(item, at)
        elif key.startswith("_label_"):
            _number(item, at)
        else:
            raise UsageError(f'{at}: VW reads "_label", "_label_<name>" and "_labelIndex", not "{key}"')


def _outcomes(value: Json, context: dict[str, Json], slates: bool) -> None:
    """``_outcomes``: one object a slot (``_a`` the chosen actions' indexes, ``_p`` their probabilities; for slates,
    indexes among the slot's own actions)."""
    _list_of_objects(value, "_outcomes", lambda item, at: None)
    slots = len(context.get("_slots", ()))
    if len(value) > slots:
        raise UsageError(f'"_outcomes" has {len(value)} entries for {slots} slot(s) in "c._slots"; send one a slot')
    if slates and len(value) != slots:
        raise UsageError(f'"_outcomes" has {len(value)} entries for {slots} slot(s); a slates line labels every slot')
    for index, outcome in enumerate(value):
        at = f"_outcomes[{index}]"
        actions, probabilities = outcome.get("_a"), outcome.get("_p")
        if actions is None or probabilities is None:
            raise UsageError(f'{at} needs "_a" (the chosen action indexes) and "_p" (their probabilities)')
        chosen = [actions] if not isinstance(actions, list) else actions
        _indexes(chosen, f"{at}._a")
        if not chosen:
            raise UsageError(f"{at}._a names no action")
        offered = sum(a.get("_slot_id") == index for a in context.get("_multi", ())) if slates else len(context.get("_multi", ()))
        if max(chosen) >= offered:
            raise UsageError(f"{at}._a: action {max(chosen)} is not among the {offered} action(s) offered "
                             f"{'in slot ' + str(index) if slates else 'in c._multi'}")
        shares = [probabilities] if not isinstance(probabilities, list) else probabilities
        _numbers(shares, f"{at}._p")
        if isinstance(probabilities, list) and len(shares) != len(chosen):
            raise UsageError(f"{at}: {len(chosen)} action(s) in _a but {len(shares)} probabilities in _p")
        for key in ("_label_cost", "_original_label_cost"):
            if key in outcome:
                _number(outcome[key], f"{at}.{key}")


def _list_of_objects(value: Json, where: str, each: Callable[[dict[str, Json], str], None]) -> None:
    def check(item: Json, at: str) -> None:
        if not isinstance(item, dict):
            raise UsageError(f"{at} must be an object, not {_kind(item)}")
        each(item, at)

    _list_of(value, where, "objects", check)


def _all_numbers(value: dict[str, Json], where: str) -> None:
    for key, item in value.items():
        _number(item, f"{where}.{key}")


def _indexes(value: Json, where: str) -> None:
    _list_of(value, where, "action indexes", _index)


def _index(value: Json, where: str) -> None:
    if not (type(value) is int and 0 <= value <= UINT_MAX):
        raise UsageError(f"{where} must be an action index (a whole number from 0), not {value!r}")


def _numbers(value: Json, where: str) -> None:
    _list_of(value, where, "numbers", _number)


def _list_of(value: Json, where: str, what: str, each: Callable[[Json, str], None]) -> None:
    if not isinstance(value, list):
        raise UsageError(f"{where} must be a list of {what}, not {_kind(value)}")
    for index, item in enumerate(value):
        each(item, f"{where}[{index}]")


def _number(value: Json, where: str) -> None:
    if not _is_number(value):
        raise UsageError(f"{where} must be a number, not {_kind(value)}")


def _is_number(value: Json) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Json) -> str:
    return "null" if value is None else type(value).__name__

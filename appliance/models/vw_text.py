"""The order of a multi-line VW text example checked before Vowpal Wabbit's learner sees it.

VW's text parser reads each line alone; the reductions that take multi-line examples then trust their order. A
conditional bandit (``--ccb_explore_adf``) or slates example whose first line is not its ``shared`` one or that has
fewer actions than slots, and a label-dependent-features example (``--csoaa_ldf``, ``--wap_ldf``) whose first
action has no label or no ``|``, read memory that is not there: the process ends with a segmentation fault. So those examples
reach VW only in the order VW documents, and anything else is a :class:`UsageError` saying which line is out of
place. (A contextual-bandit example with two labelled actions VW refuses itself; when learning, it is refused here
too, so that a batch of examples is refused whole, before any is learned.)

>>> from vowpalwabbit import LabelType
>>> check_lines(["ccb shared |u a", "ccb action |x b", "ccb slot 0:1:0.5 |s c"], LabelType.CONDITIONAL_CONTEXTUAL_BANDIT, True)
>>> check_lines(["ccb action |x b", "ccb slot |s c"], LabelType.CONDITIONAL_CONTEXTUAL_BANDIT, True)
Traceback (most recent call last):
...
appliance.errors.UsageError: line 0 is not a "ccb shared" line (one, then "ccb action" lines, then "ccb slot" lines): 'ccb action |x b'
>>> check_lines(["shared |u a", "|x b"], LabelType.COST_SENSITIVE, True)
Traceback (most recent call last):
...
appliance.errors.UsageError: line 1 has no label; an action of a label-dependent example starts with one ("1:0.5 |x" to learn, "1 |x" to predict)
"""

from __future__ import annotations

import re
from typing import Sequence

from vowpalwabbit import LabelType

from appliance.errors import UsageError

SLOTTED = {LabelType.CONDITIONAL_CONTEXTUAL_BANDIT: "ccb", LabelType.SLATES: "slates"}
LDF_LABEL = re.compile(r" *[^ \t|]+ ")  # VW's label-dependent reader splits its label off at a space, and no other way
BLANKS = re.compile("[ \t]+")  # what separates the words of a label


def check_lines(lines: Sequence[str], label_type: LabelType, multiline: bool, learning: bool = False) -> None:
    """The lines of one example (a multi-line one's in order) in an order VW's ``label_type`` learner takes.
    ``learning``: also what VW refuses itself, so that a batch is refused before any of it is learned (a prediction
    lets VW refuse it, for nothing)."""
    if not multiline:
        return
    if label_type in SLOTTED:
        _check_slotted(lines, SLOTTED[label_type])
    elif label_type == LabelType.CONTEXTUAL_BANDIT and learning:
        costed = [i for i, line in enumerate(lines) if line.partition("|")[0].strip() and _label(line)[:1] not in ([], ["shared"])]
        if len(costed) > 1:
            raise UsageError(f"lines {costed[0]} and {costed[1]} both have a label; a contextual-bandit example labels one action, "
                             "the one chosen (action:cost:probability)")
    elif label_type == LabelType.COST_SENSITIVE:
        for index, line in enumerate(lines):
            if "|" not in line:
                raise UsageError(f'line {index} has no "|": each line of a label-dependent example is a label, then its '
                                 f'features after "|": {line[:80]!r}')
            if not _label(line):
                raise UsageError(f'line {index} has no label; an action of a label-dependent example starts with one '
                                 '("1:0.5 |x" to learn, "1 |x" to predict)')
            if not LDF_LABEL.match(line):
                raise UsageError(f'line {index}: put a space between the label and what follows it ("1:0.5 |x", not "1:0.5|x"): '
                                 f'{line[:80]!r}')


def _check_slotted(lines: Sequence[str], prefix: str) -> None:
    """``<prefix> shared`` first, then ``<prefix> action`` lines, then ``<prefix> slot`` lines; at least as many actions
    as slots (VW reads past its actions when a labelled example has fewer); for slates, each action's slot exists
    and each slot has an action, and a slot's label chooses among its own actions."""
    order = f'(one, then "{prefix} action" lines, then "{prefix} slot" lines)'
    labels = [_label(line) for line in lines]
    kinds = [label[1] if len(label) > 1 and label[0] == prefix else "" for label in labels]
    if kinds[0] != "shared":
        raise UsageError(f'line 0 is not a "{prefix} shared" line {order}: {lines[0][:80]!r}')
    actions = [i for i, kind in enumerate(kinds) if kind == "action"]
    slots = [i for i, kind in enumerate(kinds) if kind == "slot"]
    for index, kind in enumerate(kinds[1:], start=1):
        if kind not in ("action", "slot") or (kind == "action" and slots and index > slots[0]):
            raise UsageError(f'line {index} is out of place: after the "{prefix} shared" line come its actions, then its slots '
                             f'{order}: {lines[index][:80]!r}')
    if len(actions) < len(slots):
        raise UsageError(f"the example has {len(actions)} action(s) for {len(slots)} slot(s); a slot needs an action of its own")
    if prefix == "slates":
        _check_slates(lines, [labels[i] for i in actions], slots)


def _check_slates(lines: Sequence[str], actions: list[list[str]], slots: list[int]) -> None:
    """Each ``slates action <slot>`` names an existing slot, each slot has an action, and each ``slates slot`` label's
    ``action:probability`` pairs name actions of that slot."""
    offered = [0] * len(slots)
    for label in actions:
        slot = int(label[2]) if len(label) > 2 and label[2].isdigit() else -1
        if slot not in range(len(slots)):
            raise UsageError(f'"slates action {" ".join(label[2:])}": an action names its slot, 0 to {len(slots) - 1}')
        offered[slot] += 1
    labelled = len(_label(lines[0])) > 2  # the slate's cost: then every slot says what it chose
    for slot, line in enumerate(slots):
        if labelled and len(_label(lines[line])) < 3:
            raise UsageError(f'slot {slot} has no label, but the "slates shared" line has a cost: label every slot '
                             '("slates slot 0:0.8 |..."), or none and no cost')
        if not offered[slot]:
            raise UsageError(f"slot {slot} has no action; each slot needs at least one (\"slates action {slot}\")")
        label = _label(lines[line])[2:]
        chosen = [pair.split(":")[0] for pair in label[0].split(",")] if label else []
        bad = [a for a in chosen if not (a.isdigit() and int(a) < offered[slot])]
        if bad:
            raise UsageError(f"slot {slot} chooses action {bad[0]}, not among its {offered[slot]} action(s) (0 to {offered[slot] - 1})")


def _label(line: str) -> list[str]:
    """The words of a line's label (VW splits them at spaces and tabs), without its tag: ``"1:0.5 'tag |x a"`` ->
    ``["1:0.5"]``."""
    return [word for word in BLANKS.split(line.partition("|")[0]) if word and not word.startswith("'")]

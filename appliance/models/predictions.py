"""Vowpal Wabbit predictions as plain values, whatever the model's type.

>>> import vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--cb_explore_adf --quiet")
>>> predict(ws, ["shared |s a\\n|x b\\n|x c"])
[Prediction(type='action_probs', value=[0.5, 0.5])]
>>> ws.get_weighted_examples(), ws.get_sum_loss()  # counted nowhere: the saved model stays the same file
(0.0, 0.0)
>>> ws.finish()
>>> ws = vowpalwabbit.Workspace("--cats 4 --bandwidth 1 --min_value 0 --max_value 10 --quiet")
>>> predict(ws, ["| a"])[0].type
'action_pdf_value'
>>> ws.finish()
"""

from __future__ import annotations

import shlex
from typing import Any, Sequence

import orjson
import vowpalwabbit
from vowpalwabbit import LabelType, PredictionType
from vowpalwabbit.pyvw import Example

from appliance.errors import UsageError
from appliance.models.base import Prediction
from appliance.models.vw_json import check_line
from appliance.models.vw_text import check_lines


def plain(value: Any) -> Any:
    """A prediction as JSON-able numbers and lists (VW returns tuples for some types).

    >>> plain((1, [2.5, (3, 4.0)]))
    [1, [2.5, [3, 4.0]]]
    """
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class DSJSONPredictor:
    """DSJSON lines predicted by ``model`` (a ``--dsjson`` workspace) with no trace in it. VW's JSON parser fills only
    examples of a workspace's own pool, and ``finish_example``, which takes them back, counts them (example number,
    weighted examples, features) in the counters VW saves with the model. So the lines are parsed by a second
    workspace of the model's own arguments (the same hashing and interactions), which never learns and is never
    saved: the model predicts them, and this workspace takes them back and counts them.

    >>> import json, vowpalwabbit
    >>> ws = vowpalwabbit.Workspace("--cb_explore_adf --dsjson --quiet")
    >>> line = json.dumps({"c": {"s": {"a": 1}, "_multi": [{"x": {"b": 1}}, {"x": {"c": 1}}]}, "a": [1, 2], "p": [0.5, 0.5]})
    >>> DSJSONPredictor(ws).predict([line])
    [Prediction(type='action_probs', value=[0.5, 0.5])]
    >>> ws.get_weighted_examples()  # counted nowhere: the saved model stays the same file
    0.0
    """

    def __init__(self, model: Any) -> None:
        args = shlex.split(model.get_arguments())
        self._slates = model.get_label_type() == LabelType.SLATES
        files = {i for i, a in enumerate(args) if a in ("-i", "--initial_regressor")}  # the file the model was loaded from
        self._model = model
        self._parser = vowpalwabbit.Workspace(arg_list=[a for i, a in enumerate(args) if i not in files and i - 1 not in files])
        self._kind = PredictionType(model.get_prediction_type()).name.lower()

    def predict(self, examples: Sequence[str]) -> list[Prediction]:
        out = []
        for index, text in enumerate(examples):
            check_dsjson(text, index, self._slates)
            parsed = parse(self._parser, text, index)
            try:
                out.append(Prediction(self._kind, plain(_predicted(self._model, parsed, index, text))))
            finally:
                self._parser.finish_example(parsed)
        return out

    def close(self) -> None:
        self._parser.finish()


def predict(workspace: Any, examples: Sequence[str]) -> list[Prediction]:
    """Each VW text example (a multi-line example's lines joined by newlines) predicted, learning nothing. A blank
    example is refused with its index.

    The text goes into examples of our own, which VW's text parser fills and its learner predicts but which never go
    back through ``finish_example``: that is where VW counts an example (example number, weighted unlabelled
    examples, features) in the counters it saves with the model, so the model saved after any number of predictions
    is the same file (DSJSON lines: :class:`DSJSONPredictor`)."""
    kind = PredictionType(workspace.get_prediction_type()).name.lower()
    label_type = workspace.get_label_type()
    return [Prediction(kind, plain(_predicted(workspace, owned(workspace, text, index, label_type), index, text)))
            for index, text in enumerate(examples)]


def _predicted(workspace: Any, parsed: Any, index: int, text: str) -> Any:
    """The workspace's prediction of a parsed example; UsageError when VW's learner refuses it (a slates action
    whose slot does not exist, a ccb example without actions: VW checks such things only when it predicts)."""
    try:
        return workspace.predict(parsed)
    except RuntimeError as err:
        raise refused(index, text, err) from None


def owned(workspace: Any, text: str, index: int, label_type: Any = None) -> Any:
    """One VW text example (or the examples of a multi-line one) parsed into examples that are ours to drop: they are
    freed with the last reference to them, outside VW's pool and its accounting (``label_type``: the workspace's, once
    asked). UsageError naming the example."""
    lines = lines_of(text)
    if not lines[0]:
        raise empty(index)
    multiline = workspace._is_multiline()
    if len(lines) > 1 and not multiline:
        raise UsageError(f"example {index} has {len(lines)} lines, but this model reads one-line examples: send each line "
                         f"as an example of its own: {text[:120]!r}")
    check_text(lines, index, workspace.get_label_type() if label_type is None else label_type, multiline)
    try:
        parsed = [Example(workspace, line, label_type) for line in lines]
    except (RuntimeError, TypeError, ValueError) as err:
        raise unparsable(index, text, err) from None
    return parsed if multiline else parsed[0]


def parse(workspace: Any, text: str, index: int) -> Any:
    """One example (or multi-example) parsed by the workspace's own parser; UsageError naming the example."""
    if not text.strip():
        raise empty(index)
    try:
        parsed = workspace.parse(text)
    except (RuntimeError, TypeError, ValueError) as err:
        raise unparsable(index, text, err) from None
    if isinstance(parsed, list) and not parsed:
        raise UsageError(f"example {index} holds no example: {text[:120]!r}")
    return parsed


def check_dsjson(text: str, index: int, slates: bool, what: str = "DSJSON line") -> None:
    """A DSJSON line in the shape VW's reader takes (:mod:`appliance.models.vw_json`), before it sees it; UsageError
    naming the example."""
    try:
        check_line(orjson.loads(text), slates)
    except orjson.JSONDecodeError as err:
        raise UsageError(f"example {index} is not a {what} ({err}): {text[:120]!r}") from None
    except UsageError as err:
        raise UsageError(f"example {index} is not a {what} VW reads: {err}: {text[:120]!r}") from None


def lines_of(text: str) -> list[str]:
    """A VW text example's lines, without carriage returns or the blank lines around it."""
    return text.replace("\r", "").strip().split("\n")


def check_text(lines: Sequence[str], index: int, label_type: Any, multiline: bool, learning: bool = False) -> None:
    """A multi-line VW text example in the order VW's learner takes (:mod:`appliance.models.vw_text`); UsageError naming
    the example."""
    try:
        check_lines(lines, label_type, multiline, learning)
    except UsageError as err:
        raise UsageError(f"example {index}: {err}") from None


def empty(index: int) -> UsageError:
    return UsageError(f"example {index} is empty; send one VW example (a multi-line one as its lines joined by newlines)")


def unparsable(index: int, text: str, err: Exception) -> UsageError:
    return UsageError(f"example {index} cannot be parsed by this model ({err}): {text[:120]!r}")


def refused(index: int, text: str, err: Exception) -> UsageError:
    return UsageError(f"example {index} is refused by this model's learner ({err}): {text[:120]!r}")

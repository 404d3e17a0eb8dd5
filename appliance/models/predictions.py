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

from typing import Any, Sequence

from vowpalwabbit import PredictionType
from vowpalwabbit.pyvw import Example

from appliance.errors import UsageError
from appliance.models.base import ExampleFormat, Prediction


def plain(value: Any) -> Any:
    """A prediction as JSON-able numbers and lists (VW returns tuples for some types).

    >>> plain((1, [2.5, (3, 4.0)]))
    [1, [2.5, [3, 4.0]]]
    """
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class Uncounted:
    """VW counts the examples it parsed itself (DSJSON) in the counters it saves with the model, as it does those it
    learned, once they go back through ``finish_example``: this keeps what such predictions added, per workspace, so a
    model's statistics are those of its learning. VW text predictions add nothing (see :func:`predict`)."""

    def __init__(self) -> None:
        self._workspace, self.weighted, self.loss = 0, 0.0, 0.0

    def predict(self, workspace: Any, examples: Sequence[str], fmt: ExampleFormat) -> list[Prediction]:
        """:func:`predict`, keeping what it adds to VW's counters apart."""
        if id(workspace) != self._workspace:  # another model was loaded: its counters start afresh
            self._workspace, self.weighted, self.loss = id(workspace), 0.0, 0.0
        weighted, loss = workspace.get_weighted_examples(), workspace.get_sum_loss()
        try:
            return predict(workspace, examples, fmt)
        finally:
            self.weighted += workspace.get_weighted_examples() - weighted
            self.loss += workspace.get_sum_loss() - loss

    def learned(self, workspace: Any) -> tuple[float, float]:
        """VW's weighted examples and summed loss of what ``workspace`` learned."""
        if id(workspace) != self._workspace:
            return float(workspace.get_weighted_examples()), float(workspace.get_sum_loss())
        return float(workspace.get_weighted_examples()) - self.weighted, float(workspace.get_sum_loss()) - self.loss


def predict(workspace: Any, examples: Sequence[str], fmt: ExampleFormat = "text") -> list[Prediction]:
    """Each example (VW text, or a DSJSON line for a ``--dsjson`` workspace; a multi-line example's lines joined by
    newlines) predicted, learning nothing. A blank example is refused with its index.

    VW text goes into examples of our own, which VW's text parser fills and its learner predicts but which never go
    back through ``finish_example``: that is where VW counts an example (example number, weighted unlabelled
    examples, features) in the counters it saves with the model, so the model saved after any number of predictions
    is the same file. DSJSON needs VW's own pool of examples (its JSON parser fills no other), which ``finish_example``
    returns them to, counted."""
    kind = PredictionType(workspace.get_prediction_type()).name.lower()
    if fmt == "text":
        label_type = workspace.get_label_type()
        return [Prediction(kind, plain(workspace.predict(owned(workspace, text, index, label_type))))
                for index, text in enumerate(examples)]
    out = []
    for index, text in enumerate(examples):
        parsed = parse(workspace, text, index)
        try:
            out.append(Prediction(kind, plain(workspace.predict(parsed))))
        finally:
            workspace.finish_example(parsed)
    return out


def owned(workspace: Any, text: str, index: int, label_type: Any = None) -> Any:
    """One VW text example (or the examples of a multi-line one) parsed into examples that are ours to drop: they are
    freed with the last reference to them, outside VW's pool and its accounting (``label_type``: the workspace's, once
    asked). UsageError naming the example."""
    lines = text.replace("\r", "").strip().split("\n")
    if not lines[0]:
        raise empty(index)
    multiline = workspace._is_multiline()
    if len(lines) > 1 and not multiline:
        raise UsageError(f"example {index} has {len(lines)} lines, but this model reads one-line examples: send each line "
                         f"as an example of its own: {text[:120]!r}")
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


def empty(index: int) -> UsageError:
    return UsageError(f"example {index} is empty; send one VW example (a multi-line one as its lines joined by newlines)")


def unparsable(index: int, text: str, err: Exception) -> UsageError:
    return UsageError(f"example {index} cannot be parsed by this model ({err}): {text[:120]!r}")

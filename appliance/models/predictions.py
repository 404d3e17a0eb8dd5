"""Vowpal Wabbit predictions as plain values, whatever the model's type.

>>> import vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--cb_explore_adf --quiet")
>>> predict(ws, ["shared |s a\\n|x b\\n|x c"])
[Prediction(type='action_probs', value=[0.5, 0.5])]
>>> ws.finish()
>>> ws = vowpalwabbit.Workspace("--cats 4 --bandwidth 1 --min_value 0 --max_value 10 --quiet")
>>> predict(ws, ["| a"])[0].type
'action_pdf_value'
>>> ws.finish()
"""

from __future__ import annotations

from typing import Any, Sequence

from vowpalwabbit import PredictionType

from appliance.errors import UsageError
from appliance.models.base import Prediction


def plain(value: Any) -> Any:
    """A prediction as JSON-able numbers and lists (VW returns tuples for some types).

    >>> plain((1, [2.5, (3, 4.0)]))
    [1, [2.5, [3, 4.0]]]
    """
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class Uncounted:
    """VW counts the examples it only predicted in its weighted examples and loss, as it does those it learned:
    this keeps what predictions added, per workspace, so a model's statistics are those of its learning."""

    def __init__(self) -> None:
        self._workspace, self.weighted, self.loss = 0, 0.0, 0.0

    def predict(self, workspace: Any, examples: Sequence[str]) -> list[Prediction]:
        """:func:`predict`, keeping what it adds to VW's counters apart."""
        if id(workspace) != self._workspace:  # another model was loaded: its counters start afresh
            self._workspace, self.weighted, self.loss = id(workspace), 0.0, 0.0
        weighted, loss = workspace.get_weighted_examples(), workspace.get_sum_loss()
        try:
            return predict(workspace, examples)
        finally:
            self.weighted += workspace.get_weighted_examples() - weighted
            self.loss += workspace.get_sum_loss() - loss

    def learned(self, workspace: Any) -> tuple[float, float]:
        """VW's weighted examples and summed loss of what ``workspace`` learned."""
        if id(workspace) != self._workspace:
            return float(workspace.get_weighted_examples()), float(workspace.get_sum_loss())
        return float(workspace.get_weighted_examples()) - self.weighted, float(workspace.get_sum_loss()) - self.loss


def predict(workspace: Any, examples: Sequence[str]) -> list[Prediction]:
    """Each example (VW text, or a DSJSON line for a ``--dsjson`` workspace; a multi-line example's lines joined by
    newlines) predicted, learning nothing. A blank example is refused with its index."""
    kind = PredictionType(workspace.get_prediction_type()).name.lower()
    out = []
    for index, text in enumerate(examples):
        parsed = parse(workspace, text, index)
        try:
            out.append(Prediction(kind, plain(workspace.predict(parsed))))
        finally:
            workspace.finish_example(parsed)
    return out


def parse(workspace: Any, text: str, index: int) -> Any:
    """One example (or multi-example) parsed by the workspace's own parser; UsageError naming the example."""
    if not text.strip():
        raise UsageError(f"example {index} is empty; send one VW example (a multi-line one as its lines joined by newlines)")
    try:
        parsed = workspace.parse(text)
    except (RuntimeError, TypeError, ValueError) as err:
        raise UsageError(f"example {index} cannot be parsed by this model ({err}): {text[:120]!r}") from None
    if isinstance(parsed, list) and not parsed:
        raise UsageError(f"example {index} holds no example: {text[:120]!r}")
    return parsed

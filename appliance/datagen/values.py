"""The true values written beside the data: the mean expected reward per example of the logging policy, of
uniformly random choices, of the best choice (the oracle) and of each constant action, over the generated
contexts. Estimators (IPS, DR, ...) run on the data can be checked against them.

>>> values = Values(["a0", "a1"])
>>> expected = np.array([[1.0, 0.0], [0.0, 1.0]])
>>> values.add(expected, np.ones((2, 2), bool), np.array([[0, 1], [0, 1]]), np.array([[0.5, 0.5], [0.0, 1.0]]))
>>> values.summary()["logging"], values.summary()["uniform"], values.summary()["actions"]["a1"]
(0.75, 0.5, {'value': 0.5, 'offered': 2})
"""

from __future__ import annotations

from typing import Any

import numpy as np

LISTED = 1000
"""Pools up to this size list every action's value; larger ones list none (the file stays small)."""


class Values:
    def __init__(self, ids: list[str]) -> None:
        self._ids = ids
        self._sums = {"logging": 0.0, "uniform": 0.0, "oracle": 0.0}
        self._action_sums = np.zeros(len(ids))
        self._action_counts = np.zeros(len(ids), np.int64)
        self.examples = 0

    def add(self, expected: np.ndarray, mask: np.ndarray, offered: np.ndarray, pmf: np.ndarray | None) -> None:
        """A block: expected rewards of its offered actions, which columns hold one, their pool indices, and the
        logging policy's probabilities (``None`` for problems without one)."""
        held = np.where(mask, expected, 0.0)
        self._sums["uniform"] += float((held.sum(axis=1) / mask.sum(axis=1)).sum())
        self._sums["oracle"] += float(np.where(mask, expected, -np.inf).max(axis=1).sum())
        if pmf is not None:
            self._sums["logging"] += float((held * pmf).sum())
        np.add.at(self._action_sums, offered[mask], expected[mask])
        np.add.at(self._action_counts, offered[mask], 1)
        self.examples += len(expected)

    def summary(self, logging: bool = True) -> dict[str, Any]:
        n = max(self.examples, 1)
        out: dict[str, Any] = {name: total / n for name, total in self._sums.items() if logging or name != "logging"}
        if len(self._ids) <= LISTED:
            out["actions"] = {a: {"value": float(s / c) if c else None, "offered": int(c)}
                              for a, s, c in zip(self._ids, self._action_sums, self._action_counts)}
        return out

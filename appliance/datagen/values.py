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


class SlotValues:
    """The true values of ccb and slates data: a slate's (or ccb example's) reward is the sum of its slots', so a
    policy's value is the sum over slots of the mean expected reward it gets in each slot. ``greedy`` takes the
    truly best action left in each slot, in slot order (for slates, whose slots choose apart, the best slate).

    >>> values = SlotValues(2)
    >>> values.add(0, np.array([True, True]), logging=np.array([0.5, 0.7]), uniform=np.array([0.4, 0.6]), greedy=np.array([1.0, 0.8]))
    >>> values.add(1, np.array([True, False]), logging=np.array([0.2, 0.0]), uniform=np.array([0.2, 0.0]), greedy=np.array([0.3, 0.0]))
    >>> values.examples = 2
    >>> summary = values.summary()
    >>> round(summary["logging"], 3), summary["slots"][1]
    (0.7, {'logging': 0.2, 'uniform': 0.2, 'greedy': 0.3, 'filled': 1})
    """

    KINDS = ("logging", "uniform", "greedy")

    def __init__(self, slots: int) -> None:
        self._sums = {kind: np.zeros(slots) for kind in self.KINDS}
        self._filled = np.zeros(slots, np.int64)
        self.examples = 0

    def add(self, slot: int, present: np.ndarray, **values: np.ndarray) -> None:
        """Slot ``slot`` of a block: which examples have it, and per example each kind's expected reward in it."""
        for kind in self.KINDS:
            self._sums[kind][slot] += float(values[kind][present].sum())
        self._filled[slot] += int(present.sum())

    def summary(self) -> dict[str, Any]:
        n = max(self.examples, 1)
        out: dict[str, Any] = {kind: float(self._sums[kind].sum() / n) for kind in self.KINDS}
        out["slots"] = [{**{kind: float(self._sums[kind][j] / filled) if filled else None for kind in self.KINDS}, "filled": int(filled)}
                        for j, filled in enumerate(self._filled.tolist())]
        return out

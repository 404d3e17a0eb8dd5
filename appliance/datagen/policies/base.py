"""The ``LoggingPolicy`` role: the policy whose choices the generated bandit data logs, with exact propensities.

A policy gives probabilities; :func:`exact_pmf` turns them into integers that sum to exactly ``10**places`` (the
propensities written, to their last decimal), and :func:`sample` draws an action with exactly those chances.

>>> pmf = exact_pmf(np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]]), 2)
>>> pmf.tolist()
[[34, 33, 33], [50, 50, 0]]
>>> sample(pmf, np.random.default_rng(0), 2).tolist()
[2, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np


@dataclass(frozen=True)
class Situation:
    """What a policy sees for a block of examples."""

    expected: np.ndarray
    """The true expected reward of each offered action: examples by offered actions, 0 where none is offered."""
    offered: np.ndarray
    """Which columns hold an action (bool, same shape)."""
    example_text: Callable[[int], str]
    """Example ``i`` of the block in VW's text format, unlabelled (for policies that are VW models)."""


class LoggingPolicy(Protocol):
    name: str

    def probabilities(self, situation: Situation) -> np.ndarray:
        """Each offered action's probability (rows sum to 1), 0 where no action is offered."""
        ...


def exact_pmf(probabilities: np.ndarray, places: int) -> np.ndarray:
    """Probabilities as integer counts out of ``10**places`` that sum to exactly that, by largest remainder."""
    total = 10**places
    scaled = probabilities / probabilities.sum(axis=1, keepdims=True) * total
    counts = np.floor(scaled).astype(np.int64)
    short = total - counts.sum(axis=1)
    order = np.argsort(-(scaled - counts), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(order.shape[1])[None, :].repeat(len(order), axis=0), axis=1)
    return counts + (ranks < short[:, None])  # type: ignore[no-any-return]


def sample(pmf: np.ndarray, rng: np.random.Generator, places: int) -> np.ndarray:
    """One column per row, column ``j`` with probability exactly ``pmf[j] / 10**places``."""
    draws = rng.integers(10**places, size=len(pmf))
    return (np.cumsum(pmf, axis=1) > draws[:, None]).argmax(axis=1)  # type: ignore[no-any-return]


def greedy(situation: Situation) -> np.ndarray:
    """One-hot rows on the best offered action (the first of equals)."""
    best = np.where(situation.offered, situation.expected, -np.inf).argmax(axis=1)
    return np.eye(situation.offered.shape[1])[best]  # type: ignore[no-any-return]


def uniform(situation: Situation) -> np.ndarray:
    """Equal probabilities over the offered actions."""
    offered = situation.offered.astype(float)
    return offered / offered.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

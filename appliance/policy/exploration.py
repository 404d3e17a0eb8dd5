"""Exploration computed in Python from predicted costs, as VW's ``--cb_explore_adf`` computes it: for a policy
whose costs come from a Python estimator (``policy.cb_type: python:NAME``, learned by ``--csoaa_ldf``) or from
a scikit-learn model (``policy.type: sklearn``).

>>> [round(p, 6) for p in epsilon_greedy([0.5, 0.1, 0.1], epsilon=0.3)]  # the greedy mass split among the tied best
[0.1, 0.45, 0.45]
>>> [round(p, 6) for p in squarecb([0.0, 1.0], gamma_scale=10.0, gamma_exponent=0.5, learned=4)]  # gamma = 10 * 4**0.5
[0.954545, 0.045455]
>>> [round(p, 6) for p in softmax([0.0, 1.0], lambda_=2.0)]  # exp(-2) : 1
[0.880797, 0.119203]
>>> [round(p, 6) for p in explore(Epsilon(epsilon=0.2), [1.0, 0.0], learned=0)]
[0.1, 0.9]
>>> sample([0.25, 0.75, 0.0], 0.2), sample([0.25, 0.75, 0.0], 0.9)
(0, 1)
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate
from typing import Sequence

from appliance.config.explorations import Epsilon, Softmax, SquareCB


def epsilon_greedy(costs: Sequence[float], epsilon: float) -> list[float]:
    """``epsilon`` spread uniformly, the rest on the lowest predicted cost (shared by the tied ones)."""
    k = len(costs)
    best = min(costs)
    tied = [c == best for c in costs]
    share = (1.0 - epsilon) / sum(tied)
    return [epsilon / k + (share if t else 0.0) for t in tied]


def squarecb(costs: Sequence[float], gamma_scale: float, gamma_exponent: float, learned: int) -> list[float]:
    """SquareCB's inverse-gap weighting with ``gamma = gamma_scale * learned ** gamma_exponent`` (``learned``:
    events learned so far), the first lowest cost taking the remaining mass."""
    k = len(costs)
    gamma = gamma_scale * learned**gamma_exponent
    best = min(range(k), key=costs.__getitem__)
    pmf = [1.0 / (k + gamma * (c - costs[best])) for c in costs]
    pmf[best] = 0.0
    pmf[best] = 1.0 - sum(pmf)
    return pmf


def softmax(costs: Sequence[float], lambda_: float) -> list[float]:
    """Probabilities proportional to ``exp(-lambda * cost)`` (VW's ``--softmax --lambda``), shifted by the lowest
    cost so that no term overflows."""
    best = min(costs)
    weights = [math.exp(-lambda_ * (c - best)) for c in costs]
    total = sum(weights)
    return [w / total for w in weights]


def explore(exploration: Epsilon | Softmax | SquareCB, costs: Sequence[float], learned: int) -> list[float]:
    """The pmf the configured ``exploration`` gives the predicted ``costs`` after ``learned`` events."""
    if isinstance(exploration, Epsilon):
        return epsilon_greedy(costs, exploration.epsilon)
    if isinstance(exploration, Softmax):
        return softmax(costs, exploration.lambda_)
    return squarecb(costs, exploration.gamma_scale, exploration.gamma_exponent, learned)


def sample(pmf: Sequence[float], u: float) -> int:
    """The index a uniform draw ``u`` in [0, 1) picks from ``pmf``.

    It bisects the cumulative pmf (right), which never lands on a zero-probability action: its cumulative sum
    equals the one before it, which ``bisect_right`` passes. A draw that rounded up to the total belongs to the
    last action with a non-zero probability.
    """
    cumulative = list(accumulate(pmf))
    index = bisect_right(cumulative, u * cumulative[-1])
    if index == len(pmf):
        index = next((i for i in reversed(range(len(pmf))) if pmf[i] > 0), 0)
    return index

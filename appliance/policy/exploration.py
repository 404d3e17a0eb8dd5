"""Exploration computed in Python from predicted costs, as VW's ``--cb_explore_adf`` computes it: for a policy
whose costs come from a Python estimator (``policy.cb_type: python:NAME``), learned by ``--csoaa_ldf``.

>>> [round(p, 6) for p in epsilon_greedy([0.5, 0.1, 0.1], epsilon=0.3)]  # the greedy mass split among the tied best
[0.1, 0.45, 0.45]
>>> [round(p, 6) for p in squarecb([0.0, 1.0], gamma_scale=10.0, gamma_exponent=0.5, learned=4)]  # gamma = 10 * 4**0.5
[0.954545, 0.045455]
"""

from __future__ import annotations

from typing import Sequence


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

"""Doubly robust targets: every action's predicted cost, the chosen one corrected by its importance-weighted
error, ``c_hat(a) + [a = chosen] (c - c_hat(a)) / p``. The predictions are the learner's own, made just before
it learns the event; VW's ``--cb_type dr`` keeps a second regressor for them instead (an extra weight per
feature, learned on the observed costs), so the two models differ (see docs/estimators.md, "Learning-time estimators").

>>> DRCosts().costs(chosen=1, cost=1.0, probability=0.5, predicted=[0.2, 0.4], n=2)
[0.2, 1.6]
"""

from __future__ import annotations

from typing import Sequence


class DRCosts:
    needs_predictions = True
    only_chosen = False

    def costs(self, chosen: int, cost: float, probability: float, predicted: Sequence[float] | None, n: int = 3) -> list[float]:
        targets = list(predicted) if predicted is not None else [0.0] * n
        targets[chosen] += (cost - targets[chosen]) / probability
        return targets


ESTIMATOR = DRCosts

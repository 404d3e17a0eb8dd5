"""DM as VW's ``--cb_adf`` computes it (``--cb_type dm``): the observed cost for the chosen action and zero
for the others, unweighted (a model learned from these targets equals VW's, tested).

>>> DMCosts().costs(chosen=0, cost=0.5, probability=0.5, predicted=None, n=2)
[0.5, 0.0]
"""

from __future__ import annotations

from typing import Sequence


class DMCosts:
    needs_predictions = False
    only_chosen = False

    def costs(self, chosen: int, cost: float, probability: float, predicted: Sequence[float] | None, n: int = 3) -> list[float]:
        targets = [0.0] * n
        targets[chosen] = cost
        return targets


ESTIMATOR = DMCosts

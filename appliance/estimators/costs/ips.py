"""IPS: the chosen action's cost divided by its probability, zero for the others (VW's ``--cb_type ips``; a
model learned from these targets equals VW's, tested to 1e-6).

>>> IPSCosts().costs(chosen=0, cost=0.5, probability=0.5, predicted=None, n=2)
[1.0, 0.0]
"""

from __future__ import annotations

from typing import Sequence


class IPSCosts:
    needs_predictions = False
    only_chosen = False

    def costs(self, chosen: int, cost: float, probability: float, predicted: Sequence[float] | None, n: int = 3) -> list[float]:
        targets = [0.0] * n
        targets[chosen] = cost / probability
        return targets


ESTIMATOR = IPSCosts

"""MTR (multi-task regression): learn the chosen action's observed cost alone. VW's ``--cb_type mtr`` also
weighs that example by ``1 / p`` times its running ratio of events to actions; pylibvw cannot set a
cost-sensitive example's importance weight, so this one learns it unweighted. The models differ; the effect on
reward is measured in docs/estimators.md ("Learning-time estimators").

>>> MTRCosts().costs(chosen=1, cost=0.5, probability=0.25, predicted=None, n=3)
[0.5]
"""

from __future__ import annotations

from typing import Sequence


class MTRCosts:
    needs_predictions = False
    only_chosen = True

    def costs(self, chosen: int, cost: float, probability: float, predicted: Sequence[float] | None, n: int = 3) -> list[float]:
        return [cost]


ESTIMATOR = MTRCosts

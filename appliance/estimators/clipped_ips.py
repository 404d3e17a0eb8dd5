"""Clipped IPS: IPS with every importance weight capped at ``max_weight`` (biased down for positive rewards,
with a bounded variance).

>>> clipped = ClippedIPS(max_weight=2.0)
>>> clipped.add_example(p_log=0.25, r=1.0, p_pred=1.0)  # w = 4, clipped to 2
>>> clipped.get()
2.0
"""

from __future__ import annotations

from typing import Any

from appliance.estimators.base import EstimatorError, batch_events, batch_weights
from appliance.estimators.mean import MeanEstimator


class ClippedIPS(MeanEstimator):
    def __init__(self, max_weight: float = 10.0) -> None:
        if not max_weight > 0:
            raise EstimatorError(f"max_weight {max_weight!r} must be > 0: the largest importance weight kept")
        super().__init__()
        self.max_weight = max_weight

    def params(self) -> dict[str, Any]:
        return {"max_weight": self.max_weight}

    def value(self, w: float, r: float, r_hat: float, v_hat: float) -> float:
        return min(w, self.max_weight) * r

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        self._add_terms(batch_weights(p_log, r, p_pred, p_drop).clip(max=self.max_weight) * r, batch_events(r, p_drop, n_drop))

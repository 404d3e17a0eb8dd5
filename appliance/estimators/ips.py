"""Inverse propensity scoring: the average of ``w * r`` (unbiased; its variance grows with the weights).

>>> ips = IPS()
>>> ips.add_example(p_log=0.25, r=1.0, p_pred=1.0); ips.add_example(p_log=0.75, r=0.0, p_pred=0.0)
>>> ips.get()
2.0
"""

from __future__ import annotations

from typing import Any

from appliance.estimators.base import batch_events, batch_weights
from appliance.estimators.mean import MeanEstimator


class IPS(MeanEstimator):
    def value(self, w: float, r: float, r_hat: float, v_hat: float) -> float:
        return w * r

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        self._add_terms(batch_weights(p_log, r, p_pred, p_drop) * r, batch_events(r, p_drop, n_drop))

"""Inverse propensity scoring: the average of ``w * r`` (unbiased; its variance grows with the weights).

>>> ips = IPS()
>>> ips.add_example(p_log=0.25, r=1.0, p_pred=1.0); ips.add_example(p_log=0.75, r=0.0, p_pred=0.0)
>>> ips.get()
2.0
"""

from __future__ import annotations

from appliance.estimators.mean import MeanEstimator


class IPS(MeanEstimator):
    def value(self, w: float, r: float, r_hat: float, v_hat: float) -> float:
        return w * r

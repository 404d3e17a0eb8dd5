"""Doubly robust: the model's value plus the importance-weighted error of its prediction for the logged
action, ``v_hat + w (r - r_hat)`` (unbiased whatever the model; the better the model, the lower the variance).

>>> dr = DR()
>>> dr.add_example(0.5, 1.0, 0.5, r_hat=1.0, v_hat=0.5)  # a perfect model: no correction
>>> dr.get()
0.5
"""

from __future__ import annotations

from appliance.estimators.mean import MeanEstimator


class DR(MeanEstimator):
    NEEDS = ("r_hat", "v_hat")

    def value(self, w: float, r: float, r_hat: float, v_hat: float) -> float:
        return v_hat + w * (r - r_hat)

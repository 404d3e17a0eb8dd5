"""The direct method: the average of the reward model's value of the policy, ``v_hat`` (low variance, biased
as much as the model is wrong).

>>> dm = DM()
>>> dm.add_example(0.5, 1.0, 1.0, r_hat=0.4, v_hat=0.6); dm.add_example(0.5, 0.0, 0.0, r_hat=0.1, v_hat=0.2)
>>> round(dm.get(), 12)
0.4
"""

from __future__ import annotations

from appliance.estimators.mean import MeanEstimator


class DM(MeanEstimator):
    NEEDS = ("v_hat",)

    def value(self, w: float, r: float, r_hat: float, v_hat: float) -> float:
        return v_hat

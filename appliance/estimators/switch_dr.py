"""Switch-DR (Wang, Agarwal, Dudík, ICML 2017): DR where the importance weight is at most ``tau``, the model
alone where it is larger (as Open Bandit Pipeline computes it: ``v_hat + [w <= tau] w (r - r_hat)``).

>>> switch = SwitchDR(tau=2.0)
>>> switch.add_example(0.25, 1.0, 1.0, r_hat=0.5, v_hat=0.5)  # w = 4 > tau: the model's 0.5
>>> switch.add_example(0.5, 1.0, 1.0, r_hat=0.5, v_hat=0.5)   # w = 2: 0.5 + 2 * 0.5
>>> switch.get()
1.0
"""

from __future__ import annotations

from typing import Any

from appliance.estimators.base import EstimatorError
from appliance.estimators.mean import MeanEstimator


class SwitchDR(MeanEstimator):
    NEEDS = ("r_hat", "v_hat")

    def __init__(self, tau: float = 10.0) -> None:
        if not tau > 0:
            raise EstimatorError(f"tau {tau!r} must be > 0: the largest importance weight DR is used for")
        super().__init__()
        self.tau = tau

    def params(self) -> dict[str, Any]:
        return {"tau": self.tau}

    def value(self, w: float, r: float, r_hat: float, v_hat: float) -> float:
        return v_hat + w * (r - r_hat) if w <= self.tau else v_hat

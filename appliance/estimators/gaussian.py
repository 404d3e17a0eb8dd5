"""The Gaussian (central limit) interval around the average per-event value: IPS's ``w r``, or DR's
``v_hat + w (r - r_hat)`` when the reward model's predictions are given. Asymptotic: with heavy weights and few
events it covers less often than it says.

>>> g = Gaussian()
>>> for r in (1.0, 0.0, 1.0, 1.0): g.add_example(p_log=0.5, r=r, p_pred=0.5)
>>> [round(b, 6) for b in g.get(alpha=0.05)]
[0.260009, 1.239991]
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from appliance.estimators.base import Streaming, batch_events, batch_weights, check_alpha, check_predictions, dropped_per_event, weigh


class Gaussian(Streaming):
    SUMS = ("n", "total", "total_sq")

    def __init__(self) -> None:
        self.n = self.total = self.total_sq = 0.0

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        w, n = weigh(p_log, r, p_pred, count, p_drop, n_drop)
        check_predictions({"r_hat": r_hat, "v_hat": v_hat})
        x = v_hat * (1.0 + dropped_per_event(p_drop, n_drop)) + w * (r - r_hat)  # the model's value stands for the dropped too
        self.n += n
        self.total += count * x
        self.total_sq += count * x * x

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        x = batch_weights(p_log, r, p_pred, p_drop) * r  # IPS's values: a batch has no reward model's predictions
        self.n += batch_events(r, p_drop, n_drop)
        self.total += float(x.sum())
        self.total_sq += float((x * x).sum())

    def get(self, alpha: float = 0.05) -> list[float | None]:
        check_alpha(alpha)
        if self.n <= 1:
            return [None, None]
        z = NormalDist().inv_cdf(1 - alpha / 2)
        variance = (self.total_sq - self.total**2 / self.n) / (self.n - 1)
        delta = z * math.sqrt(max(0.0, variance) / self.n)
        mean = self.total / self.n
        return [mean - delta, mean + delta]

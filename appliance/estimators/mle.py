"""The empirical-likelihood estimator (Karampatziakis, Langford, Mineiro, NeurIPS 2020): the maximum-likelihood
reweighting of the events under which the importance weights average to one. Its dual has no closed form, so
it keeps one count per distinct (weight, reward) pair: memory grows with the distinct pairs, not the events
(a few per action under epsilon-greedy logging). Works best with the true weight bounds ``wmin``, ``wmax``.

>>> mle = MLE()
>>> for w_pred, r in ((1.0, 1.0), (0.0, 0.0), (1.0, 0.0), (1.0, 1.0)): mle.add_example(p_log=0.5, r=r, p_pred=w_pred)
>>> round(mle.get(), 6), len(mle.counts)
(0.666667, 3)
"""

from __future__ import annotations

import math
from typing import Any

from appliance.estimators.base import EstimatorError, Streaming, weigh
from appliance.estimators.special import bisect


class MLE(Streaming):
    MAXES = ("w_max",)
    MINS = ("w_min",)

    def __init__(self, wmin: float = 0.0, wmax: float = math.inf) -> None:
        if not (wmin < 1 < wmax):
            raise EstimatorError(f"the weight bounds must satisfy wmin < 1 < wmax (got {wmin!r}, {wmax!r})")
        self.wmin, self.wmax = wmin, wmax
        self.w_min, self.w_max = wmin, wmax
        self.counts: dict[tuple[float, float], float] = {}

    def params(self) -> dict[str, Any]:
        return {"wmin": self.wmin, "wmax": self.wmax}

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        w, _ = weigh(p_log, r, p_pred, count, p_drop, n_drop)
        self.counts[w, r] = self.counts.get((w, r), 0.0) + count
        self.w_max, self.w_min = max(self.w_max, w), min(self.w_min, w)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "counts": [[w, r, c] for (w, r), c in self.counts.items()]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MLE:
        restored = super().from_state(state)
        restored.counts = {(float(w), float(r)): float(c) for w, r, c in state.get("counts", [])}
        return restored

    def _merge(self, other: Any) -> None:
        super()._merge(other)
        for key, c in other.counts.items():
            self.counts[key] = self.counts.get(key, 0.0) + c

    def _gradient(self, n: float, beta: float) -> float:
        return math.fsum(c * (w - 1) / ((w - 1) * beta + n) for (w, _), c in self.counts.items())

    def get(self) -> float | None:
        n = math.fsum(self.counts.values())
        if n == 0:
            return None
        upper = n / (1 - self.w_min)
        beta_max = min(upper, min(((n - c) / (1 - w) for (w, _), c in self.counts.items() if w < 1), default=upper))
        lower = 0.0 if self.w_max == math.inf else n / (1 - self.w_max)
        beta_min = max(lower, max(((n - c) / (1 - w) for (w, _), c in self.counts.items() if w > 1), default=lower))
        grad_min, grad_max = self._gradient(n, beta_min), self._gradient(n, beta_max)
        if grad_min * grad_max < 0:
            beta = bisect(lambda b: self._gradient(n, b), beta_min, beta_max)
        else:
            beta = beta_min if grad_min < 0 else beta_max
        items = self.counts.items()
        sum_w = math.fsum(c * w / ((w - 1) * beta + n) for (w, _), c in items)
        vhat = math.fsum(c * w * r / ((w - 1) * beta + n) for (w, r), c in items)
        return vhat + max(0.0, 1.0 - sum_w) * math.fsum(c * r for (_, r), c in items) / n

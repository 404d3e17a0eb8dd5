"""The Clopper-Pearson interval on importance-weighted rewards (as vw-estimators computes it): the rewards,
scaled to [0, 1] by ``rmin``/``rmax``, count as weighted successes out of ``n / max(w)`` trials.

>>> cp = ClopperPearson()
>>> for r in (1.0, 0.0, 1.0, 1.0): cp.add_example(p_log=0.5, r=r, p_pred=0.5)
>>> [round(b, 6) for b in cp.get(alpha=0.05)]
[0.19412, 0.993691]
"""

from __future__ import annotations

from typing import Any

from appliance.estimators.base import EstimatorError, Streaming, weigh
from appliance.estimators.special import beta_ppf


def clopper_pearson(successes: float, n: float, alpha: float) -> tuple[float, float]:
    """The exact binomial interval of ``successes`` in ``n`` trials (both may be fractional).

    >>> [round(b, 6) for b in clopper_pearson(5, 10, 0.05)]
    [0.187086, 0.812914]
    """
    lower = beta_ppf(alpha / 2, successes, n - successes + 1) if successes > 0 else 0.0
    upper = beta_ppf(1 - alpha / 2, successes + 1, n - successes) if successes < n else 1.0
    return lower, upper


class ClopperPearson(Streaming):
    SUMS = ("n", "sum_wr")
    MAXES = ("max_w",)

    def __init__(self, rmin: float = 0.0, rmax: float = 1.0) -> None:
        if not rmin < rmax:
            raise EstimatorError(f"rmin {rmin!r} must be below rmax {rmax!r}: the range rewards lie in")
        self.rmin, self.rmax = rmin, rmax
        self.n = self.sum_wr = self.max_w = 0.0

    def params(self) -> dict[str, Any]:
        return {"rmin": self.rmin, "rmax": self.rmax}

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        if not self.rmin <= r <= self.rmax:
            raise EstimatorError(f"reward {r!r} is outside [{self.rmin}, {self.rmax}]; give the interval the rewards' range")
        w, n = weigh(p_log, p_pred, count, p_drop, n_drop)
        self.n += n
        self.sum_wr += count * w * (r - self.rmin) / (self.rmax - self.rmin)
        self.max_w = max(self.max_w, w)

    def get(self, alpha: float = 0.05) -> list[float | None]:
        if self.max_w <= 0.0:
            return [None, None]
        lower, upper = clopper_pearson(self.sum_wr / self.max_w, self.n / self.max_w, alpha)
        scale = self.rmax - self.rmin
        return [self.rmin + lower * scale, self.rmin + upper * scale]

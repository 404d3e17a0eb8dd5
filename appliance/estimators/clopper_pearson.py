"""The Clopper-Pearson interval on importance-weighted rewards. The rewards, scaled to [0, 1] by
``rmin``/``rmax`` and weighted, are divided by the largest weight seen, ``max(w)``, and their sum counts as the
successes of a binomial.

By default, as vw-estimators computes it, out of ``n / max(w)`` trials: the interval is then centred on IPS but
its spread is that of ``n / max(w)`` Bernoulli draws of mean V, ``max(w) V (1 - V) / n``, while IPS's own
variance can reach ``(max(w) V - V²) / n`` when large weights carry the value (a target policy far from the
logging one, with a high value): there it covers less than it says (0.75 of 200 runs at 95% for the best arm
of the ``arms`` dataset of ``wabbit bench --only estimators.coverage``, see docs/estimators.md). With ``scaled=True`` every event is a
trial and the binomial's mean is V / max(w), scaled back: Bernoulli variables have the largest variance of any
in [0, 1] with their mean, so it holds (conservatively, wider); ``wabbit evaluate`` and the live observer use
that one.

>>> cp = ClopperPearson()
>>> for r in (1.0, 0.0, 1.0, 1.0): cp.add_example(p_log=0.5, r=r, p_pred=0.5)
>>> [round(b, 6) for b in cp.get(alpha=0.05)]
[0.19412, 0.993691]
>>> scaled = ClopperPearson(scaled=True)
>>> for r in (1.0, 0.0, 1.0, 1.0): scaled.add_example(p_log=0.5, r=r, p_pred=0.5)
>>> [round(b, 6) for b in scaled.get(alpha=0.05)]  # weights all 1: the same
[0.19412, 0.993691]
>>> vw, heavy = ClopperPearson(), ClopperPearson(scaled=True)
>>> logged = [(0.25, 1.0, 1.0), (0.25, 0.0, 1.0)] + [(0.75, 1.0, 0.0)] * 6  # the target takes the rare action; IPS 0.5
>>> for cp in (vw, heavy):
...     for p_log, r, p_pred in logged * 20: cp.add_example(p_log, r, p_pred)
>>> [round(b, 3) for b in vw.get()], [round(b, 3) for b in heavy.get()]
([0.338, 0.662], [0.312, 0.746])
"""


from __future__ import annotations

from typing import Any

from appliance.estimators.base import EstimatorError, Streaming, batch_events, batch_weights, check_alpha, weigh
from appliance.estimators.special import beta_ppf


def clopper_pearson(successes: float, n: float, alpha: float) -> tuple[float, float]:
    """The exact binomial interval of ``successes`` in ``n`` trials (both may be fractional; more successes than
    trials, as importance weights can give on a small sample, count as all trials successes).

    >>> [round(b, 6) for b in clopper_pearson(5, 10, 0.05)], [round(b, 6) for b in clopper_pearson(12.5, 10, 0.05)]
    ([0.187086, 0.812914], [0.691503, 1.0])
    """
    successes = min(successes, n)
    lower = beta_ppf(alpha / 2, successes, n - successes + 1) if successes > 0 else 0.0
    upper = beta_ppf(1 - alpha / 2, successes + 1, n - successes) if successes < n else 1.0
    return lower, upper


class ClopperPearson(Streaming):
    SUMS = ("n", "sum_wr")
    MAXES = ("max_w",)

    def __init__(self, rmin: float = 0.0, rmax: float = 1.0, scaled: bool = False) -> None:
        if not rmin < rmax:
            raise EstimatorError(f"rmin {rmin!r} must be below rmax {rmax!r}: the range rewards lie in")
        self.rmin, self.rmax, self.scaled = rmin, rmax, scaled
        self.n = self.sum_wr = self.max_w = 0.0

    def params(self) -> dict[str, Any]:
        return {"rmin": self.rmin, "rmax": self.rmax, "scaled": self.scaled}

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        if not self.rmin <= r <= self.rmax:
            raise EstimatorError(f"reward {r!r} is outside [{self.rmin}, {self.rmax}]; give the interval the rewards' range")
        w, n = weigh(p_log, r, p_pred, count, p_drop, n_drop)
        self.n += n
        self.sum_wr += count * w * (r - self.rmin) / (self.rmax - self.rmin)
        self.max_w = max(self.max_w, w)

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        if not len(r):
            return
        if not (bool((r >= self.rmin).all()) and bool((r <= self.rmax).all())):
            raise EstimatorError(f"a reward of the batch is outside [{self.rmin}, {self.rmax}]; give the interval the rewards' range")
        w = batch_weights(p_log, r, p_pred, p_drop)
        self.n += batch_events(r, p_drop, n_drop)
        self.sum_wr += float((w * (r - self.rmin) / (self.rmax - self.rmin)).sum())
        self.max_w = max(self.max_w, float(w.max()))

    def get(self, alpha: float = 0.05) -> list[float | None]:
        check_alpha(alpha)
        if self.max_w <= 0.0:
            return [None, None]
        scale = self.rmax - self.rmin
        if self.scaled:  # the mean of w r / max(w) over n trials, scaled back by max(w) and kept in the rewards' range
            lower, upper = clopper_pearson(self.sum_wr / self.max_w, self.n, alpha)
            return [self.rmin + min(1.0, lower * self.max_w) * scale, self.rmin + min(1.0, upper * self.max_w) * scale]
        lower, upper = clopper_pearson(self.sum_wr / self.max_w, self.n / self.max_w, alpha)
        return [self.rmin + lower * scale, self.rmin + upper * scale]

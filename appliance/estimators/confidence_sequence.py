"""Off-policy confidence sequences (Karampatziakis, Mineiro, Ramdas, ICML 2021): a betting martingale on the
importance-weighted rewards, so the interval holds at every moment at once. Look after every event and stop
whenever you like: the chance it ever misses the value is at most ``alpha``. Wider than a fixed-time interval.

Merging two sequences (``a + b``) gives the one of both streams with each stream's bets made from its own
past only: still predictable, so still valid (not equal to one pass over both streams in order).

>>> cs = ConfidenceSequence()
>>> for w_pred, r in ((1.0, 1.0), (0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)) * 50: cs.add_example(p_log=0.5, r=r, p_pred=w_pred)
>>> lower, upper = cs.get(alpha=0.05)
>>> round(lower, 6), round(upper, 6), cs.contains(0.6, alpha=0.05), cs.contains(0.99, alpha=0.05)
(0.564485, 0.791375, True, False)

``add_examples`` takes a batch as arrays, in one vectorised pass (the same sums, up to rounding), for a caller
that sees many events a second (the TensorBoard observer):

>>> import numpy as np
>>> batch = ConfidenceSequence()
>>> batch.add_examples(np.full(250, 0.5), np.array([1.0, 0.0, 1.0, 1.0, 0.0] * 50), np.array([1.0, 0.0, 1.0, 0.0, 1.0] * 50))
>>> [round(b, 6) for b in batch.get(alpha=0.05)]
[0.564485, 0.791375]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from appliance.estimators.base import EstimatorError, Streaming, batch_dropped, batch_weights, check_alpha, dropped_per_event, weigh
from appliance.estimators.special import bisect, log_lower_gamma, trigamma, trigammas

_RHO = 1.0  # the prior's weight in the betting mixture (as in vw-estimators)
_SUMS = ("sumwsqrsq", "sumwsqr", "sumwsq", "sumwr", "sumw", "sumwrxhatlow", "sumwxhatlow", "sumxhatlowsq", "sumwrxhathigh",
         "sumwxhathigh", "sumxhathighsq")


_LOG_LOWER_GAMMA_RHO = log_lower_gamma(_RHO, _RHO)


def _log_wealth(s: float, v: float) -> float:
    """The log wealth of the gamma-mixture bettor with sum ``s`` and variance process ``v``."""
    return (s + v + _RHO * math.log(_RHO) - (v + _RHO) * math.log(s + v + _RHO)
            + log_lower_gamma(v + _RHO, s + v + _RHO) - log_lower_gamma(_RHO, _RHO))


def _lower_bound(t: float, sum_x: float, v: float, alpha: float, precision: float = 0.0) -> float:
    """The smallest mean of [0, 1] values the bettor cannot reject at level ``alpha`` (to within ``precision``)."""
    threshold = -math.log(alpha)
    if _log_wealth(sum_x, v) <= threshold:
        return 0.0
    highest = min(1.0, sum_x / t)
    if _log_wealth(sum_x - t * highest, v) >= threshold:
        return highest
    return bisect(lambda mu: _log_wealth(sum_x - t * mu, v) - threshold, 0.0, highest, tolerance=precision)


def _log_wealth_above(s: float, v: float) -> float:
    """At least :func:`_log_wealth` (γ(a, x) < Γ(a)), in closed form: no series or continued fraction to sum.

    >>> all(_log_wealth_above(s, v) >= _log_wealth(s, v) for s in (0.5, 3.0, 40.0) for v in (1.0, 10.0, 300.0))
    True
    """
    return s + v + _RHO * math.log(_RHO) - (v + _RHO) * math.log(s + v + _RHO) + math.lgamma(v + _RHO) - _LOG_LOWER_GAMMA_RHO


def _not_rejected(t: float, sum_x: float, v: float, alpha: float, mu: float) -> bool:
    """Whether ``mu`` is at or above :func:`_lower_bound` (no root to find; the wealth's closed-form upper bound
    settles most cases, where ``mu`` is well inside, and one wealth evaluation the rest)."""
    if mu >= min(1.0, sum_x / t):
        return True
    s, threshold = sum_x - t * mu, -math.log(alpha)
    return _log_wealth_above(s, v) <= threshold or _log_wealth(s, v) <= threshold


class ConfidenceSequence(Streaming):
    SUMS = ("t",) + _SUMS
    MAXES = ("r_max",)
    MINS = ("r_min",)

    def __init__(self, rmin: float = 0.0, rmax: float = 1.0, empirical_r_bounds: bool = False) -> None:
        if not rmin < rmax:
            raise EstimatorError(f"rmin {rmin!r} must be below rmax {rmax!r}: the range rewards lie in")
        self.rmin, self.rmax, self.empirical_r_bounds = rmin, rmax, empirical_r_bounds
        self.r_min, self.r_max = rmin, rmax
        self.t = 0.0
        for name in _SUMS:
            setattr(self, name, 0.0)

    def params(self) -> dict[str, Any]:
        return {"rmin": self.rmin, "rmax": self.rmax, "empirical_r_bounds": self.empirical_r_bounds}

    def _x_sums(self) -> tuple[float, float]:
        """The sums of the scaled values the lower and the upper bettors see."""
        scale = self.r_max - self.r_min
        sumw, sumwr = self.sumw, self.sumwr  # type: ignore[attr-defined]
        return (sumwr - sumw * self.r_min) / scale, (sumw * self.r_max - sumwr) / scale

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        w, _ = weigh(p_log, r, p_pred, 1, p_drop, n_drop)
        if self.empirical_r_bounds:
            self.r_min, self.r_max = min(self.r_min, r), max(self.r_max, r)
        elif not self.rmin <= r <= self.rmax:
            raise EstimatorError(f"reward {r!r} is outside [{self.rmin}, {self.rmax}]; give the rewards' range, or "
                                 "empirical_r_bounds=True")
        dropped = dropped_per_event(p_drop, n_drop)
        for _ in range(int(count)):
            self._add(w, r, dropped)

    def add_examples(self, p_log: np.ndarray, r: np.ndarray, p_pred: np.ndarray, p_drop: Any = None, n_drop: Any = None) -> None:
        """The events of a batch in order, as ``add_example`` takes them one by one, vectorised; each may stand for
        dropped ones before it (``p_drop``, ``n_drop``: arrays, or ``None`` when nothing was dropped)."""
        if not len(r):
            return
        s: Any = self
        w = batch_weights(p_log, r, p_pred, p_drop)
        dropped = batch_dropped(p_drop, n_drop)
        if self.empirical_r_bounds:
            r_min = np.minimum.accumulate(np.concatenate(([self.r_min], r)))[1:]
            r_max = np.maximum.accumulate(np.concatenate(([self.r_max], r)))[1:]
        else:
            if not (bool((r >= self.rmin).all()) and bool((r <= self.rmax).all())):
                raise EstimatorError(f"a reward of the batch is outside [{self.rmin}, {self.rmax}]; give the rewards' range, or "
                                     "empirical_r_bounds=True")
            r_min, r_max = np.full(len(r), self.r_min), np.full(len(r), self.r_max)
        wr = w * r
        sumw = s.sumw + np.concatenate(([0.0], np.cumsum(w)[:-1]))  # the sums before each event
        sumwr = s.sumwr + np.concatenate(([0.0], np.cumsum(wr)[:-1]))
        if dropped is None:
            t = s.t + np.arange(len(r)) + 1.0  # t once each event is in
        else:  # each event's dropped ones, then itself, added in _add's order: t before each, after its drops, after it
            steps = np.empty(2 * len(r) + 1)
            steps[0], steps[1::2], steps[2::2] = s.t, dropped, 1.0
            counted = np.cumsum(steps)
            t = counted[2::2]
        low_half = (sumwr - sumw * r_min) / (r_max - r_min) + 0.5
        high_half = (sumw * r_max - sumwr) / (r_max - r_min) + 0.5
        xhat_low, xhat_high = low_half / t, high_half / t
        if dropped is not None and bool((dropped > 0).any()):  # the dropped events, weight 0, in closed form (as _add)
            some = dropped > 0
            before = counted[:-1:2][some] + 1.0
            tail = trigammas(before) - trigammas(before + dropped[some])
            s.sumxhatlowsq += float(np.sum(low_half[some] ** 2 * tail))
            s.sumxhathighsq += float(np.sum(high_half[some] ** 2 * tail))
        s.sumwsqrsq += float(np.sum(wr * wr))
        s.sumwsqr += float(np.sum(w * wr))
        s.sumwsq += float(np.sum(w * w))
        s.sumwr += float(np.sum(wr))
        s.sumw += float(np.sum(w))
        s.sumwrxhatlow += float(np.sum(wr * xhat_low))
        s.sumwxhatlow += float(np.sum(w * xhat_low))
        s.sumxhatlowsq += float(np.sum(xhat_low * xhat_low))
        s.sumwrxhathigh += float(np.sum(wr * xhat_high))
        s.sumwxhathigh += float(np.sum(w * xhat_high))
        s.sumxhathighsq += float(np.sum(xhat_high * xhat_high))
        s.t = float(t[-1])
        self.r_min, self.r_max = float(r_min[-1]), float(r_max[-1])

    def _add(self, w: float, r: float, dropped: float) -> None:
        s: Any = self
        if dropped > 0:  # `dropped` events of weight 0 in a row, in closed form
            low, high = self._x_sums()
            tail = trigamma(s.t + 1) - trigamma(s.t + 1 + dropped)
            s.sumxhatlowsq += (low + 0.5) ** 2 * tail
            s.sumxhathighsq += (high + 0.5) ** 2 * tail
            s.t += dropped
        low, high = self._x_sums()
        xhat_low, xhat_high = (low + 0.5) / (s.t + 1), (high + 0.5) / (s.t + 1)
        s.sumwsqrsq += (w * r) ** 2
        s.sumwsqr += w * w * r
        s.sumwsq += w * w
        s.sumwr += w * r
        s.sumw += w
        s.sumwrxhatlow += w * r * xhat_low
        s.sumwxhatlow += w * xhat_low
        s.sumxhatlowsq += xhat_low**2
        s.sumwrxhathigh += w * r * xhat_high
        s.sumwxhathigh += w * xhat_high
        s.sumxhathighsq += xhat_high**2
        s.t += 1

    def _processes(self) -> tuple[float, float, float, float]:
        """(sum, variance process) of the lower bettor, then of the upper one, on the [0, 1] scale."""
        s: Any = self
        lo, hi, scale = self.r_min, self.r_max, self.r_max - self.r_min
        v_low = ((s.sumwsqrsq - 2 * lo * s.sumwsqr + lo**2 * s.sumwsq) / scale**2
                 - 2 * (s.sumwrxhatlow - lo * s.sumwxhatlow) / scale + s.sumxhatlowsq)
        v_high = ((s.sumwsqrsq - 2 * hi * s.sumwsqr + hi**2 * s.sumwsq) / scale**2
                  + 2 * (s.sumwrxhathigh - hi * s.sumwxhathigh) / scale + s.sumxhathighsq)
        low, high = self._x_sums()
        return low, v_low, high, v_high

    def get(self, alpha: float = 0.05, precision: float = 0.0) -> list[float | None]:
        """The interval, its ends found to the last bit, or (cheaper) to within ``precision`` of the reward range
        (a chart's bounds need no more than 1e-6)."""
        check_alpha(alpha)
        if self.t == 0:
            return [None, None]
        low, v_low, high, v_high = self._processes()
        lower = _lower_bound(self.t, low, v_low, alpha / 2, precision)
        upper = 1 - _lower_bound(self.t, high, v_high, alpha / 2, precision)
        scale = self.r_max - self.r_min
        return [self.r_min + lower * scale, self.r_min + upper * scale]

    def contains(self, value: float, alpha: float = 0.05) -> bool:
        """Whether ``value`` is inside :meth:`get` (``alpha``), at the cost of two wealth evaluations."""
        check_alpha(alpha)
        if self.t == 0:
            return True
        low, v_low, high, v_high = self._processes()
        mu = (value - self.r_min) / (self.r_max - self.r_min)
        return _not_rejected(self.t, low, v_low, alpha / 2, mu) and _not_rejected(self.t, high, v_high, alpha / 2, 1 - mu)

"""The Cressie-Read interval (Karampatziakis, Mineiro, Ramdas: empirical likelihood with power -2, profiled in
closed form): asymptotically exact, and far better than the Gaussian one with heavy weights. Rewards lie in
[``rmin``, ``rmax``], or widen them as they come with ``empirical_r_bounds``.

>>> cr = CressieReadInterval()
>>> for w_pred, r in ((1.0, 1.0), (0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)) * 25: cr.add_example(p_log=0.5, r=r, p_pred=w_pred)
>>> [round(b, 6) for b in cr.get(alpha=0.05)]
[0.538417, 0.79637]
"""

from __future__ import annotations

import math
from typing import Any

from appliance.estimators.base import EstimatorError, batch_weights, check_alpha, weigh
from appliance.estimators.cressie_read import CressieRead
from appliance.estimators.special import f1_isf


class CressieReadInterval(CressieRead):
    SUMS = CressieRead.SUMS + ("sumwsqrsq",)
    MAXES = CressieRead.MAXES + ("r_max",)
    MINS = CressieRead.MINS + ("r_min",)

    def __init__(self, wmin: float = 0.0, wmax: float = math.inf, rmin: float = 0.0, rmax: float = 1.0,
                 empirical_r_bounds: bool = False) -> None:
        super().__init__(wmin, wmax)
        if not rmin <= rmax:
            raise EstimatorError(f"rmin {rmin!r} must not be above rmax {rmax!r}: the range rewards lie in")
        self.rmin, self.rmax, self.empirical_r_bounds = rmin, rmax, empirical_r_bounds
        self.r_min, self.r_max = rmin, rmax
        self.sumwsqrsq = 0.0

    def params(self) -> dict[str, Any]:
        return {**super().params(), "rmin": self.rmin, "rmax": self.rmax, "empirical_r_bounds": self.empirical_r_bounds}

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        if not self.empirical_r_bounds and not self.rmin <= r <= self.rmax:
            raise EstimatorError(f"reward {r!r} is outside [{self.rmin}, {self.rmax}]; give the rewards' range, or "
                                 "empirical_r_bounds=True")
        super().add_example(p_log, r, p_pred, count, p_drop=p_drop, n_drop=n_drop)  # refuses an unusable event first
        if self.empirical_r_bounds:
            self.r_min, self.r_max = min(self.r_min, r), max(self.r_max, r)
        w, _ = weigh(p_log, r, p_pred, count, p_drop, n_drop)
        self.sumwsqrsq += count * (w * r) ** 2

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        if not len(r):
            return
        if not self.empirical_r_bounds and not (bool((r >= self.rmin).all()) and bool((r <= self.rmax).all())):
            raise EstimatorError(f"a reward of the batch is outside [{self.rmin}, {self.rmax}]; give the rewards' range, or "
                                 "empirical_r_bounds=True")
        super().add_examples(p_log, r, p_pred, p_drop, n_drop)  # refuses an unusable batch first
        if self.empirical_r_bounds:
            self.r_min, self.r_max = min(self.r_min, float(r.min())), max(self.r_max, float(r.max()))
        self.sumwsqrsq += float(((batch_weights(p_log, r, p_pred, p_drop) * r) ** 2).sum())

    def get(self, alpha: float = 0.05, atol: float = 1e-9) -> list[float | None]:  # type: ignore[override]
        check_alpha(alpha)
        n = self.n
        if n == 0:
            return [None, None]
        sumw, sumwsq = self.sumw, self.sumwsq
        wfake = self.w_max if sumw < n else self.w_min
        if wfake == math.inf:
            gstar = 1 + 1 / n
        else:
            a = (wfake + sumw) / (1 + n)
            b = (wfake**2 + sumwsq) / (1 + n)
            gstar = (1 + n) * (a - 1) ** 2 / (b - a * a)
        phi = (-gstar - f1_isf(alpha, n)) / (2 * (1 + n))
        bounds: list[float | None] = []
        for r, sign in ((self.r_min, 1), (self.r_max, -1)):
            candidates = [c for wfake in (self.w_min, self.w_max) if (c := self._candidate(wfake, r, sign, phi, atol)) is not None]
            best = min(candidates) if candidates else self.r_min
            bounds.append(min(self.r_max, max(self.r_min, sign * best)))
        return bounds

    def _candidate(self, wfake: float, r: float, sign: int, phi: float, atol: float) -> float | None:
        """The bound's value when the missing mass sits at weight ``wfake`` and reward ``r``; ``None`` if infeasible."""
        n, sumw, sumwsq, sumwr, sumwsqr = self.n, self.sumw, self.sumwsq, self.sumwr, self.sumwsqr
        if wfake == math.inf:
            x = sign * (r + (sumwr - sumw * r) / n)
            y = (r * sumw - sumwr) ** 2 / (n * (1 + n)) - (r**2 * sumwsq - 2 * r * sumwsqr + self.sumwsqrsq) / (1 + n)
            z = phi + 1 / (2 * n)
        else:
            barw = (wfake + sumw) / (1 + n)
            barwsq = (wfake * wfake + sumwsq) / (1 + n)
            barwr = sign * (wfake * r + sumwr) / (1 + n)
            barwsqr = sign * (wfake * wfake * r + sumwsqr) / (1 + n)
            barwsqrsq = (wfake * wfake * r * r + self.sumwsqrsq) / (1 + n)
            if not barwsq > barw**2:
                return None
            x = barwr + (1 - barw) * (barwsqr - barw * barwr) / (barwsq - barw**2)
            y = (barwsqr - barw * barwr) ** 2 / (barwsq - barw**2) - (barwsqrsq - barwr**2)
            z = phi + 0.5 * (1 - barw) ** 2 / (barwsq - barw**2)
        if math.isclose(y * z, 0, abs_tol=atol * atol):
            return x - math.sqrt(2) * atol
        if z <= 0 and y * z >= 0:
            return x - math.sqrt(2 * y * z)
        return None

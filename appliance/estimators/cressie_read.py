"""The Cressie-Read power-divergence estimator with power -2 (Karampatziakis, Mineiro, Ramdas; empirical
likelihood in closed form): IPS reweighted so the importance weights average to one, the weight of the
missing mass given to the average reward. Works best with the true bounds of the weights (``wmin``,
``wmax``), not the empirical ones.

>>> cr = CressieRead()
>>> for w_pred, r in ((1.0, 1.0), (0.0, 0.0), (1.0, 0.0), (1.0, 1.0)): cr.add_example(p_log=0.5, r=r, p_pred=w_pred)
>>> round(cr.get(), 6)
0.666667
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from appliance.estimators.base import EstimatorError, Streaming, batch_events, batch_weights, weigh


class CressieRead(Streaming):
    SUMS: ClassVar[tuple[str, ...]] = ("n", "sumw", "sumwsq", "sumwr", "sumwsqr", "sumr")
    MAXES: ClassVar[tuple[str, ...]] = ("w_max",)
    MINS: ClassVar[tuple[str, ...]] = ("w_min",)

    def __init__(self, wmin: float = 0.0, wmax: float = math.inf) -> None:
        if not (wmin < 1 < wmax):
            raise EstimatorError(f"the weight bounds must satisfy wmin < 1 < wmax (got {wmin!r}, {wmax!r})")
        self.wmin, self.wmax = wmin, wmax
        self.w_min, self.w_max = wmin, wmax
        self.n = self.sumw = self.sumwsq = self.sumwr = self.sumwsqr = self.sumr = 0.0

    def params(self) -> dict[str, Any]:
        return {"wmin": self.wmin, "wmax": self.wmax}

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        w, n = weigh(p_log, r, p_pred, count, p_drop, n_drop)
        self.n += n
        self.sumw += count * w
        self.sumwsq += count * w * w
        self.sumwr += count * w * r
        self.sumwsqr += count * w * w * r
        self.sumr += count * r
        self.w_max, self.w_min = max(self.w_max, w), min(self.w_min, w)

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        if not len(r):
            return
        w = batch_weights(p_log, r, p_pred, p_drop)
        self.n += batch_events(r, p_drop, n_drop)
        self.sumw += float(w.sum())
        self.sumwsq += float((w * w).sum())
        self.sumwr += float((w * r).sum())
        self.sumwsqr += float((w * w * r).sum())
        self.sumr += float(r.sum())
        self.w_max, self.w_min = max(self.w_max, float(w.max())), min(self.w_min, float(w.min()))

    def get(self) -> float | None:
        n = self.n
        if n == 0:
            return None
        wfake = self.w_max if self.sumw < n else self.w_min
        if wfake == math.inf:
            gamma, beta = -(1 + n) / n, 0.0
        else:
            a = (wfake + self.sumw) / (1 + n)
            b = (wfake**2 + self.sumwsq) / (1 + n)
            gamma, beta = (b - a) / (a * a - b), (1 - a) / (a * a - b)
        vhat = (-gamma * self.sumwr - beta * self.sumwsqr) / (1 + n)
        missing = max(0.0, 1 - (-gamma * self.sumw - beta * self.sumwsq) / (1 + n))
        return vhat + missing * self.sumr / n

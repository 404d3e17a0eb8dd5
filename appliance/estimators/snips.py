"""Self-normalised IPS: ``sum(w r) / sum(w)`` (a little biased, much less variable than IPS when the weights
do not average to one on the sample).

>>> snips = SNIPS()
>>> snips.add_example(p_log=0.25, r=1.0, p_pred=1.0); snips.add_example(p_log=0.5, r=0.0, p_pred=1.0)
>>> round(snips.get(), 12)
0.666666666667
"""

from __future__ import annotations

from typing import Any

from appliance.estimators.base import Streaming, batch_weights, weigh


class SNIPS(Streaming):
    SUMS = ("sum_w", "sum_wr")

    def __init__(self) -> None:
        self.sum_w = 0.0
        self.sum_wr = 0.0

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        w, _ = weigh(p_log, r, p_pred, count, p_drop, n_drop)
        self.sum_w += count * w
        self.sum_wr += count * w * r

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        w = batch_weights(p_log, r, p_pred, p_drop)  # a dropped event weighs nothing
        self.sum_w += float(w.sum())
        self.sum_wr += float((w * r).sum())

    def get(self) -> float | None:
        return self.sum_wr / self.sum_w if self.sum_w != 0 else None

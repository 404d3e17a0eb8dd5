"""Shipped fakes of the estimator and interval roles that keep every example they are given, for tests: the
batch computations the streaming kinds must agree with, and a record of the calls an evaluation made.

>>> fake = RecordingEstimator()
>>> fake.add_example(0.5, 1.0, 0.25, count=2)
>>> fake.examples, fake.get()
([(0.5, 1.0, 0.25, 2, 0.0, 0.0)], 0.5)
>>> interval = RecordingInterval()
>>> for r in (1.0, 0.0, 1.0, 1.0): interval.add_example(0.5, r, 0.5)
>>> [round(b, 6) for b in interval.get(0.05)]
[0.260009, 1.239991]
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any


class _Recorder:
    """Records ``(p_log, r, p_pred, count, r_hat, v_hat)`` for every example."""

    def __init__(self) -> None:
        self.examples: list[tuple[float, float, float, float, float, float]] = []

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        self.examples.append((p_log, r, p_pred, count, r_hat, v_hat))

    def state(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "examples": [list(e) for e in self.examples]}


class RecordingEstimator(_Recorder):
    """Records the examples and estimates by batch IPS over the record."""

    def get(self) -> float | None:
        n = sum(e[3] for e in self.examples)
        return sum(c * r * p / q for q, r, p, c, _, _ in self.examples) / n if n else None


class RecordingInterval(_Recorder):
    """Records the examples; its interval is the batch Gaussian one around the per-event
    values ``v_hat + w (r - r_hat)`` (what the streaming ``gaussian`` kind must agree with)."""

    def get(self, alpha: float = 0.05) -> list[float | None]:
        n = sum(e[3] for e in self.examples)
        if n <= 1:
            return [None, None]
        values = [(c, v_hat + p / q * (r - r_hat)) for q, r, p, c, r_hat, v_hat in self.examples]
        mean = sum(c * x for c, x in values) / n
        variance = sum(c * (x - mean) ** 2 for c, x in values) / (n - 1)
        delta = NormalDist().inv_cdf(1 - alpha / 2) * math.sqrt(variance / n)
        return [mean - delta, mean + delta]

"""A shipped fake estimator that keeps every example it is given, for tests: the batch computation the
streaming estimators must agree with, and a record of the calls an evaluation made.

>>> fake = RecordingEstimator()
>>> fake.add_example(0.5, 1.0, 0.25, count=2)
>>> fake.examples, fake.get()
([(0.5, 1.0, 0.25, 2, 0.0, 0.0)], 0.5)
"""

from __future__ import annotations

from typing import Any


class RecordingEstimator:
    """Records ``(p_log, r, p_pred, count, r_hat, v_hat)`` and estimates by batch IPS over the record."""

    def __init__(self) -> None:
        self.examples: list[tuple[float, float, float, float, float, float]] = []

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None:
        self.examples.append((p_log, r, p_pred, count, r_hat, v_hat))

    def get(self) -> float | None:
        n = sum(e[3] for e in self.examples)
        return sum(c * r * p / q for q, r, p, c, _, _ in self.examples) / n if n else None

    def state(self) -> dict[str, Any]:
        return {"type": "RecordingEstimator", "examples": [list(e) for e in self.examples]}

"""``softmax``: probabilities proportional to ``exp(expected reward / temperature)``.

>>> from appliance.datagen.policies.base import Situation
>>> s = Situation(np.array([[0.0, 1.0, 5.0]]), np.array([[True, True, False]]), str)
>>> SoftmaxPolicy(1.0).probabilities(s).round(3).tolist()
[[0.269, 0.731, 0.0]]
"""

from __future__ import annotations

import numpy as np

from appliance.datagen.policies.base import Situation


class SoftmaxPolicy:
    name = "softmax"

    def __init__(self, temperature: float) -> None:
        self.temperature = temperature

    def probabilities(self, situation: Situation) -> np.ndarray:
        logits = np.where(situation.offered, situation.expected / self.temperature, -np.inf)
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        return weights / weights.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

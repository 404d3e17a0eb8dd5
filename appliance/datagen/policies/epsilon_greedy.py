"""``epsilon_greedy``: the truly best action, except for a share ``epsilon`` of uniformly random choices.

>>> from appliance.datagen.policies.base import Situation
>>> s = Situation(np.array([[0.1, 0.9, 0.5, 0.0]]), np.array([[True, True, True, False]]), str)
>>> EpsilonGreedyPolicy(0.3).probabilities(s).round(3).tolist()
[[0.1, 0.8, 0.1, 0.0]]
"""

from __future__ import annotations

import numpy as np

from appliance.datagen.policies.base import Situation, greedy, uniform


class EpsilonGreedyPolicy:
    name = "epsilon_greedy"

    def __init__(self, epsilon: float) -> None:
        self.epsilon = epsilon

    def probabilities(self, situation: Situation) -> np.ndarray:
        return (1.0 - self.epsilon) * greedy(situation) + self.epsilon * uniform(situation)

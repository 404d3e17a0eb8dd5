"""``uniform``: every offered action equally likely.

>>> from appliance.datagen.policies.base import Situation
>>> s = Situation(np.zeros((1, 3)), np.array([[True, True, False]]), str)
>>> UniformPolicy().probabilities(s).tolist()
[[0.5, 0.5, 0.0]]
"""

from __future__ import annotations

import numpy as np

from appliance.datagen.policies.base import Situation, uniform


class UniformPolicy:
    name = "uniform"

    def probabilities(self, situation: Situation) -> np.ndarray:
        return uniform(situation)

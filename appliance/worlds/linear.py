"""``linear``: N Gaussian context features, K actions, expected reward linear in the context, Gaussian noise.

>>> world = LinearWorld(features=3, actions=2, noise=0.0, seed=0)
>>> ctx = world.context(0)
>>> sorted(ctx["x"])
['f0', 'f1', 'f2']
>>> expected = world.expected_rewards(ctx, 0)
>>> len(expected), world.reward(expected[1], random.Random(0)) == expected[1]
(2, True)
"""

from __future__ import annotations

import math
import random
from itertools import repeat

import numpy as np

from appliance.config.policy import ActionConfig
from appliance.features import Features
from appliance.worlds.base import DrawnAhead


class LinearWorld:
    name = "linear"

    def __init__(self, features: int = 8, actions: int = 4, noise: float = 0.1, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self._names = [f"f{i}" for i in range(features)]
        self._noise = noise
        self._theta = self._rng.normal(0.0, 1.0 / math.sqrt(features), size=(actions, features))
        """Per action (row), its reward's weight of each feature."""
        self._drawn = DrawnAhead(self._draw)
        self._actions = [ActionConfig(id=f"a{k}", features={"arm": {f"a{k}": 1.0}}) for k in range(actions)]

    @property
    def actions(self) -> list[ActionConfig]:
        return self._actions

    @property
    def context_namespaces(self) -> list[str]:
        return ["x"]

    def _draw(self, n: int) -> list[list[float]]:
        """``n`` rows of features."""
        rows: list[list[float]] = self._rng.normal(0.0, 1.0, size=(n, len(self._names))).round(4).tolist()
        return rows

    def context(self, step: int) -> Features:
        return {"x": dict(zip(self._names, self._drawn.next()))}

    def theta(self, step: int) -> np.ndarray:
        """The weights at ``step``: one row per action, one column per feature."""
        return self._theta

    def expected_rewards(self, context: Features, step: int) -> list[float]:
        x = np.fromiter(map(context["x"].get, self._names, repeat(0.0)), float, len(self._names))
        rewards: list[float] = (self.theta(step) @ x).tolist()
        return rewards

    def reward(self, expected: float, rng: random.Random) -> float | None:
        return expected + rng.gauss(0.0, self._noise) if self._noise else expected

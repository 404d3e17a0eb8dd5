"""``linear``: N Gaussian context features, K actions, expected reward linear in the context, Gaussian noise.

>>> world = LinearWorld(features=3, actions=2, noise=0.0, seed=0)
>>> ctx = world.context(0)
>>> sorted(ctx["x"])
['f0', 'f1', 'f2']
>>> r = world.reward(ctx, "a1", 0, random.Random(0))
>>> r == world.expected_reward(ctx, "a1", 0)
True
"""

from __future__ import annotations

import math
import random
from typing import Any

from appliance.config.policy import ActionConfig
from appliance.features import Features


class LinearWorld:
    name = "linear"
    policy_hints: dict[str, Any] = {}

    def __init__(self, features: int = 8, actions: int = 4, noise: float = 0.1, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._n, self._k, self._noise = features, actions, noise
        self._theta = self._draw_theta()
        self._actions = [ActionConfig(id=f"a{k}", features={"arm": {f"a{k}": 1.0}}) for k in range(actions)]

    def _draw_theta(self) -> list[list[float]]:
        scale = 1.0 / math.sqrt(self._n)
        return [[self._rng.gauss(0.0, scale) for _ in range(self._n)] for _ in range(self._k)]

    @property
    def actions(self) -> list[ActionConfig]:
        return self._actions

    @property
    def context_namespaces(self) -> list[str]:
        return ["x"]

    def context(self, step: int) -> Features:
        return {"x": {f"f{i}": round(self._rng.gauss(0.0, 1.0), 4) for i in range(self._n)}}

    def theta(self, step: int) -> list[list[float]]:
        return self._theta

    def expected_reward(self, context: Features, action: str, step: int) -> float:
        theta = self.theta(step)[int(action[1:])]
        x = context["x"]
        return sum(t * x.get(f"f{i}", 0.0) for i, t in enumerate(theta))

    def reward(self, context: Features, action: str, step: int, rng: random.Random) -> float | None:
        return self.expected_reward(context, action, step) + (rng.gauss(0.0, self._noise) if self._noise else 0.0)

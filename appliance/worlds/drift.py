"""``drift``: a linear world whose preferences change every ``drift_every`` decisions.

The actions' reward vectors rotate by one place at each change, so yesterday's best action is no longer
today's and a policy that stopped learning falls behind.

>>> world = DriftWorld(features=2, actions=3, noise=0.0, drift_every=10, seed=0)
>>> ctx = world.context(0)
>>> import math
>>> math.isclose(world.expected_rewards(ctx, 10)[0], world.expected_rewards(ctx, 0)[1])
True
"""

from __future__ import annotations

import numpy as np

from appliance.worlds.linear import LinearWorld


class DriftWorld(LinearWorld):
    name = "drift"

    def __init__(self, features: int = 8, actions: int = 4, noise: float = 0.1, drift_every: int = 5000, seed: int = 0) -> None:
        super().__init__(features, actions, noise, seed)
        self._every = drift_every
        self._rotations = [np.roll(self._theta, -shift, axis=0) for shift in range(actions)]
        """The weights after each change: action k takes the weights action k + shift had at first."""

    def theta(self, step: int) -> np.ndarray:
        return self._rotations[(step // self._every) % len(self._rotations)]

"""``drift``: a linear world whose preferences change every ``drift_every`` decisions.

At each change every action takes the preferences the next action had (the spec's drift ``mode: rotate``), so
yesterday's best action is no longer today's and a policy that stopped learning falls behind.

>>> world = DriftWorld(features=2, actions=3, noise=0.0, drift_every=10, seed=0)
>>> ctx = world.context(0)
>>> import math
>>> math.isclose(world.expected_rewards(ctx, 10)[0], world.expected_rewards(ctx, 0)[1])
True
"""

from __future__ import annotations

from appliance.worlds.generated import GeneratedWorld
from appliance.worlds.linear import linear_spec


class DriftWorld(GeneratedWorld):
    def __init__(self, features: int = 8, actions: int = 4, noise: float = 0.1, drift_every: int = 5000, seed: int = 0) -> None:
        super().__init__("drift", linear_spec(features, actions, noise, seed, drift_every))

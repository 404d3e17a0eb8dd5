"""The ``World`` role: a seeded simulated environment with a known best action for every context."""

from __future__ import annotations

import random
from typing import Any, Protocol

from appliance.config.policy import ActionConfig
from appliance.features import Features


class World(Protocol):
    name: str
    policy_hints: dict[str, Any]
    """Policy settings this world suits when the config names none (e.g. drift: keep adapting)."""

    @property
    def actions(self) -> list[ActionConfig]:
        """The actions with their features, as a policy config declares them."""
        ...

    @property
    def context_namespaces(self) -> list[str]: ...

    def context(self, step: int) -> Features:
        """The context of decision number ``step`` (drawn from the world's own seeded generator)."""
        ...

    def expected_reward(self, context: Features, action: str, step: int) -> float:
        """The mean reward of ``action`` in ``context`` at ``step``."""
        ...

    def reward(self, context: Features, action: str, step: int, rng: random.Random) -> float | None:
        """One draw of the reward; ``None`` when the world gives no feedback at all (nobody pressed)."""
        ...


def best_action(world: World, context: Features, step: int) -> str:
    """The oracle's choice: the action with the highest expected reward."""
    return max(world.actions, key=lambda a: world.expected_reward(context, a.id, step)).id

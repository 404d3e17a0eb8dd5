"""The ``World`` role: a seeded simulated environment with a known best action for every context."""

from __future__ import annotations

import random
from typing import Protocol

from appliance.config.policy import ActionConfig
from appliance.features import Features


class World(Protocol):
    name: str

    @property
    def actions(self) -> list[ActionConfig]:
        """The actions with their features, as a policy config declares them."""
        ...

    @property
    def context_namespaces(self) -> list[str]: ...

    def context(self, step: int) -> Features:
        """The context of decision number ``step`` (drawn from the world's own seeded generator)."""
        ...

    def expected_rewards(self, context: Features, step: int) -> list[float]:
        """The mean reward of every action in ``context`` at ``step``, in the order of :attr:`actions`."""
        ...

    def reward(self, expected: float, rng: random.Random) -> float | None:
        """One draw of the reward of an action whose mean reward is ``expected`` (one of :meth:`expected_rewards`);
        ``None`` when the world gives no feedback at all (nobody pressed)."""
        ...


def best_action(world: World, context: Features, step: int) -> str:
    """The oracle's choice: the action with the highest expected reward (the first of equals)."""
    expected = world.expected_rewards(context, step)
    return world.actions[expected.index(max(expected))].id

"""The ``World`` role: a seeded simulated environment with a known best action for every context."""

from __future__ import annotations

import random
from typing import Protocol, Sequence

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


def offered_rewards(expected: list[float], index: dict[str, int], actions: Sequence[str]) -> list[float]:
    """The expected rewards of the ``actions`` a decision offered (those the world does not score left out), from the
    world's ``expected`` reward of each of its actions (``index``: an action's position): the oracle and random choices
    a policy is measured against choose among the actions it could choose, not the world's others.

    >>> offered_rewards([0.1, 0.9, 0.5], {"a0": 0, "a1": 1, "a2": 2}, ["a2", "a0", "other"])
    [0.5, 0.1]
    """
    return [expected[index[a]] for a in actions if a in index]

"""The ``World`` role: a seeded simulated environment with a known best action for every context."""

from __future__ import annotations

import random
from typing import Callable, Generic, Iterable, Iterator, Protocol, TypeVar

from appliance.config.policy import ActionConfig
from appliance.features import Features

T = TypeVar("T")


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


class DrawnAhead(Generic[T]):
    """Random numbers drawn a block at a time (numpy draws a block for about the cost of one call) and handed
    out one row at a time: a world builds each context from its row only when asked, so a block holds numbers,
    not dicts the garbage collector would have to walk.

    >>> blocks = iter([[(1, 0.5), (2, 0.25)], [(3, 0.125)]])
    >>> rows = DrawnAhead(lambda n: next(blocks), block=2)
    >>> [rows.next() for _ in range(3)]
    [(1, 0.5), (2, 0.25), (3, 0.125)]
    """

    def __init__(self, draw: Callable[[int], Iterable[T]], block: int = 256) -> None:
        self._draw, self._block = draw, block
        self._ahead: Iterator[T] = iter(())

    def next(self) -> T:
        for row in self._ahead:
            return row
        self._ahead = iter(self._draw(self._block))
        return next(self._ahead)

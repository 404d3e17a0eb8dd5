"""The ``Writer`` role: one file format. A writer turns blocks of examples into bytes, one file per format."""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from appliance.datagen.block import ActionPool, Block
from appliance.datagen.decimals import Decimals


class Writer(Protocol):
    name: str
    suffix: str

    def write(self, block: Block) -> bytes:
        """The block's examples, in order, in this format (corrupt ones corrupted)."""
        ...


class WriterContext:
    """What every writer needs besides the blocks: the problem, the action pool and the numbers' precision."""

    def __init__(self, problem: str, pool: ActionPool, decimals: Decimals, places: int) -> None:
        self.problem, self.pool, self.decimals = problem, pool, decimals
        self.probabilities = Decimals(places)


def cut(data: bytes, share: float) -> bytes:
    """``data`` (one line or example, ending in a newline) cut short at ``share`` of its length: never whole, and
    never empty, so a parser sees a broken example rather than none.

    >>> cut(b'{"a": 1}\\n', 0.5)
    b'{"a"\\n'
    """
    body = data.rstrip(b"\n")
    return body[:max(1, min(len(body) - 1, int(len(body) * share)))] + b"\n"


class SlotLabels:
    """The labels of a block's ccb or slates slots, their numbers written by ``cost`` and ``probability`` (which turn
    mantissas into text or JSON numbers). A slot lists its chosen column first, then every other column it could
    choose, each with its propensity (ccb: columns are the example's actions; slates: the slot's own actions)."""

    def __init__(self, block: Block, context: WriterContext, cost: Callable[[np.ndarray], list[str]],
                 probability: Callable[[np.ndarray], list[str]]) -> None:
        slots = block.slots
        assert slots is not None
        self.costs, self.stride = cost(slots.costs.ravel()), slots.costs.shape[1]
        """Cost texts, ``stride`` per example: ccb one per slot, slates one (the slate's)."""
        texts = probability(slots.pmf.ravel())
        _, most, width = slots.pmf.shape
        chosen, available = slots.chosen.tolist(), slots.available.tolist()
        self._orders: list[list[list[int]]] = []
        self._probabilities: list[list[list[str]]] = []
        for i, count in enumerate(slots.counts.tolist()):
            orders = [[chosen[i][j]] + [c for c, free in enumerate(available[i][j]) if free and c != chosen[i][j]] for j in range(count)]
            self._orders.append(orders)
            self._probabilities.append([[texts[(i * most + j) * width + c] for c in order] for j, order in enumerate(orders)])

    def order(self, i: int, j: int) -> list[int]:
        """The columns slot ``j`` of example ``i`` lists: the chosen one, then the others it could choose."""
        return self._orders[i][j]

    def probabilities(self, i: int, j: int) -> list[str]:
        """The propensities of :meth:`order`'s columns."""
        return self._probabilities[i][j]

    def slot(self, i: int, j: int, with_cost: bool) -> str:
        """VW's text label of a slot: ccb ``chosen:cost:p,other:p,...``; slates ``chosen:p,other:p,...``."""
        pairs = [f"{c}:{p}" for c, p in zip(self._orders[i][j], self._probabilities[i][j])]
        if with_cost:
            pairs[0] = f"{self._orders[i][j][0]}:{self.costs[i * self.stride + j]}:{self._probabilities[i][j][0]}"
        return ",".join(pairs)

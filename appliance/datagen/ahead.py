"""Numbers drawn a block at a time and handed out one row at a time: for the loops fed live (the simulated worlds,
the rewards' deliveries), which ask for one example at a time what the generator draws by the block."""

from __future__ import annotations

from typing import Callable, Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")


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

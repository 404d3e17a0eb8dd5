"""The ``Writer`` role: one file format. A writer turns blocks of examples into bytes, one file per format."""

from __future__ import annotations

from typing import Protocol

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

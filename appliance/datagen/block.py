"""A block of generated examples, as every writer reads it: features, offered actions, labels, times and trouble."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from appliance.datagen.namespaces import NamespaceBlock
from appliance.datagen.trouble import Arrivals


@dataclass
class ActionPool:
    """Every action's features, drawn once: one block of ``pool`` rows per action namespace; for ccb and slates
    also every slot position's, one block of (the most) slots rows per slot namespace."""

    ids: list[str]
    namespaces: list[NamespaceBlock]
    slots: list[NamespaceBlock] = field(default_factory=list)

    def latents(self) -> dict[str, np.ndarray]:
        return {ns.name: ns.latent for ns in self.namespaces}


@dataclass
class SlotBlock:
    """The slots of ``n`` examples (ccb and slates), ``S`` the most slots an example has. A slot's columns are
    ccb: the example's offered actions (the columns of :attr:`Block.offered`); slates: the slot's own actions, the
    columns ``j * W`` to ``j * W + W - 1`` of :attr:`Block.offered`, ``W`` being :attr:`width`."""

    counts: np.ndarray
    """Slots per example."""
    chosen: np.ndarray
    """``n`` by ``S``: the column each slot chose, -1 past an example's slots."""
    pmf: np.ndarray
    """``n`` by ``S`` by columns: each slot's probabilities in counts out of ``10**places``, 0 where it could not choose."""
    available: np.ndarray
    """Same shape, bool: the columns a slot could choose (ccb: offered, included, not chosen by an earlier slot)."""
    included: np.ndarray | None
    """ccb with ``slots.included``: the columns each slot explicitly includes (same shape); else None."""
    costs: np.ndarray
    """Cost mantissas: ccb, ``n`` by ``S`` (each slot's); slates, ``n`` by 1 (the slate's)."""
    width: int
    """slates: the columns of :attr:`Block.offered` that each slot owns; ccb: all of them."""


@dataclass
class Block:
    """``n`` consecutive examples, the first being number ``start``. Columns of the action arrays are the offered
    actions in the order they are written; ``mask`` tells which columns hold one."""

    start: int
    shared: list[NamespaceBlock]
    offered: np.ndarray
    """Pool indices, examples by columns (0 where ``mask`` is false)."""
    mask: np.ndarray
    timestamps: np.ndarray
    """Seconds since the epoch."""
    label: np.ndarray
    """Per example, by problem: regression the label's mantissa; binary -1 or 1; multiclass the class (1-based); cb
    and cb_adf the chosen column. Unused for cost-sensitive problems, ccb and slates (see :attr:`slots`)."""
    costs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    """Cost mantissas: cost-sensitive, every column's; cb and cb_adf, the chosen one's (one column)."""
    pmf: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    """cb and cb_adf: each column's probability, in counts out of ``10**places``."""
    reward: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Bandits: the reward's mantissa as drawn, whether or not it arrives in time (ccb: the sum of the slots')."""
    arrived: Arrivals | None = None
    """cb and cb_adf: what happened to each reward."""
    corrupt: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    """Examples to write corrupt."""
    cut: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Where to cut a corrupt example, as a share of its length; also seeds a FlatBuffer's garbage."""
    slots: SlotBlock | None = None
    """ccb and slates: the slots' choices, propensities and costs."""

    @property
    def n(self) -> int:
        return len(self.offered)

    def event_id(self, i: int) -> str:
        return event_id(self.start + i)

    def columns(self, i: int) -> int:
        """How many actions example ``i`` offers."""
        return int(self.mask[i].sum())


def event_id(number: int) -> str:
    """The id of example ``number``, as written in DSJSON, tags and the reward stream.

    >>> event_id(12)
    'gen-000000012'
    """
    return f"gen-{number:09d}"

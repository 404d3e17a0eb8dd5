"""The ``slots:`` section of ``ccb`` and ``slates`` problems: how many slots an example fills, and their features.

- ``ccb`` (VW's ``--ccb_explore_adf``): every slot chooses among the example's offered actions that earlier slots
  left (and that it explicitly includes, if ``included`` is set); so an example needs at least as many actions
  as slots.
- ``slates`` (VW's ``--slates``): the action pool is split into ``count`` equal runs, one per slot; each slot
  chooses among its own run's offered actions (``actions.per_example`` of them, 0 for the whole run).

>>> SlotsSpec(count=3).largest()
3
>>> SlotsSpec(count={"min": 1, "max": 2}, included=2).included
2
"""

from __future__ import annotations

from pydantic import Field, field_validator

from appliance.config.base import StrictModel
from appliance.datagen.spec.features import Count, Drawn, NamespaceSpec, largest
from appliance.datagen.spec.problem import ActionsSpec


def _default_namespaces() -> list[NamespaceSpec]:
    return [NamespaceSpec(name="slot", type="identity")]


class SlotsSpec(StrictModel):
    count: Count = Field(
        2, description="Slots per example: a number, or (ccb only) {min, max} drawn per example. ccb needs at least as many "
        "offered actions as slots; slates splits actions.pool into this many runs of actions, one per slot.")
    namespaces: list[NamespaceSpec] = Field(
        default_factory=_default_namespaces, max_length=32,
        description="Each slot's features, drawn once per slot position (default: one identity namespace `slot`, "
                    "features s0, s1, ...). The truth scores every slot with its own features, so rewards differ per slot.")
    included: int | None = Field(
        None, ge=1, le=1_000_000,
        description="ccb only: each slot explicitly includes this many of the offered actions, drawn per slot (VW's "
                    "explicit included actions); none: every offered action. At least the most slots, so a slot always "
                    "has an action left.")

    @field_validator("count")
    @classmethod
    def _count(cls, count: Count) -> Count:
        if isinstance(count, int) and count < 1:
            raise ValueError("an example needs at least 1 slot")
        if isinstance(count, Drawn) and count.min < 1:
            raise ValueError("every example needs at least one slot: give min >= 1")
        return count

    def largest(self) -> int:
        """The most slots an example has."""
        return largest(self.count)

    def smallest(self) -> int:
        """The fewest slots an example has."""
        return self.count if isinstance(self.count, int) else self.count.min


def check_slots(problem: str, slots: SlotsSpec, actions: ActionsSpec) -> None:
    """Refuse slots that the actions cannot fill, saying what would fit.

    >>> check_slots("ccb", SlotsSpec(count=5), ActionsSpec(pool=10, per_example=3))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 5 slots per example is more than the actions an example offers (3): a ccb slot takes an action no other ...
    """
    if problem == "ccb":
        offered = actions.offered()
        fewest = offered if isinstance(offered, int) else offered.min
        if slots.largest() > fewest:
            raise ValueError(f"{slots.largest()} slots per example is more than the actions an example offers ({fewest}): a ccb slot "
                             "takes an action no other slot has; lower slots.count or raise actions.per_example")
        if slots.included is not None and not slots.largest() <= slots.included <= fewest:
            raise ValueError(f"included ({slots.included}) must be between the most slots ({slots.largest()}), so that a slot always "
                             f"has an included action left, and the fewest actions an example offers ({fewest})")
        return
    if not isinstance(slots.count, int):
        raise ValueError("slates has a fixed number of slots (each owns a run of actions.pool): give count as a number")
    if slots.included is not None:
        raise ValueError("included is for ccb: a slates slot chooses among its own actions; remove included")
    run = actions.pool // slots.count
    if run < 1:
        raise ValueError(f"{slots.count} slots is more than the actions (pool {actions.pool}): every slates slot needs actions of "
                         f"its own; raise actions.pool to at least {slots.count} or lower slots.count")
    if largest(actions.per_example) > run:
        raise ValueError(f"actions.per_example ({largest(actions.per_example)}) is more than a slot's own actions ({run} = pool "
                         f"{actions.pool} // {slots.count} slots): for slates it counts the actions offered per slot")

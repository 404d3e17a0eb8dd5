"""The ``observers:`` section: subscribers of the typed loop events, each with its own bounded queue.

>>> from pydantic import TypeAdapter
>>> TypeAdapter(list[ObserverConfig]).validate_python([{"type": "recording", "keep": 10}])[0].max_queue
4096
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from appliance.config.base import StrictModel
from appliance.registry import KindOf

EventName = Literal["DecisionMade", "RewardReceived", "EventJoined", "ModelSwapped", "StatsTaken"]
"""The loop event types (classes of :mod:`appliance.events`) by name."""
LOOP_EVENTS: tuple[EventName, ...] = ("DecisionMade", "RewardReceived", "EventJoined", "ModelSwapped")


class ObserverConfigBase(StrictModel):
    """What every observer's config has: a ``type``, a name and the size of its queue."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="The kind of observer.")
    name: str = Field(default="", max_length=64, pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      description="Name shown in /api/status; empty: `<type>-<index>`.")
    max_queue: int = Field(default=4096, ge=1, le=1_000_000,
                           description="Events waiting for this observer; when full, new ones are dropped (counted in /api/status).")


class RecordingObserverConfig(ObserverConfigBase):
    type: Literal["recording"] = Field("recording", description="Keep the newest loop events in memory (tests, notebooks).")
    keep: int = Field(1000, ge=1, le=1_000_000, description="How many of the newest events are kept.")
    events: list[EventName] = Field(
        default_factory=lambda: list(LOOP_EVENTS), min_length=1,
        description="The event types to record.",
    )


ObserverConfig = Annotated[ObserverConfigBase, KindOf("observers")]
"""One observer; the ``type`` key picks the kind (built in, or added by a plug-in)."""

"""Typed loop events: what the loop tells its observers (actuators, the dashboard's stream, MQTT stats, and
the modules: estimators, TensorBoard, log sinks). They travel on the :class:`~appliance.bus.EventBus`.

Every event is published once the fact it reports is durable: a decision once it is in the write-ahead log
(actuators act only on those), a reward once it is in the write-ahead log, a joined event once learned.
Handlers must treat the objects they get as read-only, and never touch ``Decision.example`` (the policy's).

>>> from appliance.policy.base import Decision
>>> d = Decision("e1", "warm", 0, 0.8, (0.8, 0.2), ("warm", "cool"), {}, 3, 0.0)
>>> DecisionMade(d).decision.action, RewardReceived("e1", 1.0, "accepted", None, 2.0).status
('warm', 'accepted')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from appliance.join.rewards import RewardStatus
from appliance.policy.base import Decision, JoinedEvent


@dataclass(slots=True)
class DecisionMade:
    """A decision, durable: actuators act on it."""

    decision: Decision


@dataclass(slots=True)
class RewardReceived:
    """A reward stored for a decision (``accepted`` while it waits, ``late`` after), durable."""

    event_id: str
    value: float
    status: RewardStatus
    reward_id: str | None
    timestamp: float


@dataclass(slots=True)
class EventJoined:
    """A decision joined with its reward and learned (``event.outcome`` says why it was joined when it was)."""

    event: JoinedEvent


@dataclass(slots=True)
class ModelSwapped:
    """The policy's model was replaced: an upload, a model source, or the checkpoint loaded at start."""

    model_version: int
    reason: Literal["upload", "source", "recovered"]


@dataclass(slots=True)
class StatsTaken:
    """One stats snapshot (what ``/api/status`` returns), taken about once a second by the daemon."""

    status: dict[str, Any]


LoopEvent = DecisionMade | RewardReceived | EventJoined | ModelSwapped | StatsTaken
"""Every event type the bus carries."""

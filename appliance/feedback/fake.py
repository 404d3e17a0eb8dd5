"""Fakes for tests of feedback and of the parts that use it: a source pushed by hand, a target that records.

>>> from appliance.config.feedback import ButtonConfig
>>> target = RecordingTarget()
>>> source = ScriptedFeedback("by-hand")
>>> source.start(target); source.push(1.0)
'accepted'
>>> target.rewards
[('latest', 1.0)]
"""

from __future__ import annotations

from typing import Any, Sequence

from appliance.clock import Clock, FakeClock
from appliance.config.feedback import MQTTFeedbackConfig
from appliance.feedback.base import BaseFeedback, Mapping
from appliance.join.rewards import RewardResult
from appliance.storage.wal_tickets import DONE, Ticket


class ScriptedFeedback(BaseFeedback):
    """A source whose signals are pushed by the caller (a test, a simulation, a CLI)."""

    kind = "scripted"

    def __init__(self, name: str = "scripted", mapping: Mapping | None = None) -> None:
        super().__init__(name, mapping or MQTTFeedbackConfig())

    def push(self, raw: Any, event_id: str | None = None, reward_id: str | None = None) -> str:
        return self.signal(raw, event_id, reward_id)


class RecordingTarget:
    """A loop stand-in: every event id in ``known`` (all, if None) is pending; rewards are recorded."""

    def __init__(self, known: set[str] | None = None, clock: Clock | None = None) -> None:
        self.known = known
        self.clock: Clock = clock or FakeClock()
        self.rewards: list[tuple[str, float]] = []

    def reward(self, event_id: str, value: float, reward_id: str | None = None, timestamp: float | None = None) -> tuple[RewardResult, Ticket]:
        if self.known is not None and event_id not in self.known:
            return RewardResult("unknown", event_id), DONE
        self.rewards.append((event_id, value))
        return RewardResult("accepted", event_id), DONE

    def attribute(
        self, value: float, within_s: float, reward_id: str | None = None, timestamp: float | None = None,
        actions: Sequence[str] | None = None,
    ) -> tuple[RewardResult, Ticket]:
        return self.reward("latest", value, reward_id, timestamp)

"""The ``time:`` and ``rewards:`` sections, and what goes wrong on the way: delays, lost and repeated rewards."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import Field, field_validator

from appliance.config.base import StrictModel
from appliance.config.simulation import DelayConfig


class TimeSpec(StrictModel):
    start: datetime = Field(datetime(2024, 1, 1, tzinfo=timezone.utc), description="The first event's timestamp (RFC 3339).")
    every_s: float = Field(1.0, gt=0.0, le=86_400.0, description="Mean seconds between events.")
    arrivals: Literal["fixed", "poisson"] = Field("fixed", description="fixed: exactly every_s apart; poisson: exponential gaps.")

    @field_validator("start")
    @classmethod
    def _utc(cls, start: datetime) -> datetime:
        return start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start.astimezone(timezone.utc)


def _no_delay() -> DelayConfig:
    return DelayConfig(distribution="fixed", mean_s=0.0)


class RewardsSpec(StrictModel):
    delay: DelayConfig = Field(default_factory=_no_delay, description="Delay between an event and its reward (bandits).")
    wait_s: float | None = Field(None, gt=0.0, le=10**7,
                                 description="A reward later than this is late: the event gets `default` (none: never late).")
    missing: float = Field(0.0, ge=0.0, le=1.0, description="Share of rewards lost: their events get `default`.")
    duplicate: float = Field(0.0, ge=0.0, le=1.0, description="Share of rewards delivered twice (same reward id) in the reward stream.")
    default: float = Field(0.0, ge=-100.0, le=100.0, description="The reward of an event whose reward is lost or late.")
    stream: bool = Field(False, description="Also write every delivery, in order of arrival, to OUT.rewards.jsonl.")

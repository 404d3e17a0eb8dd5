"""What the join keeps and tells of rewards: a reward (:class:`Reward`), what happened to one
(:class:`RewardResult`), a reward that came late (:class:`LateReward`), the counts of every case (:class:`JoinStats`),
and how a decision's rewards combine (:func:`aggregate`). The join itself is :mod:`appliance.join.joiner`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Literal, Sequence

from appliance.config.join import LatePolicy
from appliance.policy.base import Decision, JoinedEvent

RewardStatus = Literal["accepted", "duplicate", "late", "unknown"]


@dataclass(slots=True)
class Reward:
    value: float
    timestamp: float
    reward_id: str | None = None


@dataclass(slots=True)
class RewardResult:
    """What happened to one reward. ``reward`` is the reward as kept (its time clamped to the clock's), for those
    ``accepted`` or ``late``; ``late_decision`` is the closed decision a late reward is learned with (under
    ``late_reward: learn``)."""

    status: RewardStatus
    event_id: str | None
    reward: Reward | None = None
    late_decision: Decision | None = None


@dataclass(slots=True)
class LateReward:
    """A reward that came after its decision's wait, acknowledged under ``mode`` (the ``late_reward`` then in force).

    ``key`` names it once and for all (``EVENT/REWARD_ID``, or a random suffix without a reward id): the line
    or the example it becomes carries it, so a restart that finds it handled does not handle it again.

    >>> late = LateReward("e1/r1", "e1", Reward(0.5, 12.0, "r1"), "log")
    >>> late.line()
    '{"event_id": "e1", "reward": 0.5, "timestamp": 12.0, "reward_id": "r1", "key": "e1/r1"}'
    """

    key: str
    event_id: str
    reward: Reward
    mode: LatePolicy
    decision: Decision | None = None

    def line(self) -> str:
        """Its line in ``late.jsonl`` (``late_reward: log``)."""
        r = self.reward
        return json.dumps({"event_id": self.event_id, "reward": r.value, "timestamp": r.timestamp, "reward_id": r.reward_id,
                           "key": self.key})

    def joined(self) -> JoinedEvent:
        """The new example it is learned as (``late_reward: learn``)."""
        assert self.decision is not None
        return JoinedEvent(self.decision, self.reward.value, "late", 1, self.reward.timestamp, self.key)


@dataclass(slots=True)
class JoinStats:
    decisions: int = 0
    rewards: int = 0
    duplicates: int = 0
    unknown: int = 0
    late: int = 0
    late_dropped: int = 0
    late_logged: int = 0
    late_learned: int = 0
    joined: int = 0
    on_time: int = 0
    defaulted: int = 0
    overflow: int = 0
    reward_sum: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


def aggregate(rewards: Sequence[Reward], how: str) -> float:
    """Combine rewards: ``earliest`` (by their own timestamp), ``sum``, ``max`` or ``mean``.

    >>> rs = [Reward(1.0, 5.0), Reward(0.0, 2.0), Reward(2.0, 9.0)]
    >>> [aggregate(rs, h) for h in ("earliest", "sum", "max", "mean")]
    [0.0, 3.0, 2.0, 1.0]
    """
    if len(rewards) == 1:
        return rewards[0].value
    values = [r.value for r in rewards]
    if how == "earliest":
        return min(rewards, key=lambda r: r.timestamp).value
    if how == "sum":
        return sum(values)
    if how == "max":
        return max(values)
    return sum(values) / len(values)

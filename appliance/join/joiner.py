"""The in-memory join of decisions and delayed rewards (the seed's "local mode" and "stream join").

A decision waits ``reward_wait_s``; rewards arriving by event id or by attribution are kept with it; when
the wait ends it is joined with their aggregate (or the default reward). Rewards after the wait follow
``late_reward``. Every case is counted in :class:`JoinStats`.

>>> from appliance.clock import FakeClock
>>> from appliance.config import JoinConfig
>>> from appliance.policy import UniformPolicy
>>> clock = FakeClock(0.0)
>>> joiner = Joiner(JoinConfig(reward_wait_s=10), clock)
>>> policy = UniformPolicy(["a", "b"])
>>> joiner.add(policy.decide({}, "e1", clock.time()))
[]
>>> clock.advance(3); joiner.reward("e1", 1.0).status
'accepted'
>>> clock.advance(8); [(e.decision.event_id, e.reward, e.outcome) for e in joiner.due()]
[('e1', 1.0, 'on_time')]
>>> joiner.reward("e1", 0.5).status, joiner.stats.late
('late', 1)
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal, Sequence

from appliance.clock import Clock
from appliance.config.join import JoinConfig
from appliance.policy.base import Decision, JoinedEvent, Outcome

RewardStatus = Literal["accepted", "duplicate", "late", "unknown"]


@dataclass(slots=True)
class Reward:
    value: float
    timestamp: float
    reward_id: str | None = None


@dataclass(slots=True)
class _Waiting:
    decision: Decision
    deadline: float
    rewards: list[Reward] = field(default_factory=list)


@dataclass(slots=True)
class _Closed:
    decision: Decision
    closed_at: float
    reward_ids: set[str]


@dataclass(slots=True)
class RewardResult:
    """What happened to one reward. ``late_event`` is set when ``late_reward: learn`` makes a new example."""

    status: RewardStatus
    event_id: str | None
    late_event: JoinedEvent | None = None


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


class Joiner:
    """Not thread-safe: the loop serialises calls."""

    def __init__(self, config: JoinConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._waiting: OrderedDict[str, _Waiting] = OrderedDict()
        self._closed: OrderedDict[str, _Closed] = OrderedDict()
        self.stats = JoinStats()

    @property
    def late_policy(self) -> str:
        return self._config.late_reward

    @property
    def pending(self) -> int:
        return len(self._waiting)

    def pending_decisions(self) -> list[Decision]:
        return [w.decision for w in self._waiting.values()]

    def rewards_of(self, event_id: str) -> list[Reward]:
        waiting = self._waiting.get(event_id)
        return list(waiting.rewards) if waiting else []

    def drop_examples(self) -> None:
        """Forget the policy's parsed examples of pending decisions (after a model swap they belong to a closed
        workspace); they are learned from their context instead."""
        for waiting in self._waiting.values():
            waiting.decision = waiting.decision.without_example()

    def add(self, decision: Decision, rewards: Sequence[Reward] = ()) -> list[JoinedEvent]:
        """Start waiting for ``decision``'s rewards; returns decisions closed early to stay within ``max_pending``."""
        if decision.event_id in self._waiting or decision.event_id in self._closed:
            raise ValueError(f"event id {decision.event_id!r} is already used; event ids must be unique")
        self.stats.decisions += 1
        self._waiting[decision.event_id] = _Waiting(decision, decision.timestamp + self._config.reward_wait_s, list(rewards))
        closed: list[JoinedEvent] = []
        while len(self._waiting) > self._config.max_pending:
            _, oldest = self._waiting.popitem(last=False)
            self.stats.overflow += 1
            closed.append(self._close(oldest, "overflow", self._clock.time()))
        return closed

    def reward(self, event_id: str, value: float, timestamp: float | None = None, reward_id: str | None = None) -> RewardResult:
        """A reward for one event id."""
        reward = Reward(value, self._when(timestamp), reward_id)
        waiting = self._waiting.get(event_id)
        if waiting is not None and reward.timestamp <= waiting.deadline:
            return self._accept(waiting, reward)
        if waiting is not None:
            return self._late(waiting.decision, reward, set(r.reward_id for r in waiting.rewards if r.reward_id))
        closed = self._closed.get(event_id)
        if closed is not None and reward.timestamp <= closed.closed_at + self._config.late_horizon_s:
            return self._late(closed.decision, reward, closed.reward_ids)
        self.stats.unknown += 1
        return RewardResult("unknown", event_id)

    def attribute(
        self, value: float, within_s: float, timestamp: float | None = None, reward_id: str | None = None,
        actions: Sequence[str] | None = None,
    ) -> RewardResult:
        """A reward for the latest decision made within ``within_s`` seconds (optionally only these actions)."""
        when = self._when(timestamp)

        def matches(d: Decision) -> bool:
            return when - within_s <= d.timestamp <= when and (not actions or d.action in actions)

        latest_waiting = next((w for w in reversed(self._waiting.values()) if matches(w.decision)), None)
        latest_closed = next((c for c in reversed(self._closed.values()) if matches(c.decision)), None)
        if latest_closed is not None and (latest_waiting is None or latest_closed.decision.timestamp > latest_waiting.decision.timestamp):
            return self.reward(latest_closed.decision.event_id, value, when, reward_id)
        if latest_waiting is not None:
            return self.reward(latest_waiting.decision.event_id, value, when, reward_id)
        self.stats.unknown += 1
        return RewardResult("unknown", None)

    def due(self, now: float | None = None) -> list[JoinedEvent]:
        """Close and return every decision whose wait has ended, oldest first."""
        closed_at = self._clock.time()
        now = closed_at if now is None else now
        joined: list[JoinedEvent] = []
        while self._waiting:
            first = next(iter(self._waiting.values()))
            if first.deadline > now:
                break
            self._waiting.popitem(last=False)
            joined.append(self._close(first, "on_time" if first.rewards else "default", closed_at))
        self._forget(now)
        return joined

    def _when(self, timestamp: float | None) -> float:
        now = self._clock.time()
        return now if timestamp is None else min(timestamp, now)

    def _accept(self, waiting: _Waiting, reward: Reward) -> RewardResult:
        if reward.reward_id is not None and any(r.reward_id == reward.reward_id for r in waiting.rewards):
            self.stats.duplicates += 1
            return RewardResult("duplicate", waiting.decision.event_id)
        waiting.rewards.append(reward)
        self.stats.rewards += 1
        return RewardResult("accepted", waiting.decision.event_id)

    def _late(self, decision: Decision, reward: Reward, seen: set[str]) -> RewardResult:
        if reward.reward_id is not None and reward.reward_id in seen:
            self.stats.duplicates += 1
            return RewardResult("duplicate", decision.event_id)
        if reward.reward_id is not None:
            seen.add(reward.reward_id)
        self.stats.late += 1
        policy = self._config.late_reward
        if policy == "drop":
            self.stats.late_dropped += 1
            return RewardResult("late", decision.event_id)
        if policy == "log":
            self.stats.late_logged += 1
            return RewardResult("late", decision.event_id)
        self.stats.late_learned += 1
        event = JoinedEvent(decision.without_example(), reward.value, "late", 1, reward.timestamp)
        return RewardResult("late", decision.event_id, event)

    def _close(self, waiting: _Waiting, outcome: Outcome, now: float) -> JoinedEvent:
        """Join ``waiting`` with its rewards at ``now`` (the clock's time)."""
        rewards = waiting.rewards
        if rewards:
            value = aggregate(rewards, self._config.aggregation)
            self.stats.on_time += outcome == "on_time"
        else:
            value = self._config.default_reward
            self.stats.defaulted += 1
        self.stats.joined += 1
        self.stats.reward_sum += value
        decision = waiting.decision
        if self._config.late_memory:
            ids = {r.reward_id for r in rewards if r.reward_id is not None} if rewards else set()
            self._closed[decision.event_id] = _Closed(decision, now, ids)  # its example goes back to the pool once learned
            while len(self._closed) > self._config.late_memory:
                self._closed.popitem(last=False)
        return JoinedEvent(decision, value, outcome, len(rewards), now)

    def _forget(self, now: float) -> None:
        horizon = now - self._config.late_horizon_s
        while self._closed:
            first = next(iter(self._closed.values()))
            if first.closed_at >= horizon:
                break
            self._closed.popitem(last=False)

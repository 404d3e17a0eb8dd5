"""The in-memory join of decisions and delayed rewards (the seed's "local mode" and "stream join").

A decision waits ``reward_wait_s``; rewards arriving by event id or by attribution are kept with it; when
the wait ends it is joined with their aggregate (or the default reward). Rewards after the wait follow
``late_reward``. Every case is counted in :class:`JoinStats`.

>>> from appliance.clock import FakeClock
>>> from appliance.config import JoinConfig
>>> from appliance.policy import UniformPolicy
>>> clock = FakeClock(0.0)
>>> joiner = Joiner(JoinConfig(reward_wait_s=10), clock)
>>> policy = UniformPolicy.of(["a", "b"])
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

import logging
import sys
from collections import OrderedDict
from typing import Sequence

from appliance.clock import Clock
from appliance.config.join import JoinConfig, LatePolicy
from appliance.join.rewards import JoinStats, Reward, RewardResult, aggregate
from appliance.policy.base import Decision, JoinedEvent, Outcome

log = logging.getLogger(__name__)
CLOCK_SET_S = 1.0
"""A change this large between two ticks in how far the wall clock is from the never-set one is the wall clock being
set (a time server's first sync, a user); a time server's slewing moves it by at most 0.05 ms a tick."""


def _decision_size(d: Decision) -> int:
    """Bytes of one held decision: itself, its event id, action names, pmf and context (namespaces, features)."""
    context = sum(sys.getsizeof(ns) + sys.getsizeof(fs) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in fs.items())
                  for ns, fs in d.context.items())
    return (sys.getsizeof(d) + sys.getsizeof(d.event_id) + sys.getsizeof(d.actions) + sys.getsizeof(d.pmf)
            + sys.getsizeof(d.context) + context)


def _remembered(d: Decision) -> Decision:
    """What a closed decision is remembered by when late rewards are not learned: all but its context, which only
    relearning reads (a late reward is counted or logged by event id; attribution reads the time and the action). A
    context is most of a decision's memory (840 of 1,100 bytes with 4 features, some 12 KB with 100), and ``late_memory``
    (10,000) decisions are remembered."""
    return Decision(d.event_id, d.action, d.action_index, d.probability, d.pmf, d.actions, _NO_CONTEXT, d.model_version,
                    d.timestamp)


_NO_CONTEXT: dict[str, dict[str, float]] = {}


def _reward_size(r: Reward) -> int:
    return sys.getsizeof(r) + (0 if r.reward_id is None else sys.getsizeof(r.reward_id))


class Joiner:
    """Not thread-safe: the loop serialises calls.

    Waiting decisions are kept by event id in arrival order (their deadline is their timestamp plus the wait);
    the rewards of those that got any are kept apart, so a decision without rewards costs one dict entry.
    Closed decisions are remembered for ``late_memory`` decisions and ``late_horizon_s`` seconds as
    ``(decision, closed_at, reward ids or None)``, to classify late and duplicate rewards; without their context
    unless ``late_reward: learn`` learns them again.
    """

    def __init__(self, config: JoinConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._wait = config.reward_wait_s
        self._waiting: OrderedDict[str, Decision] = OrderedDict()
        self._rewards: dict[str, list[Reward]] = {}
        self._closed: OrderedDict[str, tuple[Decision, float, set[str] | None]] = OrderedDict()
        self._relearns = config.late_reward == "learn"  # a change of `join` needs a restart, which remembers none
        self._set_by = clock.time() - clock.monotonic()
        self.stats = JoinStats()

    @property
    def late_policy(self) -> LatePolicy:
        return self._config.late_reward

    @property
    def pending(self) -> int:
        return len(self._waiting)

    def held(self) -> tuple[int, int]:
        """What the joiner holds in memory: records (waiting decisions, their rewards, closed decisions remembered
        for late rewards) and an estimate of their bytes (the containers, every record, its event id, context and
        reward ids; not what a context's values share with others).

        >>> from appliance.clock import FakeClock
        >>> from appliance.config import JoinConfig
        >>> from appliance.policy import UniformPolicy
        >>> clock, policy = FakeClock(0.0), UniformPolicy.of(["a", "b"])
        >>> joiner = Joiner(JoinConfig(reward_wait_s=10), clock)
        >>> empty = joiner.held()[1]
        >>> _ = joiner.add(policy.decide({"u": {"x": 1.0}}, "e1", 0.0)); _ = joiner.reward("e1", 1.0, 2.0, "r1")
        >>> records, size = joiner.held()
        >>> records, size > empty
        (2, True)
        >>> clock.advance(11); _ = joiner.due(); joiner.held()[0]  # closed, remembered for late rewards
        1
        """
        size = sys.getsizeof(self._waiting) + sys.getsizeof(self._rewards) + sys.getsizeof(self._closed)
        records = 0
        for decision in self._waiting.values():
            size += _decision_size(decision)
        for event_id, rewards in self._rewards.items():
            size += sys.getsizeof(event_id) + sys.getsizeof(rewards) + sum(_reward_size(r) for r in rewards)
            records += len(rewards)
        for decision, _, seen in self._closed.values():
            size += _decision_size(decision) + (0 if seen is None else sys.getsizeof(seen) + sum(map(sys.getsizeof, seen)))
        return records + len(self._waiting) + len(self._closed), size

    def waiting_decision(self, event_id: str) -> Decision | None:
        """The decision ``event_id`` names, while it waits for rewards."""
        return self._waiting.get(event_id)

    def waiting(self) -> list[Decision]:
        """The decisions waiting for rewards, oldest first."""
        return list(self._waiting.values())

    def rewards_of(self, event_id: str) -> list[Reward]:
        return list(self._rewards.get(event_id, ()))

    def drop_examples(self) -> None:
        """Forget the policy's parsed examples of pending decisions (after a model swap they belong to a closed
        workspace); they are learned from their context instead."""
        for decision in self._waiting.values():
            decision.example = None

    def add(self, decision: Decision, rewards: Sequence[Reward] = ()) -> list[JoinedEvent]:
        """Start waiting for ``decision``'s rewards; returns decisions closed early to stay within ``max_pending``."""
        event_id = decision.event_id
        if event_id in self._waiting or event_id in self._closed:
            raise ValueError(f"event id {event_id!r} is already used; event ids must be unique")
        self.stats.decisions += 1
        self._waiting[event_id] = decision
        if rewards:
            self._rewards[event_id] = list(rewards)
        closed: list[JoinedEvent] = []
        while len(self._waiting) > self._config.max_pending:
            _, oldest = self._waiting.popitem(last=False)
            self.stats.overflow += 1
            closed.append(self._close(oldest, "overflow", self._clock.time()))
        return closed

    def withdraw(self, decision: Decision) -> None:
        """Forget ``decision`` while it waits, with its rewards: its record was refused (a full disk), so nobody was
        told of it, and its event id may be sent again."""
        if self._waiting.get(decision.event_id) is decision:
            del self._waiting[decision.event_id]
            self.stats.rewards -= len(self._rewards.pop(decision.event_id, ()))
            self.stats.decisions -= 1

    def withdraw_reward(self, event_id: str, reward: Reward) -> None:
        """Forget ``reward``: its record was refused, so it was not counted, and its reward id may be sent again."""
        rewards = self._rewards.get(event_id, [])
        kept = [r for r in rewards if r is not reward]
        if len(kept) < len(rewards):
            rewards[:] = kept
            self.stats.rewards -= 1
        closed = self._closed.get(event_id)
        if closed is not None and closed[2] is not None and reward.reward_id is not None:
            closed[2].discard(reward.reward_id)

    def reward(self, event_id: str, value: float, timestamp: float | None = None, reward_id: str | None = None) -> RewardResult:
        """A reward for one event id."""
        reward = Reward(value, self._when(timestamp), reward_id)
        waiting = self._waiting.get(event_id)
        if waiting is not None:
            if reward.timestamp <= waiting.timestamp + self._wait:
                return self._accept(event_id, reward)
            return self._late(waiting, reward, {r.reward_id for r in self._rewards.get(event_id, ()) if r.reward_id})
        closed = self._closed.get(event_id)
        if closed is not None and reward.timestamp <= closed[1] + self._config.late_horizon_s:
            decision, _, seen = closed
            if seen is None and reward_id is not None:
                seen = set()
                self._closed[event_id] = (decision, closed[1], seen)
            return self._late(decision, reward, seen)
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

        latest_waiting = next((d for d in reversed(self._waiting.values()) if matches(d)), None)
        latest_closed = next((c[0] for c in reversed(self._closed.values()) if matches(c[0])), None)
        if latest_closed is not None and (latest_waiting is None or latest_closed.timestamp > latest_waiting.timestamp):
            return self.reward(latest_closed.event_id, value, when, reward_id)
        if latest_waiting is not None:
            return self.reward(latest_waiting.event_id, value, when, reward_id)
        self.stats.unknown += 1
        return RewardResult("unknown", None)

    def due(self, now: float | None = None, limit: int | None = None) -> list[JoinedEvent]:
        """Close and return every decision whose wait has ended (the oldest ``limit`` of them), oldest first."""
        closed_at = self._clock.time()
        set_by = closed_at - self._clock.monotonic()
        if abs(set_by - self._set_by) > CLOCK_SET_S:
            self._clock_set(set_by - self._set_by)
        self._set_by = set_by
        now = closed_at if now is None else now
        joined: list[JoinedEvent] = []
        waiting, close, rewards, until = self._waiting, self._close, self._rewards, now - self._wait
        while waiting and (limit is None or len(joined) < limit):
            event_id, first = waiting.popitem(last=False)
            if first.timestamp > until:
                waiting[event_id] = first  # not due: back in front
                waiting.move_to_end(event_id, last=False)
                break
            joined.append(close(first, "on_time" if event_id in rewards else "default", closed_at))
        if self._closed:
            self._forget(now)
        return joined

    def _clock_set(self, seconds: float) -> None:
        """The wall clock was set by ``seconds``: the decisions waiting, their rewards and the closed ones remembered
        move with it (each keeps the rest of its wait and of its late horizon, and is logged at the corrected time),
        instead of all closing at once with the default reward (set forward) or waiting that much longer (back)."""
        for decision in self._waiting.values():
            decision.timestamp += seconds
        for rewards in self._rewards.values():
            for reward in rewards:
                reward.timestamp += seconds
        for event_id, (decision, closed_at, seen) in list(self._closed.items()):
            decision.timestamp += seconds
            self._closed[event_id] = (decision, closed_at + seconds, seen)
        log.warning("the wall clock was set %s by %.0f s (a first sync with a time server, or by hand): the %d decisions "
                    "waiting for rewards keep the rest of their wait", "forward" if seconds > 0 else "back", abs(seconds),
                    len(self._waiting))

    def _when(self, timestamp: float | None) -> float:
        now = self._clock.time()
        return now if timestamp is None else min(timestamp, now)

    def _accept(self, event_id: str, reward: Reward) -> RewardResult:
        rewards = self._rewards.get(event_id)
        if rewards is None:
            rewards = self._rewards[event_id] = []
        elif reward.reward_id is not None and any(r.reward_id == reward.reward_id for r in rewards):
            self.stats.duplicates += 1
            return RewardResult("duplicate", event_id)
        rewards.append(reward)
        self.stats.rewards += 1
        return RewardResult("accepted", event_id, reward)

    def _late(self, decision: Decision, reward: Reward, seen: set[str] | None) -> RewardResult:
        if reward.reward_id is not None and seen is not None:
            if reward.reward_id in seen:
                self.stats.duplicates += 1
                return RewardResult("duplicate", decision.event_id)
            seen.add(reward.reward_id)
        self.stats.late += 1
        policy = self._config.late_reward
        if policy == "drop":
            self.stats.late_dropped += 1
            return RewardResult("late", decision.event_id, reward)
        if policy == "log":
            self.stats.late_logged += 1
            return RewardResult("late", decision.event_id, reward)
        self.stats.late_learned += 1
        return RewardResult("late", decision.event_id, reward, decision.without_example())

    def _close(self, decision: Decision, outcome: Outcome, now: float) -> JoinedEvent:
        """Join ``decision`` (no longer waiting) with its rewards at ``now`` (the clock's time)."""
        stats, config, event_id = self.stats, self._config, decision.event_id
        rewards = self._rewards.pop(event_id, None)
        ids: set[str] | None = None
        if rewards:
            stats.on_time += outcome == "on_time"
            if len(rewards) == 1:  # the common case, without the two calls below
                value, reward_id = rewards[0].value, rewards[0].reward_id
                ids = None if reward_id is None else {reward_id}
            else:
                value = aggregate(rewards, config.aggregation)
                ids = {r.reward_id for r in rewards if r.reward_id is not None} or None
        else:
            value = config.default_reward
            stats.defaulted += 1
        stats.joined += 1
        stats.reward_sum += value
        if config.late_memory:
            closed = self._closed
            remembered = decision if self._relearns else _remembered(decision)  # its example goes back to the pool once learned
            closed[event_id] = (remembered, now, ids)
            if len(closed) > config.late_memory:
                closed.popitem(last=False)
        return JoinedEvent(decision, value, outcome, len(rewards) if rewards else 0, now)

    def _forget(self, now: float) -> None:
        horizon = now - self._config.late_horizon_s
        closed = self._closed
        while closed:
            event_id, first = closed.popitem(last=False)
            if first[1] >= horizon:
                closed[event_id] = first
                closed.move_to_end(event_id, last=False)
                break

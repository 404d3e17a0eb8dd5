"""Learning joined events: the policy learns each one, the journal logs it as DSJSON, the counters and the
random baseline take it in, and the bus tells observers (``EventJoined``).

This is the loop's hot path for joined events: one pass over a tick's events, one write to the event log.

>>> import tempfile, pathlib
>>> from appliance.bus import EventBus
>>> from appliance.clock import FakeClock
>>> from appliance.loop.journal import Journal
>>> from appliance.policy import JoinedEvent, UniformPolicy
>>> from appliance.storage.eventlog import EventLog
>>> policy = UniformPolicy.of(["a", "b"])
>>> journal = Journal(EventLog(pathlib.Path(tempfile.mkdtemp()), 1 << 20), None, FakeClock(0.0), 0.0)
>>> learner = Learner(policy, journal, {"a": {"Action": {"a": 1.0}}, "b": {"Action": {"b": 1.0}}}, EventBus())
>>> learner.learn([JoinedEvent(policy.decide({}, "e1", 0.0), 1.0, "on_time", 1, 5.0)])
>>> learner.learned, policy.model_version, journal.events.lines_written
(1, 1, 1)
>>> journal.close()
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import Any, Callable, Mapping, Sequence

import orjson

from appliance.bus import EventBus
from appliance.events import EventJoined
from appliance.features import Features
from appliance.loop.baseline import RewardBaseline
from appliance.loop.journal import Journal
from appliance.policy.base import CountsFeatures, JoinedEvent, LearnsInBatches, Policy
from appliance.storage import dsjson


class Learner:
    """Learns, logs and counts joined events (a decision once: a late reward learned again with it is a new example of
    the model, since the last checkpoint, not a new event). Not thread-safe: the loop serialises calls."""

    def __init__(self, policy: Policy, journal: Journal, action_features: Mapping[str, Features], bus: EventBus,
                 recent: int = 200, learns: bool = True) -> None:
        self.policy, self.journal, self.bus = policy, journal, bus
        self.learns = learns  # False under `learning.mode: logging_only`: events are logged and counted, the model comes from elsewhere
        # a tick's events in one call, where the policy can (VW's: a call and a lock less an event, ~2,500 instructions)
        self._learn_all: Callable[[Sequence[JoinedEvent]], None] = (
            policy.learn_all if isinstance(policy, LearnsInBatches) else partial(_learn_each, policy))
        self.action_features = dict(action_features)
        self._multi: dict[tuple[str, ...], orjson.Fragment] = {}  # the DSJSON `_multi` of each action list, serialised once
        self.baseline = RewardBaseline()
        self.learned = 0
        self.since_checkpoint = 0
        # for the API and dashboard, summarised only when asked (a decision's example goes back to the pool
        # once learned, so holding the last 200 costs no VW memory)
        self.recent: deque[JoinedEvent] = deque(maxlen=recent)

    def learn(self, events: Sequence[JoinedEvent]) -> None:
        if not events:
            return
        if self.learns:
            self._learn_all(events)
        self.journal.write_joined(dsjson.encode_all(events, self._multi_of), [e.decision.event_id for e in events])
        late = sum(e.late_key is not None for e in events)  # late rewards learned (`late_reward: learn`): no new event
        self.baseline.add_events([e for e in events if e.late_key is None] if late else events)
        self.learned += len(events) - late
        self.since_checkpoint += len(events)
        self.recent.extend(events)
        if EventJoined in self.bus.wanted:
            self.bus.publish_all([EventJoined(e) for e in events])

    def learn_logged(self, event: JoinedEvent, features: Sequence[Features]) -> None:
        """Learn (and count, as learned since the last checkpoint) an event read back from a log or sent by another
        logger, with its logged action features unless they are the declared ones."""
        d = event.decision
        declared = all(self.action_features.get(a) == f for a, f in zip(d.actions, features))
        if self.learns:
            self.policy.learn(event, None if declared else features)
        if event.late_key is None:  # as :meth:`learn` counts it
            self.baseline.add_events((event,))
            self.learned += 1
        self.since_checkpoint += 1

    def checkpoint_stats(self) -> dict[str, Any]:
        """The counters a checkpoint keeps, so a restart goes on counting."""
        b = self.baseline
        stats = {"learned": self.learned, "rewards": b.count, "reward_sum": b.reward_sum, "random_sum": b.random_sum}
        return stats | ({"features": self.policy.features} if isinstance(self.policy, CountsFeatures) else {})

    def restore(self, stats: Mapping[str, Any]) -> None:
        """The counters a checkpoint kept (``{}``: none)."""
        b = self.baseline
        self.learned, b.count = int(stats.get("learned", 0)), int(stats.get("rewards", 0))
        b.reward_sum, b.random_sum = float(stats.get("reward_sum", 0.0)), float(stats.get("random_sum", 0.0))
        if isinstance(self.policy, CountsFeatures):
            self.policy.features = int(stats.get("features", 0))

    def _multi_of(self, actions: tuple[str, ...]) -> orjson.Fragment:
        multi = self._multi.get(actions)
        if multi is None:
            if len(self._multi) >= 1024:
                self._multi.clear()  # per-request action lists: bounded in memory like every per-request cache
            multi = self._multi[actions] = dsjson.multi_json(actions, [self.action_features[a] for a in actions])
        return multi


def _learn_each(policy: Policy, events: Sequence[JoinedEvent]) -> None:
    for event in events:
        policy.learn(event)

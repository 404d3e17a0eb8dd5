"""The closed loop's core: decide, take rewards, join, learn, log, checkpoint, recover.

Data flows one way: context -> :meth:`Loop.decide` -> (actuators); rewards -> :meth:`Loop.reward` /
:meth:`Loop.attribute` -> joiner -> :meth:`Loop.tick` learns what is due and appends it to the event log.
Every call is serialised by one lock; the write-ahead log commits on its own thread.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import uuid
from collections import deque
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from appliance.clock import Clock
from appliance.config.policy import Features
from appliance.errors import UsageError
from appliance.join import dsjson
from appliance.join.checkpoint import CheckpointMeta, CheckpointStore
from appliance.join.eventlog import EventLog, LogPosition
from appliance.join.joiner import Joiner, Reward, RewardResult
from appliance.join.wal import DONE, Ticket, WriteAheadLog
from appliance.policy.base import Decision, JoinedEvent, Policy

log = logging.getLogger(__name__)


def new_event_id() -> str:
    return uuid.uuid4().hex


def check_context(context: Features) -> None:
    """Reject values that would poison the model or the log (NaN, infinities, non-numbers)."""
    for namespace, values in context.items():
        for name, value in values.items():
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise UsageError(f"context feature {namespace}.{name} = {value!r} is not a finite number")


class Loop:
    def __init__(
        self,
        policy: Policy,
        joiner: Joiner,
        clock: Clock,
        events: EventLog,
        action_features: Mapping[str, Features],
        wal: WriteAheadLog | None = None,
        checkpoints: CheckpointStore | None = None,
        checkpoint_every_events: int = 5000,
        checkpoint_every_s: float = 300.0,
        new_id: Callable[[], str] = new_event_id,
    ) -> None:
        self.policy, self.joiner, self.clock, self.events = policy, joiner, clock, events
        self.wal, self.checkpoints = wal, checkpoints
        self._features = dict(action_features)
        self._multi: dict[tuple[str, ...], str] = {}
        self._every_events, self._every_s = checkpoint_every_events, checkpoint_every_s
        self._new_id = new_id
        self._lock = threading.RLock()
        self._late_events: list[JoinedEvent] = []
        self._late_lines: list[str] = []
        self._forget: list[str] = []
        self._since_checkpoint = 0
        self._last_checkpoint_at = clock.time()
        self.last_checkpoint: CheckpointMeta | None = None
        self.learned = 0
        self.reward_sum = 0.0
        self.random_ips_sum = 0.0
        self.recent: deque[dict[str, Any]] = deque(maxlen=200)  # joined events, for the dashboard
        self.recent_decisions: deque[dict[str, Any]] = deque(maxlen=200)
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []

    # -- decisions and rewards -------------------------------------------------------------------
    def decide(
        self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None
    ) -> tuple[Decision, Ticket]:
        """Choose an action; the ticket completes when the decision is durable (wait before acting on it)."""
        check_context(context)
        with self._lock:
            event_id = event_id or self._new_id()
            decision = self.policy.decide(context, event_id, self.clock.time(), actions)
            try:
                self._learn(self.joiner.add(decision))
            except ValueError as err:
                raise UsageError(str(err)) from None
            ticket = self.wal.decision(decision) if self.wal else DONE
            public = decision.public()
            self.recent_decisions.append(public)  # not the decision: that would keep its VW example alive
        if self.listeners:
            ticket.wait()  # actuators act only on a decision a crash cannot lose
            self._emit("decision", public)
        return decision, ticket

    def reward(
        self, event_id: str, value: float, reward_id: str | None = None, timestamp: float | None = None
    ) -> tuple[RewardResult, Ticket]:
        """A reward for ``event_id``; ``unknown`` and ``duplicate`` results are not stored."""
        if not math.isfinite(value):
            raise UsageError(f"reward {value!r} is not a finite number")
        with self._lock:
            return self._store(self.joiner.reward(event_id, value, timestamp, reward_id), value, reward_id, timestamp)

    def attribute(
        self, value: float, within_s: float, reward_id: str | None = None, timestamp: float | None = None,
        actions: Sequence[str] | None = None,
    ) -> tuple[RewardResult, Ticket]:
        """A reward for the latest decision made within ``within_s`` seconds."""
        if not math.isfinite(value):
            raise UsageError(f"reward {value!r} is not a finite number")
        with self._lock:
            result = self.joiner.attribute(value, within_s, timestamp, reward_id, actions)
            return self._store(result, value, reward_id, timestamp)

    def _store(self, result: RewardResult, value: float, reward_id: str | None, timestamp: float | None) -> tuple[RewardResult, Ticket]:
        if result.status in ("unknown", "duplicate") or result.event_id is None:
            return result, DONE
        when = self.clock.time() if timestamp is None else min(timestamp, self.clock.time())
        reward = Reward(value, when, reward_id)
        ticket = self.wal.reward(result.event_id, reward) if self.wal else DONE
        if result.status == "late":
            self._forget.append(result.event_id)  # a late reward is handled at the next tick
            if result.late_event is not None:
                self._late_events.append(result.late_event)
            elif self.joiner.late_policy == "log":
                self._late_lines.append(json.dumps({"event_id": result.event_id, "reward": value, "timestamp": when, "reward_id": reward_id}))
        self._emit("reward", {"event_id": result.event_id, "reward": value, "status": result.status})
        return result, ticket

    # -- joining and learning --------------------------------------------------------------------
    def tick(self, now: float | None = None) -> list[JoinedEvent]:
        """Learn and log every decision whose wait has ended, then checkpoint when due."""
        with self._lock:
            joined = self.joiner.due(now)
            late, self._late_events = self._late_events, []
            self._learn(joined + late)
            if self._late_lines:
                with open(self.events.directory / "late.jsonl", "a") as f:
                    f.write("\n".join(self._late_lines) + "\n")
                self._late_lines = []
            if self._forget and self.wal:
                self.wal.forget(self._forget)
            self._forget = []
            if self.checkpoints and (
                self._since_checkpoint >= self._every_events
                or (self._since_checkpoint and self.clock.time() - self._last_checkpoint_at >= self._every_s)
            ):
                self.checkpoint()
        return joined + late

    def _learn(self, events: list[JoinedEvent]) -> None:
        if not events:
            return
        for event in events:
            d = event.decision
            self.policy.learn(event)
            multi = self._multi.get(d.actions)
            if multi is None:
                multi = self._multi[d.actions] = dsjson.multi_json(d.actions, [self._features[a] for a in d.actions])
            self.events.append(dsjson.encode(event, (), multi))
            self._account(event)
        self.events.sync()
        if self.wal:
            self.wal.forget([e.decision.event_id for e in events])
        self._since_checkpoint += len(events)
        if self.listeners:
            for summary in list(self.recent)[-min(len(events), 20):]:
                self._emit("joined", summary)

    def _account(self, event: JoinedEvent) -> None:
        d = event.decision
        self.learned += 1
        self.reward_sum += event.reward
        self.random_ips_sum += event.reward / (len(d.actions) * d.probability)  # off-policy estimate of uniform
        self.recent.append({**d.public(), "reward": event.reward, "outcome": event.outcome, "joined_at": event.joined_at})

    def checkpoint(self) -> CheckpointMeta | None:
        with self._lock:
            if self.checkpoints is None:
                return None
            position = self.events.sync()
            if self.wal:
                self.wal.flush()  # joined decisions must be gone from the WAL before the checkpoint covers them
            self.last_checkpoint = self.checkpoints.save(self.policy, self.policy.model_version, position)
            self.events.prune(position)
            self._since_checkpoint = 0
            self._last_checkpoint_at = self.clock.time()
            return self.last_checkpoint

    def load_model(self, path: Path, model_version: int) -> None:
        """Swap in a validated model file atomically, then checkpoint it so a restart keeps it."""
        with self._lock:
            self.joiner.drop_examples()
            self.policy.load(path, model_version)
            self.checkpoint()

    # -- restart ---------------------------------------------------------------------------------
    def recover(self) -> dict[str, Any]:
        """Load the last good checkpoint, relearn the events logged after it, restore pending decisions."""
        with self._lock:
            meta = self.checkpoints.load_latest(self.policy) if self.checkpoints else None
            self.last_checkpoint = meta
            segments = self.events.segments()
            start = meta.position if meta else LogPosition(segments[0] if segments else 1, 0)
            seen: set[str] = set()
            malformed = 0
            for path, number, line in self.events.read_from(start):
                if not line.strip():
                    continue
                try:
                    event, features = dsjson.decode(line)
                except ValueError as err:
                    malformed += 1
                    log.error("%s:%d: %s; line skipped", path, number, err)
                    continue
                self.learn_logged(event, features)
                seen.add(event.decision.event_id)
            restored = orphans = 0
            if self.wal:
                state = self.wal.recover()
                done = [d.event_id for d in state.decisions if d.event_id in seen]
                for d in state.decisions:
                    if d.event_id not in seen:
                        self._learn(self.joiner.add(d, state.rewards.get(d.event_id, [])))
                        restored += 1
                for event_id, reward in state.orphan_rewards:  # late rewards whose handling a crash cut short
                    self._late_lines.append(json.dumps({"event_id": event_id, "reward": reward.value, "timestamp": reward.timestamp, "reward_id": reward.reward_id}))
                    done.append(event_id)
                    orphans += 1
                self.wal.forget(done).wait()
            return {"checkpoint_version": meta.model_version if meta else None, "relearned": len(seen),
                    "malformed_lines": malformed, "restored_pending": restored, "orphan_rewards": orphans,
                    "corrupt_checkpoints": self.checkpoints.corrupt if self.checkpoints else 0,
                    "model_version": self.policy.model_version}

    def learn_logged(self, event: JoinedEvent, features: list[Features]) -> None:
        """Learn an event read from a log, with its logged action features unless they are the declared ones."""
        d = event.decision
        declared = all(self._features.get(a) == f for a, f in zip(d.actions, features))
        self.policy.learn(event, None if declared else features)

    def close(self) -> None:
        """Flush everything; pending decisions stay in the write-ahead log for the next start."""
        with self._lock:
            self.tick()
            self.checkpoint()
            self.events.close()
            if self.wal:
                self.wal.close()

    # -- observers -------------------------------------------------------------------------------
    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(kind, payload)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            n = self.learned
            return {
                "model_version": self.policy.model_version,
                "learned": n,
                "pending": self.joiner.pending,
                "join": self.joiner.stats.as_dict(),
                "reward_avg": self.reward_sum / n if n else None,
                "random_reward_ips": self.random_ips_sum / n if n else None,
                "log": {"path": str(self.events.current_path), "lines": self.events.lines_written},
                "wal": {"commits": self.wal.commits, "records": self.wal.records} if self.wal else None,
                "checkpoint": {"model_version": self.last_checkpoint.model_version, "created": self.last_checkpoint.created}
                if self.last_checkpoint else None,
                "corrupt_checkpoints": self.checkpoints.corrupt if self.checkpoints else 0,
            }

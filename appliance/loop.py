"""The closed loop's core: decide, take rewards, join, learn, log, checkpoint, recover.

Data flows one way: context -> :meth:`Loop.decide` -> (actuators); rewards -> :meth:`Loop.reward` /
:meth:`Loop.attribute` -> joiner -> :meth:`Loop.tick` learns what is due and appends it to the event log.
Every call is serialised by one lock; the write-ahead log commits on its own thread.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import threading
from collections import deque
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import orjson

from appliance.clock import Clock
from appliance.errors import UsageError
from appliance.features import Features, check_context
from appliance.join.joiner import Joiner, Reward, RewardResult
from appliance.policy.base import Decision, JoinedEvent, Policy
from appliance.storage import dsjson
from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore
from appliance.storage.eventlog import EventLog, LogPosition
from appliance.storage.wal import DONE, Ticket, WriteAheadLog

log = logging.getLogger(__name__)


_ids = random.Random()  # seeded from os.urandom; reseeded in a forked child so no two processes share ids
os.register_at_fork(after_in_child=_ids.seed)


def new_event_id() -> str:
    """128 random bits as 32 hex digits: a UUID4's shape, without a system call per decision."""
    return f"{_ids.getrandbits(128):032x}"


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
        log_sync_s: float = 0.0,
        new_id: Callable[[], str] = new_event_id,
    ) -> None:
        self.policy, self.joiner, self.clock, self.events = policy, joiner, clock, events
        self.wal, self.checkpoints = wal, checkpoints
        self._features = dict(action_features)
        self._multi: dict[tuple[str, ...], orjson.Fragment] = {}
        self._every_events, self._every_s = checkpoint_every_events, checkpoint_every_s
        self._log_sync_s = log_sync_s
        self._last_log_sync = clock.time()
        self._logged_ids: list[str] = []  # learned or handled since the last log sync: still in the WAL
        self._late_ids: list[str] = []  # late rewards the next tick handles
        self._new_id = new_id
        self._lock = threading.RLock()
        self._late_events: list[JoinedEvent] = []
        self._late_lines: list[str] = []
        self._since_checkpoint = 0
        self._last_checkpoint_at = clock.time()
        self.last_checkpoint: CheckpointMeta | None = None
        self.learned = 0
        self.reward_sum = 0.0
        self.random_ips_sum = 0.0
        # for the API and dashboard; summarised only when asked (a decision's example goes back to the pool once
        # learned, so holding the last 200 costs no VW memory)
        self._recent_joined: deque[JoinedEvent] = deque(maxlen=200)
        self._recent_decisions: deque[Decision] = deque(maxlen=200)
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
                closed = self.joiner.add(decision)
            except ValueError as err:
                raise UsageError(str(err)) from None
            if closed:
                self._learn(closed)  # max_pending overflowed
            ticket = self.wal.decision(decision) if self.wal else DONE
            self._recent_decisions.append(decision)
        if self.listeners:
            ticket.wait()  # actuators act only on a decision a crash cannot lose
            self._emit("decision", decision.public())
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
        status, event_id = result.status, result.event_id
        if status == "unknown" or status == "duplicate" or event_id is None:
            return result, DONE
        ticket = DONE
        if self.wal or status == "late":
            now = self.clock.time()
            when = now if timestamp is None or timestamp > now else timestamp
            if self.wal:
                ticket = self.wal.reward(event_id, Reward(value, when, reward_id))
            if status == "late":
                self._late_ids.append(event_id)  # its record leaves the WAL once handled and the log synced
                if result.late_event is not None:
                    self._late_events.append(result.late_event)
                elif self.joiner.late_policy == "log":
                    self._late_lines.append(json.dumps({"event_id": event_id, "reward": value, "timestamp": when, "reward_id": reward_id}))
        if self.listeners:
            self._emit("reward", {"event_id": event_id, "reward": value, "status": status})
        return result, ticket

    # -- joining and learning --------------------------------------------------------------------
    def tick(self, now: float | None = None) -> list[JoinedEvent]:
        """Learn and log every decision whose wait has ended; sync the log and checkpoint when due."""
        with self._lock:
            joined = self.joiner.due(now)
            late, self._late_events = self._late_events, []
            self._learn(joined + late)
            if self._late_lines:
                with open(self.events.directory / "late.jsonl", "a") as f:
                    f.write("\n".join(self._late_lines) + "\n")
                self._late_lines = []
            if self.wal:
                self._logged_ids += self._late_ids
            self._late_ids = []
            if self.clock.time() - self._last_log_sync >= self._log_sync_s:
                self._sync_log()
            if self.checkpoints and (
                self._since_checkpoint >= self._every_events
                or (self._since_checkpoint and self.clock.time() - self._last_checkpoint_at >= self._every_s)
            ):
                self.checkpoint()
        return joined + late

    def _learn(self, events: list[JoinedEvent]) -> None:
        if not events:
            return
        learn, encode, multis = self.policy.learn, dsjson.encode, self._multi
        lines = []
        reward_sum = random_ips_sum = 0.0
        for event in events:
            d = event.decision
            learn(event)
            multi = multis.get(d.actions)
            if multi is None:
                multi = multis[d.actions] = dsjson.multi_json(d.actions, [self._features[a] for a in d.actions])
            lines.append(encode(event, (), multi))
            reward_sum += event.reward
            random_ips_sum += event.reward / (len(d.actions) * d.probability)  # off-policy estimate of uniform
        self.events.write(lines)
        self.reward_sum += reward_sum
        self.random_ips_sum += random_ips_sum
        self.learned += len(events)
        self._recent_joined.extend(events)
        if self.wal:
            self._logged_ids.extend(e.decision.event_id for e in events)
        self._since_checkpoint += len(events)
        if self.listeners:
            for event in events[-20:]:
                self._emit("joined", _summary(event))

    def _sync_log(self) -> LogPosition:
        """Sync the event log, then let the WAL drop what it now holds (a crash in between relearns nothing twice:
        recovery skips WAL decisions found in the log)."""
        position = self.events.sync()
        if self._logged_ids and self.wal:
            self.wal.forget(self._logged_ids)
        self._logged_ids = []
        self._last_log_sync = self.clock.time()
        return position

    def checkpoint(self) -> CheckpointMeta | None:
        with self._lock:
            if self.checkpoints is None:
                return None
            position = self._sync_log()
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
                    self._late_lines.append(json.dumps({"event_id": event_id, "reward": reward.value, "timestamp": reward.timestamp,
                                                        "reward_id": reward.reward_id}))
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
    def recent_decisions(self) -> list[dict[str, Any]]:
        """The last 200 decisions, oldest first, as the API shows them."""
        return [d.public() for d in list(self._recent_decisions)]

    def recent_joined(self) -> list[dict[str, Any]]:
        """The last 200 joined events, oldest first: each decision with its reward, outcome and join time."""
        return [_summary(e) for e in list(self._recent_joined)]

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


def _summary(event: JoinedEvent) -> dict[str, Any]:
    return {**event.decision.public(), "reward": event.reward, "outcome": event.outcome, "joined_at": event.joined_at}

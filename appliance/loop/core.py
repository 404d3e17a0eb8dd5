"""The closed loop: decide, take rewards, join, learn, checkpoint, recover.

Data flows one way: context -> :meth:`Loop.decide` -> (actuators, through the bus); rewards ->
:meth:`Loop.reward` / :meth:`Loop.attribute` -> joiner -> :meth:`Loop.tick` learns what is due
(:mod:`appliance.loop.learning`) and the journal logs it (:mod:`appliance.loop.journal`). Every call is
serialised by one lock; the write-ahead log commits on its own thread, and observers hear of each fact once
it is durable (:mod:`appliance.events`).
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence, TypeVar

from appliance.bus import EventBus
from appliance.clock import Clock
from appliance.config.model_source import LearningConfig
from appliance.errors import UsageError
from appliance.events import DecisionMade, ModelSwapped, RewardReceived
from appliance.features import Features, check_context
from appliance.join.joiner import Joiner
from appliance.join.rewards import LateReward, RewardResult
from appliance.loop.apprentice import Apprentice
from appliance.loop.journal import Journal, PendingSync
from appliance.loop.learning import Learner
from appliance.loop.lookup import find_event
from appliance.loop.recovery import CheckpointSchedule, finish_checkpoint, recover, take_checkpoint
from appliance.policy.base import Decision, JoinedEvent, Policy
from appliance.storage import dsjson
from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore, TakenCheckpoint
from appliance.storage.eventlog import EventLog
from appliance.storage.wal import WriteAheadLog
from appliance.storage.wal_tickets import DONE, Ticket

T = TypeVar("T")
LEARN_SLICE = 16
"""Joined events a tick closes and learns per hold of the loop's lock. A decide waits for the lock (and the
interpreter's) at most one slice, ~0.7 ms on the 2-core bench machine, not a whole tick's learning: ~100 events,
5.3 ms (p90 9 ms, max 15 ms) every 0.1 s at 1,000 decides/s, which set the p99 of durable decides."""
_ids = random.Random()  # seeded from os.urandom; reseeded in a forked child so no two processes share ids
os.register_at_fork(after_in_child=_ids.seed)


def new_event_id() -> str:
    """128 random bits as 32 hex digits: a UUID4's shape, without a system call per decision (``bytes.hex`` writes
    them in half the time of a ``032x`` format)."""
    return _ids.getrandbits(128).to_bytes(16, "big").hex()


def late_key(event_id: str, reward_id: str | None) -> str:
    """A late reward's key: ``EVENT/REWARD_ID`` (a resent one is the same reward), or a random suffix."""
    return f"{event_id}/{reward_id if reward_id is not None else f'~{_ids.getrandbits(64):016x}'}"


def _check_reward(value: float) -> None:
    if not math.isfinite(value):
        raise UsageError(f"reward {value!r} is not a finite number")


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
        bus: EventBus | None = None,
        learning: LearningConfig | None = None,
        raw: EventLog | None = None,
    ) -> None:
        self.policy, self.joiner, self.clock = policy, joiner, clock
        self.bus = bus or EventBus()
        self.learning = learning or LearningConfig()
        self.journal = Journal(events, wal, clock, log_sync_s, raw)
        self.learner = Learner(policy, self.journal, action_features, self.bus, learns=self.learning.mode != "logging_only")
        self.apprentice: Apprentice | None = None
        if self.learning.mode == "apprentice" and self.learning.baseline_action is not None:
            self.apprentice = Apprentice(self.learning.baseline_action, self.learning.explore, self.learning.min_events, random.Random())
        self.checkpoints = checkpoints
        self._schedule = CheckpointSchedule(clock, checkpoint_every_events, checkpoint_every_s)
        self.last_checkpoint: CheckpointMeta | None = None
        self._new_id = new_id
        self._lock = threading.RLock()
        self._checkpointing = threading.Lock()  # held from taking a checkpoint until its files are written
        self._late: list[LateReward] = []  # late rewards the next tick handles (their records then leave the WAL)
        self._recent_decisions: deque[Decision] = deque(maxlen=200)

    @property
    def events(self) -> EventLog:
        return self.journal.events

    @property
    def wal(self) -> WriteAheadLog | None:
        return self.journal.wal

    @property
    def learned(self) -> int:
        return self.learner.learned

    # -- decisions and rewards -------------------------------------------------------------------
    def decide(
        self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None
    ) -> tuple[Decision, Ticket]:
        """Choose an action; the ticket completes when the decision is durable (wait before acting on it).
        Observers (actuators among them) hear of it then, as ``DecisionMade``."""
        check_context(context)
        with self._lock:
            return self._decide(context, actions, event_id)

    def try_decide(
        self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None
    ) -> tuple[Decision, Ticket] | None:
        """:meth:`decide`, or ``None`` at once when another call holds the loop (learning, checkpointing): what an
        event loop calls, so that it never waits for the loop's lock (it hands the call to a thread instead)."""
        check_context(context)
        return self._if_free(lambda: self._decide(context, actions, event_id))

    def _if_free(self, call: Callable[[], T]) -> T | None:
        """``call()`` under the loop's lock, or ``None`` at once when another call holds it."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return call()
        finally:
            self._lock.release()

    def _decide(self, context: Features, actions: Sequence[str] | None, event_id: str | None) -> tuple[Decision, Ticket]:
        event_id = event_id or self._new_id()
        decision = self.policy.decide(context, event_id, self.clock.time(), actions)
        if self.apprentice is not None:
            self.apprentice.act(decision)
        try:
            closed = self.joiner.add(decision)
        except ValueError as err:
            raise UsageError(str(err)) from None
        if closed:
            self.learner.learn(closed)  # max_pending overflowed
        then = self._announcer(DecisionMade(decision)) if DecisionMade in self.bus.wanted else None
        ticket = self.journal.acknowledge.decision(decision, then)
        self._recent_decisions.append(decision)
        return decision, ticket

    def reward(
        self, event_id: str, value: float, reward_id: str | None = None, timestamp: float | None = None
    ) -> tuple[RewardResult, Ticket]:
        """A reward for ``event_id``; ``unknown`` and ``duplicate`` results are not stored."""
        _check_reward(value)
        with self._lock:
            return self._store(self.joiner.reward(event_id, value, timestamp, reward_id))

    def try_reward(self, event_id: str, value: float, reward_id: str | None = None) -> tuple[RewardResult, Ticket] | None:
        """:meth:`reward`, or ``None`` at once when another call holds the loop (what an event loop calls)."""
        _check_reward(value)
        return self._if_free(lambda: self._store(self.joiner.reward(event_id, value, None, reward_id)))

    def attribute(
        self, value: float, within_s: float, reward_id: str | None = None, timestamp: float | None = None,
        actions: Sequence[str] | None = None,
    ) -> tuple[RewardResult, Ticket]:
        """A reward for the latest decision made within ``within_s`` seconds."""
        _check_reward(value)
        with self._lock:
            return self._store(self.joiner.attribute(value, within_s, timestamp, reward_id, actions))

    def _store(self, result: RewardResult) -> tuple[RewardResult, Ticket]:
        """Acknowledge the reward the joiner kept (``accepted`` or ``late``), as the joiner timed it."""
        status, event_id, reward = result.status, result.event_id, result.reward
        if reward is None or event_id is None:  # unknown or duplicate
            return result, DONE
        then = (self._announcer(RewardReceived(event_id, reward.value, status, reward.reward_id, reward.timestamp))
                if RewardReceived in self.bus.wanted else None)
        if status != "late":
            return result, self.journal.acknowledge.reward(event_id, reward, then)
        late = LateReward(late_key(event_id, reward.reward_id), event_id, reward, self.joiner.late_policy, result.late_decision)
        self._late.append(late)  # the next tick handles it; its record leaves the WAL once that is durable
        return result, self.journal.acknowledge.late_reward(late, then)

    def _announcer(self, event: object) -> Callable[[BaseException | None], None]:
        """Publishes ``event`` once its record is committed (never if the commit failed: nothing happened)."""
        bus = self.bus

        def announce(error: BaseException | None) -> None:
            if error is None:
                bus.publish(event)
        return announce

    # -- joining and learning --------------------------------------------------------------------
    def tick(self, now: float | None = None) -> list[JoinedEvent]:
        """Learn and log every decision whose wait has ended; sync the log and checkpoint when due. It closes and learns
        them ``LEARN_SLICE`` at a time, each slice under the lock as a tick of its own would (so every state another
        call sees is one a tick leaves), with the lock and the interpreter's lock given up between slices."""
        now = self.clock.time() if now is None else now  # what is due when the tick begins: a busy loop cannot stretch it
        joined: list[JoinedEvent] = []
        syncing: PendingSync | None = None
        taken: tuple[TakenCheckpoint, int] | None = None
        while True:
            with self._lock:
                closed = self.joiner.due(now, LEARN_SLICE)
                last = len(closed) < LEARN_SLICE  # else perhaps more are due: another slice once decides had their turn
                late: list[LateReward] = []
                if last:
                    late, self._late = self._late, []
                    closed += [reward.joined() for reward in late if reward.mode == "learn"]
                self.learner.learn(closed)
                if self.apprentice is not None:
                    self.apprentice.learned(closed)
                joined += closed
                if last:
                    if late:
                        self.journal.handle_late(late)
                    self.journal.flush_late()
                    if self._schedule.due(self.learner.since_checkpoint):
                        taken = self._take_checkpoint(blocking=False)  # syncs the log first
                    if taken is None:
                        syncing = self.journal.sync_if_due()
                    break
            time.sleep(0)  # a decide waiting for the lock takes it before the next slice
        if syncing is not None:
            self._end_sync(syncing)
        if taken is not None:
            self._finish_checkpoint(taken)
        return joined

    def _end_sync(self, syncing: PendingSync) -> None:
        """fsync the logs outside the lock (decides go on meanwhile: up to ~2 ms), then let the WAL drop what they hold."""
        try:
            syncing.fsync()
        finally:
            with self._lock:
                self.journal.end_sync(syncing)

    def learn_events(self, events: Sequence[JoinedEvent]) -> int:
        """Learn joined events another logger sent (DSJSON lines of a client), over the declared actions with their
        declared features: each is written to the event log, synced, then learned, so a restart relearns it from the
        log as it does the loop's own. Returns how many, once durable; an undeclared action refuses the whole batch."""
        features = self.learner.action_features
        for index, event in enumerate(events):
            check_context(event.decision.context)
            unknown = [a for a in event.decision.actions if a not in features]
            if unknown:
                raise UsageError(f"event {index} ({event.decision.event_id!r}) offers undeclared action(s) {', '.join(unknown)}; "
                                 f"this model's actions: {', '.join(features)}")
        with self._lock:
            self.journal.events.write([dsjson.encode(e, [features[a] for a in e.decision.actions]) for e in events])
            self.journal.sync()
            for event in events:
                self.learner.learn_logged(event, [features[a] for a in event.decision.actions])
            self.learner.since_checkpoint += len(events)
        return len(events)

    def checkpoint(self) -> CheckpointMeta | None:
        """Checkpoint now (after the one under way, if any), all under the lock."""
        with self._lock:
            taken = self._take_checkpoint(blocking=True)
            return self._finish_checkpoint(taken) if taken is not None else None

    def _take_checkpoint(self, blocking: bool) -> tuple[TakenCheckpoint, int] | None:
        """Under the lock: sync the log and take the model, with the events learned since the last checkpoint; ``None``
        without a store, or (not ``blocking``) while another checkpoint is under way. Only one is: a checkpoint writing
        its files holds ``_checkpointing`` but never waits for the loop's lock, so a caller holding it may wait."""
        if self.checkpoints is None or not self._checkpointing.acquire(blocking=blocking):
            return None
        try:
            stats = {**self.learner.checkpoint_stats(), **({"apprentice": self.apprentice.state()} if self.apprentice else {})}
            return take_checkpoint(self.policy, self.journal, self.checkpoints, stats), self.learner.since_checkpoint
        except BaseException:
            self._checkpointing.release()
            raise

    def _finish_checkpoint(self, taken: tuple[TakenCheckpoint, int]) -> CheckpointMeta:
        """Write a checkpoint taken (outside the lock, when the caller does not hold it: ~10 ms of file I/O), then,
        under the lock, count it and prune the logs it covers (one that failed is due again at the next tick)."""
        checkpoint, learned = taken
        assert self.checkpoints is not None  # taken from it
        try:
            meta = finish_checkpoint(self.journal, self.checkpoints, checkpoint)
        finally:
            self._checkpointing.release()
        with self._lock:
            if self.last_checkpoint is None or meta.created >= self.last_checkpoint.created:
                self.last_checkpoint = meta
            self.learner.since_checkpoint = max(self.learner.since_checkpoint - learned, 0)
            self._schedule.taken()
            self.journal.prune(meta.position)
        return meta

    def load_model(self, path: Path, model_version: int, reason: Literal["upload", "source"] = "upload") -> None:
        """Swap in a validated model file atomically, then checkpoint it so a restart keeps it."""
        with self._lock:
            self.joiner.drop_examples()
            self.policy.load(path, model_version)
            self.checkpoint()
        self.bus.publish(ModelSwapped(model_version, reason))

    # -- restart ---------------------------------------------------------------------------------
    def recover(self) -> dict[str, Any]:
        """Load the last good checkpoint, relearn the events logged after it, restore pending decisions; the
        late rewards still to handle go to the first tick. Checkpoints again when it relearned anything, so the
        next restart does not relearn it all again."""
        with self._lock:
            self.last_checkpoint, late, report = recover(self.learner, self.joiner, self.checkpoints)
            if self.apprentice is not None and self.last_checkpoint is not None:
                self.apprentice.restore(self.last_checkpoint.stats.get("apprentice", {}))
            self._late.extend(late)
            self._recent_decisions.extend(e.decision for e in self.learner.recent if e.late_key is None)
            self._recent_decisions.extend(self.joiner.waiting())
            if report["relearned"] or report["relearned_late"]:
                self.checkpoint()
        self.bus.publish(ModelSwapped(self.policy.model_version, "recovered"))
        return report

    def close(self) -> None:
        """Flush everything; pending decisions stay in the write-ahead log for the next start."""
        with self._lock:
            self.tick()
            self.checkpoint()
            self.journal.close()

    # -- what the API and the dashboard show ---------------------------------------------------------
    def recent_decisions(self) -> list[dict[str, Any]]:
        """The last 200 decisions, oldest first, as the API shows them."""
        return [d.public() for d in list(self._recent_decisions)]

    def find(self, event_id: str) -> dict[str, Any] | None:
        """One event's decision, rewards, state and late rewards (see :mod:`appliance.loop.lookup`); ``None``: unknown."""
        with self._lock:
            memory = (self.joiner.waiting_decision(event_id), self.joiner.rewards_of(event_id), list(self.learner.recent), list(self._late))
        return find_event(event_id, *memory, self.journal)

    def recent_joined(self) -> list[dict[str, Any]]:
        """The last 200 joined events, oldest first: each decision with its reward, outcome and join time."""
        return [summary(e) for e in list(self.learner.recent)]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            reward_avg, random_avg = self.learner.baseline.averages()
            return {
                "model_version": self.policy.model_version,
                "learned": self.learner.learned,
                "pending": self.joiner.pending,
                "join": self.joiner.stats.as_dict(),
                "reward_avg": reward_avg,
                "random_reward_ips": random_avg,
                **self.journal.stats(),
                "checkpoint": {"model_version": self.last_checkpoint.model_version, "created": self.last_checkpoint.created}
                if self.last_checkpoint else None,
                "corrupt_checkpoints": self.checkpoints.corrupt if self.checkpoints else 0,
                "policy": self.policy.stats(),
                "learning": {"mode": self.learning.mode, **({"apprentice": self.apprentice.stats()} if self.apprentice else {})},
            }


def summary(event: JoinedEvent) -> dict[str, Any]:
    """A joined event as the API and the dashboard show it."""
    return {**event.decision.public(), "reward": event.reward, "outcome": event.outcome, "joined_at": event.joined_at}

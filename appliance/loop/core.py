"""The closed loop: decide, take rewards, join, learn, checkpoint, recover. Its per-event calls are here; the tick,
checkpoints, model swaps and recovery are its upkeep (:mod:`appliance.loop.upkeep`).

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
from collections import deque
from typing import Any, Callable, Mapping, Sequence, TypeVar

from appliance.bus import EventBus
from appliance.clock import Clock
from appliance.config.model_source import LearningConfig
from appliance.errors import UsageError
from appliance.events import DecisionMade, RewardReceived
from appliance.features import Features, check_context
from appliance.join.joiner import Joiner
from appliance.join.rewards import LateReward, RewardResult
from appliance.loop.apprentice import Apprentice
from appliance.loop.journal import Journal
from appliance.loop.learning import Learner
from appliance.loop.lookup import find_event
from appliance.loop.recovery import CheckpointSchedule
from appliance.loop.upkeep import LoopUpkeep
from appliance.models.base import Origin
from appliance.policy.base import Decision, JoinedEvent, Policy
from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore
from appliance.storage.eventlog import EventLog
from appliance.storage.wal import WriteAheadLog
from appliance.storage.wal_tickets import DONE, Ticket

T = TypeVar("T")
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
    try:
        finite = math.isfinite(value)
    except TypeError:
        finite = False
    if not finite:
        raise UsageError(f"reward {value!r:.40} is not a finite number")


class Loop(LoopUpkeep):
    """The closed loop: its per-event calls (decide, reward, attribute) here, its upkeep (tick, checkpoints, recovery)
    in :class:`~appliance.loop.upkeep.LoopUpkeep`, and what the API and the dashboard show."""

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
        self._refusable = wal is not None  # only a write-ahead log refuses a record (a full disk)
        self.learner = Learner(policy, self.journal, action_features, self.bus, learns=self.learning.mode != "logging_only")
        self.apprentice: Apprentice | None = None
        if self.learning.mode == "apprentice" and self.learning.baseline_action is not None:
            self.apprentice = Apprentice(self.learning.baseline_action, self.learning.explore, self.learning.min_events, random.Random())
        self.checkpoints = checkpoints
        self._schedule = CheckpointSchedule(clock, checkpoint_every_events, checkpoint_every_s)
        self.last_checkpoint: CheckpointMeta | None = None
        self.origin: Origin | None = None
        """Where the model version it runs as came from (an upload, a rollback, a model source), if it was swapped in."""
        self.recovered = checkpoints is None or (not checkpoints.entries() and events.position.offset == 0 and len(events.segments()) <= 1)
        """Whether a checkpoint may be taken: once :meth:`recover` ran, or when the data directory held no model and no
        events. Before, a checkpoint would be the newest one without what the directory held (a start that failed
        half-way closes the loop, and the next start loaded that empty model)."""
        self._new_id = new_id
        self._lock = threading.RLock()
        self._checkpointing = threading.Lock()  # held from taking a checkpoint until its files are written
        self._late: list[LateReward] = []  # late rewards the next tick handles (their records then leave the WAL)
        self._recent_decisions: deque[Decision] = deque(maxlen=200)
        self._refused: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()  # undoing records the WAL refused; run under the lock

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
        if self._refused:  # not through _settled(): a call here costs the loop 0.4 % of its instructions
            self._forget_refused()
        try:
            closed = self.joiner.add(decision)
        except ValueError as err:
            raise UsageError(str(err)) from None
        if closed:
            self.learner.learn(closed)  # max_pending overflowed
        made = DecisionMade(decision) if DecisionMade in self.bus.wanted else None
        then = self._settle(made, self._unmake, decision) if made is not None or self._refusable else None
        ticket = self.journal.acknowledge.decision(decision, then)
        self._recent_decisions.append(decision)
        return decision, ticket

    def reward(
        self, event_id: str, value: float, reward_id: str | None = None, timestamp: float | None = None
    ) -> tuple[RewardResult, Ticket]:
        """A reward for ``event_id``; ``unknown`` and ``duplicate`` results are not stored."""
        _check_reward(value)
        with self._lock:
            return self._store(self._settled().reward(event_id, value, timestamp, reward_id))

    def try_reward(self, event_id: str, value: float, reward_id: str | None = None) -> tuple[RewardResult, Ticket] | None:
        """:meth:`reward`, or ``None`` at once when another call holds the loop (what an event loop calls)."""
        _check_reward(value)
        return self._if_free(lambda: self._store(self._settled().reward(event_id, value, None, reward_id)))

    def attribute(
        self, value: float, within_s: float, reward_id: str | None = None, timestamp: float | None = None,
        actions: Sequence[str] | None = None,
    ) -> tuple[RewardResult, Ticket]:
        """A reward for the latest decision made within ``within_s`` seconds."""
        _check_reward(value)
        with self._lock:
            return self._store(self._settled().attribute(value, within_s, timestamp, reward_id, actions))

    def _store(self, result: RewardResult) -> tuple[RewardResult, Ticket]:
        """Acknowledge the reward the joiner kept (``accepted`` or ``late``), as the joiner timed it."""
        status, event_id, reward = result.status, result.event_id, result.reward
        if reward is None or event_id is None:  # unknown or duplicate
            return result, DONE
        received = (RewardReceived(event_id, reward.value, status, reward.reward_id, reward.timestamp)
                    if RewardReceived in self.bus.wanted else None)
        settle = received is not None or self._refusable
        if status != "late":
            then = self._settle(received, self.joiner.withdraw_reward, event_id, reward) if settle else None
            return result, self.journal.acknowledge.reward(event_id, reward, then)
        late = LateReward(late_key(event_id, reward.reward_id), event_id, reward, self.joiner.late_policy, result.late_decision)
        self._late.append(late)  # the next tick handles it; its record leaves the WAL once that is durable
        then = self._settle(received, self._unlate, late) if settle else None
        return result, self.journal.acknowledge.late_reward(late, then)

    def _settle(self, event: object | None, undo: Callable[..., None], *args: Any) -> Callable[[BaseException | None], None]:
        """What runs once a record's commit ended: publishes ``event`` (``None``: no observer wants it) if it was
        committed; if it was refused (a full disk), nobody was told of it, so ``undo(*args)`` forgets it at the next
        call (a retry is then new, not a duplicate). Callers skip it when there is nothing to do (no event, no
        write-ahead log): on the hot path a call costs more than the rest of it."""
        bus, refused = self.bus, self._refused

        def settle(error: BaseException | None) -> None:
            if error is not None:
                refused.append((undo, args))  # the writer thread must not take the loop's lock: a waiter may hold it
            elif event is not None:
                bus.publish(event)
        return settle

    def _forget_refused(self) -> None:
        """Forget the records the write-ahead log refused (call under the lock)."""
        while self._refused:
            undo, args = self._refused.popleft()
            undo(*args)

    def _settled(self) -> Joiner:
        """The joiner, once the records the write-ahead log refused are forgotten (call under the lock)."""
        self._forget_refused()
        return self.joiner

    def _unmake(self, decision: Decision) -> None:
        self.joiner.withdraw(decision)
        self._recent_decisions = deque((d for d in self._recent_decisions if d is not decision), maxlen=200)

    def _unlate(self, late: LateReward) -> None:
        self._late = [other for other in self._late if other is not late]
        self.joiner.withdraw_reward(late.event_id, late.reward)

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
                "refused_checkpoints": self.checkpoints.refused if self.checkpoints else 0,
                "policy": self.policy.stats(),
                "learning": {"mode": self.learning.mode, **({"apprentice": self.apprentice.stats()} if self.apprentice else {})},
            }


def summary(event: JoinedEvent) -> dict[str, Any]:
    """A joined event as the API and the dashboard show it."""
    return {**event.decision.public(), "reward": event.reward, "outcome": event.outcome, "joined_at": event.joined_at}

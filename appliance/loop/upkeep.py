"""The loop's upkeep, beside its per-event calls (:mod:`appliance.loop.core`): the tick that closes, learns and logs
what is due and syncs the logs, learning events another logger sent, checkpoints, swapping a model in, recovery at a
restart, and closing. :class:`LoopUpkeep` is a base of :class:`~appliance.loop.core.Loop` and keeps no state of its
own: the attributes it declares are the loop's, set by ``Loop.__init__``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

from appliance.bus import EventBus
from appliance.clock import Clock
from appliance.errors import UsageError
from appliance.events import ModelSwapped
from appliance.features import check_context
from appliance.join.joiner import Joiner
from appliance.join.rewards import LateReward
from appliance.loop.apprentice import Apprentice
from appliance.loop.journal import Journal, PendingSync
from appliance.loop.learning import Learner
from appliance.loop.recovery import CheckpointSchedule, finish_checkpoint, recover, take_checkpoint
from appliance.models.base import Origin
from appliance.policy.base import Decision, JoinedEvent, Policy
from appliance.storage import dsjson
from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore, TakenCheckpoint

LEARN_SLICE = 16
"""Joined events a tick closes and learns per hold of the loop's lock. A decide waits for the lock (and the
interpreter's) at most one slice, ~0.7 ms on the 2-core bench machine, not a whole tick's learning: ~100 events,
5.3 ms (p90 9 ms, max 15 ms) every 0.1 s at 1,000 decides/s, which set the p99 of durable decides."""


class LoopUpkeep:
    """Ticks, checkpoints, model swaps, recovery and closing of a :class:`~appliance.loop.core.Loop`, each under the
    loop's lock as its per-event calls are."""

    policy: Policy
    joiner: Joiner
    clock: Clock
    bus: EventBus
    journal: Journal
    learner: Learner
    apprentice: Apprentice | None
    checkpoints: CheckpointStore | None
    last_checkpoint: CheckpointMeta | None
    origin: Origin | None
    recovered: bool
    _schedule: CheckpointSchedule
    _lock: threading.RLock
    _checkpointing: threading.Lock
    _late: list[LateReward]
    _recent_decisions: deque[Decision]
    _settled: Callable[[], Joiner]

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
                closed = self._settled().due(now, LEARN_SLICE)
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
        return len(events)

    def checkpoint(self) -> CheckpointMeta | None:
        """The newest checkpoint when it holds the model as it is (nothing learned since: a Save after a Save lists that
        version once), else one taken now (after the one under way, if any), all under the lock; ``None`` without a
        store."""
        with self._lock:
            unchanged = self._unchanged_checkpoint()
            if unchanged is None:
                return self._checkpoint_now()
            self._covered(unchanged, 0)  # as a new one would: what a sink has shipped since goes
            return unchanged

    def _checkpoint_now(self) -> CheckpointMeta | None:
        """Checkpoint now, learned or not (a model swapped in), after the one under way, if any; the caller holds the lock."""
        taken = self._take_checkpoint(blocking=True)
        return self._finish_checkpoint(taken) if taken is not None else None

    def _unchanged_checkpoint(self) -> CheckpointMeta | None:
        """The loop's last checkpoint when it is the store's newest, of the policy's version, and nothing was learned
        since (nor relearned from the log, nor swapped in); else ``None``."""
        last = self.last_checkpoint
        if self.checkpoints is None or last is None or self.learner.since_checkpoint or last.model_version != self.policy.model_version:
            return None
        entries = self.checkpoints.entries()
        newest = entries[0][0] if entries else None
        return last if newest is not None and (newest.created, newest.sha256) == (last.created, last.sha256) else None

    def _take_checkpoint(self, blocking: bool) -> tuple[TakenCheckpoint, int] | None:
        """Under the lock: sync the log and take the model, with the events learned since the last checkpoint; ``None``
        without a store, before :meth:`recover` (the data directory's model is not in yet), or (not ``blocking``) while
        another checkpoint is under way. Only one is: a checkpoint writing its files holds ``_checkpointing`` but never
        waits for the loop's lock, so a caller holding it may wait."""
        if self.checkpoints is None or not self.recovered or not self._checkpointing.acquire(blocking=blocking):
            return None  # before recover() a checkpoint would be the newest, without what the data directory held
        try:
            stats = {**self.learner.checkpoint_stats(), **({"apprentice": self.apprentice.state()} if self.apprentice else {}),
                     **(self.origin.stats(self.policy.model_version) if self.origin else {})}
            return take_checkpoint(self.policy, self.journal, self.checkpoints, stats), self.learner.since_checkpoint
        except BaseException:
            self._checkpointing.release()
            raise

    def _finish_checkpoint(self, taken: tuple[TakenCheckpoint, int]) -> CheckpointMeta:
        """Write a checkpoint taken (outside the lock, when the caller does not hold it: ~10 ms of file I/O), then
        count it (one that failed is due again at the next tick)."""
        checkpoint, learned = taken
        assert self.checkpoints is not None  # taken from it
        try:
            meta = finish_checkpoint(self.journal, self.checkpoints, checkpoint)
        finally:
            self._checkpointing.release()
        self._covered(meta, learned)
        return meta

    def _covered(self, meta: CheckpointMeta, learned: int) -> None:
        """Under the lock, what a checkpoint that holds the model as it is now (``learned``: the events it took that
        were not in the one before) changes: it is the last one, the schedule starts again, and the logs it covers are
        pruned. Every checkpoint, written now or the newest returned again, is counted here alone."""
        with self._lock:
            if self.last_checkpoint is None or meta.created >= self.last_checkpoint.created:
                self.last_checkpoint = meta
            self.learner.since_checkpoint = max(self.learner.since_checkpoint - learned, 0)
            self._schedule.taken()
            self.journal.prune(meta.position)

    def load_model(self, path: Path, model_version: int | Callable[[], int], reason: Literal["upload", "source"] = "upload",
                   *, how: str = "upload", named: int | None = None) -> int:
        """Swap in a validated model file atomically, then checkpoint it so a restart keeps it; the version it runs as.
        ``model_version``: that version, or what picks it under the lock, so that no learning comes in between (an
        upload's: above every version the model has had). ``how`` and ``named``: where it came from
        (:class:`~appliance.models.base.Origin`), kept with the version's checkpoints."""
        with self._lock:
            version = model_version() if callable(model_version) else model_version
            self.joiner.drop_examples()
            self.policy.load(path, version)
            self.origin = Origin(how, named, version)
            self._checkpoint_now()
        self.bus.publish(ModelSwapped(version, reason))
        return version

    # -- restart ---------------------------------------------------------------------------------
    def recover(self) -> dict[str, Any]:
        """Load the last good checkpoint, relearn the events logged after it, restore pending decisions; the
        late rewards still to handle go to the first tick. Checkpoints again when it relearned anything, so the
        next restart does not relearn it all again."""
        with self._lock:
            self.last_checkpoint, late, report = recover(self.learner, self.joiner, self.checkpoints, self.clock.time())
            self.origin = Origin.kept(self.last_checkpoint)
            if self.apprentice is not None and self.last_checkpoint is not None:
                self.apprentice.restore(self.last_checkpoint.stats.get("apprentice", {}))
            self._late.extend(late)
            self._recent_decisions.extend(e.decision for e in self.learner.recent if e.late_key is None)
            self._recent_decisions.extend(self.joiner.waiting())
            self.recovered = True
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

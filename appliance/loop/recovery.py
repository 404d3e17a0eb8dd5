"""Checkpoints and restart: when to checkpoint, and how a restart gets back every acknowledged record.

A checkpoint is the model plus the event-log position it covers. A restart loads the newest good checkpoint,
relearns the events logged after it, and restores from the write-ahead log the decisions (with their
rewards) the log does not hold yet.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from appliance.clock import Clock
from appliance.join.joiner import Joiner
from appliance.loop.journal import Journal
from appliance.loop.learning import Learner
from appliance.policy.base import Policy
from appliance.storage import dsjson
from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore
from appliance.storage.eventlog import LogPosition

log = logging.getLogger(__name__)


@dataclass
class CheckpointSchedule:
    """Checkpoint after ``every_events`` learned events, or ``every_s`` seconds if any was learned.

    >>> from appliance.clock import FakeClock
    >>> clock = FakeClock(0.0)
    >>> schedule = CheckpointSchedule(clock, every_events=100, every_s=60.0)
    >>> schedule.due(10), schedule.due(100)
    (False, True)
    >>> clock.advance(61); schedule.due(1), schedule.due(0)
    (True, False)
    """

    clock: Clock
    every_events: int
    every_s: float

    def __post_init__(self) -> None:
        self.last_at = self.clock.time()

    def due(self, learned_since: int) -> bool:
        return learned_since >= self.every_events or (learned_since > 0 and self.clock.time() - self.last_at >= self.every_s)

    def taken(self) -> None:
        self.last_at = self.clock.time()


def save_checkpoint(policy: Policy, journal: Journal, store: CheckpointStore) -> CheckpointMeta:
    """Sync the log, let the WAL drop what the log holds, save the model with the position, prune the log."""
    position = journal.sync()
    journal.flush()  # joined decisions must be gone from the WAL before the checkpoint covers them
    meta = store.save(policy, policy.model_version, position)
    journal.events.prune(position)
    return meta


def recover(learner: Learner, joiner: Joiner, store: CheckpointStore | None) -> tuple[CheckpointMeta | None, dict[str, Any]]:
    """Load the last good checkpoint, relearn the events logged after it, restore pending decisions; returns the
    checkpoint and what was done."""
    policy, journal = learner.policy, learner.journal
    meta = store.load_latest(policy) if store else None
    events = journal.events
    segments = events.segments()
    start = meta.position if meta else LogPosition(segments[0] if segments else 1, 0)
    seen: set[str] = set()
    malformed = 0
    for path, number, line in events.read_from(start):
        if not line.strip():
            continue
        try:
            event, features = dsjson.decode(line)
        except ValueError as err:
            malformed += 1
            log.error("%s:%d: %s; line skipped", path, number, err)
            continue
        learner.learn_logged(event, features)
        seen.add(event.decision.event_id)
    restored = orphans = 0
    wal = journal.wal
    if wal is not None:
        state = wal.recover()
        done = [d.event_id for d in state.decisions if d.event_id in seen]
        for d in state.decisions:
            if d.event_id not in seen:
                learner.learn(joiner.add(d, state.rewards.get(d.event_id, [])))
                restored += 1
        for event_id, reward in state.orphan_rewards:  # late rewards whose handling a crash cut short
            journal.write_late(json.dumps({"event_id": event_id, "reward": reward.value, "timestamp": reward.timestamp,
                                                "reward_id": reward.reward_id}))
            done.append(event_id)
            orphans += 1
        wal.forget(done).wait()
    return meta, {"checkpoint_version": meta.model_version if meta else None, "relearned": len(seen),
                  "malformed_lines": malformed, "restored_pending": restored, "orphan_rewards": orphans,
                  "corrupt_checkpoints": store.corrupt if store else 0, "model_version": policy.model_version}

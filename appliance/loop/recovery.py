"""Checkpoints and restart: when to checkpoint, and how a restart gets back every acknowledged record, once.

A checkpoint is the model plus the event-log position it covers. A restart loads the newest good checkpoint,
relearns the events logged after it, restores from the write-ahead log the decisions (with their on-time
rewards) the log does not hold yet, and hands the late rewards the WAL still holds to the first tick, each
under the ``late_reward`` mode it was acknowledged with, unless the files show it was handled already (its
key is in ``late.jsonl`` or on a learned line). What it finishes (decisions already logged, late rewards
already handled) leaves the WAL only after that is synced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from appliance.clock import Clock
from appliance.join.joiner import Joiner
from appliance.join.rewards import LateReward, Reward
from appliance.loop.journal import Journal, raw_decision, raw_reward
from appliance.loop.learning import Learner
from appliance.policy.base import Decision, Policy
from appliance.storage import dsjson
from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore, TakenCheckpoint
from appliance.storage.log_segments import LogPosition

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
        self.last_at = self.clock.monotonic()

    def due(self, learned_since: int) -> bool:
        return learned_since >= self.every_events or (learned_since > 0 and self.clock.monotonic() - self.last_at >= self.every_s)

    def taken(self) -> None:
        self.last_at = self.clock.monotonic()


def take_checkpoint(policy: Policy, journal: Journal, store: CheckpointStore, stats: dict[str, Any]) -> TakenCheckpoint:
    """Under the loop's lock: sync the log, let the WAL drop what the log holds, and take the model as it is now
    with the position and the loop's counters (:func:`finish_checkpoint` writes it, outside the lock)."""
    position = journal.sync()
    return store.take(policy, policy.model_version, position, stats)


def finish_checkpoint(journal: Journal, store: CheckpointStore, taken: TakenCheckpoint) -> CheckpointMeta:
    """Write ``taken`` durably once the WAL committed its drops: joined decisions must be gone from the WAL before the
    checkpoint covers them (no lock needed; the caller prunes the logs with :meth:`Journal.prune` under it)."""
    journal.flush()
    journal.check_dropped()
    return store.commit(taken)


@dataclass
class Replayed:
    """What the event log after the checkpoint held."""

    joined: set[str]  # event ids of joined decisions
    late_keys: set[str]  # keys of late rewards learned as examples
    malformed: int


def replay_log(learner: Learner, start: LogPosition) -> Replayed:
    """Relearn every event logged from ``start`` on (malformed lines are reported with their line and skipped)."""
    replayed = Replayed(set(), set(), 0)
    for path, number, line in learner.journal.events.read_from(start):
        if not line.strip():
            continue
        try:
            event, features = dsjson.decode(line)
        except ValueError as err:
            replayed.malformed += 1
            log.error("%s:%d: %s; line skipped", path, number, err)
            continue
        learner.learn_logged(event, features)
        if event.late_key is not None:
            replayed.late_keys.add(event.late_key)
        else:
            replayed.joined.add(event.decision.event_id)
    return replayed


def recover(learner: Learner, joiner: Joiner, store: CheckpointStore | None,
            now: float) -> tuple[CheckpointMeta | None, list[LateReward], dict[str, Any]]:
    """Load the last good checkpoint, relearn the log after it, restore pending decisions from the WAL (those made
    after ``now`` by their stamps, under a clock that has been set back since, wait from ``now``).

    Returns the checkpoint, the late rewards the first tick must handle, and a report of what was done."""
    policy, journal = learner.policy, learner.journal
    meta = store.load_latest(policy) if store else None
    learner.restore(meta.stats if meta is not None else {})
    segments = journal.events.segments()
    replayed = replay_log(learner, meta.position if meta else LogPosition(segments[0] if segments else 1, 0))
    restored = 0
    pending_late: list[LateReward] = []
    handled: list[LateReward] = []
    wal = journal.wal
    if wal is not None:
        state = wal.recover()
        _restamp_ahead(state.decisions, [r for rewards in state.rewards.values() for r in rewards], now)
        logged = [d.event_id for d in state.decisions if d.event_id in replayed.joined]
        for d in state.decisions:
            if d.event_id not in replayed.joined:
                learner.learn(joiner.add(d, state.rewards.get(d.event_id, [])))
                restored += 1
        done = replayed.late_keys | journal.late_keys()
        legacy = [LateReward(f"{event_id}/~legacy-{n}", event_id, reward, "log") for n, (event_id, reward) in enumerate(state.orphan_rewards)]
        for late in state.late + legacy:
            (handled if late.key in done else pending_late).append(late)
        journal.forget_late(late.key for late in handled)  # handled before the crash: they only leave the WAL
        journal.forget_logged(logged)
        if journal.raw is not None and not journal.raw_holds_wal:  # a crash: what the WAL holds may not have reached the raw log
            journal.raw.write([raw_decision(d) for d in state.decisions])
            journal.raw.write([raw_reward(e, r, None) for e, rewards in state.rewards.items() for r in rewards])
            journal.raw.write([raw_reward(late.event_id, late.reward, late.mode) for late in state.late])
        journal.raw_holds_wal = True  # a clean close from now on may mark it
    for line in journal.events.tail(learner.recent.maxlen or 0):  # what the dashboard and /api/events showed before
        try:
            learner.recent.append(dsjson.decode(line)[0])
        except ValueError:
            continue
    report = {"checkpoint_version": meta.model_version if meta else None, "relearned": len(replayed.joined),
              "relearned_late": len(replayed.late_keys), "malformed_lines": replayed.malformed, "restored_pending": restored,
              "late_rewards_pending": len(pending_late), "late_rewards_already_handled": len(handled),
              "corrupt_checkpoints": store.corrupt if store else 0, "refused_checkpoints": store.refused if store else 0,
              "model_version": policy.model_version}
    return meta, pending_late, report


def _restamp_ahead(decisions: list[Decision], rewards: list[Reward], now: float) -> None:
    """Stamp ``now`` on the decisions and rewards the write-ahead log holds from after it: a Pi without a real-time
    clock that lost power restarts at the time it last saved (fake-hwclock: up to an hour behind). Left as they were,
    the first of them would hold every decision behind it in the joiner's queue, new ones included, until then."""
    ahead = [d for d in decisions if d.timestamp > now]
    if ahead:
        log.warning("%d decisions in the write-ahead log were made up to %.0f s after this clock's time (it has been set "
                    "back since, e.g. a restart without a real-time clock): they wait for their rewards from now",
                    len(ahead), max(d.timestamp for d in ahead) - now)
    for decision in ahead:
        decision.timestamp = now
    for reward in rewards:
        reward.timestamp = min(reward.timestamp, now)

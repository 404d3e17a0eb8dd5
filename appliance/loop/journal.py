"""The loop's journal: what is durable before it is acknowledged, and what is durable once it is learned.

Decisions and rewards go to the write-ahead log (acknowledged once committed); joined events go to the
DSJSON event log and late rewards under ``late_reward: log`` to ``late.jsonl``. Both files are synced every
``log_sync_s``; only then do the records they now hold leave the write-ahead log, so a crash in between
relearns at most that much, and loses nothing. Late rewards leave it by their key: each becomes one line or
one example, and a restart that finds its key in the files does not handle it again.

>>> import tempfile, pathlib
>>> from appliance.clock import FakeClock
>>> from appliance.storage.eventlog import EventLog
>>> journal = Journal(EventLog(pathlib.Path(tempfile.mkdtemp()), 1 << 20), None, FakeClock(0.0), log_sync_s=0.0)
>>> journal.write_joined([b'{"EventId":"e1"}\\n'], ["e1"]); syncing = journal.sync_if_due()
>>> syncing.fsync(); journal.end_sync(syncing)
LogPosition(segment=1, offset=17)
>>> journal.events.lines_written
1
>>> journal.close()
"""

from __future__ import annotations

from typing import Any, Iterable, Protocol

import orjson

from appliance.clock import Clock
from appliance.errors import CheckpointError
from appliance.join.rewards import LateReward, Reward
from appliance.loop.late_log import LateLog
from appliance.policy.base import Decision
from appliance.storage.eventlog import EventLog, SyncPoint
from appliance.storage.log_segments import LogPosition
from appliance.storage.wal import NotDurable, WriteAheadLog
from appliance.storage.wal_tickets import Then, Ticket


class Acknowledger(Protocol):
    """Acknowledges decisions and rewards: ``then(error)`` runs, and the ticket completes, once the record is durable
    (:class:`WriteAheadLog`), or at once in a loop that is not durable (:class:`NotDurable`)."""

    def decision(self, d: Decision, then: Then | None = None) -> Ticket: ...

    def reward(self, event_id: str, reward: Reward, then: Then | None = None) -> Ticket: ...

    def late_reward(self, late: LateReward, then: Then | None = None) -> Ticket: ...


class RawLogged:
    """Writes each record to the raw log, then acknowledges it through ``durable`` (the raw lines are synced
    before their records leave the write-ahead log: :meth:`Journal.sync`)."""

    def __init__(self, raw: EventLog, durable: Acknowledger) -> None:
        self._raw, self._durable = raw, durable

    def decision(self, d: Decision, then: Then | None = None) -> Ticket:
        self._raw.write([raw_decision(d)])
        return self._durable.decision(d, then)

    def reward(self, event_id: str, reward: Reward, then: Then | None = None) -> Ticket:
        self._raw.write([raw_reward(event_id, reward, None)])
        return self._durable.reward(event_id, reward, then)

    def late_reward(self, late: LateReward, then: Then | None = None) -> Ticket:
        self._raw.write([raw_reward(late.event_id, late.reward, late.mode)])
        return self._durable.late_reward(late, then)


class PendingSync:
    """A sync of the journal's logs begun under the loop's lock (:meth:`Journal.begin_sync`), with the records the
    WAL may drop once it is durable."""

    def __init__(self, events: SyncPoint, raw: SyncPoint | None, done: list[str], late_done: list[str]) -> None:
        self.events, self.raw, self.done, self.late_done = events, raw, done, late_done
        self.durable = False

    def fsync(self) -> None:
        """Make the lines written before it began durable; no lock needed."""
        try:
            self.events.fsync()
            if self.raw is not None:
                self.raw.fsync()
            self.durable = True
        finally:
            self.close()

    def close(self) -> None:
        self.events.close()
        if self.raw is not None:
            self.raw.close()


class Journal:
    """Not thread-safe: the loop serialises calls (the write-ahead log commits on its own thread)."""

    def __init__(self, events: EventLog, wal: WriteAheadLog | None, clock: Clock, log_sync_s: float, raw: EventLog | None = None) -> None:
        self.events, self.wal, self._clock = events, wal, clock
        self.raw = raw  # every decision and reward as it is acknowledged, when a log sink ships them
        self.raw_holds_wal = wal is not None and wal.raw_logged
        """Whether the raw log holds every record the WAL holds: the last run closed cleanly (its mark), or recovery
        wrote them again after a crash; until then a close must not mark it (a start that failed before recovery)."""
        durable: Acknowledger = wal or NotDurable()
        self.acknowledge: Acknowledger = durable if raw is None else RawLogged(raw, durable)
        """Where decisions and rewards go before they are acknowledged (each record: one call, no layer between)."""
        self._log_sync_s = log_sync_s
        self._last_sync = clock.monotonic()
        self._done: list[str] = []  # event ids the event log now holds: they leave the WAL at the next sync
        self._late_done: list[str] = []  # keys of late rewards handled: they leave the WAL at the next sync
        self._late_lines: list[str] = []
        self.late = LateLog(events.directory, events.segment_bytes, events.durable)
        self._syncing: PendingSync | None = None  # begun by sync_if_due, being fsynced outside the loop's lock
        self._unforgotten: list[tuple[list[str], list[str]]] = []  # drops the WAL could not commit (its thread appends)

    # -- learned: the event log and late.jsonl ---------------------------------------------------
    def write_joined(self, lines: list[bytes], event_ids: Iterable[str]) -> None:
        """Append joined events (DSJSON lines, each ending in its newline); their WAL records go at the next sync."""
        self.events.write(lines)
        if self.wal is not None:
            self._done.extend(event_ids)

    def handle_late(self, late: Iterable[LateReward]) -> None:
        """Late rewards a tick handled: ``log`` ones go to ``late.jsonl``; all leave the WAL at the next sync (the
        ``learn`` ones' examples went through :meth:`write_joined`)."""
        late = list(late)
        self._late_lines.extend(reward.line() for reward in late if reward.mode == "log")
        self.forget_late(reward.key for reward in late)

    def forget_late(self, keys: Iterable[str]) -> None:
        """Late rewards whose handling the files already hold: they leave the WAL at the next sync."""
        if self.wal is not None:
            self._late_done.extend(keys)

    def forget_logged(self, event_ids: Iterable[str]) -> None:
        """Decisions the event log already holds: they leave the WAL at the next sync."""
        if self.wal is not None:
            self._done.extend(event_ids)

    def flush_late(self) -> None:
        """Append the late lines handled since the last call to ``late.jsonl`` (:class:`LateLog`)."""
        if self._late_lines:
            self.late.append(self._late_lines)
            self._late_lines = []

    def late_keys(self) -> set[str]:
        """The keys of every late reward ``late.jsonl`` (and the full one it replaced) holds."""
        return self.late.keys()

    def sync_if_due(self) -> PendingSync | None:
        """A sync begun when one is due and none is under way: the caller fsyncs it outside the loop's lock
        (:meth:`PendingSync.fsync`), then ends it under that lock (:meth:`end_sync`)."""
        if self._syncing is None and self._clock.monotonic() - self._last_sync >= self._log_sync_s:
            self._syncing = self.begin_sync()
            return self._syncing
        return None

    def begin_sync(self) -> PendingSync:
        """Flush the logs and take the records their lines now hold; more lines may be written before it ends, and
        their records wait for the next sync."""
        self.flush_late()
        while self._unforgotten:  # tried again with this sync's records
            done, late_done = self._unforgotten.pop()
            self._done[:0], self._late_done[:0] = done, late_done
        events = self.events.begin_sync()
        raw = self.raw.begin_sync() if self.raw is not None else None  # its lines are written before their records are acknowledged
        pending = PendingSync(events, raw, self._done, self._late_done)
        self._done, self._late_done = [], []
        self._last_sync = self._clock.monotonic()
        return pending

    def end_sync(self, pending: PendingSync) -> LogPosition:
        """Once ``pending`` is fsynced, let the WAL drop the records it took (a crash in between relearns nothing
        twice: recovery skips WAL decisions found in the log); a sync that failed hands them to the next one."""
        if self._syncing is pending:
            self._syncing = None
        if not pending.durable:
            self._done[:0], self._late_done[:0] = pending.done, pending.late_done
            return self.events.synced
        position = self.events.end_sync(pending.events)
        if self.raw is not None and pending.raw is not None:
            self.raw.end_sync(pending.raw)
        if self.wal is not None:
            self.wal.forget(pending.done, self._kept(pending.done, []))
            self.wal.forget_late(pending.late_done, self._kept([], pending.late_done))
        return position

    def _kept(self, done: list[str], late_done: list[str]) -> Then:
        """What a drop the WAL could not commit (a full disk) leaves: its records, dropped again at the next sync."""
        def then(error: BaseException | None) -> None:
            if error is not None:
                self._unforgotten.append((done, late_done))
        return then

    def check_dropped(self) -> None:
        """Raise while the WAL still holds records the event log has (a drop it could not commit, tried again at the
        next sync): a checkpoint covering their lines now would have a restart learn them twice."""
        if self._unforgotten:
            count = sum(len(done) + len(late) for done, late in self._unforgotten)
            raise CheckpointError(f"the write-ahead log in {self.events.directory} could not drop {count} records the event "
                                  "log already holds (is the disk full or read-only?); the checkpoint waits for the next sync to drop them")

    def sync(self) -> LogPosition:
        """Sync the event log now, then let the WAL drop what it holds: also the records of a sync under way, whose
        lines are durable now too (a checkpoint must not cover lines whose records the WAL still holds)."""
        pending = self.begin_sync()
        if self._syncing is not None:
            pending.done = self._syncing.done + pending.done
            pending.late_done = self._syncing.late_done + pending.late_done
        try:
            pending.fsync()
        finally:
            position = self.end_sync(pending)
        return position

    def prune(self, covered: LogPosition) -> None:
        """Delete the segments nothing needs any more, each log beyond its ``keep_segments`` and never one a block-mode
        sink's hold (its persisted cursor) still needs: the event log's before ``covered`` (a checkpoint's position,
        what a restart relearns from); the raw log's before its synced end (a restart after a crash refills it from the WAL,
        never reads it back)."""
        self.events.prune(covered)
        if self.raw is not None:
            self.raw.prune(self.raw.synced)

    def flush(self) -> None:
        """Wait until the WAL committed everything queued (its forgets included)."""
        if self.wal is not None:
            self.wal.flush()

    def close(self) -> None:
        """Sync and close; the WAL notes that the raw log (just synced) holds every record it keeps for the next start."""
        self.sync()
        self.events.close()
        if self.raw is not None:
            self.raw.close()
        if self.wal is not None:
            self.wal.close(raw_logged=self.raw is not None and self.raw_holds_wal)

    def stats(self) -> dict[str, Any]:
        return {"log": {"path": str(self.events.current_path), "lines": self.events.lines_written},
                "wal": {"commits": self.wal.commits, "records": self.wal.records} if self.wal is not None else None}


def raw_decision(d: Decision) -> bytes:
    """A decision as the raw log keeps it (one JSON line).

    >>> line = raw_decision(Decision("e1", "on", 0, 0.9, (0.9, 0.1), ("on", "off"), {"room": {"x": 1.0}}, 3, 12.5))
    >>> line[:80]
    b'{"kind":"decision","event_id":"e1","timestamp":12.5,"action":"on","probability":'
    """
    return orjson.dumps({"kind": "decision", "event_id": d.event_id, "timestamp": d.timestamp, "action": d.action,
                         "probability": d.probability, "actions": d.actions, "pmf": d.pmf, "context": d.context,
                         "model_version": d.model_version}, option=_RAW)


def raw_reward(event_id: str, reward: Reward, late: str | None) -> bytes:
    """A reward as the raw log keeps it; ``late``: the late_reward mode of one that came after its decision's wait."""
    return orjson.dumps({"kind": "reward", "event_id": event_id, "reward": reward.value, "timestamp": reward.timestamp,
                         "reward_id": reward.reward_id, "late": late}, option=_RAW)


_RAW = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY

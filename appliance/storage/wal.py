"""The write-ahead log: SQLite in WAL mode, one writer thread, group commit.

Nothing is acknowledged to anyone before its record is committed here (``Ticket.wait()``). Every write
queued while a commit is under way (plus, optionally, within ``group_commit_ms``) shares the next
transaction, so one fsync covers many of them: under load an SD card sees a few syncs a second, not one
per event. Why SQLite rather than an append-only file: it checksums its
WAL frames (a torn write at power loss is detected and rolled back), deleting joined rows keeps the file
small without a compaction scheme of our own, and recovery is a query (see ``wabbit bench`` for costs).
The pieces: :mod:`appliance.storage.wal_tickets` (what a caller holds until its record is committed, and the
wake-ups of the coroutines waiting), :mod:`appliance.storage.wal_records` (the tables, a decision's row, what a
restart reads back), :mod:`appliance.storage.wal_sql` (the statements of one group commit).
"""

from __future__ import annotations

import itertools
import logging
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from appliance.errors import StorageError
from appliance.join.rewards import LateReward, Reward
from appliance.policy.base import Decision
from appliance.storage.wal_records import (
    RAW_LOGGED,
    Recovered,
    decision_body,
    decision_row,
    next_reward_seq,
    open_database,
    read_recovered,
    take_mark,
)
from appliance.storage.wal_sql import statements
from appliance.storage.wal_tickets import DONE, Then, Ticket, Wakeups
from appliance.storage.writable import IO_ERROR, READ_ONLY, read_only

log = logging.getLogger(__name__)
_MAX_BATCH = 10_000
CHECKPOINT_S = 1.0
_Item = tuple[str, Any, Ticket, Then | None]


class NotDurable:
    """What stands for the write-ahead log in a loop that is not durable (a simulation): everything is
    acknowledged at once.

    >>> done = []
    >>> NotDurable().reward("e1", Reward(1.0, 0.0), done.append) is DONE, done
    (True, [None])
    """

    def decision(self, d: Decision, then: Then | None = None) -> Ticket:
        if then is not None:
            then(None)
        return DONE

    def reward(self, event_id: str, reward: Reward, then: Then | None = None) -> Ticket:
        if then is not None:
            then(None)
        return DONE

    def late_reward(self, late: LateReward, then: Then | None = None) -> Ticket:
        if then is not None:
            then(None)
        return DONE


class WriteAheadLog:
    def __init__(self, path: Path, group_commit_ms: float = 0.0) -> None:
        self.path = path
        self._window = group_commit_ms / 1000.0
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self.commits = 0
        self.records = 0
        self._db = open_database(path)
        try:
            self.raw_logged = take_mark(self._db, RAW_LOGGED)
            """Whether the last run closed with its raw log holding every record this WAL holds (``close(raw_logged=True)``):
            a restart need not write them to the raw log again. Taken at open: a crash of this run leaves it unset."""
        except sqlite3.Error as err:
            self._db.close()
            raise StorageError(f"{path}: cannot open the write-ahead log ({err}); check the data directory is writable") from None
        self._seq = itertools.count(next_reward_seq(self._db))  # in the order rewards are queued, so committed
        self._writing = True  # until the writer thread ends: what _put checks per record (is_alive() costs 3 calls)
        self._thread = threading.Thread(target=self._writer, name="wal-writer", daemon=True)
        self._thread.start()
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="wal-checkpoint", daemon=True)
        self._checkpointer.start()

    def recover(self) -> Recovered:
        """Everything not yet forgotten: pending decisions with their rewards, and rewards without a decision."""
        return read_recovered(self._db)

    def decision(self, d: Decision, then: Then | None = None) -> Ticket:
        """Queue a decision; ``then(error)`` runs on the writer thread once it is committed (``error`` None)."""
        return self._put("d", decision_row(d), then)

    def reward(self, event_id: str, reward: Reward, then: Then | None = None) -> Ticket:
        """Queue an on-time reward (its decision is still waiting)."""
        return self._put("r", (event_id, next(self._seq), reward.value, reward.timestamp, reward.reward_id, None, None, None), then)

    def late_reward(self, late: LateReward, then: Then | None = None) -> Ticket:
        """Queue a late reward, with the mode it was acknowledged under (and, for ``learn``, its decision)."""
        r, body = late.reward, decision_body(late.decision) if late.decision is not None else None
        return self._put("r", (late.event_id, next(self._seq), r.value, r.timestamp, r.reward_id, late.mode, late.key, body), then)

    def forget(self, event_ids: list[str], then: Then | None = None) -> Ticket:
        """Drop decisions (and their on-time rewards) once they are durably in the event log."""
        return self._put("f", [(e,) for e in event_ids], then) if event_ids else DONE

    def forget_late(self, keys: list[str], then: Then | None = None) -> Ticket:
        """Drop late rewards once what they became (a logged line, a learned example, nothing) is durable."""
        return self._put("l", [(k,) for k in keys], then) if keys else DONE

    def flush(self) -> None:
        self._put("n", None).wait()

    def close(self, raw_logged: bool = False) -> None:
        """Commit what is queued and close; ``raw_logged``: the raw log holds every record committed (it was just
        synced), which the next start finds in :attr:`raw_logged`."""
        self._stop.set()
        self._checkpointer.join()
        if self._thread.is_alive():
            self.flush()
            self._queue.put(None)
            self._thread.join()
        try:
            if raw_logged:
                self._db.execute("INSERT OR REPLACE INTO marks VALUES (?)", (RAW_LOGGED,))
        except sqlite3.Error as err:  # the next start writes the pending records to the raw log again: duplicates, no loss
            log.warning("%s: cannot note that the raw log holds every pending record (%s); the next start logs them again", self.path, err)
        finally:
            self._db.close()

    def _put(self, kind: str, payload: Any, then: Then | None = None) -> Ticket:
        ticket = Ticket()
        if not self._writing:
            error = StorageError("the write-ahead log is closed")
            ticket._finish(error)
            if then is not None:
                then(error)
        else:
            self._queue.put((kind, payload, ticket, then))
        return ticket

    def _checkpoint_loop(self) -> None:
        """Copy committed frames into the database file every ``CHECKPOINT_S`` from a connection of its own
        (PASSIVE: it never blocks the writer), so no commit, and so no acknowledgement, waits for a checkpoint
        (SQLite's automatic one runs inside the commit that crosses 1000 pages: a tail of tens of ms)."""
        try:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error:
            log.exception("cannot open the write-ahead log for checkpoints; it grows until the next start")
            return
        failing = False
        try:
            while not self._stop.wait(CHECKPOINT_S):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as err:  # busy or a full disk: the next round tries again; commits go on
                    if not failing:  # once, not every second for as long as the disk is full
                        log.warning("%s: write-ahead log checkpoint failed (%s); retrying every %g s until it works",
                                    self.path, err, CHECKPOINT_S)
                    failing = True
                    continue
                if failing:
                    log.warning("%s: write-ahead log checkpoints work again", self.path)
                failing = False
        finally:
            db.close()

    def _writer(self) -> None:
        """The writer thread: commits until closed; once it ended, for whatever reason, records fail at once."""
        try:
            self._write_loop()
        finally:
            self._writing = False

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch: list[_Item | None] = [first]
            deadline = time.monotonic() + self._window
            while batch[-1] is not None and len(batch) < _MAX_BATCH:
                remaining = deadline - time.monotonic()
                try:  # group commit: what arrives within the window shares this transaction
                    batch.append(self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = batch[-1] is None
            items = [b for b in batch if b is not None]
            error = self._commit(items)
            with Wakeups.held():  # the waiting coroutines of each event loop woken once, all tickets settled
                for _, _, ticket, then in items:
                    if then is not None:  # first: whoever waits on the ticket finds its callback's work done
                        try:
                            then(error)
                        except Exception:  # a callback must not stop the writer: later records still need committing
                            log.exception("a write-ahead log callback failed")
                    ticket._finish(error)
            if stop:
                return

    def _commit(self, items: list[_Item]) -> BaseException | None:
        plan = statements((kind, payload) for kind, payload, _, _ in items)
        try:
            if len(plan) == 1:  # one statement is its own transaction (appliance.storage.wal_sql)
                self._db.execute(*plan[0])
            elif plan:
                self._db.execute("BEGIN")
                for statement in plan:
                    self._db.execute(*statement)
                self._db.execute("COMMIT")
        except sqlite3.Error as err:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            return self._refused(err)
        self.commits += 1
        self.records += len(items)
        return None

    def _refused(self, err: sqlite3.Error) -> BaseException:
        """What a failed commit tells whoever waits for it: on a full disk, a read-only file system or a disk's I/O
        error (SQLite says only "disk I/O error" for the last two), where and what to do."""
        code = getattr(err, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY):
            why = READ_ONLY if read_only(self.path.parent) else IO_ERROR
            return StorageError(f"the write-ahead log in the data directory {self.path.parent} cannot commit ({err}): "
                                f"{why}; decisions and rewards are taken again, without a restart, once it can")
        if code != sqlite3.SQLITE_FULL:
            return err
        return StorageError(f"the disk of the data directory {self.path.parent} is full, so the write-ahead log cannot "
                            "grow: free space on that disk (delete files you do not need on it); decisions and rewards "
                            "are taken again as soon as there is room, without a restart")

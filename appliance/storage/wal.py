"""The write-ahead log: SQLite in WAL mode, one writer thread, group commit.

Nothing is acknowledged to anyone before its record is committed here (``Ticket.wait()``). Every write
queued while a commit is under way (plus, optionally, within ``group_commit_ms``) shares the next
transaction, so one fsync covers many of them: under load an SD card sees a few syncs a second, not one
per event. Why SQLite rather than an append-only file: it checksums its
WAL frames (a torn write at power loss is detected and rolled back), deleting joined rows keeps the file
small without a compaction scheme of our own, and recovery is a query (see ``wabbit bench`` for costs).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from appliance.errors import StorageError
from appliance.join.joiner import LateReward, Reward
from appliance.policy.base import Decision
from appliance.storage.wal_sql import statements

log = logging.getLogger(__name__)
_MAX_BATCH = 10_000
CHECKPOINT_S = 1.0
GIVE_UP_TICK_S = 0.25
"""How often an event loop looks for waits on the log that are past their timeout."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (event_id TEXT PRIMARY KEY, ts REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rewards (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, value REAL NOT NULL, ts REAL NOT NULL, reward_id TEXT);
CREATE INDEX IF NOT EXISTS rewards_event ON rewards(event_id);
"""
# Late rewards (added after the first release; a WAL from before gets the columns, its rows stay on-time ones):
# `late` is the late_reward mode they were acknowledged under, `key` names them, `decision` is the closed
# decision's body a `learn` one is learned with.
_LATE_COLUMNS = {"late": "TEXT", "key": "TEXT", "decision": "TEXT"}


class Ticket:
    """Completes when the record it stands for is committed (or the commit failed).

    A thread blocks in :meth:`wait`; a coroutine awaits :meth:`wait_async`, which holds no thread meanwhile
    (the writer thread wakes the event loop once the commit is done). A ticket is two fields until someone waits on
    it (a ``threading.Event`` per record, made on the event loop, was a twentieth of its time per HTTP decide).
    """

    __slots__ = ("_error", "_callbacks")

    def __init__(self) -> None:
        self._error: BaseException | None = None
        self._callbacks: list[Then] | None = []  # None once completed

    def _finish(self, error: BaseException | None) -> None:
        self._error = error
        with _CALLBACKS:
            callbacks, self._callbacks = self._callbacks, None
        for callback in callbacks or ():
            try:
                callback(error)
            except Exception:  # e.g. the event loop that waited is closed: the writer must go on
                log.exception("a write-ahead log ticket callback failed")

    def when_done(self, callback: Then) -> None:
        """Call ``callback(error)`` once committed (``error`` None) or failed: at once if that already happened,
        else on the writer thread (it must not block)."""
        with _CALLBACKS:
            if self._callbacks is not None:
                self._callbacks.append(callback)
                return
        callback(self._error)

    def wait(self, timeout: float | None = 10.0) -> None:
        """Block until committed; raise :class:`StorageError` if the commit failed or took too long."""
        if self._callbacks is not None:
            done = threading.Event()
            self.when_done(lambda error: done.set())
            if not done.wait(timeout):
                raise StorageError(f"the write-ahead log did not commit within {timeout} s (disk stalled?)")
        self._raise()

    async def wait_async(self, timeout: float = 10.0) -> None:
        """:meth:`wait` for a coroutine: the event loop serves other requests until the commit is done.

        >>> ticket = Ticket()
        >>> async def committed() -> str:
        ...     threading.Timer(0.01, ticket._finish, (None,)).start()
        ...     await ticket.wait_async()
        ...     return "durable"
        >>> asyncio.run(committed())
        'durable'
        """
        if self._callbacks is not None:
            loop = asyncio.get_running_loop()
            done: asyncio.Future[None] = loop.create_future()
            wakeups = _Wakeups.of(loop)
            self.when_done(lambda error: wakeups.add(done))
            wakeups.give_up(done, timeout)
            try:
                await done
            except TimeoutError:
                raise StorageError(f"the write-ahead log did not commit within {timeout} s (disk stalled?)") from None
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise StorageError(f"the write-ahead log could not commit: {self._error}")


_CALLBACKS = threading.Lock()  # a ticket's callbacks are either added or run, never both at once
_HELD = threading.local()  # the writer's wake-ups to hand over once its tickets are settled (_Wakeups.held)


class _Wakeups:
    """The futures of one event loop's coroutines whose tickets completed, settled in one hand-over to that loop
    however many a commit completes at once (``call_soon_threadsafe`` writes to the loop's wake-up pipe: one system
    call and one wake-up per batch, not per ticket).

    >>> async def two() -> list[bool]:
    ...     loop = asyncio.get_running_loop()
    ...     futures = [loop.create_future(), loop.create_future()]
    ...     for f in futures:
    ...         _Wakeups.of(loop).add(f)
    ...     await asyncio.gather(*futures)
    ...     return [f.done() for f in futures]
    >>> asyncio.run(two())
    [True, True]
    """

    _of_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Wakeups] = weakref.WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._futures: list[asyncio.Future[None]] = []
        self._lock = threading.Lock()
        self._deadlines: list[tuple[float, asyncio.Future[None]]] = []  # only touched on the loop's thread

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Wakeups:
        """The running loop's."""
        wakeups = cls._of_loop.get(loop)
        if wakeups is None:
            with _CALLBACKS:  # the HTTP and gRPC servers' loops run on threads of their own
                wakeups = cls._of_loop.setdefault(loop, cls(loop))
        return wakeups

    def add(self, done: asyncio.Future[None]) -> None:
        """Settle ``done`` soon, on its loop (called from any thread)."""
        with self._lock:
            first = not self._futures
            self._futures.append(done)
        if not first:  # the hand-over already asked for takes this one too
            return
        held: list[_Wakeups] | None = getattr(_HELD, "wakeups", None)
        if held is None:
            self._loop.call_soon_threadsafe(self._settle)
        else:
            held.append(self)

    @staticmethod
    @contextmanager
    def held() -> Iterator[None]:
        """The hand-overs this thread asks for within, made at its end: the writer settles a whole commit's tickets
        before it wakes any loop. Asked for per ticket, the first hand-over's write to the wake-up pipe let go of the
        interpreter's lock, the loop took it and settled one future, and the writer waited for the lock again (up to
        the 5 ms switch interval) before the next ticket, which then needed a hand-over of its own."""
        held: list[_Wakeups] = []
        _HELD.wakeups = held
        try:
            yield
        finally:
            _HELD.wakeups = None
            for wakeups in held:
                try:
                    wakeups._loop.call_soon_threadsafe(wakeups._settle)
                except RuntimeError:  # the loop that waited is closed: the writer must go on
                    log.exception("a write-ahead log wake-up failed")

    def give_up(self, done: asyncio.Future[None], timeout: float) -> None:
        """Fail ``done`` with TimeoutError if it is still pending ``timeout`` s from now (up to ``GIVE_UP_TICK_S``
        later): one timer per loop while futures wait, not one per wait (``asyncio.timeout`` cost a tenth of a
        decide's time on the event loop). Called on the loop's thread."""
        if not self._deadlines:
            self._loop.call_later(GIVE_UP_TICK_S, self._expire)
        self._deadlines.append((self._loop.time() + timeout, done))

    def _expire(self) -> None:
        now, waiting = self._loop.time(), []
        for deadline, done in self._deadlines:
            if done.done():
                continue
            if deadline <= now:
                done.set_exception(TimeoutError())
            else:
                waiting.append((deadline, done))
        self._deadlines = waiting
        if waiting:
            self._loop.call_later(GIVE_UP_TICK_S, self._expire)

    def _settle(self) -> None:
        with self._lock:
            futures, self._futures = self._futures, []
        for done in futures:
            if not done.done():  # not given up (timed out, or the client left)
                done.set_result(None)


DONE = Ticket()
DONE._finish(None)

Then = Callable[[BaseException | None], None]
"""Runs on the writer thread once a record is committed (``None``) or failed (the error)."""
_Item = tuple[str, Any, Ticket, Then | None]


@dataclass(frozen=True)
class Recovered:
    """What the WAL holds: pending decisions, their on-time rewards, and late rewards not yet handled.
    ``orphan_rewards`` are on-time rows whose decision is gone (left by a WAL from before late rewards had rows of
    their own)."""

    decisions: list[Decision]
    rewards: dict[str, list[Reward]]
    late: list[LateReward]
    orphan_rewards: list[tuple[str, Reward]]


def decision_row(d: Decision) -> tuple[str, float, str]:
    return d.event_id, d.timestamp, decision_body(d)


def decision_body(d: Decision) -> str:
    body = {"action_index": d.action_index, "probability": d.probability, "pmf": d.pmf, "actions": d.actions,
            "context": d.context, "model_version": d.model_version}
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def decision_from_row(event_id: str, ts: float, body: str) -> Decision:
    b = orjson.loads(body)
    actions = tuple(b["actions"])
    return Decision(event_id, actions[b["action_index"]], b["action_index"], b["probability"], tuple(b["pmf"]),
                    actions, b["context"], b["model_version"], ts)


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
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run on their own thread, not in a commit
            self._db.executescript(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(rewards)")}
            for column, kind in _LATE_COLUMNS.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE rewards ADD COLUMN {column} {kind}")
            self._db.execute("CREATE INDEX IF NOT EXISTS rewards_key ON rewards(key)")
        except sqlite3.Error as err:
            raise StorageError(f"{path}: cannot open the write-ahead log ({err}); check the data directory is writable") from None
        self._writing = True  # until the writer thread ends: what _put checks per record (is_alive() costs 3 calls)
        self._thread = threading.Thread(target=self._writer, name="wal-writer", daemon=True)
        self._thread.start()
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="wal-checkpoint", daemon=True)
        self._checkpointer.start()

    def recover(self) -> Recovered:
        """Everything not yet forgotten: pending decisions with their rewards, and rewards without a decision."""
        decisions = [decision_from_row(*row) for row in self._db.execute("SELECT event_id, ts, body FROM decisions ORDER BY ts, rowid")]
        known = {d.event_id for d in decisions}
        rewards: dict[str, list[Reward]] = {}
        late: list[LateReward] = []
        orphans: list[tuple[str, Reward]] = []
        query = "SELECT event_id, value, ts, reward_id, late, key, decision FROM rewards ORDER BY seq"
        for event_id, value, ts, reward_id, mode, key, body in self._db.execute(query):
            reward = Reward(value, ts, reward_id)
            if mode is not None:
                late.append(LateReward(key, event_id, reward, mode, decision_from_row(event_id, 0.0, body) if body else None))
            elif event_id in known:
                rewards.setdefault(event_id, []).append(reward)
            else:
                orphans.append((event_id, reward))
        return Recovered(decisions, rewards, late, orphans)

    def decision(self, d: Decision, then: Then | None = None) -> Ticket:
        """Queue a decision; ``then(error)`` runs on the writer thread once it is committed (``error`` None)."""
        return self._put("d", decision_row(d), then)

    def reward(self, event_id: str, reward: Reward, then: Then | None = None) -> Ticket:
        """Queue an on-time reward (its decision is still waiting)."""
        return self._put("r", (event_id, reward.value, reward.timestamp, reward.reward_id, None, None, None), then)

    def late_reward(self, late: LateReward, then: Then | None = None) -> Ticket:
        """Queue a late reward, with the mode it was acknowledged under (and, for ``learn``, its decision)."""
        r, body = late.reward, decision_body(late.decision) if late.decision is not None else None
        return self._put("r", (late.event_id, r.value, r.timestamp, r.reward_id, late.mode, late.key, body), then)

    def forget(self, event_ids: list[str]) -> Ticket:
        """Drop decisions (and their on-time rewards) once they are durably in the event log."""
        return self._put("f", [(e,) for e in event_ids]) if event_ids else DONE

    def forget_late(self, keys: list[str]) -> Ticket:
        """Drop late rewards once what they became (a logged line, a learned example, nothing) is durable."""
        return self._put("l", [(k,) for k in keys]) if keys else DONE

    def flush(self) -> None:
        self._put("n", None).wait()

    def close(self) -> None:
        self._stop.set()
        self._checkpointer.join()
        if self._thread.is_alive():
            self.flush()
            self._queue.put(None)
            self._thread.join()
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
        try:
            while not self._stop.wait(CHECKPOINT_S):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as err:  # busy or a full disk: the next round tries again; commits go on
                    log.warning("write-ahead log checkpoint failed (%s); retrying in %g s", err, CHECKPOINT_S)
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
            with _Wakeups.held():  # the waiting coroutines of each event loop woken once, all tickets settled
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
            return err
        self.commits += 1
        self.records += len(items)
        return None

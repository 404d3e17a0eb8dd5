"""The durable join: decisions and rewards kept in SQLite until the wait is over, in event time.

A reward is kept whether or not its decision has come (one that arrived first waits for it); a decision is
closed once the clock passes ``grace_s`` (how late a record may arrive, the shipping lag: a watermark's delay)
after both the end of its wait (``timestamp + reward_wait_s``) and its own arrival, with the rewards stamped
inside its wait, each reward id once: a decision that comes late still waits ``grace_s`` for the rewards shipped
after it. A decision that says which appliance's log it came in (``DecisionIn.source``; that log shipped in
order) also waits for that appliance's *watermark*, the newest time in the records it shipped, to pass the end
of its wait by ``grace_s``: the appliance has logged past it, so every reward it acknowledged in time for the
decision has come, however long it was down. An appliance that shipped nothing for ``idle_timeout_s`` (counted
from the join's start) no longer holds its decisions: they close by the clock, counted (``closed_idle``) and
logged. A watermark counts from the :meth:`~DurableJoiner.due` after the one that followed its records' add,
so a later batch seen before an earlier one (one listing of a directory) cannot close a decision early. After
a restart, :meth:`DurableJoiner.resume` holds every close and eviction for ``grace_s``, so what was shipped
while the join was down comes in before the decisions whose time passed meanwhile close (the grace counts from
the restart). Rewards whose decision never came are evicted ``grace_s`` after their time and their arrival, and
counted (learning-loop's orphan metric). A record delivered twice (a batch sent again) is kept once, and a
decision delivered again after it closed is recognised for ``late_horizon_s`` and not joined twice. Every
:meth:`DurableJoiner.add` is one transaction: what it returned from is on disk, and a process killed at any
point restarts where the last commit left it.

>>> import tempfile
>>> from appliance.config import JoinConfig
>>> from appliance.fleet.records import DecisionIn, RewardIn
>>> path = Path(tempfile.mkdtemp()) / "join.db"
>>> joiner = DurableJoiner(path, JoinConfig(reward_wait_s=10), grace_s=2)
>>> joiner.add([RewardIn("e1", 1.0, 3.0, "r1", 3.5), DecisionIn("e1", 0.0, 4.0), RewardIn("x", 1.0, 1.0, "r9", 4.0)])
>>> joiner.due(11.0), [(j.event_id, j.reward, j.rewards) for j in joiner.due(12.0)], joiner.orphans_evicted
([], [('e1', 1.0, 1)], 1)
>>> joiner.add([DecisionIn("e2", 20.0, 20.5)]); joiner.close()  # down from 21 to 60; e2 closes at 32
>>> joiner = DurableJoiner(path, JoinConfig(reward_wait_s=10), grace_s=2); joiner.resume(60.0)
>>> joiner.due(61.0)  # held: its reward, shipped while the join was down, comes now
[]
>>> joiner.add([RewardIn("e2", 0.5, 25.0, "r2", 61.5)])
>>> [(j.event_id, j.reward) for j in joiner.due(62.0)]
[('e2', 0.5)]
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Sequence

from appliance.config.join import JoinConfig
from appliance.errors import StorageError
from appliance.fleet.records import DecisionIn, Joined, Record, combine
from appliance.join.rewards import Reward

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (event_id TEXT PRIMARY KEY, ts REAL NOT NULL, closes REAL NOT NULL, body BLOB);
CREATE INDEX IF NOT EXISTS decisions_closes ON decisions(closes);
CREATE TABLE IF NOT EXISTS rewards (event_id TEXT NOT NULL, reward_id TEXT, value REAL NOT NULL, ts REAL NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS rewards_once ON rewards(event_id, coalesce(reward_id, ''), ts, value);
CREATE INDEX IF NOT EXISTS rewards_ts ON rewards(ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sources (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS closed (event_id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS closed_at ON closed(at);
CREATE TABLE IF NOT EXISTS streams (name TEXT PRIMARY KEY, watermark REAL, seen REAL NOT NULL, last_arrival REAL NOT NULL);
"""
_ADDED_COLUMNS = (("decisions", "source TEXT"), ("rewards", "arrival REAL"))
"""Columns a database made before the per-appliance watermark lacks (its rows: no appliance, arrived long ago)."""
Write = Callable[[int, list[tuple[Joined, "bytes | None"]]], None]
"""Writes a batch of joined decisions (numbered from 0) before the transaction that forgets them commits."""


class DurableJoiner:
    """Not thread-safe: one thread adds and closes. ``fsync``: a commit survives a power cut (``synchronous=FULL``),
    not only a killed process."""

    def __init__(self, path: Path, config: JoinConfig, grace_s: float, fsync: bool = True,
                 idle_timeout_s: float = math.inf) -> None:
        self.path, self.config, self.grace_s, self.idle_timeout_s = path, config, grace_s, idle_timeout_s
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._db.executescript(_SCHEMA)
            for table, column in _ADDED_COLUMNS:
                if column.split()[0] not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        except sqlite3.Error as err:
            raise StorageError(f"{path}: cannot open the join's database ({err}); check the directory is writable") from None
        self.orphans_evicted = int(self._meta("orphans"))
        self.closed_idle = int(self._meta("idle"))
        """Decisions closed by the clock because their appliance shipped nothing for ``idle_timeout_s``."""
        self.next_batch = int(self._meta("batch"))
        """The number the next batch of joined decisions gets."""
        self.held_until = self.resumed_at = -math.inf
        """Nothing closes or is evicted before ``held_until``; an appliance's idle time counts from ``resumed_at`` on
        (see :meth:`resume`)."""

    def _meta(self, key: str) -> float:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else 0.0

    def sources(self) -> set[str]:
        """The names of the sources (files) already added."""
        return {name for (name,) in self._db.execute("SELECT name FROM sources")}

    def add(self, records: Iterable[Record], bodies: dict[str, bytes] | None = None, sources: Sequence[str] = ()) -> None:
        """Keep ``records`` (one transaction, with the names of the ``sources`` they came from, so a source is
        added once); ``bodies``: what each decision is written out with, by event id. The newest time of each
        appliance's records (``source``) is its watermark from the second :meth:`due` after this on."""
        wait, grace, bodies = self.config.reward_wait_s, self.grace_s, bodies or {}
        decisions, rewards = [], []
        streams: dict[str, tuple[float, float]] = {}
        for r in records:
            if isinstance(r, DecisionIn):
                closes = max(r.timestamp + wait, r.arrival) + grace
                decisions.append((r.event_id, r.timestamp, closes, bodies.get(r.event_id), r.source, r.event_id))
            else:
                rewards.append((r.event_id, r.reward_id, r.value, r.timestamp, r.arrival))
            if r.source is not None:
                seen, arrived = streams.get(r.source, (r.timestamp, r.arrival))
                streams[r.source] = (max(seen, r.timestamp), max(arrived, r.arrival))
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO decisions (event_id, ts, closes, body, source) SELECT ?, ?, ?, ?, ? "
                                 "WHERE NOT EXISTS (SELECT 1 FROM closed WHERE event_id = ?)", decisions)
            self._db.executemany("INSERT OR IGNORE INTO rewards (event_id, reward_id, value, ts, arrival) VALUES (?, ?, ?, ?, ?)",
                                 rewards)
            self._db.executemany("INSERT INTO streams VALUES (?, NULL, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                                 "seen = max(seen, excluded.seen), last_arrival = max(last_arrival, excluded.last_arrival)",
                                 [(name, seen, arrived) for name, (seen, arrived) in streams.items()])
            self._db.executemany("INSERT OR IGNORE INTO sources VALUES (?)", [(name,) for name in sources])

    def resume(self, now: float) -> None:
        """The join starts again at ``now`` (its input open again) after being down: hold every close and eviction
        until ``now + grace_s``, so the records shipped while it was down arrive before the decisions whose wait
        and grace ended meanwhile close without them; an appliance's idle time counts from ``now``."""
        self.resumed_at, self.held_until = now, now + self.grace_s

    def due(self, now: float) -> list[Joined]:
        """Close every decision whose wait (and grace) ended by ``now`` and, when it came from an appliance, whose
        appliance's watermark passed it too (or that appliance is idle), oldest first, and forget it (one transaction)."""
        return [joined for joined, _ in self.due_with_bodies(now)]

    def due_with_bodies(self, now: float, write: Write | None = None) -> list[tuple[Joined, bytes | None]]:
        """:meth:`due` with each decision's body; ``write(batch, joined)`` runs before the commit (a crash after
        it and before the commit closes the same decisions again, as the same batch number)."""
        db, config = self._db, self.config
        if now < self.held_until:
            return []
        passed = config.reward_wait_s + self.grace_s
        idle_before = now - self.idle_timeout_s if self.resumed_at <= now - self.idle_timeout_s else -math.inf
        out: list[tuple[Joined, bytes | None]] = []
        idle = Counter[str]()
        with self._transaction():
            rows = db.execute(
                "SELECT d.event_id, d.ts, d.body, d.source, coalesce(s.watermark < d.ts + :passed, 1) FROM decisions d "
                "LEFT JOIN streams s ON s.name = d.source WHERE d.closes <= :now AND (d.source IS NULL OR "
                "s.watermark >= d.ts + :passed OR s.last_arrival <= :idle_before) ORDER BY d.closes",
                {"now": now, "passed": passed, "idle_before": idle_before}).fetchall()
            if rows:
                out, idle = self._close(rows, now)
            if idle:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('idle', ?)", (self.closed_idle + idle.total(),))
            self._evict(now)
            db.execute("UPDATE streams SET watermark = seen WHERE watermark IS NULL OR watermark < seen")
            if rows:
                if write is not None:
                    write(self.next_batch, out)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('batch', ?)", (self.next_batch + 1,))
        if rows:
            self.next_batch += 1
        for source, n in idle.items():
            log.warning("appliance %s has shipped nothing for %.0f s (idle_timeout_s): %d of its decisions closed by the "
                        "clock before its log passed them (a reward it logs later misses them)", source, self.idle_timeout_s, n)
        self.closed_idle += idle.total()
        return out

    def _close(self, rows: list[tuple[str, float, bytes | None, str | None, int]],
               now: float) -> tuple[list[tuple[Joined, bytes | None]], Counter[str]]:
        """Join and forget the decisions of ``rows`` (in the open transaction); and how many of them, by appliance,
        an idle appliance's timeout closed."""
        db = self._db
        rewards: dict[str, list[Reward]] = {}
        db.execute("CREATE TEMP TABLE IF NOT EXISTS closing (event_id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM closing")
        db.executemany("INSERT INTO closing VALUES (?)", [(r[0],) for r in rows])
        for event_id, reward_id, value, ts in db.execute(
                "SELECT event_id, reward_id, value, ts FROM rewards WHERE event_id IN (SELECT event_id FROM closing)"):
            rewards.setdefault(event_id, []).append(Reward(value, ts, reward_id))
        out, idle = [], Counter[str]()
        for event_id, ts, body, source, early in rows:
            value, n = combine(ts, rewards.get(event_id, ()), self.config)
            out.append((Joined(event_id, value, n, ts, now), body))
            if source is not None and early:
                idle[source] += 1
        db.execute("DELETE FROM rewards WHERE event_id IN (SELECT event_id FROM closing)")
        db.execute("DELETE FROM decisions WHERE event_id IN (SELECT event_id FROM closing)")
        db.execute("INSERT OR IGNORE INTO closed SELECT event_id, ? FROM closing", (now,))
        return out, idle

    def _evict(self, now: float) -> None:
        """Rewards no decision can still claim: stamped and arrived before ``now - grace_s`` with no decision kept (it
        never came, or it closed before they arrived; a grace after its arrival, its decision, earlier in its
        appliance's log, is in even if a listing of the inbox saw a later batch before it)."""
        gone = self._db.execute("DELETE FROM rewards WHERE ts < :before AND coalesce(arrival, ts) < :before AND "
                                "event_id NOT IN (SELECT event_id FROM decisions)", {"before": now - self.grace_s}).rowcount
        self._db.execute("DELETE FROM closed WHERE at < ?", (now - self.config.late_horizon_s,))
        if gone:
            self.orphans_evicted += gone
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('orphans', ?)", (self.orphans_evicted,))

    def state(self) -> tuple[int, int]:
        """(records kept: decisions, rewards and the closed decisions remembered; bytes the database holds on disk,
        with its write-ahead log)."""
        db = self._db
        records = db.execute("SELECT (SELECT count(*) FROM decisions) + (SELECT count(*) FROM rewards) "
                             "+ (SELECT count(*) FROM closed)").fetchone()[0]
        wal = Path(f"{self.path}-wal")
        return int(records), self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self.path)

    def close(self) -> None:
        self._db.close()


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db, self._path = db, path

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as err:
                self._db.execute("ROLLBACK")
                raise StorageError(f"{self._path}: the join could not commit ({err}); check the free space") from None
        self._db.execute("ROLLBACK")

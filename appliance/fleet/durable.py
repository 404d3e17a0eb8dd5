"""The durable join: decisions and rewards kept in SQLite until the wait is over, in event time.

A reward is kept whether or not its decision has come (one that arrived first waits for it); a decision is
closed once the clock passes ``timestamp + reward_wait_s + grace_s`` (``grace_s``: how late a record may
arrive, the shipping lag: a watermark's delay), with the rewards stamped inside its wait, each reward id once.
Rewards whose decision never came are evicted ``grace_s`` after the wait they could have belonged to, and
counted (learning-loop's orphan metric). Every :meth:`DurableJoiner.add` is one transaction: what it returned
from is on disk, and a process killed at any point restarts where the last commit left it.

>>> import tempfile
>>> from appliance.config import JoinConfig
>>> from appliance.fleet.records import DecisionIn, RewardIn
>>> joiner = DurableJoiner(Path(tempfile.mkdtemp()) / "join.db", JoinConfig(reward_wait_s=10), grace_s=2)
>>> joiner.add([RewardIn("e1", 1.0, 3.0, "r1", 3.5), DecisionIn("e1", 0.0, 4.0), RewardIn("x", 1.0, 1.0, "r9", 4.0)])
>>> joiner.due(11.0), [(j.event_id, j.reward, j.rewards) for j in joiner.due(12.0)], joiner.orphans_evicted
([], [('e1', 1.0, 1)], 1)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable

from appliance.config.join import JoinConfig
from appliance.errors import StorageError
from appliance.fleet.records import DecisionIn, Joined, Record, combine
from appliance.join.joiner import Reward

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (event_id TEXT PRIMARY KEY, ts REAL NOT NULL, closes REAL NOT NULL, body BLOB);
CREATE INDEX IF NOT EXISTS decisions_closes ON decisions(closes);
CREATE TABLE IF NOT EXISTS rewards (event_id TEXT NOT NULL, reward_id TEXT, value REAL NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rewards_event ON rewards(event_id);
CREATE INDEX IF NOT EXISTS rewards_ts ON rewards(ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
"""


class DurableJoiner:
    """Not thread-safe: one thread adds and closes. ``fsync``: a commit survives a power cut (``synchronous=FULL``),
    not only a killed process."""

    def __init__(self, path: Path, config: JoinConfig, grace_s: float, fsync: bool = True) -> None:
        self.path, self.config, self.grace_s = path, config, grace_s
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as err:
            raise StorageError(f"{path}: cannot open the join's database ({err}); check the directory is writable") from None
        row = self._db.execute("SELECT value FROM meta WHERE key = 'orphans'").fetchone()
        self.orphans_evicted = int(row[0]) if row else 0

    def add(self, records: Iterable[Record], bodies: dict[str, bytes] | None = None) -> None:
        """Keep ``records`` (one transaction); ``bodies``: what each decision is written out with, by event id."""
        wait, bodies = self.config.reward_wait_s + self.grace_s, bodies or {}
        decisions, rewards = [], []
        for r in records:
            if isinstance(r, DecisionIn):
                decisions.append((r.event_id, r.timestamp, r.timestamp + wait, bodies.get(r.event_id)))
            else:
                rewards.append((r.event_id, r.reward_id, r.value, r.timestamp))
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO decisions VALUES (?, ?, ?, ?)", decisions)
            self._db.executemany("INSERT INTO rewards VALUES (?, ?, ?, ?)", rewards)

    def due(self, now: float) -> list[Joined]:
        """Close every decision whose wait (and grace) ended by ``now``, oldest first, and forget it (one transaction)."""
        return [joined for joined, _ in self.due_with_bodies(now)]

    def due_with_bodies(self, now: float) -> list[tuple[Joined, bytes | None]]:
        db, config = self._db, self.config
        if not db.execute("SELECT 1 FROM decisions WHERE closes <= ? LIMIT 1", (now,)).fetchone():
            with self._transaction():
                self._evict(now)
            return []
        with self._transaction():
            rows = db.execute("SELECT event_id, ts, body FROM decisions WHERE closes <= ? ORDER BY closes", (now,)).fetchall()
            rewards: dict[str, list[Reward]] = {}
            db.execute("CREATE TEMP TABLE IF NOT EXISTS closing (event_id TEXT PRIMARY KEY)")
            db.execute("DELETE FROM closing")
            db.executemany("INSERT INTO closing VALUES (?)", [(r[0],) for r in rows])
            for event_id, reward_id, value, ts in db.execute(
                    "SELECT event_id, reward_id, value, ts FROM rewards WHERE event_id IN (SELECT event_id FROM closing)"):
                rewards.setdefault(event_id, []).append(Reward(value, ts, reward_id))
            out = []
            for event_id, ts, body in rows:
                value, n = combine(ts, rewards.get(event_id, ()), config)
                out.append((Joined(event_id, value, n, ts, now), body))
            db.execute("DELETE FROM rewards WHERE event_id IN (SELECT event_id FROM closing)")
            db.execute("DELETE FROM decisions WHERE closes <= ?", (now,))
            self._evict(now)
        return out

    def _evict(self, now: float) -> None:
        """Rewards no decision can still claim: stamped before ``now - grace_s`` with no decision kept (it never
        came, or it closed before they arrived)."""
        gone = self._db.execute(
            "DELETE FROM rewards WHERE ts < ? AND event_id NOT IN (SELECT event_id FROM decisions)", (now - self.grace_s,)).rowcount
        if gone:
            self.orphans_evicted += gone
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('orphans', ?)", (self.orphans_evicted,))

    def state(self) -> tuple[int, int]:
        """(records kept, bytes the database holds on disk, with its write-ahead log)."""
        db = self._db
        records = db.execute("SELECT (SELECT count(*) FROM decisions) + (SELECT count(*) FROM rewards)").fetchone()[0]
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

"""What the write-ahead log holds on disk: its tables, the row a decision is stored as, and what a restart reads
back (:class:`Recovered`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import orjson

from appliance.errors import StorageError
from appliance.join.rewards import LateReward, Reward
from appliance.policy.base import Decision

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (event_id TEXT PRIMARY KEY, ts REAL NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rewards (event_id TEXT NOT NULL, seq INTEGER NOT NULL, value REAL NOT NULL, ts REAL NOT NULL,
  reward_id TEXT, late TEXT, key TEXT, decision TEXT, PRIMARY KEY (event_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rewards_late ON rewards(key) WHERE key IS NOT NULL;
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY) WITHOUT ROWID;
"""
# Each commit writes every page it changes (4 KiB each, then synced), so a record touches as few as it can: one, its
# row in a table kept in the order of its key, with no rowid table and index beside it (a reward's `seq` numbers it,
# given by the writer: no AUTOINCREMENT counter); a late reward a second, its key in a partial index. A late reward's
# `late` is the late_reward mode it was acknowledged under, `key` names it, `decision` is the closed decision's body a
# `learn` one is learned with.
# `marks` holds what a clean close leaves for the next start (:data:`RAW_LOGGED`): a row written at close, taken at open.
_LATE_COLUMNS = ("late", "key", "decision")
RAW_LOGGED = "raw-logged"
"""The mark of a clean close whose last sync made every record the WAL holds durable in the raw log too."""
WAL_SIZE_LIMIT = 4 << 20
"""What the ``-wal`` file is cut back to (``journal_size_limit``) when the first commit after a complete checkpoint
starts it over: without a limit it keeps its high-water size (a backlog while checkpoints could not run: hundreds of
MB on a small SD card). 4 MiB is SQLite's own automatic checkpoint size (1000 pages), above what the writer commits
between two of our checkpoints (``CHECKPOINT_S``) in steady use, so the file is only cut after a burst, not grown
again and cut at every start-over (each growth costs the file system's metadata a write at the commit's sync). Our
checkpoints stay PASSIVE (never blocking a commit): a TRUNCATE one would cut it to nothing, but waits for the writer."""


def open_database(path: Path) -> sqlite3.Connection:
    """The write-ahead log's database at ``path`` (made, or rebuilt from an earlier release's tables, if need be), in
    WAL mode with full syncs, without automatic checkpoints, its ``-wal`` file kept to :data:`WAL_SIZE_LIMIT`."""
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run on their own thread, not in a commit
        db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")  # the writer's connection: it starts the file over
        _rebuild_old_tables(db)
        db.executescript(_SCHEMA)
    except sqlite3.Error as err:
        raise StorageError(f"{path}: cannot open the write-ahead log ({err}); check the data directory is writable") from None
    return db


def _rebuild_old_tables(db: sqlite3.Connection) -> None:
    """Move the records of a WAL an earlier release made (tables with a rowid beside their indexes, rewards numbered by
    AUTOINCREMENT, maybe without the late-reward columns: two to four pages a record) into today's tables, in one
    transaction: all of them, or, if it fails, none (the old tables stay as they were)."""
    tables = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('decisions', 'rewards')"))
    if not tables or all("WITHOUT ROWID" in sql for sql in tables.values()):
        return
    have = {row[1] for row in db.execute("PRAGMA table_info(rewards)")}
    late = ", ".join(column if column in have else "NULL" for column in _LATE_COLUMNS)
    db.execute("BEGIN IMMEDIATE")
    try:
        for name in tables:
            db.execute(f"ALTER TABLE {name} RENAME TO old_{name}")
        for index in ("rewards_event", "rewards_key", "rewards_late"):  # each release's indexes
            db.execute(f"DROP INDEX IF EXISTS {index}")
        for statement in filter(str.strip, _SCHEMA.split(";")):
            db.execute(statement)
        if "decisions" in tables:
            db.execute("INSERT INTO decisions SELECT event_id, ts, body FROM old_decisions")
        if "rewards" in tables:
            db.execute(f"INSERT INTO rewards SELECT event_id, seq, value, ts, reward_id, {late} FROM old_rewards")
        for name in tables:
            db.execute(f"DROP TABLE old_{name}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


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


def take_mark(db: sqlite3.Connection, name: str) -> bool:
    """Whether the mark ``name`` was left, which it no longer is (committed before anything else is)."""
    if db.execute("SELECT 1 FROM marks WHERE name = ?", (name,)).fetchone() is None:
        return False
    db.execute("DELETE FROM marks WHERE name = ?", (name,))
    return True


def next_reward_seq(db: sqlite3.Connection) -> int:
    """The number the next reward record gets: above every one the WAL holds, so they are read back in their order."""
    (highest,) = db.execute("SELECT max(seq) FROM rewards").fetchone()
    return (highest or 0) + 1


def read_recovered(db: sqlite3.Connection) -> Recovered:
    """Everything not yet forgotten: pending decisions with their rewards, and rewards without a decision."""
    decisions = [decision_from_row(*row) for row in db.execute("SELECT event_id, ts, body FROM decisions ORDER BY ts, event_id")]
    known = {d.event_id for d in decisions}
    rewards: dict[str, list[Reward]] = {}
    late: list[LateReward] = []
    orphans: list[tuple[str, Reward]] = []
    query = "SELECT event_id, value, ts, reward_id, late, key, decision FROM rewards ORDER BY seq"
    for event_id, value, ts, reward_id, mode, key, body in db.execute(query):
        reward = Reward(value, ts, reward_id)
        if mode is not None:
            late.append(LateReward(key, event_id, reward, mode, decision_from_row(event_id, 0.0, body) if body else None))
        elif event_id in known:
            rewards.setdefault(event_id, []).append(reward)
        else:
            orphans.append((event_id, reward))
    return Recovered(decisions, rewards, late, orphans)

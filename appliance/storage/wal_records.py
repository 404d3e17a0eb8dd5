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
CREATE TABLE IF NOT EXISTS decisions (event_id TEXT PRIMARY KEY, ts REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rewards (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, value REAL NOT NULL, ts REAL NOT NULL, reward_id TEXT);
CREATE INDEX IF NOT EXISTS rewards_event ON rewards(event_id);
"""
# Late rewards (added after the first release; a WAL from before gets the columns, its rows stay on-time ones):
# `late` is the late_reward mode they were acknowledged under, `key` names them, `decision` is the closed
# decision's body a `learn` one is learned with.
_LATE_COLUMNS = {"late": "TEXT", "key": "TEXT", "decision": "TEXT"}


def open_database(path: Path) -> sqlite3.Connection:
    """The write-ahead log's database at ``path`` (made, or given the late-reward columns, if need be), in WAL mode
    with full syncs and without automatic checkpoints."""
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run on their own thread, not in a commit
        db.executescript(_SCHEMA)
        have = {row[1] for row in db.execute("PRAGMA table_info(rewards)")}
        for column, kind in _LATE_COLUMNS.items():
            if column not in have:
                db.execute(f"ALTER TABLE rewards ADD COLUMN {column} {kind}")
        db.execute("CREATE INDEX IF NOT EXISTS rewards_key ON rewards(key)")
    except sqlite3.Error as err:
        raise StorageError(f"{path}: cannot open the write-ahead log ({err}); check the data directory is writable") from None
    return db


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


def read_recovered(db: sqlite3.Connection) -> Recovered:
    """Everything not yet forgotten: pending decisions with their rewards, and rewards without a decision."""
    decisions = [decision_from_row(*row) for row in db.execute("SELECT event_id, ts, body FROM decisions ORDER BY ts, rowid")]
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

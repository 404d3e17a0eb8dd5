"""What the write-ahead log writes to the SD card: each commit writes every 4 KiB page it changes, then syncs, so a
decision touches one page and an on-time reward one (an earlier release's tables touched two and four: measured on
ext4, 27.5 KiB written per decision with its reward). A WAL that release left is rebuilt."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from appliance.policy.base import Decision
from appliance.storage.wal_records import decision_body, next_reward_seq, open_database, read_recovered
from appliance.storage.wal_sql import statements

PAGE = 4096
OLD_SCHEMA = """
CREATE TABLE decisions (event_id TEXT PRIMARY KEY, ts REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE rewards (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, value REAL NOT NULL, ts REAL NOT NULL,
  reward_id TEXT);
CREATE INDEX rewards_event ON rewards(event_id);
"""


def _decision(event_id: str) -> Decision:
    return Decision(event_id, "warm", 0, 0.5, (0.5, 0.5), ("warm", "cold"), {"u": {"level": 0.25}}, 1, 0.0)


def _frames(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return max(wal.stat().st_size - 32, 0) // (PAGE + 24) if wal.exists() else 0


def test_a_decision_writes_one_page_and_its_reward_two(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite"
    db = open_database(path)

    def commit(records: list[tuple[str, object]]) -> int:
        before = _frames(path)
        for sql, parameters in statements(records):
            db.execute(sql, parameters)
        return _frames(path) - before

    for i in range(200):  # a settled log: its pages exist, then most rows are forgotten
        commit([("d", (f"old{i:030d}", float(i), decision_body(_decision(f"old{i}"))))])
        commit([("r", (f"old{i:030d}", i, 1.0, float(i), None, None, None, None))])
    commit([("f", [(f"old{i:030d}",) for i in range(200)])])
    written = [(commit([("d", (f"new{i:030d}", 1e3 + i, decision_body(_decision(f"new{i}"))))]),
                commit([("r", (f"new{i:030d}", 1000 + i, 1.0, 1e3 + i, "press", None, None, None))])) for i in range(20)]
    assert set(written) == {(1, 1)}, written  # was (2, 4): a rowid table beside the key's index, AUTOINCREMENT's counter
    late = commit([("r", ("gone", 2000, 1.0, 2e3, None, "log", "gone/late", None))])
    assert late == 2  # the row and the late key's index entry


def test_a_write_ahead_log_an_earlier_release_left_is_rebuilt_with_every_record(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript(OLD_SCHEMA)
    old.execute("INSERT INTO decisions VALUES (?, ?, ?)", ("waiting", 5.0, decision_body(_decision("waiting"))))
    old.execute("INSERT INTO rewards (event_id, value, ts, reward_id) VALUES ('waiting', 0.5, 6.0, 'r1')")
    old.execute("INSERT INTO rewards (event_id, value, ts, reward_id) VALUES ('waiting', 1.0, 7.0, NULL)")
    old.close()  # no late-reward columns yet: the release before those
    db = open_database(path)
    recovered = read_recovered(db)
    assert [d.event_id for d in recovered.decisions] == ["waiting"]
    assert [(r.value, r.reward_id) for r in recovered.rewards["waiting"]] == [(0.5, "r1"), (1.0, None)]
    tables = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    assert "WITHOUT ROWID" in tables["decisions"] and "WITHOUT ROWID" in tables["rewards"]
    assert not {"old_decisions", "old_rewards"} & set(tables)
    db.close()
    again = open_database(path)
    assert read_recovered(again) == recovered and next_reward_seq(again) == 3  # opened again: nothing to rebuild or lost

"""The ``-wal`` file after a burst: a backlog committed while checkpoints could not run grows it, and once they run
again it is cut back to ``journal_size_limit`` (it used to keep its high-water size for good), losing nothing."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from appliance.join.rewards import Reward
from appliance.policy.base import Decision
from appliance.storage import wal as wal_module
from appliance.storage.wal import WriteAheadLog
from appliance.storage.wal_records import WAL_SIZE_LIMIT


def decision(event_id: str) -> Decision:
    return Decision(event_id, "a", 0, 1.0, (1.0,), ("a",), {"shared": {"x": 1.0, "pad": "p" * 400}}, 1, time.time())


def test_the_wal_file_shrinks_to_its_limit_after_a_burst_and_keeps_every_acknowledged_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wal_module, "CHECKPOINT_S", 0.02)
    path, wal_file = tmp_path / "wal.sqlite", Path(f"{tmp_path / 'wal.sqlite'}-wal")
    wal = WriteAheadLog(path)
    reader = sqlite3.connect(path, isolation_level=None)  # a read under way: no checkpoint gets past its snapshot
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM decisions").fetchone()
    ids = [f"e{i:05d}" for i in range(12_000)]
    tickets = [wal.decision(decision(event_id)) for event_id in ids]
    tickets += [wal.reward(event_id, Reward(1.0, 0.0, "r")) for event_id in ids[::3]]
    for ticket in tickets:
        ticket.wait()  # acknowledged
    wal.forget(ids[:6000])
    wal.flush()
    burst = wal_file.stat().st_size
    assert burst > 2 * WAL_SIZE_LIMIT, burst
    reader.execute("COMMIT")
    reader.close()
    deadline = time.monotonic() + 10.0
    while wal_file.stat().st_size > WAL_SIZE_LIMIT and time.monotonic() < deadline:
        time.sleep(0.05)  # a checkpoint copies the burst; the next commit (the loop always makes one) starts the file over
        wal.decision(decision(f"later{time.monotonic_ns()}")).wait()
    after = wal_file.stat().st_size
    assert after <= WAL_SIZE_LIMIT, (burst, after)
    wal.close()
    again = WriteAheadLog(path)
    state = again.recover()
    assert [d.event_id for d in state.decisions if d.event_id.startswith("e")] == ids[6000:]
    assert sorted(state.rewards) == [e for e in ids[::3] if e >= ids[6000]]
    again.close()

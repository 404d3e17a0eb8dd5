"""Forgetting from the write-ahead log: one statement per table and chunk of ids, as many ids as a sync brings."""

from __future__ import annotations

import time
from pathlib import Path

from appliance.join.rewards import LateReward, Reward
from appliance.policy.base import Decision
from appliance.storage.wal import WriteAheadLog
from appliance.storage.wal_sql import MAX_PARAMETERS


def decision(event_id: str) -> Decision:
    return Decision(event_id, "a", 0, 1.0, (1.0,), ("a",), {"shared": {"x": 1.0}}, 1, time.time())


def test_a_forget_of_more_ids_than_one_statement_takes_drops_them_all_and_nothing_else(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path / "wal.db")
    ids = [f"e{i}" for i in range(2 * MAX_PARAMETERS + 500)]
    for event_id in ids:
        wal.decision(decision(event_id))
        wal.reward(event_id, Reward(1.0, 0.0, "on-time"))
    late = [LateReward(f"{e}/late", e, Reward(2.0, 0.0, "late"), "log") for e in ids[:MAX_PARAMETERS + 10]]
    for reward in late:
        wal.late_reward(reward)
    wal.forget(ids[:-3])  # their decisions and on-time rewards go; their late rewards stay until forget_late
    wal.forget_late([reward.key for reward in late[:-2]])
    wal.flush()
    state = wal.recover()
    assert [d.event_id for d in state.decisions] == ids[-3:]
    assert sorted(state.rewards) == sorted(ids[-3:])
    assert [reward.key for reward in state.late] == [reward.key for reward in late[-2:]]
    wal.close()

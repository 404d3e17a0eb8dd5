"""The SQLite engine on what appliances ship in practice: a line it cannot read is counted as malformed and the
rest of its batch is joined (a decision it could not write out later must not stop the join)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from appliance.config import JoinConfig
from appliance.fleet.engine_sqlite import SqliteEngine


def decision(event_id: str, **fields: object) -> dict[str, object]:
    return {"kind": "decision", "event_id": event_id, "timestamp": 100.0, "action": "a", "probability": 0.5,
            "actions": ["a", "b"], "pmf": [0.5, 0.5], "context": {"u": {"x": 1.0}}, **fields}


def test_a_decision_line_it_cannot_write_out_is_malformed_and_the_others_are_joined(tmp_path: Path) -> None:
    now = [100.0]
    engine = SqliteEngine(tmp_path / "inbox", tmp_path / "state", tmp_path / "joined", JoinConfig(reward_wait_s=1), 0.5,
                          {}, clock=lambda: now[0], idle_timeout_s=5)
    broken = [{"kind": "decision", "event_id": "no-actions", "timestamp": 100.0, "action": "a"},
              decision("unknown-action", action="c"), decision("short-pmf", pmf=[1.0]),
              decision("string-time", timestamp="1e400"), decision("list-context", context=[1, 2])]
    reward = {"kind": "reward", "event_id": "good", "reward": 1.0, "timestamp": 100.5}
    broken += [{**reward, "reward": "nan"}, {**reward, "timestamp": "1e400"}]  # an infinite time would pass pi1's watermark
    lines = [decision("good"), *broken, reward]
    (tmp_path / "inbox" / "pi1-raw-000001-000000000000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    engine.step()
    now[0] += 10
    assert engine.step() == 1
    [joined] = (tmp_path / "joined").glob("*.dsjson")
    [line] = joined.read_bytes().splitlines()
    assert json.loads(line)["EventId"] == "good" and json.loads(line)["_label_cost"] == -1.0
    assert engine.stats()["malformed"] == len(broken)
    engine.close()


def test_a_taken_file_leaves_the_inbox_so_a_step_lists_only_new_ones(tmp_path: Path) -> None:
    """Every file a fleet ever shipped stayed in inbox/ and each step listed and stat'ed them all (0.3 s a step at
    50,000 files here, a day of a few appliances): taken files move to inbox/taken/, and a batch sent again after
    that (the same name) is taken no second time."""
    now = [100.0]
    engine = SqliteEngine(tmp_path / "inbox", tmp_path / "state", tmp_path / "joined", JoinConfig(reward_wait_s=1), 0.5,
                          {}, clock=lambda: now[0], idle_timeout_s=5)
    batch = "".join(json.dumps(r) + "\n" for r in (decision("e1"), {"kind": "reward", "event_id": "e1", "reward": 1.0,
                                                                    "timestamp": 100.5}))
    name = "pi1-raw-000001-000000000000.jsonl"
    (tmp_path / "inbox" / name).write_text(batch)
    engine.step()
    assert list((tmp_path / "inbox").glob("*.jsonl")) == [] and (tmp_path / "inbox" / "taken" / name).read_text() == batch
    (tmp_path / "inbox" / name).write_text(batch)  # the sink sent it again
    engine.step()
    assert engine.stats()["files"] == 1 and engine.stats()["records"] == 2 and list((tmp_path / "inbox").glob("*.jsonl")) == []
    now[0] += 10
    assert engine.step() == 1
    engine.close()
    restarted = SqliteEngine(tmp_path / "inbox", tmp_path / "state", tmp_path / "joined", JoinConfig(reward_wait_s=1), 0.5,
                             {}, clock=lambda: now[0], idle_timeout_s=5)
    (tmp_path / "inbox" / name).write_text(batch)  # again, after a restart of the central side
    restarted.step()
    now[0] += 10
    assert restarted.step() == 0 and restarted.stats()["files"] == 0 and list((tmp_path / "inbox").glob("*.jsonl")) == []
    restarted.close()


def test_an_inbox_whose_files_cannot_move_is_still_joined(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A shared folder the central side may only read (here: taken/ cannot be made): that is said once, and the
    join goes on and takes each file once."""
    now = [100.0]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "pi1-raw-000001-000000000000.jsonl").write_text(json.dumps(decision("e1")) + "\n")
    (inbox / "taken").write_text("not a directory")
    engine = SqliteEngine(inbox, tmp_path / "state", tmp_path / "joined", JoinConfig(reward_wait_s=1), 0.5, {},
                          clock=lambda: now[0], idle_timeout_s=5)
    with caplog.at_level(logging.WARNING):
        engine.step()
        engine.step()
    now[0] += 10
    assert engine.step() == 1 and engine.stats()["files"] == 1
    assert caplog.text.count("give the central side write access") == 1
    engine.close()

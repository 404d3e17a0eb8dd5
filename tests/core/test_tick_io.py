"""The slow I/O at the end of a tick runs outside the loop's lock: decides go on while the event log is fsynced
or a checkpoint's files are written, and what is durable (and what leaves the write-ahead log) stays the same."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

import pytest

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.loop import Loop
from appliance.loop.journal import Journal
from appliance.policy.base import Decision
from appliance.storage.eventlog import EventLog
from appliance.storage.log_segments import LogPosition
from appliance.storage.wal import WriteAheadLog

CONFIG = AppConfig.model_validate({"join": {"reward_wait_s": 10}, "storage": {"checkpoint_every_events": 20, "log_sync_s": 0}})


def ctx(i: int) -> dict[str, dict[str, float]]:
    return {"audio": {"level": (i % 7) / 7}}


def decision(event_id: str) -> Decision:
    return Decision(event_id, "on", 0, 0.9, (0.9, 0.1), ("on", "off"), {"room": {"x": 1.0}}, 1, 12.5)


def stall_fsync(monkeypatch: pytest.MonkeyPatch, of: Callable[[str], bool]) -> tuple[threading.Event, threading.Event]:
    """Every fsync of a file ``of`` accepts waits (the real call still made) until ``go`` is set; ``stalled``: one is waiting."""
    stalled, go = threading.Event(), threading.Event()
    real_fsync = os.fsync

    def stalling(fd: int) -> None:
        if of(os.readlink(f"/proc/self/fd/{fd}")):
            stalled.set()
            go.wait(10)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", stalling)
    return stalled, go


def decide_while_ticking(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, decisions: int,
                         stalls: Callable[[str], bool]) -> Loop:
    """A loop with ``decisions`` due, ticked on a thread of its own that stalls in an fsync of a file ``stalls``
    accepts; a decide made meanwhile completes (durable) while the tick still waits. Returns the loop, ticked."""
    loop = open_loop(CONFIG, clock, tmp_path)
    for i in range(decisions):
        loop.decide(ctx(i), event_id=f"e{i}")[1].wait()
    clock.advance(11)
    stalled, go = stall_fsync(monkeypatch, stalls)
    ticker = threading.Thread(target=loop.tick)
    ticker.start()
    try:
        assert stalled.wait(10)
        loop.decide(ctx(99), event_id="meanwhile")[1].wait()
        assert ticker.is_alive()  # the tick still waits for its fsync
    finally:
        go.set()
        ticker.join()
    return loop


def test_a_decide_goes_on_while_a_tick_fsyncs_the_log(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    loop = decide_while_ticking(tmp_path, clock, monkeypatch, 5, lambda path: path.endswith(".dsjson"))
    assert loop.events.synced == loop.events.position and loop.events.lines_written == 5
    loop.journal.flush()
    assert loop.wal is not None and [d.event_id for d in loop.wal.recover().decisions] == ["meanwhile"]
    loop.close()


def test_a_decide_goes_on_while_a_tick_writes_a_checkpoint(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    loop = decide_while_ticking(tmp_path, clock, monkeypatch, 25, lambda path: "/checkpoints/" in path)
    assert loop.last_checkpoint is not None and loop.last_checkpoint.model_version == 25
    assert loop.last_checkpoint.position == loop.events.synced and loop.learner.since_checkpoint == 0
    loop.events.close()  # a crash: no close()
    assert loop.wal is not None
    loop.wal.close()
    again = open_loop(CONFIG, clock, tmp_path)
    report = again.recover()
    assert report["checkpoint_version"] == 25 and report["relearned"] == 0 and again.joiner.pending == 1
    again.close()


def test_a_sync_forgets_only_the_records_whose_lines_it_made_durable(tmp_path: Path, clock: FakeClock) -> None:
    """Lines written while a sync is fsynced wait for the next one, both in the synced end and in the WAL; a sync
    made meanwhile (a checkpoint's) takes the records of the one under way too."""
    wal = WriteAheadLog(tmp_path / "wal.sqlite")
    for event_id in ("e1", "e2", "e3"):
        wal.decision(decision(event_id)).wait()
    journal = Journal(EventLog(tmp_path / "log", 1 << 20), wal, clock, log_sync_s=0.0)
    journal.write_joined([b'{"EventId":"e1"}\n'], ["e1"])
    pending = journal.sync_if_due()
    assert pending is not None and journal.sync_if_due() is None  # one at a time
    journal.write_joined([b'{"EventId":"e2"}\n'], ["e2"])
    pending.fsync()
    assert journal.end_sync(pending) == LogPosition(1, 17)
    journal.flush()
    assert [d.event_id for d in wal.recover().decisions] == ["e2", "e3"]
    journal.write_joined([b'{"EventId":"e3"}\n'], ["e3"])
    pending = journal.sync_if_due()
    assert pending is not None
    assert journal.sync() == LogPosition(1, 51)
    journal.flush()
    assert wal.recover().decisions == []  # e2 and e3 went with it: their lines are durable now
    pending.fsync()
    assert journal.end_sync(pending) == LogPosition(1, 51)  # the synced end never moves back
    journal.close()

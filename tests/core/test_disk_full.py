"""A full disk under the loop: what the write-ahead log refused was never acknowledged, so nothing of it stays."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Callable

import pytest

from appliance.assemble import build_policy, open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.errors import CheckpointError, StorageError
from appliance.join.rewards import LateReward, Reward
from appliance.loop.journal import Journal
from appliance.loop.late_log import LATE_LOG
from appliance.policy.base import Decision
from appliance.storage import eventlog as eventlog_module
from appliance.storage import wal as wal_module
from appliance.storage.checkpoints import CheckpointStore
from appliance.storage.eventlog import EventLog
from appliance.storage.log_segments import LogPosition
from appliance.storage.wal import WriteAheadLog
from appliance.storage.wal_tickets import Ticket
from tests.api.test_event_history import until
from tests.small_disk import fill, small_disk

__all__ = ["small_disk"]
CONFIG = AppConfig.model_validate({"join": {"reward_wait_s": 60}})
PAGE = 4096
CONTEXT = {"u": {f"f{i}": 1.0 for i in range(200)}}


def refused(send: Callable[[int], Ticket], data_dir: Path) -> int:
    """The first ``i`` whose ``send(i)`` the full disk refuses (one that fits in the log's free pages commits); the
    refusal says where the disk is full and what to do."""
    for i in range(200):
        try:
            send(i).wait()
        except StorageError as err:
            assert f"the data directory {data_dir} is full" in str(err) and "free space on that disk" in str(err), err
            return i
    raise AssertionError("200 records committed on a full disk")


def test_a_decision_or_reward_the_full_disk_refused_is_forgotten_so_its_retry_is_new(small_disk: Path) -> None:
    loop = open_loop(CONFIG, FakeClock(1000.0), small_disk)
    try:
        loop.decide(CONTEXT, event_id="kept")[1].wait()
        filler = fill(small_disk)
        decision = refused(lambda i: loop.decide(CONTEXT, event_id=f"d{i}")[1], small_disk)
        reward = refused(lambda i: loop.reward("kept", 1.0, f"r{i}")[1], small_disk)
        assert loop.joiner.waiting_decision(f"d{decision}") is None  # not learned, nor its default reward
        assert loop.reward(f"d{decision}", 1.0)[0].status == "unknown"
        filler.unlink()
        loop.decide(CONTEXT, event_id=f"d{decision}")[1].wait()  # was: "event id 'd…' is already used"
        result, ticket = loop.reward("kept", 1.0, f"r{reward}")
        ticket.wait()
        assert result.status == "accepted"  # was: "duplicate", acknowledged though it was never written
        assert [r.reward_id for r in loop.joiner.rewards_of("kept")] == [f"r{i}" for i in range(reward + 1)]
    finally:
        loop.close()


def test_events_learned_while_the_disk_is_full_reach_the_event_log_once_when_it_has_room(small_disk: Path) -> None:
    clock = FakeClock(1000.0)
    loop = open_loop(CONFIG, clock, small_disk)
    try:
        ids = [f"e{i}" for i in range(40)]
        for event_id in ids:  # ~5 KB lines: 40 of them overflow the log's 64 KB buffer
            loop.decide({"u": {f"feature{j}": 1.0 for j in range(300)}}, event_id=event_id)[1].wait()
        filler = fill(small_disk)
        clock.advance(61)
        for _ in ids:  # a tick learns 16 at a time; the ones that cannot sync fail
            with contextlib.suppress(StorageError):  # the log cannot sync (was a bare ENOSPC from its buffer, which lost their lines)
                loop.tick()
        filler.unlink()
        loop.tick()
        loop.journal.sync()
        logged = [line for _, _, line in loop.events.read_from(LogPosition(1, 0))]
        assert sorted(line.split('"EventId":"')[1].split('"')[0] for line in logged) == sorted(ids)
        assert loop.learned == len(ids)
    finally:
        loop.close()


def test_a_checkpoint_the_full_disk_cut_short_leaves_no_model_file_behind(small_disk: Path) -> None:
    store, policy = CheckpointStore(small_disk / "checkpoints", 3, "vw"), build_policy(CONFIG.effective_policy())
    kept = store.save(policy, 1, LogPosition(1, 0))
    files = sorted(p.name for p in store.directory.iterdir())
    pages = -(-(store.directory / files[1]).stat().st_size // PAGE)
    filler = fill(small_disk)
    os.truncate(filler, filler.stat().st_size // PAGE * PAGE - (pages * PAGE - shutil.disk_usage(small_disk).free))
    assert shutil.disk_usage(small_disk).free == pages * PAGE  # room for the model file, none for its sidecar
    with pytest.raises(CheckpointError, match="disk"):
        store.save(policy, 2, LogPosition(1, 0))
    assert sorted(p.name for p in store.directory.iterdir()) == files  # was: an orphan model-…-v2.vw, never pruned
    assert store.load_latest(policy) == kept


def test_late_lines_a_full_disk_cut_short_are_written_whole_once_it_has_room(small_disk: Path) -> None:
    journal = Journal(EventLog(small_disk / "events", 1 << 20), None, FakeClock(0.0), 0.0)
    late = [LateReward(f"e{i}/r", f"e{i}", Reward(1.0, 0.0, "r" * 100), "log") for i in range(100)]  # ~20 KB of lines
    filler = fill(small_disk)
    os.truncate(filler, filler.stat().st_size // PAGE * PAGE - PAGE)  # room for a part of them
    journal.handle_late(late)
    with pytest.raises(StorageError, match="disk"):
        journal.flush_late()
    filler.unlink()
    journal.flush_late()
    assert journal.late_keys() == {reward.key for reward in late}  # was: the first one merged into a torn line
    assert len((small_disk / "events" / LATE_LOG).read_text().splitlines()) == len(late)
    journal.events.close()


def test_write_ahead_log_checkpoints_a_full_disk_stops_are_logged_once_and_once_more_when_they_work(
        small_disk: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(wal_module, "CHECKPOINT_S", 0.02)
    wal = WriteAheadLog(small_disk / "wal.sqlite")

    def write(batch: str) -> None:  # ~150 KB of log frames, ~100 KB in the database once checkpointed
        for i in range(20):
            wal.decision(Decision(f"{batch}{i}", "a", 0, 1.0, (1.0,), ("a",), {"u": {f"f{j}": 1.0 for j in range(300)}}, 1, 0.0))
        wal.flush()
    try:
        write("a")
        until(lambda: (small_disk / "wal.sqlite").stat().st_size > 100_000, "the first batch checkpointed", 30)
        filler = fill(small_disk)
        with caplog.at_level(logging.WARNING, logger=wal_module.__name__):
            write("b")  # into the log's file from its start again: it fits, the database's growth does not
            until(lambda: caplog.records, "a checkpoint failed", 30)
            time.sleep(0.3)  # more rounds that cannot copy it into the database
            filler.unlink()
            until(lambda: len(caplog.records) > 1, "checkpoints said to work again", 30)
        said = [r.getMessage() for r in caplog.records]
        assert len(said) == 2 and "checkpoint failed" in said[0] and "work again" in said[1], said
    finally:
        wal.close()


def test_a_new_log_segment_the_disk_cannot_hold_is_begun_again_once_it_can(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = EventLog(tmp_path, segment_bytes=10)
    events.write([b'{"n":1}\n', b'{"n":2}\n'])

    def no_room(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(eventlog_module, "open", no_room, raising=False)
    with pytest.raises(StorageError, match="No space left"):
        events.sync()  # full: a new segment begins, but its file cannot be made
    monkeypatch.undo()
    events.write([b'{"n":3}\n'])
    events.sync()  # was: ValueError, "I/O operation on closed file", at every sync from then on
    assert [line for _, _, line in events.read_from(LogPosition(1, 0))] == ['{"n":1}', '{"n":2}', '{"n":3}']
    events.close()


def test_a_disk_that_cannot_be_looked_at_is_said_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from appliance.storage.diskspace import DiskWatch

    watch = DiskWatch(tmp_path / "gone")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # the stats worker looks every second
            watch.check()
    assert [r.getMessage() for r in caplog.records].count(f"{tmp_path / 'gone'}: cannot tell how full its disk is "
                                                          "(No such file or directory)") == 1
    assert watch.state["unknown"] == "No such file or directory" and not watch.full


def test_no_checkpoint_covers_events_whose_drop_from_the_wal_the_disk_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event log had room, the write-ahead log's drop of the same records did not: a checkpoint covering their
    lines then had a restart learn them twice (the WAL's copies, no longer found after the checkpoint)."""
    loop = open_loop(CONFIG, FakeClock(1000.0), tmp_path)
    ids = [f"e{i}" for i in range(5)]
    try:
        for event_id in ids:
            loop.decide(CONTEXT, event_id=event_id)[1].wait()
        commit = WriteAheadLog._commit
        refused = StorageError("the disk of the data directory is full")
        monkeypatch.setattr(WriteAheadLog, "_commit", lambda wal, items: refused if items[0][0] == "f" else commit(wal, items))
        loop.clock.advance(61)  # type: ignore[attr-defined]
        loop.tick()
        loop.journal.sync()
        with pytest.raises(StorageError, match="disk"):  # the drop refused again, or its wait for it (same batch)
            loop.checkpoint()  # was: written, covering the five lines
        assert loop.checkpoints is not None and loop.checkpoints.entries() == []
        monkeypatch.undo()
        loop.checkpoint()  # its own sync drops them again
    finally:
        monkeypatch.undo()
        loop.close()
    again = open_loop(CONFIG, FakeClock(2000.0), tmp_path)
    try:
        assert again.recover()["restored_pending"] == 0  # was 5: the WAL's copies, learned and logged again
        again.tick()
        again.journal.sync()
        logged = [line.split('"EventId":"')[1].split('"')[0] for _, _, line in again.events.read_from(LogPosition(1, 0))]
        assert sorted(logged) == ids
    finally:
        again.close()

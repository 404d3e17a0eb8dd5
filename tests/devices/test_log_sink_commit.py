"""The shipper's cursor waits for a committing sink's commit (a directory's entries fsynced once per step), a
failed commit sends its batches again, a cursor a full disk cannot save neither stops nor repeats the shipping, and
a log reader keeps reading a segment pruned while it has it open."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from appliance.config.log_sinks import DirectorySinkConfig, LogSinkConfig
from appliance.sinks import RecordingSink, Shipper, SinkError
from appliance.sinks.directory import DirectorySink
from appliance.storage.eventlog import EventLog
from appliance.storage.log_segments import LogPosition
from tests.devices.test_log_sinks import LINES, ship_all, shipper_for
from tests.small_disk import fill, small_disk

__all__ = ["small_disk"]


def saved_cursor(data_dir: Path, name: str = "sink") -> LogPosition:
    saved = json.loads((data_dir / "sinks" / f"{name}.cursor").read_text())
    return LogPosition(saved["segment"], saved["offset"])


def test_the_cursor_is_saved_after_the_commit_and_a_failed_commit_sends_its_batches_again(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events", 1 << 20)
    shipper = shipper_for({"type": "directory", "path": str(tmp_path / "inbox"), "batch_bytes": 1024}, log, tmp_path)
    try:
        start, lines = shipper.saved, LINES + LINES  # over two full batches
        sink = shipper.sink = RecordingSink()
        sink.failing_commits = 1
        log.write(lines)
        log.sync()
        shipper.step()
        sent = list(sink.batches)
        assert len(sent) == 2 and sink.commits == 0 and shipper.failures == 1  # two batches, one commit: it failed
        assert shipper.cursor == shipper.saved == saved_cursor(tmp_path) == start  # nothing acknowledged
        assert (shipper.shipped_lines, shipper.batches) == (0, 0)  # nor counted: they are counted when sent again
        shipper._retry_at = 0.0  # the backoff has passed
        ship_all(shipper)
        assert sink.batches[2:4] == sent  # sent again, under the same ids
        assert sink.lines[-len(lines):] == lines and sink.commits >= 1
        assert saved_cursor(tmp_path) == shipper.cursor == log.synced
        assert shipper.shipped_lines == len(lines) and shipper.batches == len(sink.batches) - 2  # once each
    finally:
        shipper.close()
        log.close()


def test_a_directory_sink_commits_its_new_entries_and_says_where_it_could_not(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    sink = DirectorySink(DirectorySinkConfig(path=inbox, prefix="pi1"), name="inbox")
    sink.commit()  # nothing sent: nothing to do
    sink.send(LINES[0], "joined-000001-000000000000")
    assert (inbox / "pi1-joined-000001-000000000000.jsonl").read_bytes() == LINES[0]
    sink.commit()
    sink.send(LINES[1], "joined-000001-000000000040")
    shutil.rmtree(inbox)  # the directory went away before its entries were made durable
    with pytest.raises(SinkError, match=f"inbox: cannot write to {inbox}.*check it exists"):
        sink.commit()
    sink.send(LINES[1], "joined-000001-000000000040")  # sent again: the directory is made again
    sink.commit()
    assert [p.name for p in inbox.iterdir()] == ["pi1-joined-000001-000000000040.jsonl"]


def test_a_reader_reads_a_segment_pruned_while_it_has_it_open_then_goes_on(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events", segment_bytes=64, keep_segments=2)  # three lines a segment
    reader = log.reader()
    for line in LINES[:9]:
        log.write([line])
        log.sync()
    first, end = reader.read_batch(LogPosition(1, 0), 10)
    assert first == LINES[0] and log.segments() == [1, 2, 3, 4]
    log.prune(log.synced)
    assert log.segments() == [3, 4]  # segment 1 pruned while the reader has it open, 2 before it got there
    rest, at = [], end
    while (data := reader.read_batch(at, 10))[0]:
        rest.append(data[0])
        at = data[1]
    assert rest == LINES[1:3] + LINES[6:9]  # the open one to its end, then the oldest kept
    assert reader.read_batch(at, 10) == (b"", log.synced)
    reader.close()
    reader.close()  # idempotent
    assert reader.read_batch(LogPosition(1, 0), 10) == (LINES[6], LogPosition(3, len(LINES[6])))  # a pruned start
    log.close()


def test_a_cursor_the_full_disk_cannot_save_neither_stops_nor_repeats_the_shipping(
        tmp_path: Path, small_disk: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = EventLog(tmp_path / "events", 1 << 20)  # the log has room; the cursor's disk is full
    config = TypeAdapter(LogSinkConfig).validate_python({"type": "directory", "path": str(tmp_path / "inbox"), "batch_interval_s": 0.01})
    shipper = Shipper(RecordingSink(), log, config, small_disk / "sinks" / "sink.cursor")
    try:
        start = shipper.saved
        filler = fill(small_disk)
        for lines in (LINES[:20], LINES[20:]):
            log.write(lines)
            log.sync()
            time.sleep(0.02)
            shipper.step()  # was: OSError, which ended the sink's process; its next one sent the batches again
            shipper.step()
        assert shipper.sink.lines == LINES  # each line once, the sink going on
        assert saved_cursor(small_disk) == shipper.saved == start != shipper.cursor  # block mode still holds the log
        assert "cannot save its cursor" in shipper.stats()["last_error"] and "is the disk full?" in shipper.stats()["last_error"]
        assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1 and len(caplog.records) == 1
        filler.unlink()
        shipper.step()
        assert saved_cursor(small_disk) == shipper.saved == shipper.cursor == log.synced
        assert shipper.stats()["last_error"] is None and "saved again" in caplog.records[-1].message
    finally:
        shipper.close()
        log.close()

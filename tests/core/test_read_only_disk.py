"""A data directory whose file system takes no writes: mounted read-only, or remounted so by the kernel after an SD
card's I/O error (ext4's ``errors=remount-ro``; ``emergency_ro`` on Linux 6.15 and later, which ``statvfs`` does not
show). The disk watch says so, with what to do, and every refusal names the cause, not a full disk."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest

from appliance.errors import StorageError
from appliance.policy.base import Decision
from appliance.storage.diskspace import DiskWatch
from appliance.storage.eventlog import write_failed
from appliance.storage.wal import WriteAheadLog
from appliance.storage.writable import read_only
from tests.small_disk import card_error, mounted, sd_card

__all__ = ["sd_card"]


def _mountinfo(tmp_path: Path, super_options: str) -> Path:
    device = os.stat(tmp_path).st_dev
    path = tmp_path / "mountinfo"
    path.write_text("22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
                    f"45 27 {os.major(device)}:{os.minor(device)} / /data rw,relatime - ext4 /dev/mmcblk0p2 {super_options}\n")
    return path


def test_a_file_system_the_kernel_remounted_read_only_after_an_error_is_read_only(tmp_path: Path) -> None:
    assert read_only(tmp_path, _mountinfo(tmp_path, "rw,errors=remount-ro,emergency_ro"))  # Linux 6.15 and later
    assert read_only(tmp_path, _mountinfo(tmp_path, "ro,errors=remount-ro"))
    assert not read_only(tmp_path, _mountinfo(tmp_path, "rw,errors=remount-ro"))
    assert not read_only(tmp_path / "not-yet", _mountinfo(tmp_path, "ro"))  # nothing there to ask about


def test_the_disk_watch_says_a_read_only_file_system_with_what_to_do(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with mounted(disk, "mount a read-only tmpfs", ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(disk)]):
        state = DiskWatch(disk).check()  # was: full False, message None; /healthz said "ok"
    assert state["read_only"] and not state["full"], state
    assert f"the file system of the data directory {disk} is read-only" in state["message"]
    assert "back up the data directory" in state["message"] and "by itself" in state["message"]


def test_a_write_refused_by_a_read_only_file_system_is_not_blamed_on_a_full_disk(tmp_path: Path) -> None:
    refused = write_failed(tmp_path / "events-000001.dsjson", OSError(errno.EROFS, "Read-only file system"))
    assert "is the disk full" not in str(refused) and "read-only" in str(refused) and "dmesg" in str(refused)
    assert "is the disk full?" in str(write_failed(tmp_path / "e", OSError(errno.ENOSPC, "No space left on device")))


def test_the_write_ahead_log_on_a_card_the_kernel_made_read_only_says_so_and_keeps_what_it_acknowledged(sd_card: Path) -> None:
    wal = WriteAheadLog(sd_card / "wal.sqlite")
    try:
        wal.decision(_decision("before")).wait()  # acknowledged
        card_error(sd_card)
        with pytest.raises(StorageError) as refused:
            wal.decision(_decision("after")).wait()  # was: "the write-ahead log could not commit: disk I/O error"
    finally:
        wal.close()
    assert f"the write-ahead log in the data directory {sd_card} cannot commit" in str(refused.value)
    assert "its file system is read-only" in str(refused.value) and "reboot" in str(refused.value)
    assert DiskWatch(sd_card).check()["read_only"]
    kept = sqlite3.connect(f"file:{sd_card / 'wal.sqlite'}?mode=ro", uri=True)
    assert [row[0] for row in kept.execute("SELECT event_id FROM decisions")] == ["before"]


def _decision(event_id: str) -> Decision:
    return Decision(event_id, "a", 0, 1.0, (1.0,), ("a",), {"u": {"f": 1.0}}, 1, 0.0)

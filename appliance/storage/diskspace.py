"""Whether the data directory's disk is full or read-only, as a Pi's SD card gets (full; or remounted read-only by
the kernel after an I/O error): what ``/api/status``, ``/healthz`` and the dashboard show, logged once when it
happens and once when it is over.

>>> import tempfile
>>> watch = DiskWatch(Path(tempfile.mkdtemp()), low_bytes=0)
>>> state = watch.check()
>>> state["full"], state["read_only"], state["message"], state["free_bytes"] > 0
(False, False, None, True)
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from appliance.storage.writable import REMOUNTED, read_only

log = logging.getLogger(__name__)
LOW_BYTES = 1 << 20
"""Less free space than this counts as full: a decision's record, a log line or a checkpoint may no longer fit."""


class DiskWatch:
    def __init__(self, data_dir: Path, low_bytes: int = LOW_BYTES) -> None:
        self.data_dir, self.low_bytes = data_dir, low_bytes
        self.state: dict[str, Any] = {"path": str(data_dir), "free_bytes": None, "full": False, "read_only": False,
                                      "message": None}

    @property
    def full(self) -> bool:
        return bool(self.state["full"])

    @property
    def blocked(self) -> bool:
        """Whether writes fail: the disk is full or read-only."""
        return bool(self.state["full"] or self.state["read_only"])

    def check(self) -> dict[str, Any]:
        """Look at the disk again (a ``statvfs``); log when it became full or read-only, and when that is over."""
        try:
            free = shutil.disk_usage(self.data_dir).free
        except OSError as err:  # said once, not every second it goes on
            if self.state.get("unknown") != err.strerror:
                log.warning("%s: cannot tell how full its disk is (%s)", self.data_dir, err.strerror)
            self.state = {**self.state, "unknown": err.strerror}
            return self.state
        full, unwritable = free < self.low_bytes, read_only(self.data_dir)
        message = self._message(full, unwritable, free)
        if unwritable != self.state["read_only"]:
            if unwritable:
                log.error("%s", message)
            else:
                log.warning("the file system of the data directory %s takes writes again: decisions, rewards, learning "
                            "and checkpoints go on", self.data_dir)
        elif full != self.full and not unwritable:
            if full:
                log.error("%s", message)
            else:
                log.warning("the disk of the data directory %s has room again (%d KiB free): decisions, rewards, "
                            "learning and checkpoints go on", self.data_dir, free // 1024)
        self.state = {"path": str(self.data_dir), "free_bytes": free, "full": full, "read_only": unwritable,
                      "message": message}
        return self.state

    def _message(self, full: bool, unwritable: bool, free: int) -> str | None:
        if unwritable:
            return (f"the file system of the data directory {self.data_dir} is read-only: decisions and rewards are "
                    f"refused (503), and learning, the event log and checkpoints wait. {REMOUNTED[0].upper()}"
                    f"{REMOUNTED[1:]}; the daemon goes on by itself if the file system takes writes again")
        if full:
            return (f"the disk of the data directory {self.data_dir} is full ({free // 1024} KiB free): decisions and "
                    "rewards that no longer fit are refused (503), and learning, the event log and checkpoints wait. "
                    "Free space on that disk (delete files you do not need on it); the daemon goes on by itself "
                    "once there is room")
        return None

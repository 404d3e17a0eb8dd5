"""Whether the data directory's disk is full, as a Pi's SD card gets: what ``/api/status``, ``/healthz`` and the
dashboard show, logged once when it fills and once when it has room again.

>>> import tempfile
>>> watch = DiskWatch(Path(tempfile.mkdtemp()), low_bytes=0)
>>> state = watch.check()
>>> state["full"], state["message"], state["free_bytes"] > 0
(False, None, True)
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
LOW_BYTES = 1 << 20
"""Less free space than this counts as full: a decision's record, a log line or a checkpoint may no longer fit."""


class DiskWatch:
    def __init__(self, data_dir: Path, low_bytes: int = LOW_BYTES) -> None:
        self.data_dir, self.low_bytes = data_dir, low_bytes
        self.state: dict[str, Any] = {"path": str(data_dir), "free_bytes": None, "full": False, "message": None}

    @property
    def full(self) -> bool:
        return bool(self.state["full"])

    def check(self) -> dict[str, Any]:
        """Look at the disk again (a ``statvfs``); log when it became full or has room again."""
        try:
            free = shutil.disk_usage(self.data_dir).free
        except OSError as err:  # said once, not every second it goes on
            if self.state.get("unknown") != err.strerror:
                log.warning("%s: cannot tell how full its disk is (%s)", self.data_dir, err.strerror)
            self.state = {**self.state, "unknown": err.strerror}
            return self.state
        full = free < self.low_bytes
        message = (f"the disk of the data directory {self.data_dir} is full ({free // 1024} KiB free): decisions and "
                   "rewards that no longer fit are refused (503), and learning, the event log and checkpoints wait. "
                   "Free space on that disk (delete files you do not need on it); the daemon goes on by itself "
                   "once there is room") if full else None
        if full and not self.full:
            log.error("%s", message)
        elif self.full and not full:
            log.warning("the disk of the data directory %s has room again (%d KiB free): decisions, rewards, learning "
                        "and checkpoints go on", self.data_dir, free // 1024)
        self.state = {"path": str(self.data_dir), "free_bytes": free, "full": full, "message": message}
        return self.state

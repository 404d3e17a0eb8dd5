"""What a clean close of the write-ahead log leaves for the next start: that the raw log holds every record it keeps
(so recovery does not log them again), for that one start only: a crash after it logs them again."""

from __future__ import annotations

import time
from pathlib import Path

from appliance.policy.base import Decision
from appliance.storage.wal import WriteAheadLog


def test_a_clean_close_tells_the_next_start_only_that_the_raw_log_holds_every_record(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite"
    first = WriteAheadLog(path)
    first.decision(Decision("e1", "a", 0, 1.0, (1.0,), ("a",), {"s": {"x": 1.0}}, 1, time.time())).wait()
    assert not first.raw_logged  # a new WAL
    first.close(raw_logged=True)
    after_clean = WriteAheadLog(path)
    assert after_clean.raw_logged and [d.event_id for d in after_clean.recover().decisions] == ["e1"]
    after_clean._stop.set()  # it crashes: no close
    after_crash = WriteAheadLog(path)
    assert not after_crash.raw_logged  # the mark was taken at the last open: this start logs the records again
    after_crash.close()
    last = WriteAheadLog(path)
    assert not last.raw_logged  # a clean close without a raw log (none configured) says nothing either
    last.close()

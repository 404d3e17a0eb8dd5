"""Ships one log to one sink, at least once: reads from its cursor, batches, sends, and only then moves the
cursor, which it saves in a file after each step's batches, so a restart (or ``kill -9``) resumes where the last
saved one ended (it sends a step's batches again at most, under the same batch ids). The file keeps its counters
too, written with the cursor (and at a clean close), so they go on across restarts from the sink's first start.

The log itself is the queue: only synced lines are read, so nothing shipped can vanish from the log in a crash.
A batch goes out once it holds ``batch_bytes`` or ``batch_interval_s`` after the previous one; a failed batch is
sent again, whole, after a doubling backoff. In ``drop`` mode a sink further behind than ``max_backlog_mb``
skips the oldest lines (counted); in ``block`` mode it holds the log's segments until it has shipped them (the
supervisor builds the shippers before the loop's recovery prunes the log), and never makes the loop wait.

The daemon runs each shipper in a child process of its own (:mod:`appliance.sinks.process`), which reads the log
as :class:`~appliance.storage.log_segments.LogSegments` up to the synced end the daemon tells it.

>>> import tempfile, pathlib
>>> from appliance.config.log_sinks import DirectorySinkConfig
>>> from appliance.sinks.fake import RecordingSink
>>> from appliance.storage.eventlog import EventLog
>>> directory = pathlib.Path(tempfile.mkdtemp())
>>> log = EventLog(directory / "events", 1 << 20)
>>> config = DirectorySinkConfig(path=directory / "out", batch_interval_s=0.01)
>>> shipper = Shipper(RecordingSink(), log, config, directory / "sinks" / "demo.cursor")
>>> log.write([b'{"EventId":"e1"}\\n', b'{"EventId":"e2"}\\n']); _ = log.sync()
>>> shipper.step(); shipper.sink.lines, shipper.stats()["shipped_lines"]
([b'{"EventId":"e1"}\\n', b'{"EventId":"e2"}\\n'], 2)
>>> shipper.close(); log.close()
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from appliance.config.log_sinks import LogSinkConfigBase
from appliance.sinks.base import CommittingSink, LogSink, SinkError
from appliance.storage.atomic import write_atomically
from appliance.storage.log_segments import LogPosition, LogSegments
from appliance.storage.writable import hint

log = logging.getLogger(__name__)
MAX_BATCHES_PER_STEP = 16  # a sink that fell behind catches up several full batches at a time
COUNTERS = ("shipped_lines", "batches", "failures", "dropped_lines")
"""The shipper's counters: kept in its cursor file from the sink's first start on (``since_first_start`` in its stats)."""


@dataclass(frozen=True)
class SavedCursor:
    """What a cursor file holds: where the sink ships from, its :data:`COUNTERS`, and since when they count (UTC)."""

    at: LogPosition
    counters: dict[str, int]
    since: str

    @classmethod
    def fresh(cls, at: LogPosition) -> SavedCursor:
        """A sink's first start (or a cursor file from before counters were kept: they count from now)."""
        return cls(at, dict.fromkeys(COUNTERS, 0), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def since_first_start(since: str) -> dict[str, Any]:
    """What a sink's stats say of its counters: which count from its first start, and since when (UTC)."""
    return {"since": since, "counts": list(COUNTERS)}


def read_cursor(path: Path) -> SavedCursor:
    """What a cursor file holds; raises ``OSError`` (``FileNotFoundError``: none saved yet) or ``ValueError``,
    ``KeyError``, ``TypeError``, ``AttributeError`` (not a cursor)."""
    saved = json.loads(path.read_text())
    at = LogPosition(int(saved["segment"]), int(saved["offset"]))
    if "since" not in saved:  # saved by a release that did not keep its counters
        return SavedCursor.fresh(at)
    return SavedCursor(at, {key: int(saved["counters"].get(key, 0)) for key in COUNTERS}, str(saved["since"]))


def save_cursor(path: Path, stream: str, saved: SavedCursor) -> None:
    write_atomically(path, json.dumps({"segment": saved.at.segment, "offset": saved.at.offset, "stream": stream,
                                       "counters": saved.counters, "since": saved.since}).encode())


def load_cursor(path: Path, stream: str, synced: LogPosition) -> tuple[SavedCursor, Exception | None]:
    """The saved cursor, or the log's end ``synced`` with counters from 0: a new sink ships from now on, and that start
    is saved at once (a restart before its first batch must not skip what was logged meanwhile); a file that cannot be
    read starts there too, and why is returned beside it."""
    try:
        return read_cursor(path), None
    except FileNotFoundError:
        fresh = SavedCursor.fresh(synced)
        save_cursor(path, stream, fresh)
        return fresh, None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        return SavedCursor.fresh(synced), err


class Shipper:
    def __init__(self, sink: LogSink, source: LogSegments, config: LogSinkConfigBase, cursor_path: Path,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.sink, self.source, self.config, self._cursor_path, self._clock = sink, source, config, cursor_path, clock
        self._reader = source.reader()
        self.shipped_lines = self.batches = self.failures = self.dropped_lines = 0
        self.last_error: str | None = None
        loaded, unreadable = load_cursor(cursor_path, config.stream, source.synced)
        if unreadable is not None:
            log.error("log sink %s: its cursor %s cannot be read (%s); it ships from the log's end, its counters from 0",
                      sink.name, cursor_path, unreadable)
        self.cursor = self.saved = loaded.at
        """Where the next batch starts; and where the cursor file says it does (a restart resends what lies between)."""
        for key in COUNTERS:
            setattr(self, key, loaded.counters[key])
        self.since, self._saved_counters = loaded.since, loaded.counters
        self._unsaved: str | None = None  # why the cursor could not be saved, until it is
        self._last_sent = float("-inf")  # what is there goes out at once
        self._retry_at, self._backoff = 0.0, 0.5
        if config.mode == "block":
            source.holds.append(self.held)

    def held(self) -> LogPosition:
        """Block mode's hold on the log: the segments from its persisted cursor on are not pruned."""
        return self.saved

    def step(self) -> None:
        """The sink worker's step: send what is due (several batches when behind), or nothing; then save the cursor,
        once for all the step's batches (each save is a file written, fsynced and renamed: per batch, those system
        calls would hand the interpreter's lock back and forth with the loop's thread dozens of times a batch)."""
        now = self._clock()
        if now < self._retry_at:
            return
        try:
            if self.config.mode == "drop":
                self._skip_if_too_far_behind()
            for _ in range(MAX_BATCHES_PER_STEP):
                data, end = self._reader.read_batch(self.cursor, self.config.batch_bytes)
                full = end < self.source.synced  # more than a batch was waiting
                if not data or (not full and now - self._last_sent < self.config.batch_interval_s):
                    return
                if not self._send(data, end, now) or not full:
                    return
        finally:
            if self.cursor != self.saved:
                self._acknowledge(now)

    def _send(self, data: bytes, end: LogPosition, now: float) -> bool:
        batch_id = f"{self.config.stream}-{self.cursor.segment:06d}-{self.cursor.offset:012d}"
        try:
            self.sink.send(data, batch_id)
        except SinkError as err:
            self._failed(err, "the batch is sent again", now)
            return False
        self.cursor, self._last_sent, self._backoff = end, now, 0.5
        self.shipped_lines += data.count(b"\n")
        self.batches += 1
        return True

    def _failed(self, err: SinkError, then: str, now: float) -> None:
        self.failures += 1
        self.last_error = str(err)
        self._retry_at, self._backoff = now + self._backoff, min(self._backoff * 2, self.config.retry_max_s)
        if self.failures <= 10 or self.failures % 100 == 0:
            log.warning("log sink %s: %s; %s in %.1f s", self.sink.name, err, then, self._retry_at - now)

    def _acknowledge(self, now: float) -> None:
        """Save the cursor once the batches it covers are durable: a committing sink commits them first, and if it
        cannot, the cursor goes back to the saved one (those batches are sent again, under the same ids)."""
        if isinstance(self.sink, CommittingSink):
            try:
                self.sink.commit()
            except SinkError as err:  # what was sent since the saved cursor is sent again, and counted then
                self.cursor = self.saved
                self.shipped_lines, self.batches = self._saved_counters["shipped_lines"], self._saved_counters["batches"]
                self._failed(err, "the batches since the saved cursor are sent again", now)
                return
        try:
            self._save_cursor(self.cursor)
        except OSError as err:  # a full disk: the batches stand (sent once), and each step tries the save again
            if not self._unsaved:
                log.warning("log sink %s: cannot save its cursor %s (%s); it goes on shipping and saves it once it can (a "
                            "restart before then sends the batches since the saved one again)", self.sink.name, self._cursor_path, err.strerror)
            self._unsaved = self.last_error = f"cannot save its cursor {self._cursor_path} ({err.strerror}); {hint(err)}"
            return
        if self._unsaved:
            log.warning("log sink %s: its cursor is saved again", self.sink.name)
            self._unsaved = self.last_error = None

    def _save_cursor(self, at: LogPosition) -> None:
        counters = self.counters()
        save_cursor(self._cursor_path, self.config.stream, SavedCursor(at, counters, self.since))
        self.saved, self._saved_counters = at, counters

    def counters(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in COUNTERS}

    def backlog_bytes(self) -> int:
        """How far behind the log's synced end the cursor is (without listing the log's segments when both are in
        the same one: drop mode asks at every step)."""
        synced, total = self.source.synced, 0
        if self.cursor.segment == synced.segment:
            return max(synced.offset - self.cursor.offset, 0)
        for segment in self.source.segments():
            if self.cursor.segment <= segment <= synced.segment:
                size = synced.offset if segment == synced.segment else self.source.path(segment).stat().st_size
                total += size - (self.cursor.offset if segment == self.cursor.segment else 0)
        return max(total, 0)

    def _skip_if_too_far_behind(self) -> None:
        """Drop mode: keep the newest ``max_backlog_mb`` of the backlog, count the lines skipped."""
        excess = self.backlog_bytes() - int(self.config.max_backlog_mb * 1024 * 1024)
        while excess > 0:
            data, end = self._reader.read_batch(self.cursor, min(excess, 1 << 20))
            if not data:
                return
            self.dropped_lines += data.count(b"\n")
            excess -= len(data)
            self.cursor = end
        if excess <= 0 < self.dropped_lines:
            self.last_error = f"fell more than {self.config.max_backlog_mb:g} MB behind: skipped {self.dropped_lines} lines so far"

    def drain(self, timeout_s: float) -> None:
        """Ship what the log holds now (a clean shutdown's last batches), for at most ``timeout_s``."""
        deadline, failures, self._retry_at = self._clock() + timeout_s, self.failures, 0.0
        while self.backlog_bytes() and self._clock() < deadline and self.failures == failures:  # a failure ends it
            self._last_sent = float("-inf")
            self.step()

    def close(self) -> None:
        """Close the sink; counters that changed since the cursor was last saved (failures only: a batch moves the
        cursor) are saved with it, so a restart goes on from them."""
        if self.counters() != self._saved_counters:
            try:
                self._save_cursor(self.saved)
            except OSError as err:
                log.warning("log sink %s: cannot save its counters in %s (%s); a restart counts from the last saved ones",
                            self.sink.name, self._cursor_path, err.strerror)
        self.sink.close()
        self._reader.close()

    def stats(self) -> dict[str, Any]:
        return {"name": self.sink.name, **self.sink.stats(), "stream": self.config.stream, "mode": self.config.mode,
                **self.counters(), "since_first_start": since_first_start(self.since),
                "backlog_bytes": self.backlog_bytes(),
                "cursor": [self.cursor.segment, self.cursor.offset], "last_error": self.last_error}

"""A log of lines in numbered segment files, synced in groups, read back for recovery and by readers that ship it:
the joined events' DSJSON (``events-NNNNNN.dsjson``), and the raw decisions and rewards (``raw-NNNNNN.jsonl``).

Readers that must see every line (a log sink in ``block`` mode) register a *hold* (a function giving the
position they still need): pruning never deletes a segment a hold needs. A reader in another process (a log sink's
shipper) sees the segments as :class:`~appliance.storage.log_segments.LogSegments` and learns the synced end from an
``on_sync`` hook of the writer.

>>> import tempfile, pathlib
>>> log = EventLog(pathlib.Path(tempfile.mkdtemp()), segment_bytes=1 << 20)
>>> log.write([b'{"a":1}\\n']); log.sync()
LogPosition(segment=1, offset=8)
>>> [line for _, _, line in log.read_from(LogPosition(1, 0))]
['{"a":1}']
>>> log.close()
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Sequence

from appliance.errors import StorageError
from appliance.storage.atomic import fsync_dir
from appliance.storage.log_segments import LogPosition, LogSegments
from appliance.storage.writable import hint

log = logging.getLogger(__name__)
_BUFFER = 1 << 16  # appends between syncs (a tick's worth) reach the file in one write, or at this size


class EventLog(LogSegments):
    def __init__(self, directory: Path, segment_bytes: int, keep_segments: int = 1_000_000, fsync: bool = True,
                 name: str = "events", suffix: str = "dsjson") -> None:
        super().__init__(directory, name, suffix)
        self.durable = fsync
        self.segment_bytes = segment_bytes
        self._keep = keep_segments
        self.on_sync: list[Callable[[LogPosition], None]] = []
        """Called with the new synced end after each sync (a shipper in another process is told it)."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            segments = self.segments()
            self._segment = segments[-1] if segments else 1
            self._repair_tail(self.path(self._segment))
            self._file: BinaryIO = open(self.path(self._segment), "ab", buffering=0)
        except OSError as err:
            raise StorageError(f"{directory}: cannot open the event log ({err.strerror}); check permissions and free space") from None
        self._offset = self._file.tell()
        self._unwritten = bytearray()
        """Lines appended but not yet in the file: kept whole when a write fails (a full disk), and written, from where
        that write stopped, by the next flush (a buffered file drops the lines of a failed write, or tears them)."""
        self._unwritten_lock = threading.Lock()
        """Held to append to ``_unwritten`` and to flush it: a reader on another thread (``GET /api/events/{id}``'s
        :meth:`find`) flushes too, outside the writer's lock, and two flushes at once wrote the same lines twice or
        failed (``BufferError``: the buffer resized while the other thread's write held it)."""
        self.synced = self.position
        self.lines_written = 0

    @property
    def current_path(self) -> Path:
        return self.path(self._segment)

    @property
    def position(self) -> LogPosition:
        return LogPosition(self._segment, self._offset)

    def _repair_tail(self, path: Path) -> None:
        """Cut a torn last line (written but never synced before a crash); its decision is still in the WAL."""
        if not path.exists() or path.stat().st_size == 0:
            return
        with open(path, "rb+") as f:
            data = f.read()
            if data.endswith(b"\n"):
                return
            keep = data.rfind(b"\n") + 1
            log.warning("%s: cutting a torn last line of %d bytes left by a crash", path, len(data) - keep)
            f.truncate(keep)
            os.fsync(f.fileno())

    def write(self, lines: Sequence[bytes]) -> None:
        """UTF-8 lines, each ending in its newline (a tick's worth, in one call)."""
        data = b"".join(lines)
        with self._unwritten_lock:
            self._unwritten += data
        self._offset += len(data)
        self.lines_written += len(lines)
        if len(self._unwritten) >= _BUFFER:
            self._flush_kept()

    def _flush(self) -> None:
        """Write the appended lines to the file; an ``OSError`` leaves the rest of them appended."""
        with self._unwritten_lock:
            while self._unwritten:
                written = self._file.write(self._unwritten)
                del self._unwritten[:written]

    def _flush_kept(self) -> None:
        """:meth:`_flush`, unless the disk refuses: the lines stay appended, and the next sync says so."""
        with contextlib.suppress(OSError):
            self._flush()

    def sync(self) -> LogPosition:
        """Make everything appended durable (flushed only, without ``fsync``); start a new segment when this one is full."""
        point = self.begin_sync()
        point.fsync()
        return self.end_sync(point)

    def begin_sync(self) -> SyncPoint:
        """The first step of :meth:`sync`, under the writer's lock: flush what is appended and note where it ends. Its
        :meth:`SyncPoint.fsync` may then run outside that lock while more lines are written, and :meth:`end_sync`
        (under the lock again) publishes the position noted here, never a later one. A full segment is fsynced and
        closed here at once, and a new one begun (a rare stop of a few milliseconds)."""
        try:
            self._flush()
            if self._offset >= self.segment_bytes:
                if self.durable:
                    os.fsync(self._file.fileno())
                following = open(self.path(self._segment + 1), "ab", buffering=0)  # first: a full disk leaves this one open
                self._file.close()
                self._file, self._segment, self._offset = following, self._segment + 1, 0
                fsync_dir(self.directory)
                return SyncPoint(self.position, -1, self.current_path)
            fd = os.dup(self._file.fileno()) if self.durable else -1  # still open should a sync rotate the segment meanwhile
        except OSError as err:
            raise write_failed(self.current_path, err) from None
        return SyncPoint(self.position, fd, self.current_path)

    def end_sync(self, point: SyncPoint) -> LogPosition:
        """The last step of :meth:`sync`, under the writer's lock, once ``point`` is fsynced: readers may read up to it
        (the synced end never moves back, should another sync have ended first)."""
        self.synced = max(self.synced, point.position)
        for tell in self.on_sync:
            tell(self.synced)
        return self.synced

    def read_from(self, start: LogPosition) -> Iterator[tuple[Path, int, str]]:
        """(file, line number, line) for every line at or after ``start``."""
        self._flush_kept()  # what a full disk refused is left out
        for segment in self.segments():
            if segment < start.segment:
                continue
            path = self.path(segment)
            with open(path, "rb") as f:
                skipped = f.read(start.offset).count(b"\n") if segment == start.segment else 0
                for number, raw in enumerate(f, start=skipped + 1):
                    yield path, number, raw.decode("utf-8", "replace").rstrip("\n")

    def tail(self, lines: int, max_bytes: int = 1 << 20) -> list[str]:
        """The last ``lines`` complete lines, oldest first, read from at most the last ``max_bytes`` of the newest
        segments (the recent history a restart brings back)."""
        self._flush_kept()  # what a full disk refused is left out
        found: list[str] = []
        budget = max_bytes
        for segment in reversed(self.segments()):
            path = self.path(segment)
            size = path.stat().st_size
            with open(path, "rb") as f:
                f.seek(max(size - budget, 0))
                data = f.read()
            budget -= len(data)
            chunk = data.split(b"\n")[:-1]  # the bytes after the last newline are not a complete line
            if size > len(data):
                chunk = chunk[1:]  # the first one may be cut
            found = [raw.decode("utf-8", "replace") for raw in chunk if raw] + found
            if len(found) >= lines or budget <= 0:
                break
        return found[-lines:] if lines else []

    def find(self, needle: bytes, max_bytes: int) -> list[str]:
        """The lines that contain ``needle``, oldest first, from the newest segments (at most ``max_bytes`` read)."""
        self._flush_kept()  # what a full disk refused is left out
        found: list[str] = []
        budget = max_bytes
        for segment in reversed(self.segments()):
            if budget <= 0:
                break
            path = self.path(segment)
            with open(path, "rb") as f:
                size = path.stat().st_size
                f.seek(max(size - budget, 0))
                data = f.read()
            budget -= len(data)
            hits, at = [], data.find(needle)
            while at >= 0:
                start, end = data.rfind(b"\n", 0, at) + 1, data.find(b"\n", at)
                if end > start and (start > 0 or size == len(data)):  # a line cut by the budget is left out
                    hits.append(data[start:end].decode("utf-8", "replace"))
                at = data.find(needle, max(end, at + 1)) if end >= 0 else -1
            found = hits + found
        return found

    def prune(self, needed_from: LogPosition) -> list[Path]:
        """Delete the oldest segments beyond ``keep_segments``, never one at or after ``needed_from`` or a hold."""
        needed_from = min([needed_from, *(hold() for hold in self.holds)])
        removable = [s for s in self.segments() if s < needed_from.segment]
        excess = len(self.segments()) - self._keep
        removed = []
        for segment in removable[: max(excess, 0)]:
            self.path(segment).unlink(missing_ok=True)
            removed.append(self.path(segment))
        return removed

    def close(self) -> None:
        if not self._file.closed:
            self.sync()
            self._file.close()


def write_failed(path: Path, err: OSError) -> StorageError:
    return StorageError(f"{path}: cannot write the event log ({err.strerror}); {hint(err)}")


class SyncPoint:
    """A sync begun (:meth:`EventLog.begin_sync`): the position it makes durable, and its own descriptor of that
    segment (``-1``: nothing left to fsync), closed by :meth:`fsync` or :meth:`close`."""

    __slots__ = ("position", "_fd", "_path")

    def __init__(self, position: LogPosition, fd: int, path: Path) -> None:
        self.position, self._fd, self._path = position, fd, path

    def fsync(self) -> None:
        """Make the lines up to :attr:`position` durable (no lock needed: nothing else uses this descriptor)."""
        try:
            if self._fd >= 0:
                os.fsync(self._fd)
        except OSError as err:
            raise write_failed(self._path, err) from None
        finally:
            self.close()

    def close(self) -> None:
        """Give the descriptor back (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


"""A log's segment files as its readers see them (:class:`LogSegments`), a position in them (:class:`LogPosition`),
and the batches a reader that ships the log reads (:class:`LogReader`). The writer, :class:`~appliance.storage.eventlog.EventLog`,
is a :class:`LogSegments` too; a reader in another process (a log sink's shipper) sees the same files and learns the
synced end from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True, order=True, slots=True)
class LogPosition:
    segment: int
    offset: int


class LogSegments:
    """The segment files of a log as its readers see them: named, listed, read in batches up to ``synced`` (which
    the writer moves; a reader in another process is told it)."""

    def __init__(self, directory: Path, name: str = "events", suffix: str = "dsjson", synced: LogPosition = LogPosition(1, 0)) -> None:
        self.directory, self.name, self.suffix = directory, name, suffix
        self.synced = synced
        """What is durable: readers that ship the log read up to here."""
        self.holds: list[Callable[[], LogPosition]] = []

    def path(self, segment: int) -> Path:
        return self.directory / f"{self.name}-{segment:06d}.{self.suffix}"

    def segments(self) -> list[int]:
        return sorted(int(p.stem.rsplit("-", 1)[1]) for p in self.directory.glob(f"{self.name}-*.{self.suffix}"))

    def reader(self) -> LogReader:
        """A reader of batches of this log, for one thread (a log sink's shipper); close it when done."""
        return LogReader(self)


class LogReader:
    """Batches of a log's segments for one reader on one thread (a log sink's shipper), the segment it reads kept
    open from one batch to the next."""

    def __init__(self, log: LogSegments) -> None:
        self.log = log
        self._segment, self._fd = 0, -1

    def read_batch(self, start: LogPosition, max_bytes: int) -> tuple[bytes, LogPosition]:
        """Complete, synced lines from ``start`` (at most about ``max_bytes``; at least one line when there is one),
        as one ``bytes``, and the position after them. A ``start`` in a segment pruned since begins at the oldest one
        there is (a segment pruned while this reader has it open is read to its end first).

        >>> import tempfile, pathlib
        >>> from appliance.storage.eventlog import EventLog
        >>> log = EventLog(pathlib.Path(tempfile.mkdtemp()), segment_bytes=1 << 20, name="raw", suffix="jsonl")
        >>> reader = log.reader()
        >>> log.write([b'{"a":1}\\n', b'{"b":2}\\n']); reader.read_batch(LogPosition(1, 0), 100)  # not synced yet
        (b'', LogPosition(segment=1, offset=0))
        >>> _ = log.sync(); reader.read_batch(LogPosition(1, 0), 10)
        (b'{"a":1}\\n', LogPosition(segment=1, offset=8))
        >>> reader.read_batch(LogPosition(1, 0), 3)  # a line longer than max_bytes comes whole
        (b'{"a":1}\\n', LogPosition(segment=1, offset=8))
        >>> reader.close(); log.close()
        """
        synced = self.log.synced
        while start < synced:
            end = synced.offset if start.segment == synced.segment else None
            want = max(min(max_bytes, end - start.offset) if end is not None else max_bytes, 0)
            try:
                data = self._read(start, want)
            except FileNotFoundError:  # pruned since: the oldest segment after it
                later = [s for s in self.log.segments() if s > start.segment]
                if not later:
                    break
                start = LogPosition(later[0], 0)
                continue
            cut = data.rfind(b"\n") + 1
            if cut:
                return data[:cut], LogPosition(start.segment, start.offset + cut)
            later = [s for s in self.log.segments() if s > start.segment]
            if end is not None or not later:
                break
            start = LogPosition(later[0], 0)  # this segment is read to its end: the next one
        return b"", start

    def _read(self, start: LogPosition, size: int) -> bytes:
        """``size`` bytes of a segment from ``start`` (fewer at its end), or one line longer than that, whole: one
        system call a batch, as the segment stays open (each call hands the interpreter's lock to the loop's thread
        and waits to get it back)."""
        fd = self._open(start.segment)
        data = os.pread(fd, size, start.offset)
        if len(data) == size and b"\n" not in data:
            while (more := os.pread(fd, size, start.offset + len(data))) and b"\n" not in more:
                data += more
            data += more[: more.find(b"\n") + 1]
        return data

    def _open(self, segment: int) -> int:
        """The open file of ``segment``: the one read last, or a new one (the last one closed)."""
        if segment != self._segment:
            self.close()
            self._fd = os.open(self.log.path(segment), os.O_RDONLY | os.O_CLOEXEC)
            self._segment = segment
        return self._fd

    def close(self) -> None:
        """Close the segment held open; idempotent (a later read opens it again)."""
        if self._fd >= 0:
            os.close(self._fd)
        self._segment, self._fd = 0, -1

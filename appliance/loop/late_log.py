"""``late.jsonl``: the late rewards handled under ``late_reward: log``, one JSON line each, fsynced before their
records leave the write-ahead log (at the sync after the line is written).

It starts anew once it holds ``storage.log_segment_mb``: the full file is kept as ``late.jsonl.1`` (replacing the one
before it), so the two hold at most about twice that, however long the appliance runs. A restart reads the keys of
both, which covers every late reward whose record the write-ahead log may still hold.

>>> import tempfile, pathlib
>>> late = LateLog(pathlib.Path(tempfile.mkdtemp()), limit_bytes=30, durable=False)
>>> late.append(['{"key": "e1/r1"}', '{"key": "e2/r2"}']); late.append(['{"key": "e3/r3"}'])
>>> sorted(late.keys()), late.previous.read_text().count("\\n"), late.path.read_text()
(['e1/r1', 'e2/r2', 'e3/r3'], 2, '{"key": "e3/r3"}\\n')
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from appliance.storage.atomic import fsync_dir
from appliance.storage.eventlog import write_failed

LATE_LOG = "late.jsonl"


class LateLog:
    def __init__(self, directory: Path, limit_bytes: int, durable: bool) -> None:
        self.directory, self.limit_bytes, self.durable = directory, limit_bytes, durable
        self.path = directory / LATE_LOG
        self.previous = directory / f"{LATE_LOG}.1"

    def append(self, lines: list[str]) -> None:
        """Append ``lines`` (and fsync them, when durable; the directory too when this made the file, or a power cut
        could lose the file with its lines before they leave the WAL), in a new file when this one is full. A full
        disk raises :class:`~appliance.errors.StorageError` and leaves no part of them."""
        if self.path.exists() and self.path.stat().st_size >= self.limit_bytes:
            os.replace(self.path, self.previous)
        created = not self.path.exists()
        with open(self.path, "ab", buffering=0) as f:
            end = f.tell()
            data = memoryview(("\n".join(lines) + "\n").encode())
            try:
                while data:  # unbuffered (nothing left to flush at close): a write may take a part
                    data = data[f.write(data):]
                if self.durable:
                    os.fsync(f.fileno())
            except OSError as err:  # a full disk: cut what fitted, so that the next try writes whole lines again
                f.truncate(end)
                raise write_failed(self.path, err) from None
        if created and self.durable:
            fsync_dir(self.directory)

    def lines(self) -> Iterator[bytes]:
        """Every line both files hold, the older file first."""
        for path in (self.previous, self.path):
            try:
                with open(path, "rb") as f:
                    yield from f
            except FileNotFoundError:
                continue

    def keys(self) -> set[str]:
        """The keys of every late reward the files hold."""
        keys: set[str] = set()
        for raw in self.lines():
            try:
                key = json.loads(raw).get("key")
            except (ValueError, AttributeError):
                continue  # a torn last line: its reward is still in the WAL
            if isinstance(key, str):
                keys.add(key)
        return keys

"""Each log sink's :class:`~appliance.sinks.shipper.Shipper` in a child process of its own, so that shipping never
holds the loop process's interpreter lock (as a thread, the shipper fought the loop's thread for it, was starved,
and what it had not shipped landed on the loop's clock).

The child (``python -m appliance.sinks.child``) reads the same log directory and keeps the same cursor file, so
delivery stays at least once exactly as before. The daemon and the child share one small memory file (a
:class:`Channel`): the daemon writes the log's synced end there at every sync (only synced lines ship), the child
writes its saved cursor (block mode's hold on pruning is kept in the daemon from it) and its stats. The child's
stdin is a pipe from the daemon: a byte wakes it (a drain is asked), its end stops it, and so does the daemon's
death (``kill -9`` closes the pipe; the child also checks that its parent is still the one that started it).

A child that dies is started again by :meth:`ShipperProcess.watch` (the ``sink-NAME`` worker's step), counted in
``restarts`` with the reason in ``last_exit`` and the log, after a doubling pause when it keeps dying young.
"""

from __future__ import annotations

import contextlib
import json
import logging
import mmap
import os
import signal
import site
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from appliance.config.log_sinks import LogSinkConfigBase
from appliance.sinks.base import SinkError
from appliance.sinks.shipper import COUNTERS, load_cursor, since_first_start
from appliance.storage.eventlog import EventLog
from appliance.storage.log_segments import LogPosition

log = logging.getLogger(__name__)
SYNCED, SAVED, DRAIN_ASKED, DRAINED, DRAIN_MS, STATS_SEQ, STATS_LEN, BUILT = range(8)
"""The channel's int64 slots: the log's synced end, the child's saved cursor (both packed), the last drain asked
and the last done, its timeout, the stats' version (odd while the child writes them) and length, and whether the
child has built its sink (1)."""
STATS_AT, SIZE = 64, 64 + 16384
OWN_STATS = ("type", "stream", "mode", "since_first_start")
"""A sink's stats the daemon has from its config and cursor file, whatever its child's stats say."""
START_TIMEOUT_S = 30.0
"""How long :meth:`ShipperProcess.start` waits for the child to build its sink (an interpreter's start and imports)."""
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
"""Where the child imports this package from: the daemon's own copy (a checkout), unless it is installed (then the
child's interpreter finds it in its site-packages, which must not go ahead of the standard library)."""


def packed(at: LogPosition) -> int:
    """A position as one int64 (written and read whole): the segment above the offset's 40 bits."""
    return at.segment << 40 | at.offset


def unpacked(value: int) -> LogPosition:
    return LogPosition(value >> 40, value & ((1 << 40) - 1))


class Channel:
    """What the daemon and a shipper's child share: an anonymous memory file (``memfd``) of int64 slots and the
    child's stats as JSON."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._memory = mmap.mmap(fd, SIZE)

    @classmethod
    def create(cls) -> Channel:
        fd = os.memfd_create("wabbit-sink", os.MFD_CLOEXEC)
        os.ftruncate(fd, SIZE)
        return cls(fd)

    def get(self, slot: int) -> int:
        """A slot's value, read until two reads agree (the other process may be writing it)."""
        while True:
            value: int = struct.unpack_from("q", self._memory, 8 * slot)[0]
            if value == struct.unpack_from("q", self._memory, 8 * slot)[0]:
                return value

    def set(self, slot: int, value: int) -> None:
        struct.pack_into("q", self._memory, 8 * slot, value)

    def write_stats(self, stats: dict[str, Any]) -> None:
        data = json.dumps(stats).encode()
        if len(data) > SIZE - STATS_AT:
            kept = {key: stats.get(key) for key in (*COUNTERS, "name", "since_first_start")}
            data = json.dumps(kept | {"last_error": str(stats.get("last_error"))[:2000]}).encode()
        version = self.get(STATS_SEQ)
        self.set(STATS_SEQ, version + 1)
        self._memory[STATS_AT: STATS_AT + len(data)] = data
        self.set(STATS_LEN, len(data))
        self.set(STATS_SEQ, version + 2)

    def read_stats(self) -> dict[str, Any] | None:
        """The child's last stats; ``None`` before its first, or while it keeps rewriting them."""
        for _ in range(100):
            version = self.get(STATS_SEQ)
            data = self._memory[STATS_AT: STATS_AT + self.get(STATS_LEN)]
            if version % 2 == 0 and self.get(STATS_SEQ) == version:
                return dict(json.loads(data)) if data else None
            time.sleep(0.0001)
        return None


class ShipperProcess:
    """Ships ``source`` to the sink ``config`` describes from a child process, stepping every ``interval_s``.

    Built before the loop's recovery (block mode's hold is in place at once, from the cursor file); :meth:`start`
    starts the child, :meth:`drain` ships what the log holds now, :meth:`stop` ends the child and :meth:`release`
    lets go of the log."""

    def __init__(self, config: LogSinkConfigBase, name: str, source: EventLog, cursor_path: Path, interval_s: float) -> None:
        self.config, self.name, self.source, self.cursor_path, self.interval_s = config, name, source, cursor_path, interval_s
        self.restarts = 0
        self.last_exit: str | None = None
        self._channel = Channel.create()
        self._channel.set(SYNCED, packed(source.synced))
        saved, _ = load_cursor(cursor_path, config.stream, source.synced)  # unreadable: the child says so, from the log's end
        self._channel.set(SAVED, packed(saved.at))
        self._stats: dict[str, Any] = {"name": name, "type": config.type, "stream": config.stream, "mode": config.mode,
                                       **saved.counters, "since_first_start": since_first_start(saved.since), "last_error": None}
        """The child's last stats: its counters carried over to a restarted child (the first has them from the cursor file)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # the watch worker restarts, the supervisor stops
        self._started_at, self._restart_at, self._pause = 0.0, float("inf"), 0.0
        source.on_sync.append(self._tell_synced)
        if config.mode == "block":
            source.holds.append(self.held)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _tell_synced(self, at: LogPosition) -> None:
        self._channel.set(SYNCED, packed(at))

    def held(self) -> LogPosition:
        """Block mode's hold on the log: the segments from the child's saved cursor on are not pruned."""
        return unpacked(self._channel.get(SAVED))

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the child and wait until it has built its sink: a sink that cannot be built (a bad URL, a missing
        package) raises :class:`SinkError` with the child's reason, so the config that asked for it is refused."""
        with self._lock:
            self._channel.set(BUILT, 0)
            self._spawn()
            process = self._process
        assert process is not None
        deadline = time.monotonic() + timeout_s
        while not self._channel.get(BUILT):
            if process.poll() is not None:
                said = ((self._channel.read_stats() or {}).get("last_error")
                        or f"cannot start: its process exited with code {process.returncode} (see the log)")
                self.stop()
                raise SinkError(f"log sink {self.name} {said}; check its settings under log_sinks")
            if time.monotonic() > deadline:
                self.stop()
                raise SinkError(f"log sink {self.name}: its process did not start within {timeout_s:g} s; see the log")
            time.sleep(0.01)

    def _spawn(self) -> None:
        spec = {"name": self.name, "config": self.config.model_dump(mode="json"), "directory": str(self.source.directory),
                "log_name": self.source.name, "suffix": self.source.suffix, "cursor": str(self.cursor_path),
                "interval_s": self.interval_s, "fd": self._channel.fd, "parent": os.getpid(),
                "log_level": logging.getLogger().getEffectiveLevel(), "carried": {key: self._stats[key] for key in COUNTERS}}
        installed = PACKAGE_ROOT in {*site.getsitepackages(), site.getusersitepackages()}
        path = os.pathsep.join(filter(None, [None if installed else PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen([sys.executable, "-m", "appliance.sinks.child", json.dumps(spec)], stdin=subprocess.PIPE,
                                         pass_fds=(self._channel.fd,), env={**os.environ, "PYTHONPATH": path})
        self._started_at, self._restart_at = time.monotonic(), float("inf")

    def watch(self) -> None:
        """The ``sink-NAME`` worker's step: a child that died is counted, its reason logged, and started again (at
        once the first time, or after it lived a minute; else after a pause doubling up to a minute)."""
        with self._lock:
            process, now = self._process, time.monotonic()
            if process is None or process.poll() is None:
                return
            if self._restart_at == float("inf"):  # found dead just now
                assert process.stdin is not None
                process.stdin.close()
                self.restarts += 1
                code, said = process.returncode, self.stats().get("last_error")
                self.last_exit = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
                young = self.restarts > 1 and now - self._started_at < 60
                self._pause = min(max(2 * self._pause, 1.0), 60.0) if young else 0.0
                self._restart_at = now + self._pause
                log.error("log sink %s: its shipper process (pid %d) %s (its last error: %s); starting it again in %.0f s "
                          "(restart %d)", self.name, process.pid, self.last_exit, said, self._pause, self.restarts)
            if now >= self._restart_at:
                self._spawn()

    def drain(self, timeout_s: float) -> bool:
        """Ship what the log holds now, for at most ``timeout_s`` (a failure ends it): whether all of it was shipped."""
        process = self._process
        if process is None or process.poll() is not None:
            return False
        asked = self._channel.get(DRAIN_ASKED) + 1
        self._channel.set(DRAIN_MS, int(timeout_s * 1000))
        self._channel.set(DRAIN_ASKED, asked)
        self._wake(process)
        deadline = time.monotonic() + timeout_s + 5.0  # and the step it is in, or its start
        while self._channel.get(DRAINED) < asked:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return (self._channel.read_stats() or {}).get("backlog_bytes") == 0

    @staticmethod
    def _wake(process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None
        with contextlib.suppress(OSError):  # it died: the watch starts it again
            process.stdin.write(b"w")
            process.stdin.flush()

    def stop(self) -> None:
        """End the child after the step it is in (killed if that takes over 10 s); its cursor is final."""
        with self._lock:
            process, self._process = self._process, None
        if self._tell_synced in self.source.on_sync:
            self.source.on_sync.remove(self._tell_synced)
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10.0)
        except subprocess.TimeoutExpired:
            log.warning("log sink %s: its shipper process did not end within 10 s; killing it", self.name)
            process.kill()
            process.wait()

    def release(self) -> None:
        """Block mode's hold on the log goes: what the child had not shipped may be pruned."""
        if self.held in self.source.holds:
            self.source.holds.remove(self.held)
        os.close(self._channel.fd)

    def stats(self) -> dict[str, Any]:
        """The child's shipper's stats (as an in-process one gives them), its pid and how often it was restarted."""
        found = self._channel.read_stats()
        if found is not None:  # what the daemon knows of the sink stays, though a child that cannot start omits it
            self._stats = {**{key: self._stats[key] for key in OWN_STATS}, **found}
        return {**self._stats, "pid": self.pid, "restarts": self.restarts, "last_exit": self.last_exit}

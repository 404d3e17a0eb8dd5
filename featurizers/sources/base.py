"""The capture thread every source shares: latest-sample slot, stats, reconnect with backoff.

A subclass implements ``_open()`` (acquire the device), ``_stream()`` (publish samples until the
stream ends: return True to go again at once, e.g. a looping file, False when it has ended for good;
raise on failure) and ``_close()``. Failures never reach the caller: they land in ``stats()`` and the
thread reconnects after ``backoff_min_seconds``, doubling up to ``backoff_max_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from typing import Any, ClassVar

from featurizers.config.sources import Kind
from featurizers.samples import Sample

log = logging.getLogger("featurizers.sources")


class ThreadedSource(ABC):
    """Base of the shipped sources (see module doc)."""

    kind: ClassVar[Kind]
    type: ClassVar[str]

    def __init__(self, source_id: str, *, backoff_min: float = 0.5, backoff_max: float = 30.0,
                 lossless: bool = False) -> None:
        self.id = source_id
        self._backoff_min, self._backoff_max = backoff_min, backoff_max
        self._lossless = lossless
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._latest: Sample | None = None
        self._seq = 0
        self._read_seq = 0
        self._state = "idle"
        self._published = 0
        self._dropped = 0
        self._errors = 0
        self._reconnects = 0
        self._last_error: str | None = None
        self._times: deque[float] = deque(maxlen=64)

    # -- the Source protocol ---------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"source-{self.id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            if self._thread.is_alive():
                log.warning("source %s: capture thread did not stop within 5 s", self.id)
        if self._state != "ended":
            self._state = "stopped"

    def read(self, timeout: float = 1.0) -> Sample | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._seq == self._read_seq:
                left = deadline - time.monotonic()
                if left <= 0 or self._state in ("ended", "stopped"):
                    return None
                self._cond.wait(left)
            self._read_seq = self._seq
            self._cond.notify_all()
            return self._latest

    @property
    def ended(self) -> bool:
        """True once a non-looping stream reached its end and everything was read."""
        return self._state == "ended" and self._seq == self._read_seq

    def stats(self) -> dict[str, Any]:
        times = list(self._times)
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        return {"id": self.id, "type": self.type, "kind": self.kind, "state": self._state,
                "fps": round(fps, 3), "samples": self._published, "dropped": self._dropped,
                "errors": self._errors, "reconnects": self._reconnects, "last_error": self._last_error,
                **self._extra_stats()}

    # -- for subclasses ----------------------------------------------------------------------
    def _open(self) -> None:
        """Acquire the device or stream (raise on failure)."""

    @abstractmethod
    def _stream(self) -> bool:
        """Publish samples until the stream ends or ``self._stop`` is set."""

    def _close(self) -> None:
        """Release the device; must not raise."""

    def _extra_stats(self) -> dict[str, Any]:
        return {}

    def _next_seq(self) -> int:
        return self._seq + 1

    def _publish(self, sample: Sample) -> None:
        """Make ``sample`` the latest; in lossless mode wait until the previous one was read."""
        with self._cond:
            if self._lossless:
                while self._seq != self._read_seq and not self._stop.is_set():
                    self._cond.wait(0.1)
            elif self._seq != self._read_seq:
                self._dropped += 1
            self._latest = sample
            self._seq = sample.seq
            self._published += 1
            self._times.append(time.monotonic())
            self._cond.notify_all()

    def _run(self) -> None:
        backoff = self._backoff_min
        while not self._stop.is_set():
            try:
                self._state = "opening"
                self._open()
                self._state = "running"
                again = self._stream()
                backoff = self._backoff_min
                if not again and not self._stop.is_set():
                    self._state = "ended"
                    with self._cond:
                        self._cond.notify_all()
                    return
            except Exception as err:  # a failing device must never take the daemon down
                self._errors += 1
                self._last_error = f"{type(err).__name__}: {err}"
                log.warning("source %s failed (%s); reconnecting in %.1f s", self.id, self._last_error, backoff)
                self._state = "reconnecting"
                if self._stop.wait(backoff):
                    break
                self._reconnects += 1
                backoff = min(backoff * 2.0, self._backoff_max)
            finally:
                self._close()
        self._state = "stopped"

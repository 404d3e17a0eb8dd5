"""Named workers sharing one stop event; a failing step is logged, counted and retried with backoff.

>>> import threading
>>> stop = threading.Event()
>>> calls = []
>>> w = Worker("demo", lambda: calls.append(1) or stop.set(), interval_s=0.01)
>>> w.start(stop); w.join(1.0); calls
[1]
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, name: str, step: Callable[[], object], interval_s: float) -> None:
        self.name = name
        self._step = step
        self._interval = interval_s
        self._thread: threading.Thread | None = None
        self.steps = 0
        self.errors = 0
        self.last_error: str | None = None
        self.heartbeat = time.monotonic()

    def start(self, stop: threading.Event) -> None:
        self._thread = threading.Thread(target=self._run, args=(stop,), name=self.name, daemon=True)
        self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        backoff = self._interval
        while not stop.is_set():
            try:
                self._step()
                self.steps += 1
                backoff = self._interval
            except Exception as err:  # a worker must never take the daemon down
                self.errors += 1
                self.last_error = f"{type(err).__name__}: {err}"
                log.exception("worker %s failed; retrying in %.1f s", self.name, backoff)
                backoff = min(max(backoff * 2, 0.1), 30.0)
            self.heartbeat = time.monotonic()
            stop.wait(backoff)

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> dict[str, Any]:
        return {"alive": self.alive, "steps": self.steps, "errors": self.errors, "last_error": self.last_error,
                "seconds_since_heartbeat": round(time.monotonic() - self.heartbeat, 3)}

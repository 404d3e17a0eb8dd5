"""Named workers sharing one stop event, and a watchdog that restarts the ones that hang or die.

A failing step is logged, counted and retried with backoff; a step that never returns, or a thread that
died, is the watchdog's business: it starts a fresh thread and counts the restart. A hung thread cannot be
killed in Python, so it is retired: if its step ever returns, it exits instead of running on.

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
from typing import Any, Callable, Sequence

from appliance.errors import WabbitError

log = logging.getLogger(__name__)


class Worker:
    """Calls ``step`` every ``interval_s`` until ``stop`` is set (or the worker is retired).

    ``hang_after_s``: a step running longer than this counts as hung (default: 20 intervals, at least 30 s).
    """

    def __init__(self, name: str, step: Callable[[], object], interval_s: float, hang_after_s: float | None = None) -> None:
        self.name = name
        self._step = step
        self._interval = interval_s
        self.hang_after_s = hang_after_s if hang_after_s is not None else max(20 * interval_s, 30.0)
        self._thread: threading.Thread | None = None
        self._stop: threading.Event | None = None
        self._generation = 0
        self.steps = 0
        self.errors = 0
        self.restarts = 0
        self.last_error: str | None = None
        self.heartbeat = time.monotonic()
        self._nudged = threading.Event()
        self._retired = False  # stopped on purpose (a reconfiguration): not the watchdog's to start again

    def start(self, stop: threading.Event) -> None:
        self._stop, self._retired = stop, False
        self._generation += 1
        self.heartbeat = time.monotonic()
        self._thread = threading.Thread(target=self._run, args=(stop, self._generation), name=self.name, daemon=True)
        self._thread.start()

    def _run(self, stop: threading.Event, generation: int) -> None:
        backoff = self._interval
        while not stop.is_set() and generation == self._generation:
            try:
                self._step()
                self.steps += 1
                backoff = self._interval
            except Exception as err:  # a worker must never take the daemon down
                self.errors += 1
                self.last_error = f"{type(err).__name__}: {err}"
                backoff = min(max(backoff * 2, 0.1), 30.0)
                if isinstance(err, WabbitError):  # says what and where itself (a full or read-only disk): no traceback
                    log.error("worker %s failed: %s; retrying in %.1f s", self.name, err, backoff)
                else:
                    log.exception("worker %s failed; retrying in %.1f s", self.name, backoff)
            if generation != self._generation:
                return  # retired while the step ran: a newer thread owns the heartbeat
            self.heartbeat = time.monotonic()
            self._pause(stop, backoff)

    def _pause(self, stop: threading.Event, seconds: float) -> None:
        """Wait ``seconds``; a backoff longer than the interval is looked at every second so a nudge can end it."""
        if seconds <= self._interval:
            stop.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        while not stop.is_set() and not self._nudged.is_set() and (left := deadline - time.monotonic()) > 0:
            stop.wait(min(left, 1.0))
        self._nudged.clear()

    def nudge(self) -> None:
        """End the backoff after failed steps within a second (what it waited for, such as disk space, is back)."""
        self._nudged.set()

    def retire(self) -> None:
        """Stop this worker alone: its thread exits after the step it is in (the shared stop is not set), and the
        watchdog leaves it stopped."""
        self._retired = True
        self._generation += 1

    def restart(self, reason: str) -> None:
        """Retire the current thread and start a fresh one; counted in ``restarts``."""
        if self._stop is None:
            raise RuntimeError(f"worker {self.name} was never started; call start(stop) first")
        self.restarts += 1
        self.last_error = reason
        log.error("worker %s %s; restarting it (restart %d)", self.name, reason, self.restarts)
        self.start(self._stop)

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def problem(self, now: float | None = None) -> str | None:
        """Why the watchdog should restart this worker, or ``None`` while it is healthy."""
        if self._thread is None or self._retired or (self._stop is not None and self._stop.is_set()):
            return None
        if not self._thread.is_alive():
            return "died (its thread ended)"
        silent = (time.monotonic() if now is None else now) - self.heartbeat
        if silent > self.hang_after_s:
            return f"hung (no heartbeat for {silent:.1f} s, limit {self.hang_after_s:.1f} s)"
        return None

    def stats(self) -> dict[str, Any]:
        return {"alive": self.alive, "steps": self.steps, "errors": self.errors, "restarts": self.restarts,
                "last_error": self.last_error, "interval_s": self._interval,
                "seconds_since_heartbeat": round(time.monotonic() - self.heartbeat, 3)}


class Watchdog:
    """Checks ``workers()`` every ``interval_s`` and restarts any that hung or died.

    >>> stop = threading.Event(); stop.set()
    >>> w = Worker("fragile", lambda: None, 0.01)
    >>> w.start(stop); w.join(1.0); stop.clear()  # its thread ended, as one that died
    >>> dog = Watchdog(lambda: [w], interval_s=0.01)
    >>> dog.check(); w.restarts, w.alive
    (1, True)
    >>> stop.set(); w.join(1.0)
    """

    def __init__(self, workers: Callable[[], Sequence[Worker]], interval_s: float = 1.0) -> None:
        self._workers = workers
        self.interval_s = interval_s
        self.restarts = 0

    def check(self) -> None:
        for worker in self._workers():
            reason = worker.problem()
            if reason is not None:
                worker.restart(reason)
                self.restarts += 1

    def worker(self) -> Worker:
        """The watchdog as a worker itself (nothing watches it; its step cannot block)."""
        return Worker("watchdog", self.check, self.interval_s, hang_after_s=float("inf"))

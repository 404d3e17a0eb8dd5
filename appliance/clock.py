"""Clocks are injected: the daemon uses the wall clock, tests and simulations a fake one.

``time()`` says when (decisions, rewards, log lines); ``monotonic()`` how long (waits, periods, schedules), on a
clock nobody sets. The wall clock does get set: a Raspberry Pi has no real-time clock (a Pi 5 keeps time only with
its optional battery), so it boots at the time it last saved and jumps forward at its first sync with a time
server, minutes or hours later; a user may set it by hand.

>>> clock = FakeClock(start=100.0)
>>> clock.time()
100.0
>>> clock.advance(2.5)
>>> clock.time(), clock.monotonic()
(102.5, 102.5)
>>> clock.step(3600.0)  # set forward by an hour: only the wall clock moves
>>> clock.time(), clock.monotonic()
(3702.5, 102.5)
"""

from __future__ import annotations

import os
import time
from typing import Protocol


class Clock(Protocol):
    """Source of time in seconds since the epoch, and of durations."""

    def time(self) -> float:
        """The current time in seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that is never set, from an arbitrary start: for how long, never for when."""
        ...


class SystemClock:
    """The wall clock; durations from the time since boot (suspend included, where Linux counts it)."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return _since_boot()


def _since_boot() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME) if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic()


class FakeClock:
    """A clock that moves only when told to (for tests and simulated worlds)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._set_by = 0.0  # how far the wall clock was set (step), which durations do not see

    def time(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._set_by

    def advance(self, seconds: float) -> None:
        """Move time forward; moving it backward is a bug in the caller."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back (advance by {seconds})")
        self._now += seconds

    def set(self, now: float) -> None:
        """Jump to ``now`` (never backward)."""
        self.advance(now - self._now)

    def step(self, seconds: float) -> None:
        """Set the wall clock by ``seconds``, either way, as a time server or a user does; durations go on unmoved."""
        self._now += seconds
        self._set_by += seconds


RESTARTED_AT = "WABBIT_RESTARTED_AT"
"""Set by a ``wabbit run`` that starts itself again in the same process (``exec``): when it did, seconds since the
epoch, so the new start-up counts from there rather than from the first start."""
_IMPORTED = time.time()


def process_started() -> float:
    """When this process started (seconds since the epoch), imports included: from ``/proc/self/stat`` on Linux,
    or the :data:`RESTARTED_AT` time after an ``exec``; elsewhere, when this module was first imported.

    >>> 0.0 <= time.time() - process_started() < 3600.0
    True
    """
    started = _started_by_proc()
    if started is None:
        started = _IMPORTED
    restarted = os.environ.get(RESTARTED_AT, "")
    try:
        return max(started, float(restarted)) if restarted else started
    except ValueError:
        return started


def _started_by_proc() -> float | None:
    """When this process started by Linux's ``/proc`` (field 22 of ``/proc/self/stat`` against the uptime), or
    ``None`` where those files are missing or read otherwise."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            ticks = int(stat.read().rpartition(")")[2].split()[19])  # field 22, starttime, in clock ticks after boot
            age = float(uptime.read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return time.time() - age

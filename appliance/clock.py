"""Clocks are injected: the daemon uses the wall clock, tests and simulations a fake one.

>>> clock = FakeClock(start=100.0)
>>> clock.time()
100.0
>>> clock.advance(2.5)
>>> clock.time()
102.5
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Source of time in seconds since the epoch."""

    def time(self) -> float:
        """The current time in seconds since the epoch."""
        ...


class SystemClock:
    """The wall clock."""

    def time(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to (for tests and simulated worlds)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward; moving it backward is a bug in the caller."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back (advance by {seconds})")
        self._now += seconds

    def set(self, now: float) -> None:
        """Jump to ``now`` (never backward)."""
        self.advance(now - self._now)

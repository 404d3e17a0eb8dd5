"""Per-call timing shared by featurizers' ``stats()``.

>>> t = CallTimer()
>>> with t.measure():
...     pass
>>> s = t.stats()
>>> (s["calls"], s["ms_last"] >= 0.0)
(1, True)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class CallTimer:
    """Counts calls and keeps the last and an exponential mean of milliseconds per call."""

    def __init__(self, alpha: float = 0.1) -> None:
        self._alpha = alpha
        self.calls = 0
        self.ms_last = 0.0
        self.ms_mean = 0.0

    @contextmanager
    def measure(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add((time.perf_counter() - start) * 1000.0)

    def add(self, ms: float) -> None:
        self.calls += 1
        self.ms_last = ms
        self.ms_mean = ms if self.calls == 1 else self.ms_mean + self._alpha * (ms - self.ms_mean)

    def stats(self) -> dict[str, Any]:
        return {"calls": self.calls, "ms_last": round(self.ms_last, 4), "ms_mean": round(self.ms_mean, 4)}

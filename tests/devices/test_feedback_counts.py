"""A feedback source's counters from many threads at once (GPIO callbacks, MQTT and webhook threads): every signal
is counted exactly once, before the source starts and after."""

from __future__ import annotations

import sys
import threading
from typing import Callable, Iterator

import pytest

from appliance.feedback.fake import RecordingTarget, ScriptedFeedback

THREADS, SIGNALS = 8, 5_000


@pytest.fixture(autouse=True)
def eager_switching() -> Iterator[None]:
    """Threads switch every microsecond instead of every 5 ms, so that an unguarded ``+=`` would be interleaved."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def from_threads(work: Callable[[int, int], object]) -> None:
    """Run ``work(thread, i)`` for ``SIGNALS`` values of ``i`` on each of ``THREADS`` threads, started together."""
    gate = threading.Barrier(THREADS)

    def run(thread: int) -> None:
        gate.wait()
        for i in range(SIGNALS):
            work(thread, i)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_every_outcome_is_counted_once_from_eight_threads() -> None:
    target = RecordingTarget(known={f"e{t}" for t in range(THREADS)})
    source = ScriptedFeedback("threads")
    source.start(target)

    def signal(thread: int, i: int) -> object:
        if i % 5 == 0:
            return source.push("not a number", event_id=f"e{thread}")
        if i % 5 == 1:
            return source.push(1.0, event_id=f"nope{thread}")
        return source.push(float(i), event_id=f"e{thread}")

    from_threads(signal)
    stats, total = source.stats(), THREADS * SIGNALS
    assert (stats["bad"], stats["unknown"], stats["accepted"]) == (total // 5, total // 5, total * 3 // 5), stats
    assert sum(stats[k] for k in ("accepted", "duplicate", "late", "unknown", "bad", "errors")) == total
    assert len(target.rewards) == stats["accepted"]


def test_every_signal_before_the_start_is_counted_as_not_started_from_eight_threads() -> None:
    source = ScriptedFeedback("early")
    from_threads(lambda thread, i: source.push(1.0))
    assert source.stats()["not_started"] == THREADS * SIGNALS

"""The process's heap as the daemon keeps it once started: the start-up's objects left out of the cyclic collector's
walks, a young generation large enough for the objects of the requests in flight, and the memory malloc holds free
given back to the system every minute.

>>> import gc
>>> before = gc.get_threshold()
>>> with settled_heap():
...     gc.get_freeze_count() > 0, gc.get_threshold()[0] == YOUNG
(True, True)
>>> gc.get_freeze_count(), gc.get_threshold() == before
(0, True)
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from functools import cache
from typing import Any, Iterator

YOUNG = 10_000
"""The collector's first threshold once settled (Python's default: 700): how many more container objects may be
allocated than freed before a young collection. A ``DecideStream`` message of 100 decisions holds ~1,400 of them
until it is answered, so with 700 a collection ran every ~50 decisions and moved the ones in flight to older
generations: a full collection (every 100 young ones) walked the ~40,000 held objects (waiting decisions, the
closed ones remembered for late rewards, their contexts) in 20-80 ms of CPU, about once per 5,000 decisions, and
evicted the caches. With 10,000: a twentieth of the young collections and of the full ones
(docs/client-benchmarks.md, 6 December). Cyclic garbage waits up to that many allocations longer to be freed."""


def settle_heap() -> None:
    """Collect the start-up's garbage, then leave what remains (modules, the apps, the models: ~90,000 objects) out of
    the cyclic collector's walks (``gc.freeze``). Each decision lives until it is joined, long enough to reach the
    oldest generation, so a full collection walked the whole start-up heap every second or two under load; with it
    frozen, a decide over HTTP spends 0.23 s of collections in a run where it spent 0.59 s. What is frozen stays until
    the process ends if it later becomes cyclic garbage (a loop replaced by a new config): at most the start-up's size,
    once. Young collections then wait for :data:`YOUNG` allocations."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)


@contextmanager
def settled_heap() -> Iterator[None]:
    """The heap settled as the daemon's (:func:`settle_heap`) while the block runs, then thawed and the collector's
    thresholds as they were: what benchmarks of the daemon's paths measure in, so that what their process held before
    (the benchmark's data, other benchmarks, pytest) is not walked either."""
    thresholds = gc.get_threshold()
    settle_heap()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


TRIM_EVERY_S = 60.0
"""How often the daemon gives back the memory malloc holds free (:func:`release_free_memory`, the ``heap`` worker)."""


def release_free_memory() -> None:
    """Give the system the pages malloc holds free (glibc's ``malloc_trim(0)``: every arena's free chunks, not only
    the top of the main heap, which glibc gives back by itself). Requests, model uploads and the VW examples of
    decisions are allocated and freed by a dozen threads, each in its own arena, so free chunks stay resident between
    ones in use: under a soak's load, 10 MB of the daemon's resident memory, and spikes of as much from one minute to the
    next (docs/hostile-tests.md). It takes 0.2-20 ms; a no-op where the C library has none (musl, macOS)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Any:
    import ctypes

    return getattr(ctypes.CDLL(None), "malloc_trim", None)

"""The client load generator: open loop (constant or Poisson arrivals) beside closed loop, over any transport.

A *transport* opens one *caller* per client (a connection, a channel); a caller sends one request and
returns once its answer is in (for decide: once the decision is durable), raising on any failure.

- **Closed loop**: each of ``concurrency`` clients sends its next request as soon as the previous one is
  answered, so the figure is the capacity; latency is measured from each actual send.
- **Open loop**: requests are due at fixed times (every ``1/rate`` s, or Poisson arrivals at ``rate``),
  whatever the server does. ``concurrency`` clients take them in turn; a request's latency runs from its
  *intended* send time, so a stall that delays the requests behind it counts against every one of them
  (coordinated omission corrected, as in wrk2). Requests not answered by the run's deadline, and requests
  that failed, are *drops*.

Latencies go into an HdrHistogram (1 µs to 60 s, 3 significant digits): p50/p90/p99/p99.9/max.

>>> arrivals(4, rate=2.0, process="constant", seed=0)
[0.0, 0.5, 1.0, 1.5]
>>> times = arrivals(10_000, rate=100.0, process="poisson", seed=1)  # the mean gap is 1 / rate
>>> len(times), round(times[-1] / len(times), 3)
(10000, 0.01)
>>> class Echo:
...     def open(self): return lambda payload: None
>>> r = closed_loop(Echo(), payload=None, concurrency=2, calls=200)
>>> r.completed, r.drops, r.percentiles_ms()["p50"] < 50
(200, 0, True)
"""

from __future__ import annotations

import random
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Callable, Literal, Protocol

Caller = Callable[[Any], None]
Process = Literal["constant", "poisson"]
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p99.9": 99.9}
_SWITCH_S = 0.0005  # the GIL hand-over interval while a run is under way (Python's default 5 ms would add to latencies)


class Transport(Protocol):
    """One way to reach the decision service: ``open()`` gives a new client's caller. A transport whose call
    carries several requests (a window of a stream) says how many in ``items_per_call``."""

    def open(self) -> Caller:
        """A new client (its own connection, channel or stream); call it with a payload to send one request."""
        ...


@dataclass
class Result:
    """What one run measured: latencies (µs) per client, completions, drops, wall and CPU time of this process."""

    mode: str
    concurrency: int
    items_per_call: int = 1
    latencies_us: list[list[int]] = field(default_factory=list)
    completed: int = 0
    drops: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    def throughput(self) -> float:
        """Requests answered per second (a call of a windowed stream answers ``items_per_call``)."""
        return self.completed * self.items_per_call / self.seconds if self.seconds > 0 else 0.0

    def histogram(self) -> Any:
        from hdrh.histogram import HdrHistogram  # the `loadgen` extra

        hist = HdrHistogram(1, 60_000_000, 3)
        for samples in self.latencies_us:
            for us in samples:
                hist.record_value(max(1, us))
        return hist

    def percentiles_ms(self) -> dict[str, float]:
        """p50/p90/p99/p99.9/max in milliseconds (HdrHistogram: within 0.1% of the exact value)."""
        if not any(self.latencies_us):
            return {**{name: 0.0 for name in PERCENTILES}, "max": 0.0}
        hist = self.histogram()
        out = {name: hist.get_value_at_percentile(q) / 1000 for name, q in PERCENTILES.items()}
        out["max"] = hist.get_max_value() / 1000
        return out


def arrivals(n: int, rate: float, process: Process, seed: int) -> list[float]:
    """The ``n`` intended send times (seconds from the start) at ``rate`` per second."""
    if process == "constant":
        return [k / rate for k in range(n)]
    rng, t, out = random.Random(seed), 0.0, []
    for _ in range(n):
        out.append(t)
        t += rng.expovariate(rate)
    return out


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run(transport: Transport, concurrency: int, work: Callable[[Caller, list[int], Result], None], mode: str) -> Result:
    result = Result(mode, concurrency, getattr(transport, "items_per_call", 1))
    callers = [transport.open() for _ in range(concurrency)]
    result.latencies_us = [[] for _ in callers]
    lock = threading.Lock()

    def client(k: int) -> None:
        try:
            work(callers[k], result.latencies_us[k], result)
        except Exception as err:  # a broken client: its remaining requests are drops, counted by the caller
            with lock:
                result.errors.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=client, args=(k,), name=f"loadgen-{k}", daemon=True) for k in range(concurrency)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(_SWITCH_S)
    cpu, start = _cpu_s(), time.perf_counter()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        result.seconds = time.perf_counter() - start
        result.cpu_s = _cpu_s() - cpu
        sys.setswitchinterval(switch)
    result.completed = sum(len(samples) for samples in result.latencies_us)
    return result


def closed_loop(transport: Transport, payload: Any, concurrency: int, calls: int) -> Result:
    """``calls`` requests in all, each client sending its next one when the previous is answered."""
    due = count()

    def work(call: Caller, samples: list[int], result: Result) -> None:
        while next(due) < calls:
            t0 = time.perf_counter()
            call(payload)
            samples.append(int((time.perf_counter() - t0) * 1e6))

    result = _run(transport, concurrency, work, "closed")
    result.drops = calls - result.completed
    return result


def open_loop(transport: Transport, payload: Any, concurrency: int, rate: float, seconds: float,
              process: Process = "constant", seed: int = 0, grace_s: float = 2.0) -> Result:
    """Requests due at ``rate`` per second for ``seconds``; latency from each one's intended send time. What is
    not answered within ``grace_s`` after the last one was due is dropped."""
    schedule = arrivals(max(1, int(rate * seconds)), rate, process, seed)
    due = count()
    start = time.perf_counter() + 0.01
    deadline = start + schedule[-1] + grace_s

    def work(call: Caller, samples: list[int], result: Result) -> None:
        while (k := next(due)) < len(schedule):
            intended = start + schedule[k]
            now = time.perf_counter()
            if now > deadline:
                return
            if intended > now:
                time.sleep(intended - now)
            call(payload)
            samples.append(int((time.perf_counter() - intended) * 1e6))

    result = _run(transport, concurrency, work, "open")
    result.drops = len(schedule) - result.completed
    return result

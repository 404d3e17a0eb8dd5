"""Time and trouble: timestamps, reward delays, lost, late and repeated rewards, and the stream of deliveries.

>>> rng = np.random.default_rng(0)
>>> clock = Clock(TimeSpec(every_s=2.0))
>>> (clock.next(3, rng) - clock.start).tolist()
[0.0, 2.0, 4.0]
>>> draw_delays(DelayConfig(distribution="uniform", mean_s=10.0, spread=0.5), rng, 3).round(2).tolist()
[11.37, 7.7, 5.41]
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass
from typing import IO, Iterator

import numpy as np
import orjson

from appliance.config.simulation import DelayConfig
from appliance.datagen.ahead import DrawnAhead
from appliance.datagen.spec import RewardsSpec, TimeSpec


class Clock:
    """Event timestamps (seconds since the epoch): ``every_s`` apart, or with exponential gaps."""

    def __init__(self, spec: TimeSpec) -> None:
        self._spec = spec
        self.start = spec.start.timestamp()
        self._next = self.start

    def next(self, n: int, rng: np.random.Generator) -> np.ndarray:
        spec = self._spec
        gaps = rng.exponential(spec.every_s, n) if spec.arrivals == "poisson" else np.full(n, spec.every_s)
        times = self._next + np.concatenate(([0.0], np.cumsum(gaps[:-1])))
        self._next = float(times[-1] + gaps[-1])
        return times


def draw_delays(config: DelayConfig, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` delays in seconds (``fixed`` or a mean of 0: all the mean)."""
    mean = config.mean_s
    if config.distribution == "fixed" or mean == 0:
        return np.full(n, mean)
    if config.distribution == "exponential":
        return rng.exponential(mean, n)
    if config.distribution == "uniform":
        return rng.uniform(mean * (1 - config.spread), mean * (1 + config.spread), n)
    sigma = config.spread
    return rng.lognormal(math.log(mean) - sigma * sigma / 2, sigma, n)


@dataclass
class Arrivals:
    """What happens to the rewards of a block: which reach the learner in time, and the deliveries."""

    observed: np.ndarray
    """The reward arrived and was not late: the example is labelled with it (else with the default)."""
    lost: np.ndarray
    delays: np.ndarray
    duplicated: np.ndarray
    again: np.ndarray
    """Seconds between a duplicated reward's first and second delivery (uniform in [0, 1), as ``wabbit simulate``)."""
    late: int


def arrivals(spec: RewardsSpec, rng: np.random.Generator, n: int) -> Arrivals:
    delays = draw_delays(spec.delay, rng, n)
    lost = rng.random(n) < spec.missing
    duplicated = (rng.random(n) < spec.duplicate) & ~lost
    late = ~lost & (delays > spec.wait_s) if spec.wait_s is not None else np.zeros(n, bool)
    return Arrivals(~lost & ~late, lost, delays, duplicated, rng.random(n), int(late.sum()))


class Deliveries:
    """When each reward reaches a loop fed live (``wabbit simulate``, the simulated appliance), in seconds after its
    decision: never if it is lost on the way, twice if it is delivered twice (the copy :attr:`Arrivals.again` after
    the first); drawn by :func:`arrivals` a block at a time.

    >>> spec = RewardsSpec(delay=DelayConfig(distribution="fixed", mean_s=2.0), duplicate=1.0)
    >>> [round(d, 3) for d in Deliveries(spec, np.random.default_rng(0)).next()]
    [2.0, 2.833]
    >>> Deliveries(spec.model_copy(update={"missing": 1.0}), np.random.default_rng(0)).next()
    ()
    """

    def __init__(self, spec: RewardsSpec, rng: np.random.Generator) -> None:
        self._spec, self._rng = spec, rng
        self._drawn = DrawnAhead(self._draw)

    def _draw(self, n: int) -> list[tuple[float, ...]]:
        got = arrivals(self._spec, self._rng, n)
        return [() if lost else (delay, delay + again) if twice else (delay,)
                for lost, delay, twice, again in zip(got.lost.tolist(), got.delays.tolist(), got.duplicated.tolist(), got.again.tolist())]

    def next(self) -> tuple[float, ...]:
        """The next reward's deliveries."""
        return self._drawn.next()


def rfc3339(seconds: np.ndarray) -> list[str]:
    """Timestamps as the appliance's DSJSON writes them: UTC, microseconds left out when 0.

    >>> rfc3339(np.array([1.5, 60.0]))
    ['1970-01-01T00:00:01.500000Z', '1970-01-01T00:01:00Z']
    """
    texts = np.datetime_as_string(np.rint(seconds * 1e6).astype("datetime64[us]"), unit="us").tolist()
    return [f"{t[:-7]}Z" if t.endswith(".000000") else f"{t}Z" for t in texts]


class RewardStream:
    """Every reward delivery (two for a duplicated one, none for a lost one), written in order of arrival as JSON
    lines ``{"event_id", "reward", "reward_id", "time"}``: the shape ``POST /api/reward`` takes, plus its time.

    Deliveries wait in a heap until the events' clock passes them, so memory holds only those in flight.
    """

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._heap: list[tuple[float, int, str, float, str]] = []
        self._order = itertools.count()
        self.deliveries = 0

    def add(self, event: str, reward: float, sent: float, delay: float, duplicate_after: float | None) -> None:
        for when in (sent + delay,) if duplicate_after is None else (sent + delay, sent + delay + duplicate_after):
            heapq.heappush(self._heap, (when, next(self._order), event, reward, f"r-{event}"))

    def flush(self, until: float = math.inf) -> None:
        """Write the deliveries that arrived by ``until``."""
        for when, _, event, reward, reward_id in self._due(until):
            self._out.write(orjson.dumps({"event_id": event, "reward": reward, "reward_id": reward_id, "time": rfc3339(np.array([when]))[0]},
                                         option=orjson.OPT_APPEND_NEWLINE))
            self.deliveries += 1

    def _due(self, until: float) -> Iterator[tuple[float, int, str, float, str]]:
        while self._heap and self._heap[0][0] <= until:
            yield heapq.heappop(self._heap)

"""Drive a join over a stream as its records arrive and measure it: records a second (wall clock), time from the
end of each decision's wait to its joined event (the stream's clock), peak state, and mismatches against
:func:`~appliance.fleet.records.reference_join`.

>>> import tempfile
>>> from pathlib import Path
>>> from appliance.fleet.contenders import DurableJoin, NaiveDict
>>> from appliance.fleet.streams import SCENARIOS, generated_stream
>>> stream = generated_stream(SCENARIOS["seconds"], 300, seed=2)
>>> naive = evaluate(NaiveDict(stream.scenario), stream)
>>> durable = evaluate(DurableJoin(stream.scenario, Path(tempfile.mkdtemp()) / "join.db"), stream)
>>> naive.joined == durable.joined == 300, naive.mismatches > 0, durable.mismatches
(True, True, 0)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from appliance.fleet.contenders import StreamJoin
from appliance.fleet.records import Joined, mismatches, reference_join
from appliance.fleet.streams import Stream

STATE_SAMPLES = 20
"""How often in a run the state is measured (outside the timed part)."""


@dataclass
class JoinRun:
    join: str
    records: int
    records_per_s: float
    joined: int
    latency_p50_s: float
    latency_p99_s: float
    peak_records: int
    peak_bytes: int
    mismatches: int

    @property
    def correct(self) -> bool:
        return self.mismatches == 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "correct": self.correct}


def tick_s(stream: Stream) -> float:
    """The join's clock step: half a second (what a central join commits at) or, for waits of days, 10 minutes."""
    return 0.5 if stream.scenario.wait_s < 3600 else 600.0


def evaluate(join: StreamJoin, stream: Stream, finish_after_s: float | None = None) -> JoinRun:
    """Feed every record at its arrival, ticking every :func:`tick_s` of the stream's clock, then keep ticking
    until ``finish_after_s`` past the last arrival (default: the wait and grace, so every decision can close)."""
    step, records = tick_s(stream), stream.records
    wait = stream.scenario.wait_s
    every = max(1, len(records) // STATE_SAMPLES)
    emitted: list[Joined] = []
    peak_records = peak_bytes = 0
    busy = 0.0
    batch: list[Any] = []
    next_tick = records[0].arrival + step if records else 0.0
    for i, r in enumerate(records):
        if r.arrival >= next_tick:
            started = time.perf_counter()
            join.feed(batch, next_tick)
            while next_tick <= r.arrival:
                emitted += join.tick(next_tick)
                next_tick += step
            busy += time.perf_counter() - started
            batch = []
        batch.append(r)
        if i % every == 0:
            held, size = join.state()
            peak_records, peak_bytes = max(peak_records, held), max(peak_bytes, size)
    end = (records[-1].arrival if records else 0.0) + (wait + 2 * stream.scenario.lag_s if finish_after_s is None else finish_after_s)
    started = time.perf_counter()
    join.feed(batch, next_tick)
    while next_tick <= end + step:
        emitted += join.tick(next_tick)
        next_tick += step
    busy += time.perf_counter() - started
    join.close()
    want = reference_join(records, stream.scenario.join_config())
    latency = np.array([j.emitted - (j.decided + wait) for j in emitted]) if emitted else np.zeros(1)
    got = {j.event_id: (round(j.reward, 9), j.rewards) for j in emitted}
    twice = len(emitted) - len(got)  # a decision joined again: one mismatch per extra emission
    return JoinRun(join.name, len(records), len(records) / max(busy, 1e-9), len(emitted),
                   float(np.percentile(latency, 50)), float(np.percentile(latency, 99)), peak_records, peak_bytes,
                   mismatches(got, want) + twice)

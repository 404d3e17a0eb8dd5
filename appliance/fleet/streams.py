"""The streams the join is evaluated on, made by the data generator (``wabbit gen``): decisions with reward
delays from seconds to simulated days, lost, duplicated and out-of-order rewards, and a shipping lag (an
appliance ships in batches) that makes some rewards arrive before their decisions.

>>> stream = generated_stream(SCENARIOS["seconds"], 400, seed=1)
>>> len(stream.decisions), stream.rewards_first > 0, stream.duplicates > 0
(400, True, True)
>>> all(a.arrival <= b.arrival for a, b in zip(stream.records, stream.records[1:]))
True
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import orjson

from appliance.config.join import JoinConfig
from appliance.fleet.records import DecisionIn, Record, RewardIn


@dataclass(frozen=True)
class Scenario:
    """One evaluated stream: the generator's time and trouble, the join's wait, and the largest shipping lag."""

    name: str
    every_s: float
    delay: dict[str, object]
    wait_s: float
    lag_s: float
    missing: float = 0.1
    duplicate: float = 0.1
    note: str = ""

    def join_config(self) -> JoinConfig:
        return JoinConfig(reward_wait_s=self.wait_s, late_reward="drop", max_pending=1_000_000, late_memory=1_000_000,
                          late_horizon_s=30 * 86400.0)

    def spec_text(self, examples: int, seed: int) -> str:
        return orjson.dumps({
            "seed": seed, "examples": examples, "problem": {"type": "cb_adf"},
            "shared": [{"name": "user", "count": 2}], "actions": {"pool": 3},
            "time": {"every_s": self.every_s, "arrivals": "poisson"},
            "rewards": {"delay": self.delay, "missing": self.missing, "duplicate": self.duplicate, "stream": True},
        }).decode()


SCENARIOS: dict[str, Scenario] = {
    "seconds": Scenario("seconds", 0.05, {"distribution": "exponential", "mean_s": 3.0}, 10.0, 2.0,
                        note="20 decisions/s, rewards after ~3 s (exponential), a 10 s wait, shipped within 2 s"),
    "days": Scenario("days", 60.0, {"distribution": "lognormal", "mean_s": 86400.0, "spread": 1.0}, 3 * 86400.0, 6 * 3600.0,
                     note="a decision a minute, rewards after ~1 day (lognormal, sigma 1), a 3-day wait, shipped "
                          "within 6 h (a device offline for hours)"),
}


@dataclass
class Stream:
    """Decisions and reward deliveries of one scenario, in order of arrival."""

    scenario: Scenario
    records: list[Record]
    decisions: list[DecisionIn] = field(default_factory=list)
    rewards_first: int = 0
    """Rewards that arrived before their decision."""
    duplicates: int = 0
    """Second deliveries of a reward."""
    late: int = 0
    """Rewards stamped after their decision's wait."""
    cut: int = 0
    """Records left out because the input stopped before they arrived (:func:`until_input_stops`)."""


def _seconds(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339).timestamp()


def generated_stream(scenario: Scenario, examples: int, seed: int = 0) -> Stream:
    """Generate ``examples`` decisions with the data generator, then ship every record with a uniform lag."""
    from appliance.datagen import generate, load_spec_text

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "events.dsjson"
        generate(load_spec_text(scenario.spec_text(examples, seed)), out, "dsjson")
        made = [(line["EventId"], _seconds(line["Timestamp"])) for line in map(orjson.loads, out.read_bytes().splitlines())]
        deliveries = [orjson.loads(line) for line in Path(f"{out}.rewards.jsonl").read_bytes().splitlines()]
    rng = np.random.default_rng(seed)
    lags = rng.uniform(0.0, scenario.lag_s, len(made) + len(deliveries)).tolist()
    decisions = [DecisionIn(event_id, ts, ts + lags[i]) for i, (event_id, ts) in enumerate(made)]
    rewards: list[RewardIn] = []
    for i, d in enumerate(deliveries, start=len(made)):
        ts = _seconds(d["time"])
        rewards.append(RewardIn(d["event_id"], float(d["reward"]), ts, d["reward_id"], ts + lags[i]))
    return _counted(scenario, sorted([*decisions, *rewards], key=lambda r: r.arrival), decisions)


def until_input_stops(stream: Stream) -> Stream:
    """``stream`` as it stands when its input stops once the last decision has arrived: the records that would
    come after it (the last decisions' rewards) never do. Every join is compared on this stream, so that an
    event-time join's stall (its watermark stays where the last record left it) shows.

    >>> stream = generated_stream(SCENARIOS["seconds"], 400, seed=1)
    >>> stopped = until_input_stops(stream)
    >>> stopped.records[-1].arrival == max(d.arrival for d in stream.decisions), len(stopped.decisions)
    (True, 400)
    >>> 0 < stopped.cut == len(stream.records) - len(stopped.records)
    True
    """
    last = max(d.arrival for d in stream.decisions)
    kept = [r for r in stream.records if r.arrival <= last]
    return _counted(stream.scenario, kept, stream.decisions, cut=stream.cut + len(stream.records) - len(kept))


def _counted(scenario: Scenario, records: list[Record], decisions: list[DecisionIn], cut: int = 0) -> Stream:
    """The stream of ``records`` (in order of arrival), with its early, duplicate and late rewards counted."""
    rewards = [r for r in records if isinstance(r, RewardIn)]
    decided = {d.event_id: d for d in decisions}
    first = sum(1 for r in rewards if r.arrival < decided[r.event_id].arrival)
    duplicates = len(rewards) - len({r.reward_id for r in rewards})
    late = sum(1 for r in rewards if r.timestamp > decided[r.event_id].timestamp + scenario.wait_s)
    return Stream(scenario, records, decisions, first, duplicates, late, cut)

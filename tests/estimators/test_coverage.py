"""Does the confidence hold? On generated logs with a known true value, 95% intervals cover it at least about
95% of the time, and the confidence sequence contains it after every event in at least 95% of the runs (a
small-scale check; the full figures over 200+ seeds are in the report)."""

from __future__ import annotations

import random

import pytest

from appliance.estimators import ConfidenceSequence, CressieReadInterval, Gaussian

LOGGING = (0.6, 0.3, 0.1)  # the logging policy's pmf over three actions
TARGET = (0.1, 0.1, 0.8)  # the evaluated policy's
MEANS = (0.3, 0.5, 0.7)  # each action's expected reward (Bernoulli)
TRUTH = sum(p * m for p, m in zip(TARGET, MEANS))


def run(seed: int, events: int) -> tuple[dict[str, bool], bool]:
    rng = random.Random(seed)
    intervals = {"cressie_read": CressieReadInterval(), "gaussian": Gaussian()}
    sequence = ConfidenceSequence()
    always = True
    for _ in range(events):
        a = rng.choices(range(3), LOGGING)[0]
        r = float(rng.random() < MEANS[a])
        for interval in (*intervals.values(), sequence):
            interval.add_example(LOGGING[a], r, TARGET[a])
        always = always and sequence.contains(TRUTH, 0.05)
    covered = {}
    for name, interval in intervals.items():
        lower, upper = interval.get(0.05)
        covered[name] = lower is not None and upper is not None and lower <= TRUTH <= upper
    return covered, always


@pytest.mark.slow
def test_intervals_cover_and_the_sequence_stays_valid() -> None:
    seeds = 60
    results = [run(seed, 300) for seed in range(seeds)]
    for name in ("cressie_read", "gaussian"):
        assert sum(r[0][name] for r in results) / seeds >= 0.88, name  # 95% nominal; 60 seeds leave room for chance
    assert sum(r[1] for r in results) / seeds >= 0.93

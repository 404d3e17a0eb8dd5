"""``estimators.coverage``: does a 95% interval cover the true value 95% of the time, and does the confidence
sequence hold it after every event? Every estimator/interval pair (:data:`~appliance.estimators.coverage.PAIRS`)
on every dataset and target of :mod:`appliance.bench.coverage_data`, over many seeds, each run fed event by event
to the library's own streaming classes (one core, sequential: the machine is shared).

The headline is the lowest coverage of the intervals ``wabbit evaluate`` and the live observer use by default
(``cressie_read`` and ``cs``) over every dataset and target, against the nominal 0.95; ``by_pair`` has each
pair's pooled and lowest coverage, ``rows`` every dataset/target/pair with its binomial standard error and mean
width (``always`` for the confidence sequence: the share of runs it held the truth after every event), and
``estimators`` each point estimator's bias and RMSE. Full: 200 seeds of 1000 events; quick: 12 seeds of 300.

>>> sorted(BENCHMARKS)
['estimators.coverage']
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

from appliance.bench.measure import compared, summarize

DEFAULTS = ("cressie_read/cressie_read", "ips/cs")
"""The pairs behind ``wabbit evaluate``'s and the live observer's default intervals."""


def coverage(seeds: int, events: int, alpha: float = 0.05, truth_examples: int = 20_000, progress: bool = False) -> dict[str, Any]:
    """Every pair's coverage over ``seeds`` runs of ``events`` events per dataset and target."""
    from appliance.bench.coverage_data import light_truths, runs
    from appliance.estimators.coverage import Tally, judge_all

    tally, started = Tally(), time.perf_counter()
    light_truths()  # once, before the clock of the first seed
    for seed in range(seeds):
        for run in runs(seed, events, truth_examples):
            tally.add(judge_all(run, alpha))
        if progress:
            print(f"\rcoverage: seed {seed + 1}/{seeds}, {time.perf_counter() - started:.0f} s", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return {"seeds": seeds, "events": events, "alpha": alpha, "by_pair": tally.by_pair(), "rows": tally.rows(),
            "estimators": tally.errors(), "seconds": time.perf_counter() - started}


def bench_coverage(quick: bool) -> dict[str, Any]:
    result = coverage(12 if quick else 200, 300 if quick else 1000)
    lowest = min(row["coverage"] for row in result["rows"] if row["pair"] in DEFAULTS)
    return compared("lowest 95% coverage of the default intervals (cressie_read, cs) over every dataset and target", "coverage",
                    summarize([lowest]), "the nominal coverage", summarize([0.95]),
                    "share of the nominal coverage reached where it is lowest", better="higher", **result)


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {"estimators.coverage": bench_coverage}

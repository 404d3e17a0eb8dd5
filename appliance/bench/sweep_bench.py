"""``quality.sweep``: the sweep that chose the VW policy's defaults, repeatable on a new VW release.

Every combination of :data:`GRID` (learning rate x SquareCB's gamma scale, the rest at the defaults) runs on the
suite's worlds (:data:`ENTRIES`: stationary, drifting, and a real data set) through ``wabbit simulate``'s loop,
delays and losses, over the same seeds. A setting's score is the median over seeds of its mean share of the
oracle across the entries; the best is what the defaults should be. The ratio is the current defaults' score
over the best's: 1.0 when the defaults are the best of the grid.

>>> settings(4.0, 10.0)
{'learning_rate': 4.0, 'exploration': {'type': 'squarecb', 'gamma_scale': 10.0}}
"""

from __future__ import annotations

import statistics
from typing import Any, Callable

from appliance.bench.measure import compared, summarize
from appliance.bench.quality_bench import config_of, kind, run_one
from appliance.config import VWPolicyConfig

GRID = {"learning_rate": (0.5, 1.0, 2.0, 4.0, 8.0), "gamma_scale": (10.0, 40.0)}
ENTRIES = ("light", "linear", "drift", "drift_2500", "digits")
FULL, QUICK = (10_000, 3), (500, 2)
"""(events, seeds)."""
QUICK_GRID = {"learning_rate": (0.5, 4.0), "gamma_scale": (10.0,)}
QUICK_ENTRIES = ("light", "drift_2500")


def settings(learning_rate: float, gamma_scale: float) -> dict[str, Any]:
    """The policy options of one point of the grid."""
    return {"learning_rate": learning_rate, "exploration": {"type": "squarecb", "gamma_scale": gamma_scale}}


def name(learning_rate: float, gamma_scale: float) -> str:
    return f"learning_rate {learning_rate:g}, gamma_scale {gamma_scale:g}"


def bench_sweep(quick: bool) -> dict[str, Any]:
    events, seeds = QUICK if quick else FULL
    grid, entries = (QUICK_GRID, QUICK_ENTRIES) if quick else (GRID, ENTRIES)
    defaults = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}]})
    current = (defaults.learning_rate, getattr(defaults.exploration, "gamma_scale", 10.0))
    points = [(lr, g) for lr in grid["learning_rate"] for g in grid["gamma_scale"]]
    if current not in points:
        points.append(current)
    shares: dict[str, dict[str, list[float]]] = {}
    for lr, g in points:
        make = kind("vw", **settings(lr, g))
        shares[name(lr, g)] = {entry: [run_one(config_of(entry, seed, events), events, make)["share"] for seed in range(1, seeds + 1)]
                               for entry in entries}
    scores = {point: summarize([statistics.mean(by_entry[e][i] for e in entries) for i in range(seeds)])
              for point, by_entry in shares.items()}
    best = max(scores, key=lambda point: scores[point]["median"])
    ours = name(*current)
    return compared(
        f"mean share of the oracle over {', '.join(entries)} of the default VW settings ({ours}), {events} decisions, "
        f"median over seeds 1..{seeds}", "share", scores[ours], f"the best of the grid: {best}", scores[best],
        "the defaults' score over the best setting's (1.0: the defaults are the best)",
        better="higher", events=events, seeds=seeds, grid=grid, best=best,
        scores={point: s["median"] for point, s in scores.items()},
        shares={point: {e: statistics.median(v) for e, v in by_entry.items()} for point, by_entry in shares.items()},
        command="wabbit bench --only quality.sweep")


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {"quality.sweep": bench_sweep}

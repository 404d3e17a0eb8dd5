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
from appliance.estimators.coverage import binomial_se

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


def markdown(result: dict[str, Any]) -> str:
    """The result as a Markdown table: per pair (rows) and dataset (columns), the coverage pooled over the
    dataset's targets with its standard error, the lowest target's and the mean width; for the sequence also the
    share of runs it held the truth after every event.

    >>> rows = [{"dataset": "d", "target": t, "pair": "ips/cs", "runs": 200, "coverage": c, "mean_width": 0.5, "always": c}
    ...         for t, c in (("x", 1.0), ("y", 0.99))]
    >>> print(markdown({"rows": rows}))
    | pair | d |
    | --- | --- |
    | `ips/cs` | 0.995 ± 0.004 (lowest 0.990, width 0.50); every event 0.995 |
    """
    datasets = list(dict.fromkeys(row["dataset"] for row in result["rows"]))
    pairs = list(dict.fromkeys(row["pair"] for row in result["rows"]))
    lines = ["| pair | " + " | ".join(datasets) + " |", "| --- |" + " --- |" * len(datasets)]
    for pair in pairs:
        cells = []
        for dataset in datasets:
            rows = [r for r in result["rows"] if r["pair"] == pair and r["dataset"] == dataset]
            if not rows:
                cells.append("n/a")
                continue
            runs = sum(r["runs"] for r in rows)
            share = sum(r["coverage"] * r["runs"] for r in rows) / runs
            width = sum(r["mean_width"] for r in rows) / len(rows)
            cell = f"{share:.3f} ± {binomial_se(share, runs):.3f} (lowest {min(r['coverage'] for r in rows):.3f}, width {width:.2f})"
            if "always" in rows[0]:
                cell += f"; every event {sum(r['always'] * r['runs'] for r in rows) / runs:.3f}"
            cells.append(cell)
        lines.append(f"| `{pair}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {"estimators.coverage": bench_coverage}


def main(argv: list[str] | None = None) -> int:
    """``python -m appliance.bench.coverage_bench REPORT.json``: the table of a ``wabbit bench --json`` report."""
    import json
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m appliance.bench.coverage_bench REPORT.json (from wabbit bench --only estimators.coverage --json)",
              file=sys.stderr)
        return 2
    report = json.loads(Path(args[0]).read_text())
    print(markdown(report.get("results", {}).get("estimators.coverage", report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

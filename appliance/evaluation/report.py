"""What ``wabbit evaluate`` shows: a verdict per candidate against the online policy, a table, a plot.

>>> values = {"online": {"events": 100.0, "estimates": {"ips": 0.5}, "intervals": {"cs": [0.4, 0.6]}},
...           "better": {"events": 100.0, "estimates": {"ips": 0.8}, "intervals": {"cs": [0.65, 0.9]}},
...           "unclear": {"events": 100.0, "estimates": {"ips": 0.55}, "intervals": {"cs": [0.3, 0.8]}}}
>>> [verdict(values[name]["intervals"]["cs"], values["online"]["intervals"]["cs"], 0.05) for name in values]
['the current policy', 'better with 95% confidence', 'not distinguishable at 95%']
>>> print(table(values, "cs", 0.05))
candidate  events  ips    cs 95%          verdict
online     100     0.500  [0.400, 0.600]  the current policy
better     100     0.800  [0.650, 0.900]  better with 95% confidence
unclear    100     0.550  [0.300, 0.800]  not distinguishable at 95%
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from appliance.errors import UsageError

CURRENT = "online"


def verdict(interval: Sequence[float | None], current: Sequence[float | None], alpha: float) -> str:
    """``better`` when the candidate's lower bound clears the current policy's upper bound, ``worse`` when its
    upper bound is below the current one's lower bound; ``current`` itself (the same object) is the current policy, while
    another candidate whose interval merely equals it (a short log's whole reward range) is not distinguishable."""
    level = f"{100 * (1 - alpha):g}%"
    lower, upper = interval
    if interval is current:
        return "the current policy"
    if lower is None or upper is None or current[0] is None or current[1] is None:
        return "too few events"
    if lower > current[1]:
        return f"better with {level} confidence"
    if upper < current[0]:
        return f"worse with {level} confidence"
    return f"not distinguishable at {level}"


def with_verdicts(values: dict[str, dict[str, Any]], interval: str, alpha: float,
                  unsupported: Mapping[str, float] | None = None) -> dict[str, dict[str, Any]]:
    """``values`` with each candidate's ``verdict`` against the online policy, on ``interval``; with ``unsupported``
    (each candidate's share of choices the logging policy never made: :attr:`~appliance.evaluation.Evaluation.unsupported`)
    that share too, and no verdict for a candidate that has any (the log cannot value those choices).

    >>> values = {"online": {"intervals": {"cs": [0.4, 0.6]}}, "always off": {"intervals": {"cs": [0.0, 0.1]}}}
    >>> with_verdicts(values, "cs", 0.05, {"online": 0.0, "always off": 0.75})["always off"]
    {'intervals': {'cs': [0.0, 0.1]}, 'unsupported': 0.75, 'verdict': 'not valued: 75% of its choices the logging policy never made'}
    """
    current = values[CURRENT]["intervals"][interval] if CURRENT in values else [None, None]
    if unsupported is None:
        return {name: {**v, "verdict": verdict(v["intervals"][interval], current, alpha)} for name, v in values.items()}
    return {name: {**v, "unsupported": unsupported[name],
                   "verdict": f"not valued: {100 * unsupported[name]:.3g}% of its choices the logging policy never made"
                   if unsupported[name] > 0.0 else verdict(v["intervals"][interval], current, alpha)} for name, v in values.items()}


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(values: dict[str, dict[str, Any]], interval: str, alpha: float) -> str:
    """One line per candidate: events, each estimate, the interval, the verdict (the one ``values`` hold, when they do:
    :func:`with_verdicts`'s)."""
    rows = values if all("verdict" in v for v in values.values()) else with_verdicts(values, interval, alpha)
    estimators = list(next(iter(rows.values()))["estimates"])
    header = ["candidate", "events", *estimators, f"{interval} {100 * (1 - alpha):g}%", "verdict"]
    lines = [header] + [[name, f"{v['events']:g}", *(_number(v["estimates"][e]) for e in estimators),
                         "[" + ", ".join(_number(b) for b in v["intervals"][interval]) + "]", v["verdict"]] for name, v in rows.items()]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)


def plot(values: dict[str, dict[str, Any]], estimator: str, interval: str, alpha: float, path: Path) -> None:
    """A PNG: each candidate's estimate with its interval as an error bar, the online policy's band shaded."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install -e '.[bench]'") from None
    names = list(values)
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(names) + 1.5))
    for y, name in enumerate(names):
        point = values[name]["estimates"][estimator]
        lower, upper = values[name]["intervals"][interval]
        if lower is not None and upper is not None:
            ax.plot([lower, upper], [y, y], color="tab:blue", linewidth=3, alpha=0.5)
        if point is not None:
            ax.plot([point], [y], "o", color="tab:blue")
    current = values.get(CURRENT, {}).get("intervals", {}).get(interval, [None, None])
    if None not in current:
        ax.axvspan(current[0], current[1], color="tab:orange", alpha=0.15, label=f"{CURRENT} {interval} interval")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(f"value (average reward): {estimator}, {interval} {100 * (1 - alpha):g}% interval")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

"""``wabbit bench --libraries``: the learning-quality suite's contenders side by side, per world: share of the
oracle's reward, decisions per second through the loop, the size of the learned state as saved, and the
resident memory each contender's run added (in a process of its own).

>>> result = {"events": 600, "seeds": [1, 2], "policies": {
...     "vw": {"share_of_oracle": {"median": 0.91}, "events_per_s": {"median": 1500.0}, "model_bytes": 2600.0,
...             "resident_bytes": 9437184.0},
...     "river": {"skipped": "river is not installed"}}}
>>> print(libraries_table({"quality.light": result, "vw.learn": {"median": 1.0}}))
world        contender  share of oracle  decisions/s  model KB  resident MB
light        vw                   0.910         1500       2.5          9.0
light        river      skipped: river is not installed
(600 decisions, median over seeds 1..2, the same loop, delays and losses for every contender)
"""

from __future__ import annotations

from typing import Any


def libraries_table(results: dict[str, dict[str, Any]]) -> str:
    """One line per contender of every ``quality.*`` result that has them (others are left out)."""
    suites = {name.removeprefix("quality."): r for name, r in results.items() if name.startswith("quality.") and "policies" in r}
    width = max([len(c) for r in suites.values() for c in r["policies"]] + [9])
    lines = [f"{'world':<12} {'contender':<{width}}  share of oracle  decisions/s  model KB  resident MB"]
    for world, result in suites.items():
        for contender, row in result["policies"].items():
            if "skipped" in row:
                lines.append(f"{world:<12} {contender:<{width}}  skipped: {row['skipped']}")
                continue
            lines.append(f"{world:<12} {contender:<{width}}  {row['share_of_oracle']['median']:>15.3f}  "
                         f"{row['events_per_s']['median']:>11.0f}  {row['model_bytes'] / 1024:>8.1f}  "
                         f"{row['resident_bytes'] / 2**20:>11.1f}")
    if suites:
        first = next(iter(suites.values()))
        lines.append(f"({first['events']} decisions, median over seeds {first['seeds'][0]}..{first['seeds'][-1]}, the same loop, "
                     "delays and losses for every contender)")
    return "\n".join(lines)

"""Run one benchmark of a given checkout under a given Python, in its own process, and merge repeated rounds.

Both the comparison across VW releases (one virtualenv per release, :mod:`appliance.bench.versions`) and the
regression gate (the parent commit's checkout against this one, :mod:`appliance.bench.gate`) take their sides
in turn, one benchmark at a time, so that a slow spell of a shared machine hits every side. The checkout goes
first on ``PYTHONPATH``, ahead of any installed copy of the appliance. A side whose code cannot run the
benchmark gives ``{"skipped": why}`` with the end of its error, and the others go on. :func:`interleaved` is
the order they take their turns in.

>>> [f"{round_}:{name}:{side}" for round_, name, side in interleaved(["base", "new"], ["loop", "dsjson"], 2)]
['0:loop:base', '0:loop:new', '0:dsjson:base', '0:dsjson:new', '1:loop:new', '1:loop:base', '1:dsjson:new', '1:dsjson:base']

>>> rounds = [{"unit": "µs", "median": 3.0, "ratio": 1.5}, {"unit": "µs", "median": 1.0, "ratio": 0.5},
...           {"unit": "µs", "median": 2.0, "ratio": 1.0}]
>>> merged = merge_rounds(rounds)
>>> merged["median"], merged["ratio"], merged["rounds"]
(2.0, 1.0, [3.0, 1.0, 2.0])
>>> merge_rounds([{"skipped": "no vw"}, {"skipped": "no vw"}])
{'skipped': 'no vw'}
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence, TypeVar

from appliance.bench.skip import skip_reason

RUN_TIMEOUT_S = 600
Side = TypeVar("Side")


def interleaved(sides: Sequence[Side], names: Sequence[str], rounds: int) -> Iterator[tuple[int, str, Side]]:
    """``(round, benchmark, side)`` in the order they run: each round runs a benchmark on every side before the
    next benchmark, the sides in the order given in even rounds (0, 2, ...) and reversed in odd ones, so a slow
    spell of the machine hits every side and none always goes first."""
    for round_ in range(rounds):
        order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
        for name in names:
            for side in order:
                yield round_, name, side


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def run_isolated(python: Path | str, checkout: Path, name: str, quick: bool, label: str) -> dict[str, Any]:
    """``python -m appliance.bench.run_one name`` with ``checkout``'s code; ``label`` names the side in a failure."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory(prefix="wabbit-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        command = [str(python), "-m", "appliance.bench.run_one", name, "--result", str(result_file)]
        try:
            done = subprocess.run(command + (["--quick"] if quick else []), cwd=checkout, env=env, capture_output=True,
                                  text=True, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return {"skipped": f"{label}: {name} did not finish within {RUN_TIMEOUT_S} s"}
        except OSError as err:
            return {"skipped": f"{label}: cannot start {python}: {err.strerror}"}
        if done.returncode != 0 or not result_file.exists():
            return {"skipped": f"{label}: the appliance's code cannot run {name} here: {_tail(done.stderr)}"}
        result: dict[str, Any] = json.loads(result_file.read_text())
        return result


def merge_rounds(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from the same benchmark's rounds: the last round's fields, with ``median`` and ``ratio`` the
    medians over the rounds and ``rounds`` each round's median. Skipped if any round was."""
    for result in results:
        if skip_reason(result):
            return {"skipped": skip_reason(result)}
    medians = [float(r["median"]) for r in results]
    merged = {**results[-1], "median": statistics.median(medians), "rounds": medians}
    ratios = [float(r["ratio"]) for r in results if isinstance(r.get("ratio"), (int, float))]
    if len(ratios) == len(results):
        merged["ratio"] = statistics.median(ratios)
    return merged

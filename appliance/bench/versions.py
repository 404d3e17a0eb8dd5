"""``wabbit bench --vw 9.11.2,9.11.9``: the VW and loop benchmarks on several Vowpal Wabbit releases, side by side.

Each release gets its own cached virtualenv (:mod:`appliance.bench.venvs`); a release that cannot be installed
is reported and skipped. The benchmarks run with this checkout's code, interleaved: every round runs each
benchmark on every release before the next benchmark, the order of releases reversed every other round, so a
slow spell of the machine hits them all. Each release's figure is the median over the rounds; the table gives
it for every release and its ratio to the first release's.

>>> a = {"vw.learn": {"unit": "µs", "median": 40.0, "better": "lower"}, "vw.parse": {"skipped": "why"}}
>>> b = {"vw.learn": {"unit": "µs", "median": 30.0, "better": "lower"}, "vw.parse": {"unit": "µs", "median": 9.0}}
>>> print(side_by_side({"9.11.2": a, "9.11.9": b}))
benchmark  unit  9.11.2  9.11.9  9.11.9 / 9.11.2
vw.learn   µs    40      30      0.75 (lower is better)
vw.parse   µs    -       9       -
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from appliance.bench.history import annotate, better
from appliance.bench.isolated import interleaved, merge_rounds, run_isolated
from appliance.bench.measure import fingerprint
from appliance.bench.skip import skip_reason
from appliance.bench.venvs import EnvUnavailable, VersionEnv, ensure_env

DEFAULT_SET = ("vw.*", "loop.events_per_s")
"""What ``--vw`` runs unless ``--only`` says otherwise: VW's own calls and the whole loop."""

Log = Callable[[str], None]


@dataclass
class VersionsRun:
    """The outcome: per release that ran, its results by benchmark; per release that could not, why."""

    results: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    rounds: int = 0


# Run in each environment before its benchmarks: which vowpalwabbit it imports, and whether the appliance's VW
# policy starts on it (its options parsed, one decision made), so a release it cannot run on is named up front.
PROBE = """
import sys
from importlib import metadata
from appliance.config import AppConfig
from appliance.policy.vw import VWPolicy
import vowpalwabbit
policy = VWPolicy(AppConfig().effective_policy())
policy.decide({"audio": {"level": 0.5}}, "probe", 0.0)
print(metadata.version("vowpalwabbit"))
"""


def probe(env: VersionEnv, checkout: Path) -> str:
    """The vowpalwabbit release the environment imports with this checkout's code; :class:`EnvUnavailable`
    with the appliance's error when its VW policy cannot start there."""
    done = subprocess.run([str(env.python), "-c", PROBE], cwd=checkout, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(checkout), "OPENBLAS_NUM_THREADS": "1"})
    if done.returncode != 0:
        last = [line for line in done.stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
        raise EnvUnavailable(f"the appliance's VW policy cannot start on vowpalwabbit {env.version}: {last[0]}")
    found = done.stdout.strip().splitlines()[-1]
    if found != env.version:
        raise EnvUnavailable(f"{env.path} imports vowpalwabbit {found}, not {env.version}: delete the folder")
    return found


def prepare(versions: list[str], cache: Path, checkout: Path, log: Log) -> tuple[dict[str, VersionEnv], dict[str, str]]:
    """The environment of each release (cached, or made now) that the appliance runs on, and why each other
    release is left out."""
    envs: dict[str, VersionEnv] = {}
    unavailable: dict[str, str] = {}
    for version in versions:
        started = time.monotonic()
        try:
            env, made = ensure_env(cache, checkout, version)
            probe(env, checkout)
        except EnvUnavailable as err:
            unavailable[version] = str(err)
            log(f"vowpalwabbit {version}: left out (see below)")
            continue
        envs[version] = env
        log(f"vowpalwabbit {version}: {'made' if made else 'cached'} {env.path} ({time.monotonic() - started:.0f} s)")
    return envs, unavailable


def run_versions(versions: list[str], names: list[str], checkout: Path, cache: Path, quick: bool, rounds: int,
                 log: Log) -> VersionsRun:
    """Every benchmark in ``names`` on every installable release, ``rounds`` times, interleaved."""
    envs, unavailable = prepare(versions, cache, checkout, log)
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {v: {n: [] for n in names} for v in envs}
    seconds: dict[str, dict[str, float]] = {v: dict.fromkeys(names, 0.0) for v in envs}
    for round_, name, version in interleaved(list(envs), names, rounds):
        log(f"round {round_ + 1}/{rounds} {name} on vowpalwabbit {version}")
        started = time.monotonic()
        samples[version][name].append(run_isolated(envs[version].python, checkout, name, quick, f"vowpalwabbit {version}"))
        seconds[version][name] += time.monotonic() - started
    results = {v: {n: annotate(merge_rounds(samples[v][n]), seconds[v][n]) for n in names} for v in envs}
    return VersionsRun(results, unavailable, rounds)


def reports(run: VersionsRun, quick: bool) -> dict[str, dict[str, Any]]:
    """One ``wabbit bench`` report per release that ran (its fingerprint naming that release), in order, for the
    history folder: ``label`` names the release in ``trend``, ``order`` keeps them in the order asked."""
    machine = fingerprint()
    out = {}
    for order, (version, results) in enumerate(run.results.items()):
        versions = {**machine["versions"], "vowpalwabbit": version}
        out[version] = {"machine": {**machine, "versions": versions}, "quick": quick, "label": f"vw {version}",
                        "order": order, "rounds": run.rounds, "results": results}
    return out


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def side_by_side(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """A plain-text table: per benchmark, each release's median and each later release's ratio to the first's."""
    versions = list(results)
    first = versions[0]
    names = list(dict.fromkeys(name for by_name in results.values() for name in by_name))
    header = ["benchmark", "unit", *versions, *(f"{v} / {first}" for v in versions[1:])]
    rows = [header]
    for name in names:
        measured = {v: results[v].get(name) for v in versions}
        medians = {v: float(r["median"]) if r and not skip_reason(r) else None for v, r in measured.items()}
        known = next((r for r in measured.values() if r and not skip_reason(r)), {})
        direction = better(known)
        ratios = []
        for version in versions[1:]:
            base, value = medians[first], medians[version]
            text = "-" if not base or value is None else f"{value / base:.2f}"
            ratios.append(text + (f" ({direction} is better)" if text != "-" and direction else ""))
        rows.append([name, str(known.get("unit", "")), *(_num(medians[v]) for v in versions), *ratios])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def skipped_lines(run: VersionsRun) -> list[str]:
    """Why each release or benchmark is missing from the table."""
    lines = [f"vowpalwabbit {v}: left out: {why}" for v, why in run.unavailable.items()]
    for version, by_name in run.results.items():
        lines += [f"vowpalwabbit {version}: {name} skipped: {skip_reason(r)}" for name, r in by_name.items() if skip_reason(r)]
    return lines

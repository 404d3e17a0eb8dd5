"""Measurement helpers: warm-up, repeats, medians and percentiles, and the machine's fingerprint.

>>> summarize([3.0, 1.0, 2.0])["median"]
2.0
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable


def summarize(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {"median": statistics.median(ordered), "p95": pct(0.95), "p99": pct(0.99), "min": ordered[0],
            "max": ordered[-1], "repeats": len(ordered)}


def repeat(run: Callable[[], float], repeats: int, warmup: int = 1) -> dict[str, Any]:
    """Call ``run`` (which returns one figure) ``warmup`` times unrecorded, then ``repeats`` times."""
    for _ in range(warmup):
        run()
    return summarize([run() for _ in range(repeats)])


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _pi() -> dict[str, Any]:
    """The Pi's model, with the CPU temperature and throttling flags the daemon reports; nothing off a Pi."""
    from appliance.server.stats import host_stats

    model = Path("/proc/device-tree/model")
    if not model.exists():
        return {}
    host = host_stats()
    return {"model": model.read_text(errors="replace").strip("\0"), "temperature_c": host["cpu_temperature_c"],
            "throttled": host["throttled"]}


def fingerprint() -> dict[str, Any]:
    cpu = ""
    try:
        lines = Path("/proc/cpuinfo").read_text(errors="replace").splitlines()
        cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith(("model name", "Model"))), "")
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for name in ("vowpalwabbit", "numpy", "fastapi", "uvicorn", "pydantic", "raspberry-wabbit"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=2,
                             cwd=Path(__file__).parent).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        rev = None
    return {"cpu": cpu, "cores": os.cpu_count(), "machine": platform.machine(), "python": sys.version.split()[0],
            "platform": platform.platform(), "pi": _pi() or None, "versions": versions, "git_revision": rev,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def repeat_each(run: Callable[[], dict[str, float]], repeats: int, warmup: int = 1) -> dict[str, dict[str, Any]]:
    """:func:`repeat` for a run that measures several figures at once (a figure and its reference, taken in
    turn so both see the same machine): each name summarized over the repeats.

    >>> runs = iter([{"ours": 9.0, "reference": 9.0}, {"ours": 1.0, "reference": 2.0}, {"ours": 3.0, "reference": 4.0}])
    >>> {name: s["median"] for name, s in repeat_each(lambda: next(runs), repeats=2).items()}
    {'ours': 2.0, 'reference': 3.0}
    """
    for _ in range(warmup):
        run()
    samples: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, value in run().items():
            samples.setdefault(name, []).append(value)
    return {name: summarize(values) for name, values in samples.items()}


def compared(
    figure: str, unit: str, ours: dict[str, Any], reference_name: str, reference: dict[str, Any], meaning: str,
    reference_over_ours: bool = False, **extra: Any,
) -> dict[str, Any]:
    """One result in the shape every benchmark reports: the figure's summary, its reference measured in the same
    run, and ``ratio`` of their medians (ours / reference, or reference / ours for a speed-up), which
    ``ratio_meaning`` spells out.

    >>> r = compared("joiner insert", "us/op", summarize([2.0, 4.0]), "dict insert", summarize([1.0]), "overhead factor")
    >>> r["median"], r["reference"]["name"], r["ratio"], r["ratio_meaning"]
    (3.0, 'dict insert', 3.0, 'ours / reference: overhead factor')
    """
    ratio = reference["median"] / ours["median"] if reference_over_ours else ours["median"] / reference["median"]
    order = "reference / ours" if reference_over_ours else "ours / reference"
    return {"figure": figure, "unit": unit, **ours, "reference": {"name": reference_name, **reference},
            "ratio": ratio, "ratio_meaning": f"{order}: {meaning}", **extra}

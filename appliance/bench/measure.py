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
    info: dict[str, Any] = {}
    model = Path("/proc/device-tree/model")
    if model.exists():
        info["model"] = model.read_text(errors="replace").strip("\0")
        try:
            info["temperature_c"] = int(Path("/sys/class/thermal/thermal_zone0/temp").read_text()) / 1000
            throttled = subprocess.run(["vcgencmd", "get_throttled"], capture_output=True, text=True, timeout=2)
            info["throttled"] = throttled.stdout.strip()
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    return info


def fingerprint() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith(("model name", "Model"))), "")
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

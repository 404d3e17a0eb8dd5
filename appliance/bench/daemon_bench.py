"""Issue 12's start-up and memory figures: ``daemon.ready_s`` (the daemon is ready in < 3 s) and ``daemon.rss_mb``
(resident memory <= 150 MB with the audio, video and face featurizers running).

Both launch ``python -m appliance run`` of this checkout as a user would (a fresh data directory, a free loopback
port) and take, in the same run and by turns, the same figure of a *reference*: :data:`REFERENCE_PROGRAM`, the
floor of the daemon's stack. It imports Vowpal Wabbit and opens a contextual-bandit workspace (the policy every
daemon runs), builds a FastAPI app with one route, ``GET /api/status``, and serves it with uvicorn: what any
daemon on this stack pays before it answers, with none of the appliance's config, loop, storage or routes. The
ratio (ours / reference) is the start-up, or the memory, the appliance adds to that floor, and it moves far
less with the machine's load than the seconds do.

``daemon.ready_s``: seconds from the launch of the process to the first answer (200, or 401 without the token)
of ``GET /api/status``, simulated devices; the median of several launches taken by turns with the reference's.
The first round (unrecorded in a full run) compiles the bytecode if it is not cached yet: the children run
without ``PYTHONDONTWRITEBYTECODE``, as the installed appliance does. ``logged_ready_s`` is what the daemon's own
``ready in`` line said (counted from the process start too).

``daemon.rss_mb``: the resident memory (MB) of the daemon and its child processes after it has run
``SETTLE_S`` seconds with :data:`FEATURIZERS_CONFIG` (a synthetic microphone and camera; the audio, video and
face featurizers, BlazeFace on the CPU from the model shipped in ``featurizers/models``: no download); beside
it ``simulated_mb``, the same with simulated devices (not with ``--quick``). The reference is the minimal
process's resident memory once it answers. Without a TFLite runtime the benchmark is skipped with what to install.

>>> ready = {"median": 2.0, "min": 1.9, "max": 2.1, "repeats": 3}
>>> with_goal(ready, 3.0)
{'goal': 3.0, 'meets_goal': True}
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from appliance.bench.http_bench import free_port, stop
from appliance.bench.measure import compared, repeat_each, summarize

ROOT = Path(__file__).resolve().parents[2]
"""This checkout: the launched daemon runs its code, not an installed copy's."""
READY_GOAL_S = 3.0
RSS_GOAL_MB = 150.0
SETTLE_S = 15.0
"""Seconds the daemon runs before its memory is read: the featurizers' first frames, the loop's first decisions."""
LAUNCH_TIMEOUT_S = 60.0

REFERENCE_PROGRAM = """
import sys

import uvicorn
from fastapi import FastAPI
from vowpalwabbit import pyvw

workspace = pyvw.Workspace("--cb_explore_adf --epsilon 0.2 --quiet")
app = FastAPI()


@app.get("/api/status")
def status() -> dict:
    return {"state": "running"}


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""
"""The stack's floor: VW's workspace and a one-route FastAPI app served by uvicorn, nothing of ours."""

FEATURIZERS_CONFIG: dict[str, Any] = {
    "policy": {"actions": [{"id": "warm"}, {"id": "cool"}, {"id": "off"}]},
    "simulation": None,
    "sources": [
        {"type": "synthetic_audio", "id": "mic"},
        {"type": "synthetic_video", "id": "cam", "width": 640, "height": 480, "fps": 15},
    ],
    "featurizers": [
        {"type": "audio", "source": "mic"},
        {"type": "video", "source": "cam", "downscale": 8},
        {"type": "face", "source": "cam", "backend": "cpu"},
    ],
    "triggers": {"periodic_s": 1.0},
}
"""Issue 12's memory figure's config: the three featurizers on synthetic sources (demos/hello-npu.yaml's, no devices)."""


def with_goal(summary: dict[str, Any], goal: float) -> dict[str, Any]:
    """``goal`` and whether the median is within it (at most it: seconds and megabytes are lower-is-better)."""
    return {"goal": goal, "meets_goal": summary["median"] <= goal}


def child_env() -> dict[str, str]:
    """The launched processes' environment: this checkout first on the path, bytecode cached as when installed.

    >>> env = child_env()
    >>> env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT), "PYTHONDONTWRITEBYTECODE" in env
    (True, False)
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def daemon_argv(data_dir: Path, port: int, config: Path | None = None) -> list[str]:
    """``wabbit run`` of this checkout on ``data_dir`` and ``port`` (simulated devices without ``config``)."""
    argv = [sys.executable, "-m", "appliance", "run", "--data-dir", str(data_dir), "--port", str(port)]
    return argv + (["--config", str(config)] if config is not None else [])


def reference_argv(port: int) -> list[str]:
    return [sys.executable, "-c", REFERENCE_PROGRAM, str(port)]


def answers(port: int) -> bool:
    """Whether ``GET /api/status`` on ``port`` answers 200 or 401 (no token) now."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        connection.request("GET", "/api/status")
        return connection.getresponse().status in (200, 401)
    except OSError:
        return False
    finally:
        connection.close()


def resident_mb(status: str) -> float:
    """The resident memory (MB) a ``/proc/PID/status`` text reports.

    >>> resident_mb("Name:\\tpython\\nVmRSS:\\t  122880 kB\\nThreads:\\t9\\n")
    120.0
    """
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


def tree_resident_mb(pid: int) -> tuple[float, float]:
    """(the process's resident MB, its child processes' together), read from /proc."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    own = resident_mb(Path(f"/proc/{pid}/status").read_text())
    return own, sum(resident_mb(Path(f"/proc/{c}/status").read_text()) for c in children)


def logged_ready_s(log: str) -> float | None:
    """The seconds the daemon's ``ready in`` line reports, if it wrote one.

    >>> logged_ready_s("INFO wabbit: ready in 2.41 s since the process started: http://127.0.0.1:8080")
    2.41
    """
    found = re.search(r"ready in ([0-9.]+) s", log)
    return float(found.group(1)) if found else None


def launched(argv: list[str], port: int, log: Path, then: Callable[[subprocess.Popen[bytes], float], float]) -> float:
    """Launch ``argv`` (output to ``log``), wait for its first answer on ``port``, and return ``then(process,
    seconds from the launch to that answer)``; the process is stopped after."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=child_env(), cwd=ROOT)
        try:
            while not answers(port):
                if process.poll() is not None or time.perf_counter() - start > LAUNCH_TIMEOUT_S:
                    raise RuntimeError(f"{argv[1:4]} did not answer on 127.0.0.1:{port}: {log.read_text()[-800:]}")
                time.sleep(0.01)
            return then(process, time.perf_counter() - start)
        finally:
            stop(process, grace_s=20.0)  # the daemon checkpoints its model as it stops


def ready_round(tmp: Path, number: int, logged: dict[int, float]) -> dict[str, float]:
    """One launch of the daemon (fresh data directory) and one of the reference, the order alternating by round;
    ``logged[number]``: the seconds the daemon's log line said."""
    def ours() -> float:
        port, data = free_port(), tmp / f"data-{number}"
        seconds = launched(daemon_argv(data, port), port, tmp / f"daemon-{number}.log", lambda p, s: s)
        said = logged_ready_s((tmp / f"daemon-{number}.log").read_text())
        if said is not None:
            logged[number] = said
        return seconds

    def reference() -> float:
        port = free_port()
        return launched(reference_argv(port), port, tmp / f"reference-{number}.log", lambda p, s: s)

    if number % 2:
        return {"reference": reference(), "ours": ours()}
    return {"ours": ours(), "reference": reference()}


def bench_ready(quick: bool) -> dict[str, Any]:
    rounds = itertools.count()  # each round's number: its files' names, and which of the two launches goes first
    warmup = 0 if quick else 1
    logged: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs = repeat_each(lambda: ready_round(Path(tmp), next(rounds), logged), repeats=2 if quick else 7, warmup=warmup)
    said = [seconds for number, seconds in logged.items() if number >= warmup]
    ours = runs["ours"]
    return compared("launch of `wabbit run` (simulated devices) to the first answer of /api/status", "s", ours,
                    "a process importing VW (one workspace) and serving one FastAPI route with uvicorn", runs["reference"],
                    "the appliance's start-up over the stack's floor", **with_goal(ours, READY_GOAL_S),
                    logged_ready_s=summarize(said) if said else None)


def settled_mb(settle_s: float) -> Callable[[subprocess.Popen[bytes], float], float]:
    """What :func:`launched` does with the running process: wait ``settle_s``, then read its tree's resident MB."""
    def read(process: subprocess.Popen[bytes], seconds: float) -> float:
        time.sleep(settle_s)
        own, children = tree_resident_mb(process.pid)
        return own + children
    return read


def bench_rss(quick: bool) -> dict[str, Any]:
    from featurizers.tflite.runtime import import_runtime

    import_runtime()  # the face featurizer's runtime: missing, the benchmark is skipped with what to install
    settle_s = SETTLE_S * (2 / 3 if quick else 1)
    samples: dict[str, list[float]] = {"featurizers": [], "simulated": [], "reference": []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = tmp / "featurizers.yaml"
        config.write_text(json.dumps(FEATURIZERS_CONFIG))  # JSON is YAML
        for number in range(1 if quick else 2):
            port = free_port()
            samples["reference"].append(launched(reference_argv(port), port, tmp / "reference.log", settled_mb(1.0)))
            port = free_port()
            samples["featurizers"].append(launched(daemon_argv(tmp / f"data-f{number}", port, config), port,
                                                   tmp / f"featurizers-{number}.log", settled_mb(settle_s)))
            if not quick:  # --quick: two launches, the figure and its reference
                port = free_port()
                samples["simulated"].append(launched(daemon_argv(tmp / f"data-s{number}", port), port,
                                                     tmp / f"simulated-{number}.log", settled_mb(settle_s)))
    ours = summarize(samples["featurizers"])
    return compared(f"resident memory of `wabbit run` with the audio, video and face featurizers after {settle_s:.0f} s",
                    "MB", ours, "the same minimal VW + FastAPI + uvicorn process, answering", summarize(samples["reference"]),
                    "the appliance's memory over the stack's floor", **with_goal(ours, RSS_GOAL_MB),
                    simulated_mb=summarize(samples["simulated"]) if samples["simulated"] else None)


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "daemon.ready_s": bench_ready,
    "daemon.rss_mb": bench_rss,
}

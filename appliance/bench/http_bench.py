"""HTTP benchmarks: decide and reward over loopback against a real ``wabbit run``, vs in-process decide.

Both sides are durable (the answer waits for the write-ahead log), so the ratio is the cost of HTTP,
JSON, pydantic and the thread pool. The HTTP client is the standard library's (keep-alive connections),
so ``wabbit bench`` needs nothing beyond the appliance's own dependencies.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from appliance.bench.measure import summarize

CONFIG = "join:\n  reward_wait_s: 1\nsimulation:\n  decision_every_s: 3600\n"
CLIENTS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """SIGTERM ``process`` and wait for it; SIGKILL it if it is still running after ``grace_s``."""
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _context(i: int) -> dict[str, dict[str, float]]:
    return {"audio": {"level": (i % 17) / 17}, "video": {"brightness": (i % 5) / 5}, "time": {f"h{i % 24}": 1.0}}


def start_daemon(tmp: Path, config: str = CONFIG) -> tuple[subprocess.Popen[bytes], int, str]:
    """``wabbit run`` with ``config`` on a free loopback port and a data directory in ``tmp``, once it answers
    ``/healthz``: the process, its port and its access token."""
    (tmp / "config.yaml").write_text(config)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "run", "--config", str(tmp / "config.yaml"), "--port",
                             str(port), "--data-dir", str(tmp / "data"), "--log-level", "WARNING"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            finally:
                connection.close()
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the benchmark's `wabbit run` did not start within 30 s") from None
            time.sleep(0.05)
    return proc, port, (tmp / "data" / "token").read_text().strip()


def _client(port: int, token: str, n: int, offset: int, decide_ms: list[float], reward_ms: list[float]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for i in range(offset, offset + n):
        start = time.perf_counter()
        connection.request("POST", "/api/decide", json.dumps({"context": _context(i)}), headers)
        response = connection.getresponse()
        body = json.loads(response.read())
        middle = time.perf_counter()
        if response.status != 200:
            raise RuntimeError(f"decide answered {response.status}: {body}")
        connection.request("POST", "/api/reward", json.dumps({"event_id": body["event_id"], "reward": float(i % 2)}), headers)
        response = connection.getresponse()
        response.read()
        end = time.perf_counter()
        if response.status != 202:
            raise RuntimeError(f"reward answered {response.status}")
        decide_ms.append((middle - start) * 1000)
        reward_ms.append((end - middle) * 1000)
    connection.close()


def _http(n: int) -> tuple[list[float], list[float], float]:
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, token = start_daemon(Path(tmp))
        try:
            _client(port, token, 20, 10_000_000, [], [])  # warm-up
            decide_ms: list[float] = []
            reward_ms: list[float] = []
            per = n // CLIENTS
            threads = [threading.Thread(target=_client, args=(port, token, per, k * per, decide_ms, reward_ms)) for k in range(CLIENTS)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(30)
        return decide_ms, reward_ms, per * CLIENTS / seconds


def _in_process(n: int) -> tuple[list[float], list[float], float]:
    from appliance.assemble import open_loop
    from appliance.clock import SystemClock
    from appliance.config import load_config_text

    with tempfile.TemporaryDirectory() as tmp:
        loop = open_loop(load_config_text(CONFIG), SystemClock(), Path(tmp))
        decide_ms: list[float] = []
        reward_ms: list[float] = []
        start = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            decision, ticket = loop.decide(_context(i))
            ticket.wait()
            t1 = time.perf_counter()
            loop.reward(decision.event_id, float(i % 2))[1].wait()
            decide_ms.append((t1 - t0) * 1000)
            reward_ms.append((time.perf_counter() - t1) * 1000)
            if i % 10 == 9:
                loop.tick()
        seconds = time.perf_counter() - start
        loop.close()
        return decide_ms, reward_ms, n / seconds


def bench_http(quick: bool) -> dict[str, Any]:
    """Decide and reward latency over HTTP (p50/p99), throughput; references: the same calls in process, durable."""
    n = 400 if quick else 2000
    decide_ms, reward_ms, pairs_per_s = _http(n)
    local_ms, local_reward_ms, local_pairs_per_s = _in_process(n)
    decide, reward, local, local_reward = summarize(decide_ms), summarize(reward_ms), summarize(local_ms), summarize(local_reward_ms)
    return {
        "figure": f"POST /api/decide latency over loopback HTTP, {CLIENTS} concurrent keep-alive clients, answered once durable",
        "unit": "ms", **decide, "requests": len(decide_ms),
        "reference": {"name": "in-process loop.decide + WAL ticket wait (one thread)", **local},
        "ratio": decide["median"] / local["median"],
        "reward": {"figure": "POST /api/reward latency (202 once in the WAL)", "unit": "ms", **reward,
                   "reference": {"name": "in-process loop.reward + WAL ticket wait (one thread)", **local_reward},
                   "ratio": reward["median"] / local_reward["median"]},
        "throughput": {"figure": "decide + reward pairs per second over HTTP", "unit": "pairs/s", "median": pairs_per_s,
                       "reference": {"name": "in-process decide + reward pairs per second", "median": local_pairs_per_s},
                       "ratio": pairs_per_s / local_pairs_per_s},
        "mean_ms": statistics.fmean(decide_ms),
    }


BENCHMARKS = {"http.decide": bench_http}

"""Instruction counts of the hottest paths under valgrind: a second signal for the regression gate that the
machine's load does not move.

``python -m appliance.bench.instructions WORKLOAD N`` runs ``N`` events of one seeded workload and nothing else:
``loop`` (decide, reward, a tick every 10, through the loop without its write-ahead log, on a fake clock) or
``build`` (the ExampleBuilder making the labelled multi-example the policy learns) or ``http`` (``POST /api/decide``
of the benchmark's raw client over one keep-alive connection, through the daemon's uvicorn protocol and its ASGI
front, without sockets or write-ahead log: everything the event loop does per decide but the system calls and the
wait for the commit). :func:`instructions` runs it under ``valgrind --tool=cachegrind`` (instruction counting only,
no cache simulation) and returns the program's total: the interpreter's start and the imports (about 2.2 billion
instructions) plus the events (about 0.22 million each through the loop, 0.45 million a decide over ``http``), so
2000 events of ``loop`` are about a sixth of it. The same code gives the same count to
within a few parts in ten thousand, whatever the load, so a change of 1 % is the code's.
The workload file is run by its path from the checkout that asks, with the measured checkout's code on the
path, so a parent commit without this file can be counted too.
``perf stat -e instructions`` would be cheaper, but needs hardware counters that containers and VMs such as
this CI's often lack; valgrind counts the same on any x86 or ARM machine.

>>> parse_total("==1== I   refs:      1,234,567")
1234567
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

WORKLOADS = ("loop", "build", "http")
COUNT_TIMEOUT_S = 600


class ValgrindMissing(RuntimeError):
    """valgrind is not installed (Debian: ``apt-get install valgrind``)."""


def parse_total(stderr: str) -> int:
    """The ``I refs`` total cachegrind prints at exit."""
    found = re.search(r"I\s+refs:\s+([\d,]+)", stderr)
    if not found:
        raise ValueError(f"no instruction total in valgrind's output: {stderr.strip()[-300:]}")
    return int(found.group(1).replace(",", ""))


def _run_loop(n: int) -> None:
    from appliance.assemble import open_loop
    from appliance.bench.loop_bench import drive
    from appliance.bench.vw_bench import light_workload
    from appliance.clock import FakeClock
    from appliance.config import AppConfig

    workload = light_workload(n)
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(1_700_000_000.0)
        loop = open_loop(AppConfig.model_validate({"join": {"reward_wait_s": 5.0}}), clock, Path(tmp), durable=False)
        drive(loop, clock, workload)
        clock.advance(10)
        loop.tick()
        loop.close()


def _run_build(n: int) -> None:
    from appliance.bench.vw_bench import light_workload
    from appliance.policy.vw_examples import ExampleBuilder

    workload = light_workload(n)
    vw = workload.workspace()
    builder = ExampleBuilder(vw, workload.action_features)
    for i in range(n):
        builder.for_learn(builder.shared(workload.contexts[i]), workload.actions, workload.chosen[i], -workload.rewards[i],
                          workload.probability)
    vw.finish()


class _Wire(asyncio.Transport):
    """A connection's socket, for :func:`http_answers`: what the server writes is kept, not sent; whether it closed
    the connection or paused reading from it is kept too (a decide that does either is not a keep-alive answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bytes] = []
        self.closed = False
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.answers.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


def http_answers(n: int) -> list[bytes]:
    """The ``http`` workload: what the server wrote to its connection for ``n`` decides, one write per answer."""
    import yaml
    from uvicorn.server import ServerState

    from appliance.assemble import open_loop
    from appliance.bench.client_transports import PAYLOADS, HTTPDecide, daemon_config
    from appliance.clock import FakeClock
    from appliance.config import AppConfig
    from appliance.server.app import create_app
    from appliance.server.serve import GuardedHttpToolsProtocol, build_server

    settings = yaml.safe_load(daemon_config())
    settings["join"]["max_pending"] = n + 1  # no decision closes early: learning is the tick's, on its own thread
    config = AppConfig.model_validate(settings)
    request = HTTPDecide(8080, "bench").request(PAYLOADS["10x4"])

    async def serve(runtime: Any) -> list[bytes]:
        server = build_server(create_app(runtime), "127.0.0.1", 8080, on_exit=lambda: None)
        server.config.load()
        state = ServerState()
        state.default_headers = [(b"date", b"Fri, 04 Dec 2026 00:00:00 GMT"), *server.config.encoded_headers]
        protocol = GuardedHttpToolsProtocol(config=server.config, server_state=state, app_state={},
                                            _loop=asyncio.get_running_loop())  # what build_server serves with
        wire = _Wire()
        protocol.connection_made(wire)
        for k in range(n):  # one keep-alive connection, each request sent once the previous is answered
            protocol.data_received(request)
            while len(wire.answers) == k:
                if wire.closed or not wire.reading:
                    raise RuntimeError(f"the server {'closed' if wire.closed else 'stopped reading'} the connection "
                                       f"after {k} of {n} decides: the workload counts keep-alive decides only")
                await asyncio.sleep(0)
        protocol.connection_lost(None)
        return wire.answers

    with tempfile.TemporaryDirectory() as tmp:
        loop = open_loop(config, FakeClock(1_700_000_000.0), Path(tmp), durable=False)
        answers = asyncio.run(serve(SimpleNamespace(token="bench", loop=loop, config=config, error=None)))
        loop.close()
    return answers


def _run_http(n: int) -> None:
    answers = http_answers(n)
    refused = [a[:12] for a in answers if not a.startswith(b"HTTP/1.1 200")]
    if refused or len(answers) != n:
        raise RuntimeError(f"{len(answers)} answers to {n} decides, not all 200: {refused[:3]}")


def instructions(workload: str, n: int, checkout: Path, python: str = sys.executable) -> int:
    """Instructions executed by ``python`` running ``n`` events of ``workload`` with ``checkout``'s code."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise ValgrindMissing("valgrind is not installed: apt-get install valgrind")
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    script = f"import runpy, sys; sys.argv = ['instructions', {workload!r}, '{n}']; runpy.run_path({str(Path(__file__))!r}, run_name='__main__')"
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([valgrind, "--tool=cachegrind", "--cache-sim=no", "--branch-sim=no",
                               f"--cachegrind-out-file={tmp}/out", python, "-c", script], cwd=checkout, env=env,
                              capture_output=True, text=True, timeout=COUNT_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"{workload} under valgrind exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return parse_total(done.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m appliance.bench.instructions", description=__doc__)
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("n", type=int, help="events")
    args = parser.parse_args(argv)
    {"loop": _run_loop, "build": _run_build, "http": _run_http}[args.workload](args.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

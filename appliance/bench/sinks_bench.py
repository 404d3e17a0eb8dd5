"""What a log sink costs the loop: events per second with a sink shipping the joined events at its default
batching (198 KB or 1 s), against the same loop with the sink paused. Goal: at least 0.9.

The sink ships as the daemon runs it: its shipper in a child process of its own (:mod:`appliance.sinks.process`).
One loop, fed ``STRETCH`` events at a time, by turns with that child running and paused (SIGSTOP), the order
alternating every round (running, paused; paused, running; ...) and the first round a warm-up; the ratio is the
median over the rounds of each round's running speed over its paused one (two neighbouring stretches, under the
same load from other processes), so a round another process slowed does not count, and both modes share the
model, the joiner and the memory. Each running stretch starts with the sink caught up and ends once the child
has shipped its last line (drained at once); both end with the log synced.

Beside that ratio (the headline: the issue's figure, events per second of wall time), ``cpu_ratio`` is the same
share computed from CPU time, which other processes on a loaded machine barely move: the loop's CPU per event
(its thread's, in the paused stretches) over that plus the sink's CPU per event (the CPU of the shipper's child
process and of every other thread of the loop's process in the running stretches, less the paused ones', plus the
loop's thread's while it waits for the tail).
The receiver's own CPU is not the sink's and counts in neither: a fleet's receiver runs on another machine. It is
measured apart (``receiver_cpu_us_per_event``, the running stretches' less the paused ones'), and so is where each
mode's wall time went (``per_event_us``, from the loop thread's CPU clock and the scheduler's counts in
``/proc/PID/task/TID/schedstat``): the loop's thread on a CPU and waiting for one (runnable while other tasks held
both cores), the loop process's other threads, the shipper's child on a CPU and waiting, the receiver, and the tail after the loop's last event.

One benchmark per sink, each against a real receiver on loopback: ``sinks.overhead`` a directory,
``sinks.http_overhead`` a small HTTP server, ``sinks.mqtt_overhead`` mosquitto, ``sinks.redis_overhead``
redis-server. The servers run as processes of their own (as a real receiver would, not on the loop's cores'
Python interpreter), started on a free port for the benchmark and stopped after; a benchmark whose server or
client is not installed is skipped with what to install."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, NamedTuple

from appliance.bench.http_bench import free_port, stop
from appliance.bench.loop_bench import drive
from appliance.bench.measure import compared, summarize
from appliance.bench.skip import ProgramMissing
from appliance.bench.vw_bench import LightWorkload, light_workload
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.sinks.process import ShipperProcess

Receiver = Callable[[Path], ContextManager[tuple[dict[str, Any], int | None]]]
"""Starts a sink's receiver in a directory of its own and yields the sink's config (default batching) and the
receiver's pid (``None``: a directory, written by the shipper itself)."""
STRETCH = 20_000  # over a second of the loop here: several worker steps (every 0.25 s) and batch intervals (1 s)
CONFIG = AppConfig.model_validate({"join": {"reward_wait_s": 1.0}, "storage": {"log_sync_s": 0.0}})
MODES = ("running", "paused")
ROUNDS = 24
"""Rounds of a full run. One round's ratio swings 0.5-1.5 when another process takes a core for a while, and the
sink costs 3-4 % of the loop's CPU: the median of 11 measured rounds fell on either side of 0.9 from one run to the
next (its spread about ±0.075), that of 23 has about ±0.05."""

HTTP_RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Ingest(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open between batches, as a fleet collector (uvicorn) does

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        return  # no line on stderr per request

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Ingest).serve_forever()
"""
"""A receiver that acknowledges every POSTed batch (204), as a fleet collector does."""


def installed_program(name: str, apt_package: str) -> str:
    """The path of ``name`` (Debian puts some servers in /usr/sbin, off a user's PATH)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        raise ProgramMissing(f"{name} is not installed: apt-get install {apt_package}")
    return found


@contextmanager
def serving(argv: list[str], port: int, log_path: Path) -> Iterator[int]:
    """``argv`` running until the block ends, once it accepts connections on ``port``: its pid."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{argv[0]} did not listen on 127.0.0.1:{port}: {log_path.read_text()[-500:]}") from None
                    time.sleep(0.05)
            yield process.pid
        finally:
            stop(process)


class BrokerProcess(NamedTuple):
    """A broker :func:`mosquitto_broker` started: the port it listens on, and its pid (its CPU is measured)."""

    port: int
    pid: int


@contextmanager
def directory_receiver(tmp: Path) -> Iterator[tuple[dict[str, Any], int | None]]:
    yield {"type": "directory", "path": str(tmp / "inbox")}, None


@contextmanager
def http_receiver(tmp: Path) -> Iterator[tuple[dict[str, Any], int | None]]:
    port = free_port()
    with serving([sys.executable, "-c", HTTP_RECEIVER, str(port)], port, tmp / "http.log") as pid:
        yield {"type": "http", "url": f"http://127.0.0.1:{port}/ingest"}, pid


@contextmanager
def mosquitto_broker(tmp: Path) -> Iterator[BrokerProcess]:
    """A mosquitto broker on loopback (anonymous, not persistent) with its config and log in ``tmp``."""
    broker, port = installed_program("mosquitto", "mosquitto"), free_port()
    (tmp / "mosquitto.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    with serving([broker, "-c", str(tmp / "mosquitto.conf")], port, tmp / "mosquitto.log") as pid:
        yield BrokerProcess(port, pid)


@contextmanager
def mqtt_receiver(tmp: Path) -> Iterator[tuple[dict[str, Any], int | None]]:
    import paho.mqtt.client  # noqa: F401  (missing: the benchmark is skipped, `pip install -e '.[net]'`)

    with mosquitto_broker(tmp) as broker:
        yield {"type": "mqtt", "host": "127.0.0.1", "port": broker.port, "topic": "bench/log"}, broker.pid


@contextmanager
def redis_receiver(tmp: Path) -> Iterator[tuple[dict[str, Any], int | None]]:
    import redis  # noqa: F401  (missing: the benchmark is skipped, `pip install -e '.[sinks]'`)

    server, port = installed_program("redis-server", "redis-server"), free_port()
    with serving([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(tmp)], port, tmp / "redis.log") as pid:
        yield {"type": "redis", "url": f"redis://127.0.0.1:{port}/0", "key": "bench:log"}, pid


def _until_accepted(sink: Any, timeout_s: float = 10.0) -> None:
    """One line sent until the receiver acknowledges it: a sink still connecting (MQTT) would otherwise spend
    the timed run in its retry backoff."""
    from appliance.sinks import SinkError

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            sink.send(b'{"bench":"ready"}\n', "bench-ready")
            return
        except SinkError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def other_threads_cpu_s() -> float:
    """CPU seconds of every live thread of this process but the calling one (the sink's watch worker)."""
    me = threading.get_ident()
    return sum(time.clock_gettime(time.pthread_getcpuclockid(thread.ident)) for thread in threading.enumerate()
               if thread.ident is not None and thread.ident != me and thread.is_alive())


def scheduled_s(tasks: list[Path]) -> tuple[float, float]:
    """Seconds the threads ``tasks`` (``/proc/PID/task/TID``) ran and waited for a CPU (runnable, while other
    tasks held every core), from the scheduler's nanosecond counts; a thread that ended meanwhile counts no more."""
    ran = waited = 0
    for task in tasks:
        try:
            fields = (task / "schedstat").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ran, waited = ran + int(fields[0]), waited + int(fields[1])
    return ran / 1e9, waited / 1e9


def process_cpu_s(pid: int) -> float:
    """CPU seconds of the live threads of process ``pid`` (a sink's shipper, its client's network thread)."""
    return scheduled_s(list(Path(f"/proc/{pid}/task").iterdir()))[0]


def gauges(shipper: int, receiver: int | None, opening: bool = False) -> dict[str, float]:
    """Where the time goes, as running totals in seconds: the wall clock; this (the loop's) thread's time on a CPU
    (its CPU clock, exact: the scheduler's count lags a running thread by up to a tick) and waiting for one; the CPU
    of the loop process's other threads; the shipper's child's time on a CPU and waiting for one; the receiver's CPU
    (0 for none). The wall clock is read before the loop thread's counts when ``opening`` a stretch and after them
    when closing it, so that its stretch holds theirs."""
    opened = time.perf_counter()
    loop_cpu, loop_wait = time.thread_time(), scheduled_s([Path(f"/proc/self/task/{threading.get_native_id()}")])[1]
    wall = opened if opening else time.perf_counter()
    shipper_cpu, shipper_wait = scheduled_s(list(Path(f"/proc/{shipper}/task").iterdir()))
    return {"wall": wall, "loop_on_cpu": loop_cpu, "loop_waiting_for_cpu": loop_wait,
            "other_threads_cpu": other_threads_cpu_s(), "shipper_cpu": shipper_cpu, "shipper_waiting_for_cpu": shipper_wait,
            "receiver_cpu": process_cpu_s(receiver) if receiver is not None else 0.0}


def caught_up(host: ShipperProcess, timeout_s: float = 30.0) -> None:
    """``host``'s child has shipped everything the log has synced (drains again after a failed batch: a client still
    connecting, as MQTT's at the start)."""
    deadline = time.monotonic() + timeout_s
    while not host.drain(timeout_s):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {host.name} sink did not catch up within {timeout_s:g} s: {host.stats()}")
        time.sleep(0.05)


def taken_in_turn(receiver_config: Any, receiver_pid: int | None, workload: LightWorkload, rounds: int) -> dict[str, Any]:
    """One loop fed ``workload`` once a stretch, by turns with the sink's shipper process running and paused
    (stopped by SIGSTOP), the order alternating from one round to the next; the first of ``rounds`` warms up. A
    running stretch starts with the sink caught up (what the paused one logged is shipped before its clock starts)
    and ends once the sink has shipped its last line (the tail drained at once, on the clock), so it pays for
    shipping its own events and no others. Events per second of every measured stretch, by mode, the share of the
    running stretches' events the child shipped before that tail, and CPU seconds per event: the loop's (its
    thread's, paused stretches) and the sink's (see the module docstring)."""
    from appliance.assemble import open_loop
    from appliance.registry import REGISTRY
    from appliance.workers import Worker

    n = len(workload.contexts)
    stretches: dict[str, list[float]] = {"running": [], "paused": []}
    shipped = logged = 0
    spent: dict[str, dict[str, float]] = {mode: {} for mode in MODES}  # seconds by gauge, over the measured stretches
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(1_700_000_000.0)
        loop = open_loop(CONFIG, clock, Path(tmp), durable=False)
        sink = REGISTRY.build("log_sinks", receiver_config, name="bench")
        _until_accepted(sink)
        sink.close()
        host = ShipperProcess(receiver_config, "bench", loop.events, Path(tmp) / "bench.cursor",
                              min(0.25, receiver_config.batch_interval_s / 2))  # as the daemon starts it
        host.start()
        stop = threading.Event()
        worker = Worker("sink-bench", host.watch, 0.5)
        worker.start(stop)
        pid = host.pid
        assert pid is not None
        try:
            for turn in range(2 * rounds):
                mode = MODES[(turn + turn // 2) % 2]  # running, paused; then paused, running; ...
                if mode == "running":
                    os.kill(pid, signal.SIGCONT)
                    caught_up(host)
                before = host.stats()["shipped_lines"]
                started = gauges(pid, receiver_pid, opening=True)
                drive(loop, clock, workload)
                driven = gauges(pid, receiver_pid)
                loop.events.sync()  # in both modes: the stretch's last lines reach the log on its clock
                by_child = host.stats()["shipped_lines"] - before
                if mode == "running":
                    caught_up(host)
                ended = gauges(pid, receiver_pid)
                if mode == "running":
                    os.kill(pid, signal.SIGSTOP)
                if turn >= 2:  # the first round warms up
                    stretches[mode].append(n / (ended["wall"] - started["wall"]))
                    for key, value in (*((key, ended[key] - started[key]) for key in ended),
                                       ("tail_wall", ended["wall"] - driven["wall"]),
                                       ("tail_loop_on_cpu", ended["loop_on_cpu"] - driven["loop_on_cpu"])):
                        spent[mode][key] = spent[mode].get(key, 0.0) + value
                    if mode == "running":
                        shipped, logged = shipped + by_child, logged + n
        finally:
            os.kill(pid, signal.SIGCONT)
            stop.set()
            worker.join(30.0)
            host.stop()
            host.release()
            loop.close()
    measured = (rounds - 1) * n
    running, paused = spent["running"], spent["paused"]
    beside_the_loop = {mode: spent[mode]["other_threads_cpu"] + spent[mode]["shipper_cpu"] + spent[mode]["tail_loop_on_cpu"]
                       for mode in MODES}
    return {**stretches, "round_ratios": [r / p for r, p in zip(stretches["running"], stretches["paused"])],
            "shipped_while_running": shipped / logged,
            "loop_cpu_s": (paused["loop_on_cpu"] - paused["tail_loop_on_cpu"]) / measured,
            "sink_cpu_s": max(beside_the_loop["running"] - beside_the_loop["paused"], 0.0) / measured,
            "receiver_cpu_s": (running["receiver_cpu"] - paused["receiver_cpu"]) / measured,
            "per_event_us": {mode: {key: round(1e6 * value / measured, 3) for key, value in spent[mode].items()} for mode in MODES}}


def sink_overhead(kind: str, receiver: Receiver, quick: bool) -> dict[str, Any]:
    """The loop's events per second while a ``kind`` sink ships to ``receiver``, against the same loop with the
    sink paused, by turns."""
    from pydantic import TypeAdapter

    from appliance.config.log_sinks import LogSinkConfig

    rounds = 3 if quick else ROUNDS
    with tempfile.TemporaryDirectory() as home, receiver(Path(home)) as (raw, receiver_pid):
        result = taken_in_turn(TypeAdapter(LogSinkConfig).validate_python(raw), receiver_pid, light_workload(STRETCH), rounds)
    loop_cpu, sink_cpu, round_ratios = result["loop_cpu_s"], result["sink_cpu_s"], result["round_ratios"]
    figures = compared(f"loop events per second while a {kind} sink ships the joined events at its default batching",
                       "events/s", summarize(result["running"]),
                       f"the same loop with the sink paused, taking turns every {STRETCH} events", summarize(result["paused"]),
                       "the share of the loop's speed a sink leaves: the median over the rounds of the running stretch's "
                       "speed over the paused one's of the same round (goal >= 0.9)", events=2 * rounds * STRETCH,
                       round_ratios=round_ratios, shipped_while_running=result["shipped_while_running"],
                       loop_cpu_us_per_event=1e6 * loop_cpu, sink_cpu_us_per_event=1e6 * sink_cpu,
                       receiver_cpu_us_per_event=1e6 * result["receiver_cpu_s"], per_event_us=result["per_event_us"],
                       cpu_ratio=loop_cpu / (loop_cpu + sink_cpu))
    return {**figures, "ratio_of_medians": figures["ratio"], "ratio": statistics.median(round_ratios)}


def _benchmark(kind: str, receiver: Receiver) -> Callable[[bool], dict[str, Any]]:
    return lambda quick: sink_overhead(kind, receiver, quick)


BENCHMARKS = {"sinks.overhead": _benchmark("directory", directory_receiver),
              "sinks.http_overhead": _benchmark("http", http_receiver),
              "sinks.mqtt_overhead": _benchmark("mqtt", mqtt_receiver),
              "sinks.redis_overhead": _benchmark("redis", redis_receiver)}

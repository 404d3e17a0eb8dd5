"""Client dataflow benchmarks (``client.*``): durable decides from clients, against in-process decide.

``client.http.decide`` runs the closed-loop grid, concurrency (1, 4, 16) x payload (10x4, 100x10, 20x50),
over HTTP to a real ``wabbit run`` and in process (``loop.decide`` + the WAL ticket, this process); its
headline is HTTP decides/s with 4 clients and the 10x4 payload, its ratio that over in-process decides/s in
the same run (``client.grpc.decide`` and ``client.grpc.stream``: the same over unary gRPC and DecideStream).
The open loops (``client.http.open_loop``, ``client.grpc.open_loop``, ``client.grpc.stream_open_loop``) offer
decides at a fixed rate (constant and Poisson arrivals) over the same clients x payloads grid and report the
coordinated-omission-corrected percentiles; their headline is the Poisson p99 with 4 clients and 10x4, their
ratio that over the in-process p99 at the same rate. Every cell also reports drops, the CPU the server and the
load generator spent per call and their resident memory. ``--quick`` runs a small grid (CI).

The raw transports (a socket, the generated stubs) stay the headline: a heavy client would measure itself. The
closed loops of HTTP and unary gRPC also run the appliance's own client (``client-http``, ``client-grpc``) on
the same daemon, and report it (``client``) as a ratio over the raw transport of the same protocol.
"""

from __future__ import annotations

import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

from appliance.bench.client_load import Result, Transport, closed_loop, open_loop
from appliance.bench.client_transports import PAYLOADS, ClientDecide, HTTPDecide, InProcess, daemon_config, process_usage
from appliance.bench.measure import rss_bytes

HEADLINE_CLIENTS = 4
HEADLINE_PAYLOAD = "10x4"
GOAL_RATE = 2000.0  # decides/s the issue asks of HTTP with 4 clients (p99 < 5 ms)


def _cell(service: Transport, run: Callable[[Transport], Result], pid: int | None, **labels: Any) -> dict[str, Any]:
    """Run once and describe it: labels, throughput, percentiles, drops, CPU per request (a decide, however many a
    call carries) and resident memory."""
    before = process_usage(pid)[0] if pid is not None else 0.0
    result = run(service)
    server_cpu, server_rss = process_usage(pid) if pid is not None else (0.0, 0)
    requests = max(1, result.completed * result.items_per_call)  # a call of a windowed stream carries several
    cell = {**labels, "mode": result.mode, "clients": result.concurrency, "calls": result.completed, "drops": result.drops,
            "per_s": round(result.throughput(), 1), **{k: round(v, 3) for k, v in result.percentiles_ms().items()},
            "client_cpu_us_per_call": round(result.cpu_s / requests * 1e6, 1), "client_rss_mb": round(rss_bytes() / 2**20, 1)}
    if pid is not None:
        cell.update(server_cpu_us_per_call=round((server_cpu - before) / requests * 1e6, 1), server_rss_mb=round(server_rss / 2**20, 1))
    if result.errors:
        cell["errors"] = result.errors[:3]
    return cell


@contextmanager
def in_process() -> Iterator[InProcess]:
    """A durable loop with the benchmark config in a temporary data directory, ticked every 0.1 s as the daemon does."""
    from appliance.assemble import open_loop as build_loop
    from appliance.clock import SystemClock
    from appliance.config import load_config_text

    with tempfile.TemporaryDirectory() as tmp:
        loop = build_loop(load_config_text(daemon_config()), SystemClock(), Path(tmp))
        stop = threading.Event()
        ticker = threading.Thread(target=lambda: [loop.tick() for _ in iter(lambda: stop.wait(0.1), True)], daemon=True)
        ticker.start()
        try:
            yield InProcess(loop)
        finally:
            stop.set()
            ticker.join()
            loop.close()


@contextmanager
def daemon(grpc_port: int | None = None) -> Iterator[tuple[int, str, int]]:
    """``wabbit run`` with the benchmark config (and its gRPC API on ``grpc_port``): HTTP port, token and pid."""
    from appliance.bench.http_bench import start_daemon

    config = daemon_config() + (f"server:\n  grpc:\n    enabled: true\n    port: {grpc_port}\n" if grpc_port else "")
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, token = start_daemon(Path(tmp), config)
        try:
            yield port, token, proc.pid
        finally:
            proc.terminate()
            proc.wait(30)


Served = tuple[Transport, int, ClientDecide | None]
"""A transport to a benchmark daemon, the daemon's pid, and the appliance's client over the same protocol (if it
has a call to compare)."""


@contextmanager
def http_daemon() -> Iterator[Served]:
    """The raw HTTP transport to a benchmark daemon, its pid, and the appliance's client over HTTP."""
    with daemon() as (port, token, pid):
        yield HTTPDecide(port, token), pid, ClientDecide(f"http://127.0.0.1:{port}", token)


@contextmanager
def grpc_daemon(streamed: bool) -> Iterator[Served]:
    """The raw gRPC transport (unary ``Decide``, or windows over ``DecideStream``) to a benchmark daemon, its pid, and
    the appliance's client over gRPC for unary ``Decide`` (its ``decide_many`` opens a stream per call: no match
    for a stream kept open)."""
    from appliance.bench.client_grpc import GrpcDecide, GrpcDecideStream
    from appliance.bench.http_bench import free_port

    grpc_port = free_port()
    with daemon(grpc_port) as (_, token, pid):
        client = None if streamed else ClientDecide(f"grpc://127.0.0.1:{grpc_port}", token)
        yield (GrpcDecideStream if streamed else GrpcDecide)(grpc_port, token), pid, client


def _grid(quick: bool) -> tuple[tuple[int, ...], tuple[str, ...], int]:
    if quick:
        return (1, HEADLINE_CLIENTS), (HEADLINE_PAYLOAD, "20x50"), 200
    return (1, 4, 16), tuple(PAYLOADS), 1500


def closed_grid(transport: Transport, name: str, pid: int | None, quick: bool, headline_only: bool = False) -> list[dict[str, Any]]:
    """Every concurrency x payload cell of the closed loop for one transport (after a warm-up); ``headline_only``:
    just the headline cell (4 clients, 10x4)."""
    clients, payloads, calls = _grid(quick)
    if headline_only:
        clients, payloads = (HEADLINE_CLIENTS,), (HEADLINE_PAYLOAD,)
    calls = max(20, calls // getattr(transport, "items_per_call", 1))  # a windowed stream's call answers several
    closed_loop(transport, PAYLOADS[HEADLINE_PAYLOAD], HEADLINE_CLIENTS, 20)
    return [_cell(transport, lambda t: closed_loop(t, PAYLOADS[p], c, calls), pid, transport=name, payload=p)
            for p in payloads for c in clients]


def _headline(cells: list[dict[str, Any]], key: str, **match: Any) -> dict[str, Any]:
    cell = next(c for c in cells if all(c[k] == v for k, v in match.items()))
    return {"median": cell[key], "repeats": 1, **{k: cell[k] for k in ("p50", "p99", "p99.9", "max")}}


RunGrid = Callable[[Transport, str, int | None], list[dict[str, Any]]]  # (transport, its name, daemon pid) -> cells


def beside_in_process(name: str, service: Callable[[], ContextManager[Served]], grid: RunGrid,
                      client_grid: RunGrid | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The cells of ``grid`` in process (the reference), then over one transport (``service()``), in the same run;
    then, on the same daemon, the cells of ``client_grid`` through the appliance's client (if it has one)."""
    with in_process() as local:
        reference = grid(local, "in-process", None)
    with service() as (transport, pid, client):
        cells = grid(transport, name, pid)
        if client_grid is not None and client is not None:
            cells += client_grid(client, client.name, pid)
    return reference, cells


def _client_overhead(cells: list[dict[str, Any]], raw: str, head: dict[str, Any]) -> dict[str, Any]:
    """The appliance client's headline cell against the raw transport's (same protocol, daemon and run)."""
    client = next(c for c in cells if c["transport"].startswith("client-") and all(c[k] == v for k, v in head.items()))
    base = next(c for c in cells if c["transport"] == raw and all(c[k] == v for k, v in head.items()))
    return {"name": f"appliance.client (sync) as {client['transport']}, {HEADLINE_CLIENTS} clients, {HEADLINE_PAYLOAD}",
            **{k: client[k] for k in ("per_s", "p50", "p99", "client_cpu_us_per_call")},
            "raw_client_cpu_us_per_call": base["client_cpu_us_per_call"], "ratio": client["per_s"] / base["per_s"],
            "ratio_meaning": f"{client['transport']} / {raw} decides/s: share of the raw transport's throughput the client keeps",
            "cpu_ratio": client["client_cpu_us_per_call"] / max(base["client_cpu_us_per_call"], 1e-3),
            "cpu_ratio_meaning": f"{client['transport']} / {raw} load-generator CPU per decide"}


def closed_bench(name: str, figure: str, service: Callable[[], ContextManager[Served]], quick: bool) -> dict[str, Any]:
    """The closed-loop grid of one transport beside the in-process one; headline: decides/s with 4 clients and
    the 10x4 payload, ratio over in-process. The appliance's client runs the same grid (``--quick``: its headline
    cell) on the same daemon, reported as ``client``: its ratio over the raw transport."""
    reference, cells = beside_in_process(name, service, lambda t, n, pid: closed_grid(t, n, pid, quick),
                                         lambda t, n, pid: closed_grid(t, n, pid, quick, headline_only=quick))
    head = dict(clients=HEADLINE_CLIENTS, payload=HEADLINE_PAYLOAD)
    ours, ref = _headline([c for c in cells if c["transport"] == name], "per_s", **head), _headline(reference, "per_s", **head)
    client = {"client": _client_overhead(cells, name, head)} if any(c["transport"].startswith("client-") for c in cells) else {}
    return {"figure": f"{figure}, closed loop, {HEADLINE_CLIENTS} clients, {HEADLINE_PAYLOAD} payload, answered once durable",
            "unit": "decides/s", **ours,
            "reference": {"name": f"in-process loop.decide + WAL ticket wait, {HEADLINE_CLIENTS} threads", **ref},
            "ratio": ours["median"] / ref["median"], "ratio_meaning": "ours / reference: share of in-process throughput",
            **client, "grid": reference + cells}


def bench_http_decide(quick: bool) -> dict[str, Any]:
    """Closed-loop durable decides per second over HTTP, 4 clients, 10x4; reference: in process, same grid."""
    return closed_bench("http", "POST /api/decide over keep-alive HTTP/1.1", http_daemon, quick)


def bench_grpc_decide(quick: bool) -> dict[str, Any]:
    """Closed-loop durable decides per second over unary gRPC Decide; reference: in process, same grid."""
    return closed_bench("grpc-unary", "wabbit.v1 Decide, unary gRPC", lambda: grpc_daemon(streamed=False), quick)


def bench_grpc_stream(quick: bool) -> dict[str, Any]:
    """Closed-loop durable decides per second over gRPC DecideStream (windows of 16 per client); reference: in process."""
    from appliance.bench.client_grpc import WINDOW

    return closed_bench("grpc-stream", f"wabbit.v1 DecideStream, windows of {WINDOW} per client",
                        lambda: grpc_daemon(streamed=True), quick)


@dataclass(frozen=True)
class OpenGrid:
    """The open loop's cells: clients x payloads x (constant, Poisson) arrivals, each offered ``rate`` decides a
    second for ``seconds`` (a windowed stream's calls fall due ``rate / window`` times a second)."""

    clients: tuple[int, ...]
    payloads: tuple[str, ...]
    rate: float
    seconds: float


QUICK_OPEN = OpenGrid((1, HEADLINE_CLIENTS), (HEADLINE_PAYLOAD,), 300.0, 1.0)
FULL_OPEN = OpenGrid((1, 4, 16), tuple(PAYLOADS), GOAL_RATE, 3.0)


def open_cells(transport: Transport, name: str, pid: int | None, grid: OpenGrid) -> list[dict[str, Any]]:
    """Every clients x payload x arrivals cell of the open loop for one transport, after a warm-up."""
    per_call = getattr(transport, "items_per_call", 1)
    closed_loop(transport, PAYLOADS[HEADLINE_PAYLOAD], HEADLINE_CLIENTS, max(HEADLINE_CLIENTS, 100 // per_call))
    return [_cell(transport, lambda t: open_loop(t, PAYLOADS[p], c, grid.rate / per_call, grid.seconds, process, seed=7),
                  pid, transport=name, payload=p, arrivals=process, rate=grid.rate)
            for p in grid.payloads for c in grid.clients for process in ("constant", "poisson")]


def open_bench(name: str, what: str, service: Callable[[], ContextManager[Served]], grid: OpenGrid) -> dict[str, Any]:
    """The open-loop grid of one transport beside the in-process one; headline: the p99 (from the intended send
    time) of Poisson arrivals with 4 clients and the 10x4 payload, ratio over in-process at the same rate."""
    reference, cells = beside_in_process(name, service, lambda t, n, pid: open_cells(t, n, pid, grid))
    head = dict(arrivals="poisson", clients=HEADLINE_CLIENTS, payload=HEADLINE_PAYLOAD)
    ours, ref = _headline(cells, "p99", **head), _headline(reference, "p99", **head)
    poisson = next(c for c in cells if all(c[k] == v for k, v in head.items()))
    return {"figure": f"{what} p99 latency from the intended send time, Poisson arrivals at {grid.rate:g} decides/s, "
            f"{HEADLINE_CLIENTS} clients, {HEADLINE_PAYLOAD} payload", "unit": "ms", **ours,
            "reference": {"name": "in-process loop.decide + WAL ticket wait at the same rate", **ref},
            "ratio": ours["median"] / max(ref["median"], 1e-3), "ratio_meaning": "ours / reference: p99 overhead factor",
            "per_s": poisson["per_s"], "drops": poisson["drops"], "grid": reference + cells}


def _open_grid(quick: bool) -> OpenGrid:
    return QUICK_OPEN if quick else FULL_OPEN


def bench_http_open_loop(quick: bool) -> dict[str, Any]:
    """p99 latency (from the intended send time) of decides over HTTP at a fixed rate; reference: in process."""
    return open_bench("http", "POST /api/decide", http_daemon, _open_grid(quick))


def bench_grpc_open_loop(quick: bool) -> dict[str, Any]:
    """p99 latency (from the intended send time) of unary gRPC Decide at a fixed rate; reference: in process."""
    return open_bench("grpc-unary", "wabbit.v1 Decide (unary gRPC)", lambda: grpc_daemon(streamed=False), _open_grid(quick))


def bench_grpc_stream_open_loop(quick: bool) -> dict[str, Any]:
    """p99 round trip (from the intended send time) of DecideStream windows at a fixed rate; reference: in process."""
    from appliance.bench.client_grpc import WINDOW

    return open_bench("grpc-stream", f"wabbit.v1 DecideStream, windows of {WINDOW} per client: a window's",
                      lambda: grpc_daemon(streamed=True), _open_grid(quick))


BENCHMARKS = {"client.http.decide": bench_http_decide, "client.http.open_loop": bench_http_open_loop,
              "client.grpc.decide": bench_grpc_decide, "client.grpc.stream": bench_grpc_stream,
              "client.grpc.open_loop": bench_grpc_open_loop, "client.grpc.stream_open_loop": bench_grpc_stream_open_loop}

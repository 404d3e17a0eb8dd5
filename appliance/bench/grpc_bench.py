"""gRPC benchmarks against a real ``wabbit run`` with ``server.grpc`` on loopback (needs the ``grpc`` extra).

- ``grpc.predict_stream``: examples per second predicted through ``PredictStream`` (batches of 100, one
  stream), against the same examples predicted by pyvw in process: the issue asks for at least 0.5.
- ``grpc.decide``: durable decisions per second with 4 clients, unary ``Decide`` and streamed ``DecideStream``,
  with latency percentiles, and streamed in batches of 100 decisions a message (``batched``, its latency a batch's
  round trip); the reference is the issue's goals (3,000/s unary, 10,000/s streamed).
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from appliance.bench.http_bench import _context, free_port, start_daemon
from appliance.bench.measure import summarize

CONFIG = "join:\n  reward_wait_s: 5\nsimulation:\n  decision_every_s: 3600\nserver:\n  grpc:\n    enabled: true\n    port: {port}\n"
CLIENTS = 4
BATCH = 100
DECIDE_BATCH = 100
ARGUMENTS = "--oaa 10"


def _examples(n: int) -> list[str]:
    return [f"| {' '.join(f'f{(i * 7 + j) % 500}:{(j % 5) / 5 + 0.1:.2f}' for j in range(20))}" for i in range(n)]


class _Daemon:
    """``wabbit run`` with its gRPC API, once ``/healthz`` answers (its gRPC port is bound before that)."""

    def __init__(self, tmp: Path) -> None:
        import grpc

        port = free_port()
        self.proc, _, token = start_daemon(tmp, CONFIG.format(port=port))
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.metadata = (("authorization", f"Bearer {token}"),)

    def close(self) -> None:
        self.channel.close()
        self.proc.terminate()
        self.proc.wait(30)


def _in_process_predict(examples: list[str]) -> float:
    import vowpalwabbit

    workspace = vowpalwabbit.Workspace(f"{ARGUMENTS} --quiet")
    for text in examples[:200]:
        workspace.learn(f"{1 + len(text) % 10} {text}")
    start = time.perf_counter()
    for text in examples:  # the fastest pyvw path: its parser, predict, finish (Workspace.predict(str) is slower)
        parsed = workspace.parse(text)
        workspace.predict(parsed)
        workspace.finish_example(parsed)
    seconds = time.perf_counter() - start
    workspace.finish()
    return len(examples) / seconds


def bench_predict_stream(quick: bool) -> dict[str, Any]:
    """Examples/s through PredictStream vs pyvw's own predict of the same examples in process."""
    from appliance.grpc import stubs

    examples = _examples(5_000 if quick else 50_000)
    serving, management = stubs.serving(), stubs.management()
    with tempfile.TemporaryDirectory() as tmp:
        daemon = _Daemon(Path(tmp))
        try:
            management.rpc.ManagementStub(daemon.channel).CreateModel(
                management.pb.CreateModelRequest(name="bench", vw_arguments=ARGUMENTS), metadata=daemon.metadata)
            stub = serving.rpc.ServingStub(daemon.channel)
            stub.Learn(iter([serving.pb.LearnRequest(model="bench", examples=[f"{1 + len(t) % 10} {t}" for t in examples[:200]])]),
                       metadata=daemon.metadata)

            def batches() -> Iterator[Any]:
                for i in range(0, len(examples), BATCH):
                    yield serving.pb.PredictRequest(model="bench", examples=examples[i:i + BATCH])

            start = time.perf_counter()
            answered = sum(len(r.predictions) for r in stub.PredictStream(batches(), metadata=daemon.metadata))
            per_s = answered / (time.perf_counter() - start)
        finally:
            daemon.close()
    local = _in_process_predict(examples)
    return {"figure": f"examples predicted per second through gRPC PredictStream (batches of {BATCH}, one stream, {ARGUMENTS}, "
                      "20 features)", "unit": "examples/s", "median": per_s, "examples": answered,
            "reference": {"name": "pyvw parse + predict + finish_example of the same text examples, in process", "median": local},
            "ratio": per_s / local, "goal": 0.5}


def _decide_clients(daemon: _Daemon, n: int, streamed: bool, batch: int = 0) -> tuple[list[float], float]:
    """``n`` decisions from each of 4 clients: unary, or over one DecideStream each (one decision a message, or
    ``batch`` a message); the latencies (ms) are per message, and the rate counts decisions."""
    from appliance.grpc import stubs

    serving = stubs.serving()
    stub, pb = serving.rpc.ServingStub(daemon.channel), serving.pb
    latencies: list[float] = []

    def request(i: int) -> Any:
        return pb.DecideRequest(context={ns: pb.Namespace(features=f) for ns, f in _context(i).items()})

    def unary(offset: int) -> None:
        for i in range(offset, offset + n // CLIENTS):
            t0 = time.perf_counter()
            stub.Decide(request(i), metadata=daemon.metadata)
            latencies.append((time.perf_counter() - t0) * 1000)

    def stream(offset: int) -> None:
        sent: list[float] = []

        def requests() -> Iterator[Any]:
            for i in range(offset, offset + n // CLIENTS):
                sent.append(time.perf_counter())
                yield request(i)

        for k, _ in enumerate(stub.DecideStream(requests(), metadata=daemon.metadata)):
            latencies.append((time.perf_counter() - sent[k]) * 1000)

    def batches(offset: int) -> None:
        sent: list[float] = []

        def requests() -> Iterator[Any]:
            for i in range(offset, offset + n // CLIENTS, batch):
                sent.append(time.perf_counter())
                yield pb.DecideRequest(batch=[request(j) for j in range(i, min(i + batch, offset + n // CLIENTS))])

        for k, _ in enumerate(stub.DecideStream(requests(), metadata=daemon.metadata)):
            latencies.append((time.perf_counter() - sent[k]) * 1000)

    work = batches if batch else stream if streamed else unary
    threads = [threading.Thread(target=work, args=(k * n,)) for k in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, (n // CLIENTS * CLIENTS) / (time.perf_counter() - start)


def bench_decide(quick: bool) -> dict[str, Any]:
    """Durable decisions per second over gRPC with 4 clients, unary and streamed, against the issue's goals."""
    n = 800 if quick else 8000
    with tempfile.TemporaryDirectory() as tmp:
        daemon = _Daemon(Path(tmp))
        try:
            _decide_clients(daemon, 40, streamed=False)  # warm-up
            unary_ms, unary_per_s = _decide_clients(daemon, n, streamed=False)
            stream_ms, stream_per_s = _decide_clients(daemon, n, streamed=True)
            batch_ms, batch_per_s = _decide_clients(daemon, n * 4, streamed=True, batch=DECIDE_BATCH)
        finally:
            daemon.close()
    return {"figure": f"durable Decide calls per second over gRPC (unary), {CLIENTS} concurrent clients", "unit": "decisions/s",
            "median": unary_per_s, "latency_ms": summarize(unary_ms), "reference": {"name": "the issue's goal: 3,000/s", "median": 3000.0},
            "ratio": unary_per_s / 3000.0,
            "streamed": {"figure": f"durable decisions per second over DecideStream, {CLIENTS} streams", "unit": "decisions/s",
                         "median": stream_per_s, "latency_ms": summarize(stream_ms),
                         "reference": {"name": "the issue's goal: 10,000/s", "median": 10000.0}, "ratio": stream_per_s / 10000.0},
            "batched": {"figure": f"durable decisions per second over DecideStream, {CLIENTS} streams, {DECIDE_BATCH} decisions a message",
                        "unit": "decisions/s", "median": batch_per_s, "latency_ms": summarize(batch_ms),
                        "reference": {"name": "the issue's goal: 10,000/s", "median": 10000.0}, "ratio": batch_per_s / 10000.0}}


BENCHMARKS = {"grpc.predict_stream": bench_predict_stream, "grpc.decide": bench_decide}

"""The ``client.grpc.*`` benchmarks in quick mode through ``wabbit bench``: unary Decide and windows over
DecideStream against a real ``wabbit run`` with its gRPC API, closed loop and open loop, beside in-process decide
(PredictStream against pyvw is helper-grpc's ``grpc.predict_stream``)."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from appliance.bench.client_bench import grpc_daemon
from appliance.bench.client_grpc import WINDOW
from appliance.bench.client_load import closed_loop
from appliance.bench.client_transports import PAYLOADS
from tests.bench.quick import QuickRun
from tests.bench.test_client_bench import check_cells, check_client_cell, check_open_loop

pytest.importorskip("hdrh", reason="the loadgen extra: pip install -e '.[loadgen]'")
pytest.importorskip("grpc_tools", reason="the grpc extra: pip install -e '.[grpc]'")


def test_quick_grpc_benchmarks_measure_unary_and_streamed_decides_closed_and_open(quick_run: QuickRun) -> None:
    results = quick_run.results("client.grpc.")
    assert set(results) == {"client.grpc.decide", "client.grpc.stream", "client.grpc.open_loop", "client.grpc.stream_open_loop"}
    for name, transport in (("client.grpc.decide", "grpc-unary"), ("client.grpc.stream", "grpc-stream")):
        result = results[name]
        assert result["unit"] == "decides/s" and result["median"] > 0, result
        assert result["ratio"] == pytest.approx(result["median"] / result["reference"]["median"])
        cells = result["grid"]
        assert {c["transport"] for c in cells} == {"in-process", transport} | ({"client-grpc"} if transport == "grpc-unary" else set())
        assert {(c["clients"], c["payload"]) for c in cells if c["transport"] == transport} == {
            (n, p) for n in (1, 4) for p in ("10x4", "20x50")}
        check_cells(cells)
    check_client_cell(results["client.grpc.decide"], "grpc-unary", "client-grpc")
    assert "client" not in results["client.grpc.stream"]  # the client's decide_many opens a stream per call: no match
    streamed = [c for c in results["client.grpc.stream"]["grid"] if c["transport"] == "grpc-stream"]
    assert all(c["calls"] == 20 for c in streamed)  # windows of 16 decisions: 200 // 16 would be 12, at least 20
    check_open_loop(results["client.grpc.open_loop"], "grpc-unary")
    check_open_loop(results["client.grpc.stream_open_loop"], "grpc-stream", per_call=WINDOW)  # 18 windows of 16 fall due


def threads_once_ended(floor: int, within_s: float) -> int:
    """The thread count once it has fallen to ``floor`` (callers let go end within a moment), or after ``within_s``."""
    deadline = time.monotonic() + within_s
    while threading.active_count() > floor and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    return threading.active_count()


@pytest.mark.parametrize("streamed", [True, False], ids=["grpc-stream", "client-grpc"])
def test_a_client_let_go_ends_its_stream_or_its_client(streamed: bool) -> None:
    # Each run opens a DecideStream (or an appliance client, with its event loop thread) per client; once the run
    # lets go of its callers they must end, or every cell of a grid would leave threads (and the daemon's streams)
    # behind.
    with grpc_daemon(streamed) as (raw, _, client):
        transport = raw if streamed else client
        assert transport is not None
        start = threading.active_count()
        closed_loop(transport, PAYLOADS["10x4"], 1, 1)
        before = threads_once_ended(start, 5)  # the warm-up's caller has ended too; a thread the channel keeps still counts
        assert closed_loop(transport, PAYLOADS["10x4"], 8, 8).completed == 8
        assert threads_once_ended(before, 10) <= before, [t.name for t in threading.enumerate()]

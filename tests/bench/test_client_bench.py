"""The client load generator (open and closed loop) and the ``client.http.*`` benchmarks in quick mode, through
``wabbit bench``: the session's quick run (conftest.py), whose history the CLI's test checks (gRPC:
test_client_grpc_bench.py)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from appliance.bench.client_load import Caller, closed_loop, open_loop
from tests.bench.quick import QuickRun

pytest.importorskip("hdrh", reason="the loadgen extra: pip install -e '.[loadgen]'")


class Stalling:
    """A fake service that answers in 1 ms, except the ``stall_at``-th call, which takes ``stall_s``."""

    def __init__(self, stall_at: int, stall_s: float) -> None:
        self.calls, self.stall_at, self.stall_s = 0, stall_at, stall_s
        self.lock = threading.Lock()

    def open(self) -> Caller:
        def call(payload: Any) -> None:
            with self.lock:
                self.calls += 1
                n = self.calls
            time.sleep(self.stall_s if n == self.stall_at else 0.001)
        return call


def test_open_loop_charges_a_stall_to_every_request_it_delays() -> None:
    # 100/s for 1 s through one client; the 10th call stalls 300 ms, so ~30 requests fall due while it hangs.
    # Measured from their intended send times they all see it; measured from the actual send, only one would.
    result = open_loop(Stalling(10, 0.3), None, concurrency=1, rate=100.0, seconds=1.0)
    latencies_ms = [us / 1000 for us in result.latencies_us[0]]
    assert result.completed == 100 and result.drops == 0
    assert sum(ms > 150 for ms in latencies_ms) >= 10
    assert result.percentiles_ms()["p90"] > 100
    closed = closed_loop(Stalling(10, 0.3), None, concurrency=1, calls=100)
    assert sum(us > 150_000 for us in closed.latencies_us[0]) == 1  # the closed loop hides the queue behind the stall


def test_failures_and_requests_past_the_deadline_are_drops() -> None:
    class Failing:
        def open(self) -> Caller:
            def call(payload: Any) -> None:
                raise ConnectionError("refused")
            return call

    result = open_loop(Failing(), None, concurrency=2, rate=50.0, seconds=0.2)
    assert result.completed == 0 and result.drops == 10 and result.errors[0] == "ConnectionError: refused"
    slow = open_loop(Stalling(1, 2.0), None, concurrency=1, rate=100.0, seconds=0.1, grace_s=0.5)
    assert slow.completed < 10 and slow.drops == 10 - slow.completed


def check_cells(cells: list[dict[str, Any]]) -> None:
    """Every closed-loop cell answered all its calls (an open-loop one may drop what a loaded machine could not
    answer in time); ordered percentiles and the costs of both sides."""
    for cell in cells:
        assert cell["calls"] > 0 and (cell["drops"] == 0 if cell["mode"] == "closed" else cell["drops"] >= 0), cell
        assert 0 < cell["p50"] <= cell["p90"] <= cell["p99"] <= cell["p99.9"] <= cell["max"], cell
        assert cell["per_s"] > 0 and cell["client_cpu_us_per_call"] > 0 and cell["client_rss_mb"] > 10
        if cell["transport"] != "in-process":
            assert cell["server_cpu_us_per_call"] > 0 and cell["server_rss_mb"] > 10


def check_client_cell(result: dict[str, Any], raw: str, client: str) -> None:
    """A closed-loop entry in quick mode also ran the appliance's client on the same daemon, at the headline cell
    only (4 clients, 10x4, 200 calls), and reports it as a ratio over the raw transport's cell of that run."""
    cells = {(c["transport"], c["clients"], c["payload"]): c for c in result["grid"]}
    assert [key for key in cells if key[0] == client] == [(client, 4, "10x4")], list(cells)
    ours, base, overhead = cells[(client, 4, "10x4")], cells[(raw, 4, "10x4")], result["client"]
    assert ours["calls"] == 200 and ours["drops"] == 0 and "errors" not in ours, ours
    assert client in overhead["name"] and overhead["per_s"] == ours["per_s"] and overhead["p99"] == ours["p99"], overhead
    assert overhead["ratio"] == pytest.approx(ours["per_s"] / base["per_s"]) and overhead["ratio"] > 0
    assert overhead["raw_client_cpu_us_per_call"] == base["client_cpu_us_per_call"]
    assert overhead["cpu_ratio"] == pytest.approx(ours["client_cpu_us_per_call"] / base["client_cpu_us_per_call"])
    assert result["median"] == base["per_s"]  # the raw transport stays the headline


OPEN_FIELDS = {"figure", "unit", "median", "repeats", "p50", "p99", "p99.9", "max", "reference", "ratio", "ratio_meaning",
               "per_s", "drops", "grid", "better", "seconds"}


def check_open_loop(result: dict[str, Any], transport: str, per_call: int = 1) -> None:
    """An open-loop entry in quick mode: the same fields for every transport, its headline the Poisson p99 with 4
    clients and 10x4 against in process at the same rate, and a cell per transport x clients (1, 4) x arrivals,
    each offered 300 decides/s for 1 s (``per_call`` decides a call: 300 // per_call calls fall due)."""
    assert set(result) == OPEN_FIELDS, set(result) ^ OPEN_FIELDS
    assert result["unit"] == "ms" and result["better"] == "lower" and result["median"] > 0, result
    assert result["ratio"] == pytest.approx(result["median"] / result["reference"]["median"])
    cells = result["grid"]
    assert {(c["transport"], c["clients"], c["payload"], c["arrivals"]) for c in cells} == {
        (t, n, "10x4", a) for t in ("in-process", transport) for n in (1, 4) for a in ("constant", "poisson")}
    head = next(c for c in cells if (c["transport"], c["clients"], c["arrivals"]) == (transport, 4, "poisson"))
    assert (result["median"], result["per_s"], result["drops"]) == (head["p99"], head["per_s"], head["drops"])
    for cell in cells:
        due = 300 // (1 if cell["transport"] == "in-process" else per_call)
        assert cell["mode"] == "open" and cell["rate"] == 300 and cell["calls"] + cell["drops"] == due, cell
    check_cells(cells)


def test_quick_client_benchmarks_measure_http_against_in_process(quick_run: QuickRun) -> None:
    results = quick_run.results("client.http.")
    assert set(results) == {"client.http.decide", "client.http.open_loop"}
    closed = results["client.http.decide"]
    assert closed["unit"] == "decides/s" and closed["better"] == "higher" and closed["median"] > 0
    assert closed["ratio"] == pytest.approx(closed["median"] / closed["reference"]["median"])
    cells = closed["grid"]
    assert {(c["transport"], c["clients"], c["payload"]) for c in cells} == {
        (t, n, p) for t in ("in-process", "http") for n in (1, 4) for p in ("10x4", "20x50")} | {("client-http", 4, "10x4")}
    check_cells(cells)
    assert all(c["calls"] == 200 for c in cells)
    check_client_cell(closed, "http", "client-http")
    check_open_loop(results["client.http.open_loop"], "http")


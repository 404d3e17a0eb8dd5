"""The four sink overhead benchmarks in quick mode, each against its real receiver on loopback (a directory, an
HTTP server, mosquitto, redis-server): well formed, the sink shipped while the loop ran, and a missing server
is a skip with what to install; the ratio the median of the rounds' own ratios; the CPU-based share beside the wall
one, and where the wall's time went (the loop's thread on a CPU or waiting for one, the shipper's, the receiver's).
Read from the session's quick run (conftest.py)."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from appliance.bench import sinks_bench
from appliance.bench.skip import run_benchmark
from tests.bench.quick import QuickRun
from tests.bench.test_bench_modules import check_compared


@pytest.mark.parametrize("name", ["sinks.overhead", "sinks.http_overhead", "sinks.mqtt_overhead", "sinks.redis_overhead"])
def test_each_sink_costs_the_loop_a_share_of_its_speed(name: str, quick_run: QuickRun) -> None:
    result: dict[str, Any] = quick_run.report["results"][name]
    assert "skipped" not in result, result  # every receiver is installed by tests/run
    check_compared({**result, "ratio": result["ratio_of_medians"]})  # the shared shape, with the ratio of the medians
    assert len(result["round_ratios"]) == 2  # three rounds, the first a warm-up
    assert result["ratio"] == statistics.median(result["round_ratios"])  # the headline: each round's pair, then the median
    assert result["unit"] == "events/s" and result["events"] == 6 * sinks_bench.STRETCH
    assert 0 < result["ratio"] < 2, result  # a sink can slow the loop, not double its speed
    assert 0 < result["shipped_while_running"] <= 1, result  # batches went out while the loop ran, not only after it
    assert result["sink_cpu_us_per_event"] > 0 and result["loop_cpu_us_per_event"] > 0, result  # shipping costs CPU
    cpu = result["loop_cpu_us_per_event"]
    assert result["cpu_ratio"] == pytest.approx(cpu / (cpu + result["sink_cpu_us_per_event"])), result
    running, paused = result["per_event_us"]["running"], result["per_event_us"]["paused"]  # where the clock's time went
    assert running["shipper_cpu"] > 0 and paused["shipper_cpu"] < running["shipper_cpu"], result  # stopped: it ships nothing
    for mode in (running, paused):  # the loop's thread ran or waited for a CPU most of the stretch
        assert 0 < mode["loop_on_cpu"] + mode["loop_waiting_for_cpu"] <= mode["wall"] * 1.001, result
    if name == "sinks.overhead":  # a directory has no receiver of its own (the shipper writes the files)
        assert result["receiver_cpu_us_per_event"] == 0 and running["receiver_cpu"] == 0, result
    else:  # the receiver's process works while the sink ships (counted apart: it is not the appliance's)
        assert result["receiver_cpu_us_per_event"] > 0, result


def test_a_missing_server_skips_its_benchmark_with_what_to_install() -> None:
    def needs_a_missing_server(quick: bool) -> dict[str, Any]:
        return {"server": sinks_bench.installed_program("wabbit-no-such-server", "wabbit-no-such-package")}

    result = run_benchmark(needs_a_missing_server, quick=True)
    assert result == {"skipped": "wabbit-no-such-server is not installed: apt-get install wabbit-no-such-package"}

"""``wabbit bench --only join.seconds`` in quick mode: the shared result shape, and every join's figures."""

from __future__ import annotations

from appliance.bench.registry import all_benchmarks
from tests.bench.test_bench_modules import check_compared


def test_join_seconds_compares_the_joins_on_one_stream() -> None:
    result = all_benchmarks()["join.seconds"](True)
    check_compared(result)
    joins = result["joins"]
    assert set(joins) == {"naive_dict", "appliance_joiner", "durable_sqlite"}
    assert joins["durable_sqlite"]["correct"] and not joins["naive_dict"]["correct"]
    assert all(j["joined"] == result["stream"]["decisions"] and j["peak_records"] > 0 for j in joins.values())
    assert joins["durable_sqlite"]["latency_p50_s"] >= 2.0  # it waits out the grace (the 2 s shipping lag)
    assert result["stream"]["rewards_before_decision"] > 0 and result["stream"]["duplicate_deliveries"] > 0

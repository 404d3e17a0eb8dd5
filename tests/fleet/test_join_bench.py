"""``wabbit bench --only join.seconds`` in quick mode: the shared result shape, and every join's figures.
(``join.spark.*`` takes minutes: tests/fleet/test_spark_join.py runs Spark on such a stream, beside the
durable joiner.)"""

from __future__ import annotations

from appliance.bench.registry import all_benchmarks
from appliance.fleet.streams import SCENARIOS
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
    assert result["stream"]["records_after_input_stops"] > 0  # the stream stops at the last decision, for every join
    assert result["ratios"]["durable_sqlite"] == result["joins"]["durable_sqlite"]["records_per_s"] / joins["naive_dict"]["records_per_s"]
    assert set(result["ratios"]) == {"appliance_joiner", "durable_sqlite"}


def test_spark_is_a_contender_on_every_scenario() -> None:
    names = set(all_benchmarks())
    assert {f"join.{s}" for s in SCENARIOS} | {f"join.spark.{s}" for s in SCENARIOS} <= names

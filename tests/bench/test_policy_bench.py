"""``policy.sklearn`` in quick mode: the shared result shape for the headline and for decide and learn apart."""

from __future__ import annotations

from appliance.bench.policy_bench import bench_sklearn
from appliance.bench.registry import all_benchmarks
from tests.bench.test_bench_modules import check_compared


def test_the_sklearn_policy_is_measured_against_the_vw_policy() -> None:
    assert all_benchmarks()["policy.sklearn"] is bench_sklearn
    result = bench_sklearn(True)
    for r in (result, result["decide"], result["learn"]):
        check_compared(r)
        assert r["ratio"] > 1  # scikit-learn's per-call overhead: well above VW's native calls
    assert result["median"] > result["decide"]["median"]
    assert 0 < result["reward"]["sklearn"] < 1 and 0 < result["reward"]["vw"] < 1


def test_the_linucb_policy_is_measured_against_the_vw_policy() -> None:
    result = all_benchmarks()["policy.linucb"](True)
    for r in (result, result["decide"], result["learn"]):
        check_compared(r)
    assert 0 < result["reward"]["linucb"] < 1 and 0 < result["reward"]["vw"] < 1

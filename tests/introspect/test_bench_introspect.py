"""``wabbit bench``'s introspection figures, quick: well formed, and within the issue's goals."""

from __future__ import annotations

from appliance.bench import introspect_bench
from appliance.bench.registry import all_benchmarks
from tests.bench.test_bench_modules import check_compared, check_summary


def test_varinfo_benchmark_against_the_invert_hash_file() -> None:
    assert {"introspect.varinfo_s", "introspect.explain"} <= set(all_benchmarks())
    r = introspect_bench.bench_varinfo(quick=True)
    check_compared(r)
    assert r["terms"] > 20_000 and r["rows"] == r["terms"]
    assert r["median"] < 1.0  # the full run (50,000 features) is the figure; see docs/benchmarks.md
    check_summary(r["read"])


def test_an_explained_decide_costs_at_most_three_plain_ones() -> None:
    r = introspect_bench.bench_explain(quick=True)
    check_compared(r)
    assert r["ratio"] <= 3.0, r
    check_summary(r["features"])
    assert r["in_process"]["ratio"] > 1

"""Every benchmark of the vw, join, e2e and simulate modules, in quick mode: well formed and sane figures."""

from __future__ import annotations

import math
from typing import Any

import pytest

from appliance.bench import e2e_bench, join_bench, simulate_bench, vw_bench
from appliance.bench.registry import all_benchmarks

MODULES = (vw_bench, join_bench, e2e_bench, simulate_bench)  # quality: tests/bench/test_quality_bench.py
NAMES = [name for module in MODULES for name in module.BENCHMARKS]
SUMMARY = ("median", "p95", "p99", "min", "max", "repeats")


def check_summary(s: dict[str, Any], positive: bool = True) -> None:
    assert all(math.isfinite(s[k]) for k in SUMMARY), s
    assert s["repeats"] >= 2  # never a single run
    assert s["min"] <= s["median"] <= s["p95"] <= s["p99"] <= s["max"], s
    if positive:
        assert s["min"] > 0, s


def check_compared(r: dict[str, Any], positive: bool = True) -> None:
    """The shared result shape: figure, unit, summary, reference summary, and a ratio its meaning explains."""
    assert r["figure"] and r["unit"]
    check_summary(r, positive)
    assert r["reference"]["name"]
    check_summary(r["reference"])
    if r["ratio_meaning"].startswith("ours / reference"):
        expected = r["median"] / r["reference"]["median"]
    else:
        assert r["ratio_meaning"].startswith("reference / ours")
        expected = r["reference"]["median"] / r["median"]
    assert r["ratio"] == pytest.approx(expected)


def test_every_module_is_registered() -> None:
    assert set(NAMES) <= set(all_benchmarks())


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    """Each benchmark is run once, when a test first asks for it."""
    return {}


def run(name: str, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if name not in results:
        results[name] = all_benchmarks()[name](True)
    return results[name]


@pytest.mark.parametrize("name", NAMES)
def test_result_is_well_formed(name: str, results: dict[str, dict[str, Any]]) -> None:
    result = run(name, results)
    check_compared(result)
    for nested in ("events_per_s", "memory_growth"):
        if nested in result:  # memory can shrink when freed pages go back to the system
            check_compared(result[nested], positive=nested != "memory_growth")


def test_vw_text_costs_more_than_pre_parsed(results: dict[str, dict[str, Any]]) -> None:
    for name in ("vw.learn", "vw.predict"):
        assert run(name, results)["ratio"] > 1, name


def test_e2e_latency_sees_every_decision(results: dict[str, dict[str, Any]]) -> None:
    result = run("e2e.closed_loop", results)
    assert result["repeats"] == result["decisions"] >= 300
    assert result["median"] > result["reference"]["median"]  # the loop cannot beat the bare predict it calls


@pytest.mark.slow
def test_simulate_spends_at_most_a_quarter_of_its_time_on_the_world() -> None:
    """``wabbit simulate`` keeps at least 75% of the speed of the loop alone fed the same world drawn in advance.

    The full benchmark (10 000 events, 7 repeats, about 12 s): quick medians move by 0.1 from run to run."""
    result = simulate_bench.BENCHMARKS["simulate.events_per_s"](False)
    check_compared(result)
    assert result["ratio"] >= 0.75, f"simulate {result['median']:.0f} events/s, loop alone {result['reference']['median']:.0f}"
    assert result["world_share"] == pytest.approx(1 - result["ratio"])

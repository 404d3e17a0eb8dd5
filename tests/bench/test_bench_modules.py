"""Every benchmark of the vw, join, e2e, quality and simulate modules, in quick mode: well formed and sane figures."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

from appliance.bench import e2e_bench, join_bench, quality_bench, simulate_bench, vw_bench
from appliance.bench.registry import all_benchmarks

MODULES = (vw_bench, join_bench, e2e_bench, quality_bench, simulate_bench)
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


@pytest.mark.parametrize("world", ["light", "linear", "drift"])
def test_quality_policies(world: str, results: dict[str, dict[str, Any]]) -> None:
    result = run(f"quality.{world}", results)
    policies = result["policies"]
    oracle, ours = policies["oracle"]["avg_reward"]["median"], policies["ours"]["avg_reward"]["median"]
    assert policies["oracle"]["ratio_to_oracle"] == 1.0
    assert result["reference"]["median"] == oracle and result["median"] == ours
    assert oracle >= ours > policies["uniform random"]["avg_reward"]["median"]
    for name, row in policies.items():
        if "skipped" not in row:
            check_summary(row["events_per_s"])
            assert row["ratio_to_oracle"] == pytest.approx(row["avg_reward"]["median"] / oracle), name
    river_rows = [name for name in policies if name.startswith("river")]
    assert river_rows, "river's policies are compared (or their skipping is reported)"


def test_quality_without_river_reports_it_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "river", None)  # as if not installed: importing it raises ImportError
    result = quality_bench.BENCHMARKS["quality.light"](True)
    assert "river is not installed" in result["policies"]["river"]["skipped"]
    assert not [name for name in result["policies"] if name.startswith("river.")]
    check_compared(result)


@pytest.mark.slow
def test_simulate_spends_at_most_a_quarter_of_its_time_on_the_world() -> None:
    """``wabbit simulate`` keeps at least 75% of the speed of the loop alone fed the same world drawn in advance.

    The full benchmark (10 000 events, 7 repeats, about 12 s): quick medians move by 0.1 from run to run."""
    result = simulate_bench.BENCHMARKS["simulate.events_per_s"](False)
    check_compared(result)
    assert result["ratio"] >= 0.75, f"simulate {result['median']:.0f} events/s, loop alone {result['reference']['median']:.0f}"
    assert result["world_share"] == pytest.approx(1 - result["ratio"])

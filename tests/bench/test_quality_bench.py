"""The learning-quality suite in quick mode: every policy kind and library through the same loop, delays and losses,
the shares sane (uniform near random, the oracle's above all), river's LinUCB as the reference or its absence
reported, the `--libraries` view, and the defaults' sweep."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from appliance.bench import quality_bench, sweep_bench
from appliance.cli import main
from appliance.config import VWPolicyConfig
from appliance.policy.base import JoinedEvent
from appliance.registry import REGISTRY
from tests.bench.test_bench_modules import check_compared, check_summary


@pytest.fixture(scope="module")
def wine() -> dict[str, Any]:
    """The quick quality.wine run (3 actions, 400 decisions, 2 seeds): every contender, about 20 s."""
    return quality_bench.BENCHMARKS["quality.wine"](True)


def test_every_policy_kind_and_library_runs_the_same_stream(wine: dict[str, Any]) -> None:
    check_compared(wine)
    policies = wine["policies"]
    assert set(REGISTRY.kinds("policies")) <= set(policies)
    assert {"python epsilon-greedy", "river.LinUCBDisjoint", "linucb forgetting 0.99"} <= set(policies)
    assert wine["reference"]["name"].startswith("river.LinUCBDisjoint")
    assert wine["median"] == policies["vw"]["share_of_oracle"]["median"] and wine["events"] == quality_bench.QUICK[0] and wine["seeds"] == [1, 2]
    for name, row in policies.items():
        check_summary(row["share_of_oracle"], positive=False)
        check_summary(row["events_per_s"])
        assert row["model_bytes"] > 0, name
        assert 0 < row["resident_bytes"] < 2**30, name  # the run's own memory, in a process of its own
        assert row["ratio_to_reference"] == pytest.approx(row["share_of_oracle"]["median"] / wine["reference"]["median"])
        assert row["goal"] is None and row["meets_goal"] is None, name  # wine is held to no goal
    assert abs(policies["uniform"]["share_of_oracle"]["median"] - 1 / 3) < 0.06  # the oracle earns 1, uniform choices a third
    for learner in ("vw", "linucb", "sklearn", "river.LinUCBDisjoint", "python epsilon-greedy"):
        assert policies[learner]["share_of_oracle"]["median"] > 0.6, learner
    assert policies["vw"]["resident_bytes"] > policies["uniform"]["resident_bytes"]  # VW's weight table, native memory


def test_the_libraries_view_prints_them_side_by_side(wine: dict[str, Any]) -> None:
    from appliance.bench.libraries import libraries_table

    table = libraries_table({"quality.wine": wine}).splitlines()
    assert table[0].split() == ["world", "contender", "share", "of", "oracle", "decisions/s", "model", "KB", "resident", "MB"]
    assert len(table) == 2 + len(wine["policies"]) and table[-1].startswith(f"({quality_bench.QUICK[0]} decisions, median over seeds 1..2")


def test_bench_libraries_runs_the_suite_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--libraries", "--list"]) == 0
    names = capsys.readouterr().out.split()
    assert {f"quality.{entry}" for entry in quality_bench.SUITE} | {"quality.sweep"} <= set(names)


def test_without_river_the_oracle_is_the_reference_and_river_is_reported_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "river", None)  # as if not installed: importing it raises ImportError
    made, skipped = quality_bench.contenders()
    assert "river is not installed" in skipped["river"] and not [name for name in made if name.startswith("river")]


def test_the_default_and_the_second_order_policy_are_each_held_to_their_goals() -> None:
    assert quality_bench.GOALS_OF == {"vw": quality_bench.GOALS, "linucb": quality_bench.SECOND_ORDER_GOALS}
    assert quality_bench.SECOND_ORDER_GOALS == {"light": 0.95, "linear": 0.99, "digits": 0.90}
    assert quality_bench.goal_of("linucb", "linear", 0.985) == {"goal": 0.99, "meets_goal": False}
    assert quality_bench.goal_of("linucb", "digits", 0.90) == {"goal": 0.90, "meets_goal": True}
    assert quality_bench.goal_of("vw", "drift_2500", 0.71) == {"goal": 0.70, "meets_goal": True}
    assert quality_bench.goal_of("linucb forgetting 0.99", "light", 0.99) == {"goal": None, "meets_goal": None}


def test_drift_intervals_scale_with_the_events() -> None:
    assert quality_bench.config_of("drift", 1, 10_000).world().drift_every == 5000
    assert quality_bench.config_of("drift_2500", 1, 600).world().drift_every == 150


def test_the_sweep_screens_the_candidates_then_ranks_the_finalists_against_the_defaults() -> None:
    result = sweep_bench.BENCHMARKS["quality.sweep"](True)
    check_compared(result)
    assert list(result["screen"]["shares"]) == list(sweep_bench.QUICK_CANDIDATES)
    assert result["screen"]["order"] == sweep_bench.ranked(result["screen"]["shares"])
    finalists = [sweep_bench.DEFAULTS, next(name for name in result["screen"]["order"] if name != sweep_bench.DEFAULTS)]
    assert list(result["shares"]) == finalists and result["best"] == sweep_bench.ranked(result["shares"])[0]
    for name, by_entry in result["shares"].items():
        assert set(by_entry) == set(sweep_bench.QUICK_ENTRIES) and result["shortfall"][name] == sweep_bench.shortfall(by_entry)
    assert result["ratio"] == pytest.approx(result["scores"][sweep_bench.DEFAULTS] / result["scores"][result["best"]])
    assert result["defaults"]["learning_rate"] == VWPolicyConfig.model_fields["learning_rate"].default


@pytest.mark.parametrize("name", list(sweep_bench.CANDIDATES))
def test_every_candidate_is_a_config_its_policy_starts_with(name: str) -> None:
    """Each point of the sweep validates and its policy (VW, or the kind it names) takes its options: a candidate can
    become the default."""
    config = quality_bench.config_of("light", 1, 100)
    policy = sweep_bench.candidate(name)(config)
    options = sweep_bench.CANDIDATES[name]
    assert type(policy).__name__ == ("LinUCBPolicy" if options.get("type") == "linucb" else "VWPolicy")
    decision = policy.decide({"audio": {"level": 0.5}, "video": {"brightness": 0.2}, "time": {"h20": 1.0}}, "e1", 0.0)
    policy.learn(JoinedEvent(decision, 1.0, "on_time", 1, 0.0))
    assert sum(decision.pmf) == pytest.approx(1.0) and policy.model_version == 1


def test_a_slice_of_the_sweep_prints_its_medians(capsys: pytest.CaptureFixture[str]) -> None:
    assert sweep_bench.main(["--candidates=--l2*", "--entries", "wine", "--events", "60", "--seeds", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["events"] == 60 and list(printed["medians"]) == ["--l2 1e-6"] and 0 < printed["medians"]["--l2 1e-6"]["wine"] <= 1
    assert printed["shares"]["--l2 1e-6"]["wine"] == [printed["medians"]["--l2 1e-6"]["wine"]]  # one seed
    assert sweep_bench.main(["--candidates", "nothing*"]) == 2 and "update coin" in capsys.readouterr().out  # unknown: the list

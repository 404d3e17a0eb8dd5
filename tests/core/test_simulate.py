"""Simulated worlds: the policy earns close to the oracle and far above random; the CLI says what is wrong;
every world keeps the World contract (seeded, one expected reward per action, rewards drawn around it)."""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.config.simulation import SimulationConfig
from appliance.errors import ConfigError
from appliance.loop import Loop
from appliance.simulate import check_world_actions, simulate
from appliance.simulated import SimulatedDevices
from appliance.worlds import WORLDS, LightWorld, best_action, build_world

KEYS = {"events", "avg_reward", "oracle_avg_reward", "random_avg_reward", "late_rewards", "default_rewards", "events_per_s", "log"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appliance", "simulate", *args], capture_output=True, text=True)


@pytest.mark.slow
def test_light_20000_events_reaches_90_percent_of_the_oracle() -> None:
    out = run("--world", "light", "--events", "20000", "--seed", "1", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert KEYS <= set(result)
    assert result["events"] == 20000
    assert result["avg_reward"] >= 0.9 * result["oracle_avg_reward"]
    assert result["avg_reward"] - result["random_avg_reward"] >= 0.5 * (result["oracle_avg_reward"] - result["random_avg_reward"])
    assert result["late_rewards"] > 0 and result["default_rewards"] > 0  # delays and misses really happened
    assert len(Path(result["log"]).read_text().splitlines()) == 20000


@pytest.mark.parametrize("world", ["linear", "drift"])
def test_linear_worlds_learn(world: str, tmp_path: Path) -> None:
    config = AppConfig.model_validate({"simulation": {"world": world, "seed": 2, "drift_every": 2500}})
    result = simulate(config, 6000, tmp_path)
    gap = result["oracle_avg_reward"] - result["random_avg_reward"]
    assert result["avg_reward"] - result["random_avg_reward"] > 0.5 * gap


def test_drift_is_followed(tmp_path: Path) -> None:
    """After preferences rotate, the policy catches up: the last stretch beats random clearly."""
    base = {"world": "drift", "seed": 3, "drift_every": 3000}
    before = simulate(AppConfig.model_validate({"simulation": base}), 3000, tmp_path / "a")
    after = simulate(AppConfig.model_validate({"simulation": base}), 6000, tmp_path / "b")
    second_half = (after["avg_reward"] * 6000 - before["avg_reward"] * 3000) / 3000
    oracle_second = (after["oracle_avg_reward"] * 6000 - before["oracle_avg_reward"] * 3000) / 3000
    random_second = (after["random_avg_reward"] * 6000 - before["random_avg_reward"] * 3000) / 3000
    assert second_half - random_second > 0.4 * (oracle_second - random_second)


def test_same_seed_same_result(tmp_path: Path) -> None:
    config = AppConfig.model_validate({"simulation": {"seed": 5}})
    a = simulate(config, 500, tmp_path / "a")
    b = simulate(config, 500, tmp_path / "b")
    assert a["avg_reward"] == b["avg_reward"] and Path(a["log"]).read_text() == Path(b["log"]).read_text()


@pytest.mark.parametrize(("args", "words"), [
    (["--world", "moon"], "unknown world 'moon'"),
    (["--events", "0"], "--events must be between"),
    (["--seed", "-1"], "--seed must be >= 0"),
    (["--events", "many"], "invalid int value"),
])
def test_bad_arguments_exit_2_with_one_line(args: list[str], words: str) -> None:
    out = run(*args)
    assert out.returncode == 2
    assert words in out.stderr and len(out.stderr.strip().splitlines()) <= 2


def test_actions_the_world_does_not_have_are_refused_by_name(tmp_path: Path) -> None:
    """The world scores its own actions: a config declaring others is a config error naming the world's, not a KeyError."""
    config = tmp_path / "linucb.yaml"
    config.write_text("policy: {type: linucb, actions: [{id: warm}, {id: cool}, {id: red}, {id: blue}]}\n")
    out = run("--world", "linear", "--events", "10", "--config", str(config))
    assert out.returncode == 2, out.stderr
    assert "warm, cool, red, blue are not actions of the linear world" in out.stderr and "a0" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(("declared", "named"), [
    (["a0", "warm"], "warm is not an action of the linear world"),
    (["warm", "a1", "hot"], "warm, hot are not actions of the linear world"),
])
def test_the_actions_a_world_does_not_have_are_named_in_a_sentence(declared: list[str], named: str) -> None:
    with pytest.raises(ConfigError) as err:
        check_world_actions("linear", declared, ["a0", "a1"])
    assert str(err.value).startswith(f"policy.actions: {named}, which scores a0, a1: ")


def test_the_oracle_and_random_choose_among_the_policys_actions(tmp_path: Path) -> None:
    """A policy given two of the world's four actions is measured against the oracle and random choices among those
    two, recomputed from the world's expected rewards at each step (the oracle was the best of all four, which the
    policy could never choose: it reported 0.31 of the oracle for 0.98 of what it could earn)."""
    config = AppConfig.model_validate({"simulation": {"world": "linear", "seed": 1},
                                       "policy": {"type": "linucb", "actions": [{"id": "a0"}, {"id": "a2"}]}})
    result = simulate(config, 300, tmp_path)
    world = build_world(config.world())
    ids = [a.id for a in world.actions]
    expected = [world.expected_rewards(world.context(step), step) for step in range(300)]  # contexts drawn in order
    offered = [[rewards[ids.index("a0")], rewards[ids.index("a2")]] for rewards in expected]
    oracle, uniform = statistics.fmean(map(max, offered)), statistics.fmean(map(statistics.fmean, offered))
    assert (result["oracle_avg_reward"], result["random_avg_reward"]) == pytest.approx((oracle, uniform))
    assert result["random_avg_reward"] < result["avg_reward"] <= result["oracle_avg_reward"]


@pytest.mark.parametrize("name", WORLDS)
def test_world_contract(name: str) -> None:
    config = SimulationConfig(world=name, seed=7, drift_every=100)
    world, twin, other = build_world(config), build_world(config), build_world(config.model_copy(update={"seed": 8}))
    contexts = [world.context(step) for step in range(600)]  # more than one block drawn ahead
    assert contexts == [twin.context(step) for step in range(600)]  # the same seed, the same contexts
    assert contexts[:5] != [other.context(step) for step in range(5)]
    for step, context in enumerate(contexts):
        assert sorted(context) == sorted(world.context_namespaces)
        expected = world.expected_rewards(context, step)
        assert expected == twin.expected_rewards(context, step)
        assert len(expected) == len(world.actions) and all(type(e) is float for e in expected)
        assert best_action(world, context, step) == world.actions[expected.index(max(expected))].id


@pytest.mark.parametrize("name", WORLDS)
def test_rewards_are_drawn_around_the_expected_reward(name: str) -> None:
    world, rng = build_world(SimulationConfig(world=name, seed=1)), random.Random(0)
    for mean in (0.1, 0.5, 0.9):
        draws = [world.reward(mean, rng) for _ in range(4000)]
        assert statistics.fmean(0.0 if r is None else r for r in draws) == pytest.approx(mean, abs=0.03)
        if name == "light":  # a press (1.0) or nothing
            assert set(draws) == {1.0, None}


def test_light_expected_rewards_follow_the_hour_sound_and_light() -> None:
    world = LightWorld()
    loud_dark_evening = {"time": {"h20": 1.0}, "audio": {"level": 0.9}, "video": {"brightness": 0.1}}
    assert world.expected_rewards(loud_dark_evening, 0) == pytest.approx([0.49, 0.22, 0.76, 0.31])
    quiet_bright_morning = {"time": {"h7": 1.0}, "audio": {"level": 0.0}, "video": {"brightness": 1.0}}
    assert world.expected_rewards(quiet_bright_morning, 0) == pytest.approx([0.1, 0.9, 0.2, 0.5])
    loud_bright_day = {"time": {"h12": 1.0}, "audio": {"level": 1.0}, "video": {"brightness": 1.0}}
    assert world.expected_rewards(loud_bright_day, 0)[0] == 0.02  # never below a 2% chance
    assert best_action(world, loud_dark_evening, 0) == "red" and best_action(world, quiet_bright_morning, 0) == "cool"


def stepped(config: AppConfig, tmp_path: Path, n: int) -> tuple[Loop, SimulatedDevices]:
    """The daemon's loop and its simulated devices (on a fake clock) after ``n`` decisions, the loop closed."""
    clock = FakeClock()
    loop = open_loop(config, clock, tmp_path, durable=False)
    devices = SimulatedDevices(build_world(config.world()), config.world(), loop, clock)
    for _ in range(n):
        devices.step()
        loop.tick()
        clock.advance(config.world().decision_every_s)
    loop.close()
    return loop, devices


def test_simulated_devices_judge_every_decision_and_deliver_rewards(tmp_path: Path) -> None:
    """The daemon's simulated devices use the same World calls as ``wabbit simulate``."""
    config = AppConfig.model_validate({"simulation": {"seed": 3, "delay": {"distribution": "fixed", "mean_s": 2.0}}})
    loop, devices = stepped(config, tmp_path, 400)
    stats = devices.stats()
    assert stats["decisions"] == 400 and sorted(stats["context"]) == ["audio", "time", "video"]
    assert 0.0 < stats["avg_expected_reward"] <= stats["oracle_avg_reward"] <= 0.98
    assert loop.learner.baseline.reward_sum > 100  # about half the colours please, and their presses reached the loop


def test_simulated_devices_judge_the_oracle_among_the_configs_actions(tmp_path: Path) -> None:
    """A daemon whose config declares two of the light world's four actions: its oracle is the better of those two at
    each decision (it was the best of all four, out of the policy's reach), recomputed from the world."""
    config = AppConfig.model_validate({"simulation": {"seed": 3}, "policy": {"type": "linucb", "actions": [{"id": "warm"}, {"id": "blue"}]}})
    _, devices = stepped(config, tmp_path, 100)
    again = build_world(config.world())
    ids = [a.id for a in again.actions]
    expected = [again.expected_rewards(again.context(step), step) for step in range(100)]
    oracle = statistics.fmean(max(rewards[ids.index("warm")], rewards[ids.index("blue")]) for rewards in expected)
    assert devices.stats()["oracle_avg_reward"] == pytest.approx(oracle)


@pytest.mark.parametrize("world", ["light", "linear", "drift"])
def test_a_config_tuning_only_the_policy_runs_on_the_worlds_actions(world: str, tmp_path: Path) -> None:
    """`policy: {type: linucb}` alone: the simulated world supplies the actions, whichever `--world` is chosen."""
    config = tmp_path / "linucb.yaml"
    config.write_text("policy: {type: linucb}\n")
    out = run("--world", world, "--events", "200", "--json", "--config", str(config), "--log-dir", str(tmp_path / "log"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["events"] == 200 and result["learned"] == 200 and result["avg_reward"] > 0


def test_simulate_takes_a_policy_without_actions_from_the_worlds(tmp_path: Path) -> None:
    config = AppConfig.model_validate({"simulation": {"world": "linear"}, "policy": {"exploration": {"type": "epsilon", "epsilon": 0.05}}})
    result = simulate(config, 300, tmp_path)
    assert result["events"] == 300 and result["learned"] == 300
    offered = {tuple(m["_id"] for m in json.loads(line)["c"]["_multi"]) for line in Path(result["log"]).read_text().splitlines()}
    assert offered == {tuple(a.id for a in build_world(SimulationConfig(world="linear")).actions)}


def test_the_daemons_loop_runs_a_policy_without_actions_on_the_worlds(tmp_path: Path) -> None:
    """`wabbit run` with only the exploration tuned: the loop the daemon assembles decides among the world's actions."""
    config = AppConfig.model_validate({"policy": {"exploration": {"type": "epsilon", "epsilon": 0.05}}})
    loop, devices = stepped(config, tmp_path, 50)
    actions = [str(a) for a in loop.policy.actions]
    assert actions == [a.id for a in LightWorld(0).actions] and devices.stats()["decisions"] == 50


def test_a_sweeps_line_names_the_share_of_the_oracles_reward_as_a_share(tmp_path: Path) -> None:
    """Each run's line gives its reward and that reward's share of the oracle's, worded so the share cannot be read
    as the oracle's own reward."""
    import re

    grid = tmp_path / "grid.yaml"
    grid.write_text("learning_rate: [0.5]\n")
    out = run("--world", "light", "--events", "300", "--seed", "1", "--sweep", str(grid), "--log-dir", str(tmp_path / "logs"))
    assert out.returncode == 0, out.stderr
    found = re.search(r"avg_reward ([\d.]+), ([\d.]+) of the oracle's reward  \d+ events/s", out.stdout)
    assert found is not None, out.stdout
    again = json.loads(run("--world", "light", "--events", "300", "--seed", "1", "--sweep", str(grid), "--json",
                           "--log-dir", str(tmp_path / "logs2")).stdout)["runs"][0]
    assert float(found[1]) == pytest.approx(again["avg_reward"], abs=1e-4)
    assert float(found[2]) == pytest.approx(again["avg_reward"] / again["oracle_avg_reward"], abs=1e-3)


def test_a_sweep_over_a_world_where_the_oracle_earns_nothing_says_so(tmp_path: Path) -> None:
    """The wine world with seed 2 opens on three wines of cultivar c1; a policy offered only c0 and c2 can earn nothing
    there, nor can the oracle among those two: the line says the share is not available (it divided by 0)."""
    pytest.importorskip("sklearn")
    config, grid = tmp_path / "wabbit.yaml", tmp_path / "grid.yaml"
    config.write_text("policy: {actions: [{id: c0}, {id: c2}]}\n")
    grid.write_text("learning_rate: [0.5]\n")
    out = run("--world", "wine", "--events", "3", "--seed", "2", "--config", str(config), "--sweep", str(grid),
              "--log-dir", str(tmp_path / "logs"))
    assert out.returncode == 0, out.stderr
    assert "avg_reward 0.0000, n/a of the oracle's reward (the oracle earned 0)  " in out.stdout, out.stdout


@pytest.mark.parametrize("sweep", [[], ["--sweep", "{learning_rate: [0.5]}"]])
def test_a_log_dir_holding_an_earlier_runs_log_is_refused(tmp_path: Path, sweep: list[str]) -> None:
    """A second run into it used to append its events to the first's log, the same event ids twice, one log of two runs."""
    first = run("--events", "50", "--json", "--log-dir", str(tmp_path / "logs"), *sweep)
    assert first.returncode == 0, first.stderr
    logs = sorted(tmp_path.glob("logs/**/events-*.dsjson"))
    lines = [len(log.read_text().splitlines()) for log in logs]
    again = run("--events", "50", "--json", "--log-dir", str(tmp_path / "logs"), *sweep)
    assert again.returncode == 2 and again.stdout == "", again.stderr
    assert f"{tmp_path / 'logs'}: holds the event log of an earlier run (" in again.stderr, again.stderr
    assert [len(log.read_text().splitlines()) for log in logs] == lines == [50]

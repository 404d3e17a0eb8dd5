"""Simulated worlds: the policy earns close to the oracle and far above random; the CLI says what is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.config import AppConfig
from appliance.simulate import simulate

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

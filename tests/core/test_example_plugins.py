"""demos/plugins, pip-installed into a folder of its own on PYTHONPATH (the test venv stays clean): the appliance
finds its policy and observer through their entry points, validates a config naming them, simulates with the
policy, and the policy contract suite passes over it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CONFIG = """\
policy:
  type: epsilon_linear
  epsilon: 0.05
  actions: [{id: a0, features: {arm: {a0: 1}}}, {id: a1, features: {arm: {a1: 1}}}, {id: a2, features: {arm: {a2: 1}}},
            {id: a3, features: {arm: {a3: 1}}}]
observers:
  - {type: jsonl, path: joined.jsonl}
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a process that has the example package installed (a copy is built: the build leaves
    nothing in the repository)."""
    work = tmp_path_factory.mktemp("plugins")
    shutil.copytree(ROOT / "demos" / "plugins", work / "source")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                           "--target", str(work / "site"), str(work / "source")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(work / "site"), str(ROOT)])}


def wabbit(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appliance", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_a_config_naming_the_plug_ins_is_valid(installed: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "plugins.yaml").write_text(CONFIG)
    done = wabbit(installed, "config", "validate", str(tmp_path / "plugins.yaml"))
    assert done.returncode == 0, done.stderr
    (tmp_path / "bad.yaml").write_text(CONFIG.replace("epsilon: 0.05", "epsilon: 2"))
    done = wabbit(installed, "config", "validate", str(tmp_path / "bad.yaml"))
    assert done.returncode == 2 and "bad.yaml:3: policy.epsilon: Input should be less than or equal to 1 (got 2). Share of decisions" in done.stderr


def test_the_plug_in_policy_learns_in_a_simulation(installed: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "plugins.yaml").write_text(CONFIG)
    done = wabbit(installed, "simulate", "--world", "linear", "--events", "3000", "--config", str(tmp_path / "plugins.yaml"),
                  "--log-dir", str(tmp_path / "log"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    share = (result["avg_reward"] - result["random_avg_reward"]) / (result["oracle_avg_reward"] - result["random_avg_reward"])
    assert result["learned"] == 3000 and share > 0.5


def test_the_policy_contract_suite_passes_over_the_plug_in(installed: dict[str, str]) -> None:
    site = installed["PYTHONPATH"].split(os.pathsep)[0]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core/test_policy_contract.py",
                           "-k", "epsilon_linear or jsonl", f"{site}/wabbit_example_plugins"],
                          capture_output=True, text=True, env=installed, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "10 passed" in done.stdout, done.stdout[-3000:]  # the suite's eight checks, the two doctests


def test_the_plug_in_observer_writes_the_joined_events_in_its_home(installed: dict[str, str], tmp_path: Path) -> None:
    script = """
from pathlib import Path

from appliance.bus import EventBus
from appliance.config import load_config
from appliance.events import EventJoined
from appliance.observers import Observers
from appliance.policy import JoinedEvent, UniformPolicy

bus = EventBus()
config = load_config(None).model_validate({"observers": [{"type": "jsonl", "path": "joined.jsonl"}]})
group = Observers.start(bus, config.observers, Path("data"))  # a relative path is in its home: data/observers/<name>
decision = UniformPolicy.of(["on", "off"]).decide({}, "e1", 0.0)
bus.publish(EventJoined(JoinedEvent(decision, 1.0, "on_time", 1, 1.0)))
bus.flush()
print(group.stats())
group.stop()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=installed, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "'written': 1" in done.stdout
    assert json.loads((tmp_path / "data" / "observers" / "jsonl-0" / "joined.jsonl").read_text())["event_id"] == "e1"

"""`LiveModel`: the loop inside a Python program, durable, locked like the daemon's data directory; README's
example runs as it is; an rlclientlib client.json ports."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance.config import AppConfig
from appliance.embedded import LiveModel
from appliance.errors import ConfigError, StorageError, UsageError

ROOT = Path(__file__).parents[2]
CONFIG = {"policy": {"actions": [{"id": "a"}, {"id": "b"}]}, "join": {"reward_wait_s": 0.2}}


def test_readme_example_runs_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(from appliance.embedded import LiveModel\n.+?)```", readme, re.S)
    assert block, "README: no LiveModel example"
    done = subprocess.run([sys.executable, "-c", block.group(1)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    chosen, probability, _ = done.stdout.splitlines()[0].split(" ", 2)
    assert chosen in ("news", "sports") and 0 < float(probability) <= 1
    assert done.stdout.splitlines()[1] == "accepted"
    assert (tmp_path / "wabbit-data" / "wal.sqlite").exists()


def test_decisions_and_rewards_survive_a_crash_and_the_directory_is_locked(tmp_path: Path) -> None:
    child = f"""
import os
from appliance.config import AppConfig
from appliance.embedded import LiveModel
model = LiveModel({CONFIG!r}, {str(tmp_path)!r})
ranking = model.choose_rank({{"user": {{"x": 1.0}}}}, event_id="crash-1")
print(model.report_outcome("crash-1", 1.0), flush=True)
os._exit(0)  # no close(): the process dies with the decision pending
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "accepted", done.stderr
    with LiveModel(CONFIG, tmp_path) as model:
        with pytest.raises(StorageError, match="is used by another wabbit process") as refused:
            LiveModel(CONFIG, tmp_path)
        # told in the caller's terms, not the command line's
        assert str(refused.value).endswith("give this one its own data_dir= (LiveModel's argument)"), refused.value
        deadline = time.monotonic() + 10
        while (found := model.loop.find("crash-1")) is None or found["state"] != "learned":
            assert time.monotonic() < deadline, found
            time.sleep(0.05)
        assert found["reward"] == 1.0
        assert model.report_outcome("nobody", 1.0) == "unknown"


def test_an_rlclient_configuration_ports(tmp_path: Path) -> None:
    client = tmp_path / "client.json"
    client.write_text(json.dumps({"ApplicationID": "shop", "model.vw.initial_command_line":
                                  "--cb_explore_adf --epsilon 0.3 --power_t 0 -l 0.01 -q ::", "protocol.version": 2}))
    with LiveModel.from_rlclient(client, ["a", "b", "c"], tmp_path / "data") as model:
        options = model.loop.stats()["policy"]["arguments"]
        assert "--epsilon 0.3" in options and "--power_t 0.0" in options and "--learning_rate 0.01" in options
        assert "--interactions ::" in options
        ranking = model.choose_rank({"user": {"x": 0.5}})
        assert ranking.chosen_action in ("a", "b", "c") and len(ranking.pmf) == 3
        assert min(p for _, p in ranking.pmf) >= 0.3 / 3 - 1e-9  # epsilon 0.3 spread over the three actions


def test_a_bad_config_mapping_is_a_config_error_naming_the_key_and_the_fix(tmp_path: Path) -> None:
    """As a YAML file's errors read: the dotted path without pydantic's union tags, the value, what the key means."""
    with pytest.raises(ConfigError) as found:
        LiveModel({"policy": {**CONFIG["policy"], "exploraton": {"type": "epsilon"}}}, tmp_path / "data")
    assert str(found.value).startswith("LiveModel config: policy.exploraton: unknown key; did you mean `exploration`?")
    with pytest.raises(ConfigError) as found:
        LiveModel({"join": {"reward_wait_s": -1}}, tmp_path / "data")
    assert str(found.value).startswith("LiveModel config: join.reward_wait_s: Input should be greater than 0 (got -1). How long")
    assert not (tmp_path / "data" / "lock").exists()


def test_a_context_or_reward_of_the_wrong_shape_is_a_usage_error_saying_the_right_one(tmp_path: Path) -> None:
    with LiveModel(CONFIG, tmp_path / "data") as model:
        with pytest.raises(UsageError, match=r"^context namespace 'age' = 0.3 is not a mapping of feature names to numbers; "
                                             r"send \{namespace: \{feature: number\}\}, e.g. \{'user': \{'age': 0.3\}\}$"):
            model.choose_rank({"age": 0.3})  # type: ignore[dict-item]
        with pytest.raises(UsageError, match=r"^the context \['age'\] is a list, not a mapping"):
            model.choose_rank(["age"])  # type: ignore[arg-type]
        event_id = model.choose_rank({"user": {"age": 0.3}}).event_id
        with pytest.raises(UsageError, match=r"^reward '1' is not a finite number$"):
            model.report_outcome(event_id, "1")  # type: ignore[arg-type]
        assert model.report_outcome(event_id, 1) == "accepted"


def test_a_loop_that_cannot_start_says_why_once_and_frees_the_directory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(UsageError) as found:
        LiveModel.from_rlclient({"model.vw.initial_command_line": "--cb_explore_adf --bogus 3"}, ["a", "b"], tmp_path / "data")
    # the exception is the news: no traceback logged before it, no word of the daemon's safe mode
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.exc_info or "safe mode" in r.getMessage()] == []
    # docs/embedded.md: every error starts with the file's name (a dict stands for client.json)
    assert str(found.value).startswith("client.json: the loop could not start: Vowpal Wabbit refused the options --cb_explore_adf")
    assert str(found.value).count("could not start") == 1 and str(found.value).endswith("unrecognised option '--bogus'")
    held = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}")]
    assert not [path for path in held if path.startswith(str(tmp_path))]  # nothing was opened before the policy failed
    LiveModel(CONFIG, tmp_path / "data").close()  # the directory was released


def test_an_observers_every_s_schedule_runs_as_in_the_daemon(tmp_path: Path) -> None:
    # the daemon's status ticks the observers that take StatsTaken every second; a live model must too, or a
    # tensorboard observer's `every_s` waits for the next 256 events (or the close) before it writes anything
    observer = {"type": "tensorboard", "name": "tb", "every_s": 0.2, "min_interval_s": 0, "format": "jsonl"}
    with LiveModel({**CONFIG, "observers": [observer]}, tmp_path / "data") as model:
        for _ in range(3):
            ranking = model.choose_rank({"user": {"x": 1.0}})
            assert model.report_outcome(ranking.event_id, 1.0) == "accepted"
        parts = model._supervisor.parts
        assert parts is not None and parts.observers is not None
        tensorboard = parts.observers.observers[0]
        written = Path(tensorboard.stats()["run"]) / "scalars.jsonl"
        deadline = time.monotonic() + 10
        while not written.exists() or '"events/joined": 3.0' not in written.read_text():  # all three, before the close
            assert time.monotonic() < deadline, tensorboard.stats()
            time.sleep(0.05)
    assert [t.name for t in threading.enumerate() if t.name == "live-model-stats"] == []  # the ticker ends with the model


def test_a_yaml_file_without_simulation_runs_no_simulated_world(tmp_path: Path) -> None:
    # as a dict does: a YAML file (or an AppConfig) that does not set `simulation` is a plain decision service, not
    # the daemon's default simulated room deciding on its own and feeding made-up rewards into the model
    config = tmp_path / "shop.yaml"
    config.write_text("policy:\n  actions: [{id: a}, {id: b}]\n")
    with LiveModel(config, tmp_path / "data") as model:
        assert model.config.simulation is None
        time.sleep(1.5)  # the default world decides every second
        assert model.loop.stats()["pending"] == 0
    world = tmp_path / "world.yaml"
    world.write_text("policy:\n  actions: [{id: a}, {id: b}]\nsimulation: {decision_every_s: 0.5}\n")
    with LiveModel(world, tmp_path / "data") as model:  # a world asked for runs
        assert model.config.simulation is not None and model.config.simulation.decision_every_s == 0.5
    with pytest.raises(ConfigError, match=r"^LiveModel config: policy\.actions: Field required \(simulation is null"):
        LiveModel(AppConfig(), tmp_path / "data")
    (tmp_path / "bare.yaml").write_text("join: {reward_wait_s: 1}\n")
    with pytest.raises(ConfigError, match=rf"^{tmp_path / 'bare.yaml'}: policy\.actions: Field required \(simulation is null"):
        LiveModel(tmp_path / "bare.yaml", tmp_path / "data")  # the default policy takes the world's actions: none here

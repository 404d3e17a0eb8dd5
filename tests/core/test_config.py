"""Config: strict keys, bounds, line-numbered errors, schema, the commented default, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from appliance.config import AppConfig, load_config, load_config_text
from appliance.config.simulation import SimulationConfig
from appliance.errors import ConfigError

WABBIT = [sys.executable, "-m", "appliance"]


def test_missing_config_means_simulated_devices() -> None:
    config = load_config(None)
    assert config.policy is None and config.simulation.world == "light"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("join:\n  reward_wait_s: -1\n", 2, "greater than 0"),
        ("join:\n  aggregation: median\n", 2, "earliest"),
        ("server:\n  port: 8080\nstorage:\n  colour: red\n", 4, "unknown key; remove it or check its spelling"),
        ("join:\n  reward_wiat_s: 10\n", 2, "join.reward_wiat_s: unknown key; did you mean `reward_wait_s`?"),
        ("policy:\n  actions: [{id: a}, {id: b}]\n  exploration: {type: epsilon, epsilom: 0.2}\n", 3, "did you mean `epsilon`?"),
        ("polcy:\n  actions: [{id: a}, {id: b}]\n", 1, "polcy: unknown key; did you mean `policy`?"),
        ("policy:\n  actions:\n    - id: a\n    - id: 'b c'\n", 4, "not VW-safe"),
        ("policy:\n  actions:\n    - id: a\n    - id: b\n  exploration:\n    type: epsilon\n    epsilon: 3\n", 7, "less than or equal to 1"),
        ("policy:\n  actions: [{id: a}, {id: b}]\n  vw_args: ['-f', 'x.model']\n", 3, "touches files"),
        ("join: [1\n", 2, "not valid YAML"),
        ("policy:\n  actions: [{id: a}, {id: b}]\n  type: linucbx\n", 3, "policy: unknown policy type 'linucbx'"),
        ("actuators:\n  - name: lamp\n    type: lamb\n", 3, "actuators.0: unknown actuator type 'lamb'"),
        ("log_sinks:\n  - {type: kafkaa}\n", 2, "log_sinks.0: unknown log sink type 'kafkaa'"),
        ("policy:\n  actions: [{id: a}, {id: b}]\n  exploration:\n    gamma: 1\n    type: epsilonx\n", 5, "Input tag 'epsilonx'"),
        ("actuators:\n  - name: lamp\n    pin: 3\n", 2, "needs a `type` key"),
    ],
)
def test_errors_name_the_line_and_the_problem(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config_text(text, "cfg.yaml")
    assert f"cfg.yaml:{line}:" in str(err.value)
    assert words in str(err.value)


def test_every_field_has_a_description() -> None:
    def walk(schema: dict, defs: dict, path: str) -> list[str]:
        missing = []
        for name, prop in schema.get("properties", {}).items():
            if "description" not in prop:
                missing.append(f"{path}.{name}")
        return missing

    schema = AppConfig.model_json_schema()
    defs = schema.get("$defs", {})
    missing = walk(schema, defs, "")
    for name, sub in defs.items():
        missing += walk(sub, defs, name)
    assert not missing, missing


def test_default_config_round_trips_through_validate(tmp_path: Path) -> None:
    text = subprocess.run([*WABBIT, "config", "default"], check=True, capture_output=True, text=True).stdout
    path = tmp_path / "default.yaml"
    path.write_text(text)
    assert "# How long a decision waits" in text
    result = subprocess.run([*WABBIT, "config", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert load_config(path).policy is not None


def test_validate_cli_exit_2_with_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("join:\n  max_pending: 0\n")
    result = subprocess.run([*WABBIT, "config", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert f"{path}:2: join.max_pending" in result.stderr


def test_output_piped_into_head_ends_quietly() -> None:
    """`wabbit config schema | head` is what a user types: a reader that stops early is no traceback."""
    shell = f"{sys.executable} -m appliance config schema | head -c 10"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True)
    assert out.stdout == '{\n  "$defs'
    assert out.stderr == "" and out.returncode == 141


def test_schema_cli_is_json() -> None:
    out = subprocess.run([*WABBIT, "config", "schema"], check=True, capture_output=True, text=True).stdout
    schema = json.loads(out)
    assert schema["additionalProperties"] is False
    assert "join" in schema["properties"]


@pytest.mark.parametrize(("text", "kind"), [
    ("policy: {exploration: {type: epsilon, epsilon: 0.05}}\n", "vw"),
    ("policy: {type: linucb}\n", "linucb"),
    ("simulation: {world: linear}\npolicy: {type: linucb}\n", "linucb"),
    ("simulation: {world: drift, actions: 6}\npolicy: {seed: 3}\n", "vw"),
])
def test_a_policy_without_actions_takes_the_simulated_worlds(text: str, kind: str, tmp_path: Path) -> None:
    """Only tuning the policy: the actions are the ones the default policy (no `policy:` section) takes from the world."""
    config = load_config_text(text)
    assert config.simulation is not None and config.policy is not None and config.policy.type == kind
    default = AppConfig(simulation=config.simulation).effective_policy()
    assert config.policy.action_features() == default.action_features()
    assert config.effective_policy() is config.policy
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    result = subprocess.run([*WABBIT, "config", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_policy_keeps_the_actions_it_declares() -> None:
    config = load_config_text("policy: {actions: [{id: warm}, {id: cool}]}\n")
    assert config.policy is not None and [a.id for a in config.policy.actions] == ["warm", "cool"]
    assert [a.id for a in config.in_world(None).policy.actions] == ["warm", "cool"]  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "where"), [
    ("simulation: null\npolicy: {type: linucb}\n",
     "cfg.yaml:2: policy.actions: Field required (simulation is null, so no simulated world supplies the actions); "),
    ("sources:\n  - {type: synthetic_video, id: cam, width: 64, height: 48, fps: 15}\npolicy: {type: vw}\n",
     "cfg.yaml:3: policy.actions: Field required (sources are configured, and the simulated world's actions only apply "
     "without sources); "),
    ("simulation: null\npolicy:\n  type: vw\n  seed: 3\n",  # the line of the mapping that lacks it, as for any missing field
     "cfg.yaml:3: policy.actions: Field required (simulation is null"),
])
def test_a_policy_without_actions_and_no_world_to_take_them_from_says_to_declare_them(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config_text(text, "cfg.yaml")
    assert str(err.value).startswith(where), str(err.value)
    assert "; list them in the policy section, e.g. `actions: [{id: on}, {id: off}]`. The actions the bandit" in str(err.value)


def test_a_missing_field_elsewhere_is_reported_at_the_same_place_in_the_same_words() -> None:
    """What the policy's missing actions are measured against: the line of the mapping lacking the key, `Field required`."""
    with pytest.raises(ConfigError) as err:
        load_config_text("log_sinks:\n  - type: http\n    stream: raw\n", "cfg.yaml")
    assert str(err.value).startswith("cfg.yaml:2: log_sinks.0.url: Field required. ")


class ReadCounted(Mapping[str, Any]):
    """A config section that counts how often it is read through."""

    def __init__(self, section: dict[str, Any]) -> None:
        self.section, self.reads = section, 0

    def __getitem__(self, key: str) -> Any:
        return self.section[key]

    def __iter__(self) -> Iterator[str]:
        self.reads += 1
        return iter(self.section)

    def __len__(self) -> int:
        return len(self.section)


def test_a_policy_taking_the_worlds_actions_validates_the_simulation_section_once() -> None:
    simulation = ReadCounted({"world": "linear", "seed": 4})
    config = AppConfig.model_validate({"simulation": simulation, "policy": {"type": "linucb"}})
    assert simulation.reads == 1 and config.simulation == SimulationConfig(world="linear", seed=4)
    assert config.policy is not None and [a.id for a in config.policy.actions] == ["a0", "a1", "a2", "a3"]
    assert AppConfig.model_validate({"policy": {"type": "linucb"}}).model_fields_set == {"policy"}  # the world left a default


def test_a_model_beside_the_default_one_still_declares_its_actions() -> None:
    """A loop model runs no simulated world unless its config names one: no world's actions to take."""
    from appliance.models.host import service_config

    with pytest.raises(ConfigError) as refused:
        service_config("policy: {type: linucb}\n", "news")
    assert str(refused.value) == (
        "model news config: policy.actions: Field required (a model beside the default one runs no simulated world unless "
        "its config has a `simulation:` section, so none supplies the actions); list them in the policy section, "
        "e.g. `actions: [{id: on}, {id: off}]`")
    assert [a.id for a in service_config("simulation: {world: linear}\npolicy: {type: linucb}\n", "news").effective_policy().actions][0] == "a0"


def test_a_policy_that_took_the_worlds_actions_follows_another_world() -> None:
    config = load_config_text("policy: {type: linucb}\n")
    linear = config.in_world(SimulationConfig(world="linear", actions=3))
    assert linear.policy is not None and linear.simulation is not None and linear.simulation.world == "linear"
    assert linear.policy.action_features() == AppConfig(simulation=linear.simulation).effective_policy().action_features()
    assert config.policy is not None and [a.id for a in config.policy.actions] == ["warm", "cool", "red", "blue"]
    with pytest.raises(ConfigError, match="simulation is null"):
        config.in_world(None)

"""The demos load (the sections this package owns, and the whole file once AppConfig has them) and run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from appliance.config import AppConfig, VWPolicyConfig, load_config
from appliance.config.actuators import ActuatorConfig
from appliance.config.devices import check_actions
from appliance.config.feedback import FeedbackConfig
from appliance.devices import Devices

DEMOS = Path(__file__).resolve().parents[2] / "demos"


def sections(name: str) -> tuple[VWPolicyConfig, list[ActuatorConfig], list[FeedbackConfig]]:
    raw = yaml.safe_load((DEMOS / name).read_text())
    if "actuators" in AppConfig.model_fields:  # the lead's AppConfig: the whole file must load
        config = load_config(DEMOS / name)
        assert config.policy is not None
        return config.policy, list(getattr(config, "actuators")), list(getattr(config, "feedback"))
    return (VWPolicyConfig.model_validate(raw["policy"]), TypeAdapter(list[ActuatorConfig]).validate_python(raw["actuators"]),
            TypeAdapter(list[FeedbackConfig]).validate_python(raw["feedback"]))


@pytest.mark.parametrize("name", ["hello-world.yaml", "mqtt-loop.yaml"])
def test_demo_sections_are_valid(name: str) -> None:
    policy, actuators, feedback = sections(name)
    assert check_actions(actuators, feedback, [a.id for a in policy.actions]) == []


def test_hello_world_runs_on_simulated_pins(mock_factory: Any, make_loop: Any, clock: Any) -> None:
    policy, actuators, feedback = sections("hello-world.yaml")
    loop = make_loop(reward_wait_s=30, actions=[a.id for a in policy.actions])
    devices = Devices.from_config(actuators, feedback, mock_factory)
    devices.start(loop)
    decision, ticket = loop.decide({"sensors": {"loud": 0.2}})
    ticket.wait()
    loop.bus.flush()
    colours = {a.id: None for a in policy.actions}
    assert decision.action in colours
    assert devices.stats()["actuators"]["lamp"]["state"] == pytest.approx(list(actuators[0].colours[decision.action]))  # type: ignore[union-attr]
    mock_factory.pin(2).drive_low(); mock_factory.pin(2).drive_high()
    clock.advance(31)
    assert [e.reward for e in loop.tick()] == [1.0]
    devices.stop()

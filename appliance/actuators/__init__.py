"""The ``Actuator`` role: one file per kind, registered by the config's ``type`` key in :mod:`appliance.registry`.

>>> from gpiozero.pins.mock import MockFactory, MockPWMPin
>>> from appliance.config.actuators import LEDConfig
>>> led = build_actuator(LEDConfig(pin=17, on=["warm"]), "lamp", MockFactory(pin_class=MockPWMPin))
>>> led.act({"event_id": "e1", "action": "warm"}); led.stats()["pins"]
{'GPIO17': 1.0}
>>> led.close(); led.stats()["closed"]
True
"""

from __future__ import annotations

from typing import Any

from appliance.actuators.base import Actuator, ActuatorError, BaseActuator
from appliance.actuators.fake import RecordingActuator
from appliance.config.actuators import ActuatorConfigBase
from appliance.gpio import PinFactoryError, build_device, resolve_pin_factory

__all__ = [
    "Actuator", "ActuatorError", "BaseActuator", "PinFactoryError", "RecordingActuator",
    "build_actuator", "resolve_pin_factory",
]

def build_actuator(config: ActuatorConfigBase, name: str, pin_factory: Any = None) -> Actuator:
    """Build the actuator ``config`` describes (its kind from the registry); GPIO kinds use ``pin_factory``."""
    actuator: Actuator = build_device("actuators", config, name, pin_factory)
    return actuator

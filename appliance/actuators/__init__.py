"""The ``Actuator`` role: one file per kind, registered by the config's ``type`` key.

>>> from gpiozero.pins.mock import MockFactory, MockPWMPin
>>> from appliance.config.actuators import LEDConfig
>>> led = build_actuator(LEDConfig(pin=17, on=["warm"]), "lamp", MockFactory(pin_class=MockPWMPin))
>>> led.act({"event_id": "e1", "action": "warm"}); led.stats()["pins"]
{'GPIO17': 1.0}
>>> led.close(); led.stats()["closed"]
True
"""

from __future__ import annotations

import importlib
from typing import Any

from appliance.actuators.base import Actuator, ActuatorError, BaseActuator
from appliance.actuators.fake import RecordingActuator
from appliance.config.actuators import GPIO_TYPES, ActuatorConfig
from appliance.gpio import PinFactoryError, resolve_pin_factory

__all__ = [
    "KINDS", "Actuator", "ActuatorError", "BaseActuator", "PinFactoryError", "RecordingActuator",
    "build_actuator", "resolve_pin_factory",
]

KINDS: dict[str, str] = {
    "led": "appliance.actuators.led:LEDActuator",
    "pwm_led": "appliance.actuators.pwm_led:PWMLEDActuator",
    "rgb_led": "appliance.actuators.rgb_led:RGBLEDActuator",
    "buzzer": "appliance.actuators.buzzer:BuzzerActuator",
    "tonal_buzzer": "appliance.actuators.tonal_buzzer:TonalBuzzerActuator",
    "relay": "appliance.actuators.relay:RelayActuator",
    "servo": "appliance.actuators.servo:ServoActuator",
    "angular_servo": "appliance.actuators.angular_servo:AngularServoActuator",
    "mqtt": "appliance.actuators.mqtt:MQTTActuator",
    "webhook": "appliance.actuators.webhook:WebhookActuator",
}
"""``type`` key -> implementation (imported when used, so paho is only needed for MQTT)."""


def build_actuator(config: ActuatorConfig, name: str, pin_factory: Any = None) -> BaseActuator:
    """Build the actuator ``config`` describes; GPIO kinds use ``pin_factory`` (see :func:`resolve_pin_factory`)."""
    module, cls = KINDS[config.type].split(":")
    factory = resolve_pin_factory(pin_factory) if config.type in GPIO_TYPES else None
    actuator: BaseActuator = getattr(importlib.import_module(module), cls)(config, name, factory)
    return actuator

"""A full-colour LED: each action is a colour (red, green, blue in 0..1)."""

from __future__ import annotations

from typing import Any

from appliance.actuators.gpio import MappedGpioActuator
from appliance.config.actuators import RGBLEDConfig


class RGBLEDActuator(MappedGpioActuator):
    kind = "rgb_led"

    def __init__(self, config: RGBLEDConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import RGBLED

        red, green, blue = config.pins
        super().__init__(
            name, config.hold_s,
            lambda: RGBLED(red, green, blue, active_high=config.active_high, pwm=True, pin_factory=pin_factory),
            f"pins {list(config.pins)}", config.colours,
        )

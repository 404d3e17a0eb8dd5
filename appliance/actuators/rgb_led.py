"""A full-colour LED: each action is a colour (red, green, blue in 0..1)."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.actuators.gpio import GpioActuator
from appliance.config.actuators import RGBLEDConfig


class RGBLEDActuator(GpioActuator):
    kind = "rgb_led"

    def __init__(self, config: RGBLEDConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import RGBLED

        self.colours = dict(config.colours)
        red, green, blue = config.pins
        super().__init__(
            name, config.hold_s,
            lambda: RGBLED(red, green, blue, active_high=config.active_high, pwm=True, pin_factory=pin_factory),
            f"pins {list(config.pins)}",
        )

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action not in self.colours:
            return False
        self.device.value = self.colours[action]
        return True

"""A dimmable LED: a brightness per action."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.actuators.gpio import GpioActuator
from appliance.config.actuators import PWMLEDConfig


class PWMLEDActuator(GpioActuator):
    kind = "pwm_led"

    def __init__(self, config: PWMLEDConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import PWMLED

        self.values = dict(config.values)
        super().__init__(
            name, config.hold_s,
            lambda: PWMLED(config.pin, active_high=config.active_high, frequency=config.frequency_hz, pin_factory=pin_factory),
            f"pin {config.pin}",
        )

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action not in self.values:
            return False
        self.device.value = self.values[action]
        return True

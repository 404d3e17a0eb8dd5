"""A servo by position -1..1; the safe state stops the pulses (the servo goes limp)."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.actuators.gpio import GpioActuator
from appliance.config.actuators import ServoConfig


class ServoActuator(GpioActuator):
    kind = "servo"

    def __init__(self, config: ServoConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import Servo

        self.values = dict(config.values)
        super().__init__(
            name, config.hold_s,
            lambda: Servo(config.pin, initial_value=None, min_pulse_width=config.min_pulse_width_s,
                          max_pulse_width=config.max_pulse_width_s, pin_factory=pin_factory),
            f"pin {config.pin}",
        )

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action not in self.values:
            return False
        self.device.value = self.values[action]
        return True

    def _off(self) -> None:
        self.device.detach()

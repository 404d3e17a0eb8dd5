"""A servo by position -1..1; the safe state stops the pulses (the servo goes limp)."""

from __future__ import annotations

from typing import Any

from appliance.actuators.base import ActuatorError
from appliance.actuators.gpio import MappedGpioActuator
from appliance.config.actuators import ServoConfig


class ServoActuator(MappedGpioActuator):
    kind = "servo"

    def __init__(self, config: ServoConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import Servo

        if config.min_pulse_width_s >= config.max_pulse_width_s:
            raise ActuatorError(f"actuator {name}: min_pulse_width_s ({config.min_pulse_width_s:g}) must be less than "
                                f"max_pulse_width_s ({config.max_pulse_width_s:g}); swap them (to turn the servo the other way, "
                                "negate its values instead)")
        super().__init__(
            name, config.hold_s,
            lambda: Servo(config.pin, initial_value=None, min_pulse_width=config.min_pulse_width_s,
                          max_pulse_width=config.max_pulse_width_s, pin_factory=pin_factory),
            f"pin {config.pin}", config.values,
        )

    def _off(self) -> None:
        self.device.detach()

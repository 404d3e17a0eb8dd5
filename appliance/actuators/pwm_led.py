"""A dimmable LED: a brightness per action."""

from __future__ import annotations

from typing import Any

from appliance.actuators.gpio import MappedGpioActuator
from appliance.config.actuators import PWMLEDConfig


class PWMLEDActuator(MappedGpioActuator):
    kind = "pwm_led"

    def __init__(self, config: PWMLEDConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import PWMLED

        super().__init__(
            name, config.hold_s,
            lambda: PWMLED(config.pin, active_high=config.active_high, frequency=config.frequency_hz, pin_factory=pin_factory),
            f"pin {config.pin}", config.values,
        )

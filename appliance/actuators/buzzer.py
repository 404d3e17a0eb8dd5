"""An active buzzer: listed actions sound it."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.actuators.gpio import GpioActuator
from appliance.config.actuators import BuzzerConfig


class BuzzerActuator(GpioActuator):
    kind = "buzzer"

    def __init__(self, config: BuzzerConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import Buzzer

        self.on_actions = frozenset(config.on)
        super().__init__(name, config.hold_s, lambda: Buzzer(config.pin, active_high=config.active_high, pin_factory=pin_factory),
                         f"pin {config.pin}")

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action not in self.on_actions:
            return False
        self.device.on()
        return True

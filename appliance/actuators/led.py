"""An on/off LED: listed actions switch it on, every other action off."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.actuators.gpio import GpioActuator
from appliance.config.actuators import LEDConfig


class LEDActuator(GpioActuator):
    kind = "led"

    def __init__(self, config: LEDConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import LED

        self.on_actions = frozenset(config.on)
        super().__init__(name, config.hold_s, lambda: LED(config.pin, active_high=config.active_high, pin_factory=pin_factory), f"pin {config.pin}")

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action not in self.on_actions:
            return False
        self.device.on()
        return True

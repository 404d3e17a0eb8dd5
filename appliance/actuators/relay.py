"""A relay (or any on/off output): listed actions close it."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.actuators.gpio import GpioActuator
from appliance.config.actuators import RelayConfig


class RelayActuator(GpioActuator):
    kind = "relay"

    def __init__(self, config: RelayConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import OutputDevice

        self.on_actions = frozenset(config.on)
        super().__init__(
            name, config.hold_s,
            lambda: OutputDevice(config.pin, active_high=config.active_high, initial_value=False, pin_factory=pin_factory),
            f"pin {config.pin}",
        )

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action not in self.on_actions:
            return False
        self.device.on()
        return True

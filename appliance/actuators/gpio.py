"""Shared base of the gpiozero actuators: build the device on the injected pin factory, report its pins."""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping

from appliance.actuators.base import ActuatorError, BaseActuator
from appliance.gpio import pin_name, pin_state


class GpioActuator(BaseActuator):
    """Holds one gpiozero device; ``_off`` switches it off, ``_release`` closes it."""

    def __init__(self, name: str, hold_s: float | None, build: Callable[[], Any], where: str) -> None:
        super().__init__(name, hold_s)
        try:
            self.device = build()
        except Exception as err:
            raise ActuatorError(
                f"actuator {name} ({self.kind}) on {where}: cannot open the device: {err}. "
                "Check the pin numbers (BCM) and that no other actuator or feedback source uses them."
            ) from err

    def pins(self) -> list[Any]:
        """The gpiozero pins this device drives."""
        leds = getattr(self.device, "_leds", None)  # RGBLED keeps one LED (or PWMLED) per colour
        if leds is not None:
            return [led.pin for led in leds]
        inner = getattr(self.device, "pwm_device", None)  # Servo, TonalBuzzer wrap a PWMOutputDevice
        return [(inner or self.device).pin]

    def _off(self) -> None:
        self.device.off()

    def _state(self) -> Any:
        value = self.device.value
        return list(value) if isinstance(value, tuple) else value

    def _release(self) -> None:
        self.device.close()

    def stats(self) -> dict[str, Any]:
        stats = super().stats()
        if not self._closed:
            stats["pins"] = {pin_name(p): pin_state(p) for p in self.pins()}
        return stats


class MappedGpioActuator(GpioActuator):
    """A device whose ``attribute`` (value, angle) is set to the action's entry in ``mapping``."""

    attribute: ClassVar[str] = "value"

    def __init__(self, name: str, hold_s: float | None, build: Callable[[], Any], where: str,
                 mapping: Mapping[str, Any]) -> None:
        self.mapping = dict(mapping)
        super().__init__(name, hold_s, build, where)

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action not in self.mapping:
            return False
        setattr(self.device, self.attribute, self.mapping[action])
        return True

"""A servo by angle; the safe state stops the pulses (the servo goes limp)."""

from __future__ import annotations

from typing import Any

from appliance.actuators.base import ActuatorError
from appliance.actuators.gpio import MappedGpioActuator
from appliance.config.actuators import AngularServoConfig


class AngularServoActuator(MappedGpioActuator):
    kind = "angular_servo"
    attribute = "angle"

    def __init__(self, config: AngularServoConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import AngularServo

        low, high = sorted((config.min_angle, config.max_angle))
        if low == high:
            raise ActuatorError(f"actuator {name}: min_angle and max_angle are both {low:g}; set the angles of the servo's "
                                "two ends (e.g. -90 and 90)")
        bad = {a: v for a, v in config.angles.items() if not low <= v <= high}
        if bad:
            raise ActuatorError(f"actuator {name}: angles {bad} are outside min_angle..max_angle ({low}..{high}); fix them or widen the range")
        super().__init__(
            name, config.hold_s,
            lambda: AngularServo(config.pin, initial_angle=None, min_angle=config.min_angle, max_angle=config.max_angle,
                                 pin_factory=pin_factory),
            f"pin {config.pin}", config.angles,
        )

    def _off(self) -> None:
        self.device.detach()

    def _state(self) -> Any:
        return self.device.angle

"""A digital sensor (PIR motion, door contact, ...): becoming active (and optionally inactive) is a reward."""

from __future__ import annotations

import threading
import time
from typing import Any

from appliance.config.feedback import DigitalSensorConfig
from appliance.feedback.gpio import GpioFeedback, input_kwargs


class DigitalSensorFeedback(GpioFeedback):
    kind = "digital_sensor"

    def __init__(self, config: DigitalSensorConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import DigitalInputDevice

        self.config = config
        super().__init__(name, config, lambda: DigitalInputDevice(config.pin, pin_factory=pin_factory, **input_kwargs(config)))
        self.activations = self.suppressed = 0
        self._last: float | None = None
        self._lock = threading.Lock()

    def _start(self) -> None:
        self.device.when_activated = self._activated
        if self.config.inactive_value is not None:
            self.device.when_deactivated = self._deactivated

    def _detach(self) -> None:
        self._clear("when_activated", "when_deactivated")

    def _activated(self) -> None:
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last < self.config.cooldown_s:
                self.suppressed += 1
                return
            self._last = now
            self.activations += 1
            self.signal(self.config.value)

    def _deactivated(self) -> None:
        if self.config.inactive_value is not None:
            self.signal(self.config.inactive_value)

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "activations": self.activations, "suppressed": self.suppressed}

"""A push button (gpiozero ``Button``): a press makes the next check fire. Presses between two checks count
as one decision; a press within ``min_interval_s`` of the last firing is suppressed.

>>> from gpiozero.pins.mock import MockFactory
>>> from appliance.config.triggers import ButtonTriggerConfig
>>> factory = MockFactory()
>>> t = ButtonTrigger(ButtonTriggerConfig(pin=3, bounce_s=None), "go", factory); t.start()
>>> t.fired({}, 0.0)
False
>>> factory.pin(3).drive_low(); factory.pin(3).drive_high()
>>> t.fired({}, 0.1), t.fired({}, 0.2), t.stats()["presses"]
(True, False, 1)
>>> t.stop()
"""

from __future__ import annotations

import threading
from typing import Any

from appliance.config.triggers import ButtonTriggerConfig
from appliance.features import Features
from appliance.triggers.base import BaseTrigger, TriggerError


class ButtonTrigger(BaseTrigger):
    kind = "button"

    def __init__(self, config: ButtonTriggerConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import Button

        super().__init__(name, config.min_interval_s)
        self.config = config
        try:
            self.device = Button(config.pin, pull_up=config.pull_up, bounce_time=config.bounce_s or None, pin_factory=pin_factory)
        except Exception as err:
            raise TriggerError(
                f"trigger {name} (button) on pin {config.pin}: cannot open the input: {err}. "
                "Check the pin number (BCM) and that no actuator, feedback source or other trigger uses it."
            ) from err
        self._lock = threading.Lock()
        self.presses = 0
        self._waiting = 0
        self._closed = False

    def start(self) -> None:
        self.device.when_pressed = self._pressed

    def _pressed(self) -> None:
        with self._lock:
            self.presses += 1
            self._waiting += 1

    def fired(self, context: Features, now: float) -> bool:
        with self._lock:
            waiting, self._waiting = self._waiting, 0
        return waiting > 0 and self._fire(now)

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.device.when_pressed is not None:
            self.device.when_pressed = None
        self.device.close()

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "pin": str(self.config.pin), "presses": self.presses}

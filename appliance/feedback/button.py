"""A push button: a press rewards the latest decision; optionally a long press gives another value.

Without ``long_press_value`` the reward is sent on press. With it, the reward waits for the release and is
``long_press_value`` when the button was held ``long_press_s`` or longer; either way it is stamped with the
time of the press, so the attribution window counts from the press.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from appliance.config.feedback import ButtonConfig
from appliance.feedback.gpio import GpioFeedback, input_kwargs


class ButtonFeedback(GpioFeedback):
    kind = "button"

    def __init__(self, config: ButtonConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import Button

        self.config = config
        super().__init__(name, config, lambda: Button(config.pin, pin_factory=pin_factory, **input_kwargs(config)))
        self.presses = self.long_presses = 0
        self._pressed_at: tuple[float, float] | None = None  # (monotonic, clock time)
        self._lock = threading.Lock()

    def _start(self) -> None:
        self.device.when_pressed = self._pressed
        self.device.when_released = self._released

    def _detach(self) -> None:
        self._clear("when_pressed", "when_released")

    def _pressed(self) -> None:
        assert self.rewarder is not None
        with self._lock:
            self.presses += 1
            now = self.rewarder.now()
            if self.config.long_press_value is None:
                self.signal(self.config.value, timestamp=now)
            else:
                self._pressed_at = (time.monotonic(), now)

    def _released(self) -> None:
        with self._lock:
            if self._pressed_at is None:
                return
            started, when = self._pressed_at
            self._pressed_at = None
            if time.monotonic() - started >= self.config.long_press_s and self.config.long_press_value is not None:
                self.long_presses += 1
                self.signal(self.config.long_press_value, timestamp=when)
            else:
                self.signal(self.config.value, timestamp=when)

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "presses": self.presses, "long_presses": self.long_presses}

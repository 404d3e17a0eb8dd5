"""Shared base of the gpiozero feedback sources: build the input device on the injected pin factory."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable

from appliance.config.feedback import ButtonConfig, DigitalSensorConfig
from appliance.feedback.base import BaseFeedback, FeedbackError
from appliance.gpio import pin_name, pin_state


def input_kwargs(config: ButtonConfig | DigitalSensorConfig) -> dict[str, Any]:
    """gpiozero keyword arguments for the pull and active level in ``config``."""
    kwargs: dict[str, Any] = {"pull_up": config.pull_up, "bounce_time": config.bounce_s or None}
    if config.pull_up is None:
        kwargs["active_state"] = config.active_high
    return kwargs


class GpioFeedback(BaseFeedback, ABC):
    """Holds one gpiozero input device; callbacks are attached at ``start`` and removed at ``stop``."""

    def __init__(self, name: str, config: ButtonConfig | DigitalSensorConfig, build: Callable[[], Any]) -> None:
        super().__init__(name, config)
        try:
            self.device = build()
        except Exception as err:
            if type(err).__name__ == "PinFixedPull":  # gpiozero's: GPIO2 and GPIO3 carry the I2C pull-ups
                raise FeedbackError(
                    f"feedback {name} ({self.kind}) on pin {config.pin}: {err} (GPIO2 and GPIO3 have the I2C pull-ups), "
                    f"so pull_up: {config.pull_up} cannot be set. Set pull_up: true for a part that pulls the pin low when "
                    "active, or use another pin (e.g. 4)."
                ) from err
            raise FeedbackError(
                f"feedback {name} ({self.kind}) on pin {config.pin}: cannot open the input: {err}. "
                "Check the pin number (BCM) and that no actuator or other source uses it."
            ) from err
        self._stopped = False

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._detach()
        self.device.close()

    @abstractmethod
    def _detach(self) -> None:
        """Remove the gpiozero callbacks this source installed (see :meth:`_clear`)."""

    def _clear(self, *callbacks: str) -> None:
        """Set these gpiozero callbacks to None, those that were set (gpiozero warns about clearing an unset one)."""
        for callback in callbacks:
            if getattr(self.device, callback) is not None:
                setattr(self.device, callback, None)

    def stats(self) -> dict[str, Any]:
        stats = super().stats()
        if not self._stopped:
            stats["pins"] = {pin_name(self.device.pin): pin_state(self.device.pin)}
            stats["active"] = bool(self.device.value)
        return stats

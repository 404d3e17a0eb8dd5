"""A passive buzzer: a tone (note name or Hz) per action."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.actuators.base import ActuatorError
from appliance.actuators.gpio import GpioActuator
from appliance.config.actuators import TonalBuzzerConfig


class TonalBuzzerActuator(GpioActuator):
    kind = "tonal_buzzer"

    def __init__(self, config: TonalBuzzerConfig, name: str, pin_factory: Any) -> None:
        from gpiozero import TonalBuzzer
        from gpiozero.tones import Tone

        super().__init__(name, config.hold_s, lambda: TonalBuzzer(config.pin, octaves=config.octaves, pin_factory=pin_factory), f"pin {config.pin}")
        self.tones: dict[str, Any] = {}
        for action, tone in config.tones.items():
            try:
                t = Tone(tone) if isinstance(tone, str) else Tone.from_frequency(tone)
                if not self.device.min_tone.frequency <= t.frequency <= self.device.max_tone.frequency:
                    raise ValueError(f"{t.frequency:.0f} Hz is outside {self.device.min_tone} .. {self.device.max_tone}")
            except ValueError as err:
                self.device.close()
                raise ActuatorError(f"actuator {name}: tone of action {action!r}: {err}; pick a tone within the octaves or raise `octaves`") from None
            self.tones[action] = t

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action not in self.tones:
            return False
        self.device.play(self.tones[action])
        return True

    def _off(self) -> None:
        self.device.stop()

    def _state(self) -> Any:
        tone = self.device.tone
        return None if tone is None else round(tone.frequency, 2)

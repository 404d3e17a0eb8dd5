"""The ``FeedbackSource`` role: one file per kind, registered by the config's ``type`` key.

>>> from gpiozero.pins.mock import MockFactory
>>> from appliance.config.feedback import ButtonConfig
>>> from appliance.feedback.fake import RecordingTarget
>>> factory = MockFactory()
>>> button = build_feedback(ButtonConfig(pin=2), "like", factory)
>>> target = RecordingTarget(); button.start(target)
>>> factory.pin(2).drive_low(); factory.pin(2).drive_high()
>>> target.rewards, button.stats()["accepted"]
([('latest', 1.0)], 1)
>>> button.stop()
"""

from __future__ import annotations

import importlib
from typing import Any

from appliance.config.feedback import GPIO_TYPES, FeedbackConfig
from appliance.feedback.base import BaseFeedback, FeedbackError, FeedbackSource, Rewarder, RewardTarget
from appliance.feedback.fake import RecordingTarget, ScriptedFeedback
from appliance.gpio import resolve_pin_factory

__all__ = [
    "KINDS", "BaseFeedback", "FeedbackError", "FeedbackSource", "RecordingTarget", "RewardTarget", "Rewarder",
    "ScriptedFeedback", "build_feedback",
]

KINDS: dict[str, str] = {
    "button": "appliance.feedback.button:ButtonFeedback",
    "digital_sensor": "appliance.feedback.digital_sensor:DigitalSensorFeedback",
    "mqtt": "appliance.feedback.mqtt:MQTTFeedback",
    "fitbit": "appliance.feedback.fitbit:FitbitFeedback",
}
"""``type`` key -> implementation (imported when used)."""


def build_feedback(config: FeedbackConfig, name: str, pin_factory: Any = None) -> BaseFeedback:
    """Build the source ``config`` describes; GPIO kinds use ``pin_factory``."""
    module, cls = KINDS[config.type].split(":")
    factory = resolve_pin_factory(pin_factory) if config.type in GPIO_TYPES else None
    source: BaseFeedback = getattr(importlib.import_module(module), cls)(config, name, factory)
    return source

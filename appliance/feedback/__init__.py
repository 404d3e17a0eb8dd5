"""The ``FeedbackSource`` role: one file per kind, registered by the config's ``type`` key in :mod:`appliance.registry`.

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

from typing import Any

from appliance.config.feedback import FeedbackConfigBase
from appliance.feedback.base import BaseFeedback, FeedbackError, FeedbackSource, Rewarder, RewardTarget
from appliance.feedback.fake import RecordingTarget, ScriptedFeedback
from appliance.gpio import build_device

__all__ = [
    "BaseFeedback", "FeedbackError", "FeedbackSource", "RecordingTarget", "RewardTarget", "Rewarder",
    "ScriptedFeedback", "build_feedback",
]

def build_feedback(config: FeedbackConfigBase, name: str, pin_factory: Any = None) -> FeedbackSource:
    """Build the source ``config`` describes (its kind from the registry); GPIO kinds use ``pin_factory``."""
    source: FeedbackSource = build_device("feedback", config, name, pin_factory)
    return source

"""The ``Trigger`` role: one file per kind, registered by the ``type`` key of ``triggers.events``.

``periodic`` comes from ``triggers.periodic_s``; ``sound_onset``, ``motion`` and ``button`` from the
events list. :class:`Triggers` checks them together and decides once when any fires.

>>> from gpiozero.pins.mock import MockFactory
>>> from appliance.config import TriggersConfig
>>> config = TriggersConfig.model_validate({"periodic_s": 30, "events": [{"type": "motion"}, {"type": "button", "pin": 4}]})
>>> built = build_triggers(config, MockFactory())
>>> [(t.name, t.stats()["type"]) for t in built]
[('periodic', 'periodic'), ('motion-0', 'motion'), ('button-1', 'button')]
>>> for t in built: t.stop()
"""

from __future__ import annotations

import importlib
from typing import Any

from appliance.config.triggers import EventTriggerConfig, TriggersConfig, trigger_name
from appliance.triggers.base import BaseTrigger, Trigger, TriggerError, Triggers
from appliance.triggers.periodic import PeriodicTrigger

__all__ = ["KINDS", "BaseTrigger", "PeriodicTrigger", "Trigger", "TriggerError", "Triggers", "build_trigger", "build_triggers"]

KINDS: dict[str, str] = {
    "sound_onset": "appliance.triggers.sound_onset:SoundOnsetTrigger",
    "motion": "appliance.triggers.motion:MotionTrigger",
    "button": "appliance.triggers.button:ButtonTrigger",
}
"""``type`` key -> implementation (imported when used, so gpiozero loads only for a button)."""


def build_trigger(config: EventTriggerConfig, name: str, pin_factory: Any = None) -> Trigger:
    """Build the event trigger ``config`` describes; a button uses ``pin_factory`` (see ``resolve_pin_factory``)."""
    module, cls = KINDS[config.type].split(":")
    implementation = getattr(importlib.import_module(module), cls)
    if config.type == "button":
        from appliance.gpio import resolve_pin_factory

        trigger: Trigger = implementation(config, name, resolve_pin_factory(pin_factory))
    else:
        trigger = implementation(config, name)
    return trigger


def build_triggers(config: TriggersConfig, pin_factory: Any = None, periodic: bool = True) -> list[Trigger]:
    """The periodic trigger (if ``periodic`` and ``periodic_s`` is set) and every event trigger, in order.

    On a failure the triggers built so far are stopped (their pins released) before the error propagates.
    """
    built: list[Trigger] = []
    if periodic and config.periodic_s is not None:
        built.append(PeriodicTrigger(config.periodic_s))
    try:
        for index, event in enumerate(config.events):
            built.append(build_trigger(event, trigger_name(event, index), pin_factory))
    except BaseException:
        for trigger in built:
            trigger.stop()
        raise
    return built

"""The ``Trigger`` role: one file per kind, registered by the ``type`` key of ``triggers.events`` in :mod:`appliance.registry`.

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

from typing import Any

from appliance.config.triggers import TriggersConfig, trigger_name
from appliance.gpio import build_device
from appliance.triggers.base import BaseTrigger, Trigger, TriggerError, Triggers
from appliance.triggers.periodic import PeriodicTrigger

__all__ = ["BaseTrigger", "PeriodicTrigger", "Trigger", "TriggerError", "Triggers", "build_triggers"]

def build_triggers(config: TriggersConfig, pin_factory: Any = None, periodic: bool = True) -> list[Trigger]:
    """The periodic trigger (if ``periodic`` and ``periodic_s`` is set) and every event trigger, in order.

    On a failure the triggers built so far are stopped (their pins released) before the error propagates.
    """
    built: list[Trigger] = []
    if periodic and config.periodic_s is not None:
        built.append(PeriodicTrigger(config.periodic_s))
    try:
        for index, event in enumerate(config.events):
            built.append(build_device("triggers", event, trigger_name(event, index), pin_factory))
    except BaseException:
        for trigger in built:
            trigger.stop()
        raise
    return built

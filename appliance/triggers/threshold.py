"""Shared base of the feature triggers: a featurizer's feature rising above a threshold.

With ``edge`` the trigger fires when the value crosses the threshold from below (it must fall back below
to fire again); without, whenever the value is above. Either way a firing within ``min_interval_s`` of the
last is suppressed (a rise within it is counted). A missing feature (no window featurized yet) never fires.

>>> from appliance.config.triggers import SoundOnsetTriggerConfig
>>> t = ThresholdTrigger(SoundOnsetTriggerConfig(threshold=0.1, min_interval_s=1.0), "clap")
>>> [t.fired({"audio": {"rms": v}}, now) for now, v in [(0.0, 0.0), (0.1, 0.3), (0.2, 0.3), (0.3, 0.0), (0.4, 0.3), (1.5, 0.0), (1.6, 0.2)]]
[False, True, False, False, False, False, True]
>>> t.count, t.suppressed, t.stats()["value"]
(2, 1, 0.2)
"""

from __future__ import annotations

from typing import Any

from appliance.config.triggers import FeatureThresholdConfig
from appliance.features import Features
from appliance.triggers.base import BaseTrigger


class ThresholdTrigger(BaseTrigger):
    def __init__(self, config: FeatureThresholdConfig, name: str, pin_factory: Any = None) -> None:  # no pins: the role's signature
        super().__init__(name, config.min_interval_s)
        self.config = config
        self.value: float | None = None
        self._above = False

    def fired(self, context: Features, now: float) -> bool:
        value = context.get(self.config.namespace, {}).get(self.config.feature)
        if value is None:
            return False
        self.value = value
        was_above, self._above = self._above, value > self.config.threshold
        if not self._above or (was_above and (self.config.edge or self._quiet(now))):
            return False  # staying above is no new onset; only a rise within min_interval_s counts as suppressed
        return self._fire(now)

    def stats(self) -> dict[str, Any]:
        c = self.config
        return {**super().stats(), "feature": f"{c.namespace}.{c.feature}", "threshold": c.threshold, "edge": c.edge,
                "value": self.value, "above": self._above}

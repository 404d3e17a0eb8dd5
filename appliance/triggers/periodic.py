"""Every ``period_s`` seconds (``triggers.periodic_s``); the first check fires at once.

>>> t = PeriodicTrigger(10.0)
>>> t.fired({}, 100.0), t.fired({}, 105.0), t.fired({}, 110.0), t.count
(True, False, True, 2)
"""

from __future__ import annotations

from typing import Any

from appliance.features import Features
from appliance.triggers.base import BaseTrigger


class PeriodicTrigger(BaseTrigger):
    kind = "periodic"

    def __init__(self, period_s: float, name: str = "periodic") -> None:
        super().__init__(name, min_interval_s=period_s)

    def fired(self, context: Features, now: float) -> bool:
        return not self._quiet(now) and self._fire(now)  # waiting for the period is not a suppressed firing

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "period_s": self.min_interval_s}

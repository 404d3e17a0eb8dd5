"""A shipped fake trigger, pulled by hand: for tests of the trigger set and of the daemon's decisions.

>>> from appliance.clock import FakeClock
>>> from appliance.triggers.base import Triggers
>>> manual, decided = ManualTrigger("test"), []
>>> triggers = Triggers([manual], lambda: {"room": {"level": 0.5}}, decided.append, FakeClock(0.0))
>>> triggers.step(), manual.pull(), triggers.step(), triggers.step()
([], None, ['test'], [])
>>> decided, manual.stats()["fired"]
([{'room': {'level': 0.5}}], 1)
"""

from __future__ import annotations

import threading

from appliance.features import Features
from appliance.triggers.base import BaseTrigger


class ManualTrigger(BaseTrigger):
    """Fires once at the next check after each :meth:`pull` (pulls between two checks count once)."""

    kind = "manual"

    def __init__(self, name: str = "manual") -> None:
        super().__init__(name)
        self._pulled = threading.Event()

    def pull(self) -> None:
        self._pulled.set()

    def fired(self, context: Features, now: float) -> bool:
        if not self._pulled.is_set():
            return False
        self._pulled.clear()
        return self._fire(now)

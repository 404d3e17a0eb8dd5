"""A fake actuator that records what it was told: for tests of the daemon, the API and simulations.

>>> lamp = RecordingActuator("lamp", {"warm": (1.0, 0.6, 0.2)})
>>> lamp.act({"event_id": "e1", "action": "warm"}); lamp.close()
>>> [(c.event_id, c.state) for c in lamp.calls]
[('e1', (1.0, 0.6, 0.2)), (None, 'off')]
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping

from appliance.actuators.base import BaseActuator


@dataclass(frozen=True, slots=True)
class Call:
    """One change of state: the event it came from (None for the safe state) and when (monotonic)."""

    event_id: str | None
    state: Any
    at: float


class RecordingActuator(BaseActuator):
    """Shows ``effects[action]``; ``"off"`` otherwise. ``fail_on`` makes an action raise (to test error paths)."""

    kind = "recording"

    def __init__(
        self, name: str = "recording", effects: Mapping[str, Any] | None = None, hold_s: float | None = None,
        fail_on: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(name, hold_s)
        self.effects = dict(effects or {})
        self.fail_on = fail_on
        self.state: Any = "off"
        self.calls: list[Call] = []

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        if action in self.fail_on:
            raise RuntimeError(f"simulated failure on action {action!r}")
        if action not in self.effects:
            return False
        self._set(self.effects[action], decision.get("event_id"))
        return True

    def _off(self) -> None:
        self._set("off", None)

    def _set(self, state: Any, event_id: str | None) -> None:
        self.state = state
        self.calls.append(Call(event_id, state, time.monotonic()))

    def _state(self) -> Any:
        return self.state

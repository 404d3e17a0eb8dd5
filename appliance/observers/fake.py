"""A shipped fake observer that keeps the newest loop events in memory: for tests and notebooks.

>>> from appliance.config.observers import RecordingObserverConfig
>>> from appliance.events import ModelSwapped
>>> observer = RecordingObserver(RecordingObserverConfig(keep=2), name="last-two")
>>> for version in (1, 2, 3): observer.handle(ModelSwapped(version, "upload"))
>>> [e.model_version for e in observer.events_seen], observer.stats()["seen"]
([2, 3], 3)
"""

from __future__ import annotations

from collections import deque
from typing import Any

from appliance import events as loop_events
from appliance.config.observers import RecordingObserverConfig
from appliance.observers.base import ObserverHome


class RecordingObserver:
    def __init__(self, config: RecordingObserverConfig, name: str = "recording", home: ObserverHome | None = None) -> None:
        self.name, self.config = name, config
        self.events_seen: deque[Any] = deque(maxlen=config.keep)
        self.seen = 0
        self.closed = False

    def events(self) -> tuple[type, ...]:
        return tuple(getattr(loop_events, name) for name in self.config.events)

    def handle(self, event: Any) -> None:
        self.events_seen.append(event)
        self.seen += 1

    def close(self) -> None:
        self.closed = True

    def stats(self) -> dict[str, Any]:
        return {"type": "recording", "seen": self.seen, "kept": len(self.events_seen)}

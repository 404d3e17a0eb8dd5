"""What an observer is, and the configured ones as a group on the bus.

>>> from appliance.bus import EventBus
>>> from appliance.config.observers import RecordingObserverConfig
>>> from appliance.events import ModelSwapped
>>> bus = EventBus()
>>> group = Observers.start(bus, [RecordingObserverConfig(name="notebook")])
>>> bus.publish(ModelSwapped(3, "upload")); bus.flush()
True
>>> list(group.observers[0].events_seen), group.stats()["notebook"]["delivered"]
([ModelSwapped(model_version=3, reason='upload')], 1)
>>> group.stop()
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from appliance.bus import EventBus, Subscription
from appliance.config.observers import ObserverConfigBase
from appliance.features import Features
from appliance.registry import REGISTRY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObserverHome:
    """What the appliance lends an observer: a directory of its own to keep state in across restarts
    (``DATA_DIR/observers/<name>``, created by the observer when it first writes; ``None``: nothing persists, as
    in tests and notebooks), the declared actions' features, and the loop's policy."""

    directory: Path | None = None
    action_features: Mapping[str, Features] = field(default_factory=dict)
    policy: Any = None
    """The loop's policy, to read (thread-safe, e.g. its options or, for a VW policy, ``with_workspace``), never to drive."""


@runtime_checkable
class Observer(Protocol):
    """Receives loop events on its own thread; built as ``Kind(config, name=..., home=ObserverHome(...))``."""

    name: str

    def events(self) -> tuple[type, ...]:
        """The event types it wants (classes from :mod:`appliance.events`)."""
        ...

    def handle(self, event: Any) -> None:
        """One event; may take its time (it has its own thread), must treat the event as read-only."""
        ...

    def close(self) -> None:
        """Flush and release what it holds; idempotent."""
        ...

    def stats(self) -> dict[str, Any]:
        """JSON-able counters for /api/status."""
        ...


class Observers:
    """The configured observers, each subscribed to the bus with its own queue."""

    def __init__(self, bus: EventBus, subscribed: list[tuple[Observer, Subscription]]) -> None:
        self._bus, self._subscribed = bus, subscribed

    @classmethod
    def start(cls, bus: EventBus, configs: Sequence[ObserverConfigBase], data_dir: Path | None = None,
              action_features: Mapping[str, Features] | None = None, policy: Any = None) -> Observers:
        """Build and subscribe every configured observer, each with its home in ``data_dir`` (``None``: no
        persistence); on a failure the ones started are stopped again."""
        group = cls(bus, [])
        try:
            for index, config in enumerate(configs):
                name = config.name or f"{config.type}-{index}"
                home = ObserverHome(data_dir / "observers" / name if data_dir is not None else None, action_features or {}, policy)
                observer: Observer = REGISTRY.build("observers", config, name=name, home=home)
                try:
                    subscription = bus.subscribe(observer.name, observer.handle, observer.events(), config.max_queue, config.linger_s)
                except BaseException:
                    observer.close()
                    raise
                group._subscribed.append((observer, subscription))
        except BaseException:
            group.stop()
            raise
        return group

    @property
    def observers(self) -> list[Observer]:
        return [observer for observer, _ in self._subscribed]

    def stop(self) -> None:
        """Each observer handles what it has queued, then closes; never raises."""
        for observer, subscription in self._subscribed:
            self._bus.unsubscribe(subscription)
            try:
                observer.close()
            except Exception as err:
                log.error("observer %s did not close cleanly: %s", observer.name, err)
        self._subscribed = []

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per observer: its own counters and its queue's (delivered, dropped, errors)."""
        return {o.name: {**o.stats(), **s.stats()} for o, s in self._subscribed}

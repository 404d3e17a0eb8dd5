"""Fan-out of loop events and stats snapshots to the dashboard's live streams (server-sent events).

While at least one ``/api/stream`` is open, the hub subscribes to the bus (decisions, rewards, joined events,
stats snapshots) and hands each event, as JSON, to every stream's bounded queue on the server's event loop.
A slow client loses events (counted), never slows the loop down; with no client open the hub costs nothing.

>>> import asyncio
>>> from appliance.events import ModelSwapped, StatsTaken
>>> async def demo() -> list[object]:
...     bus = EventBus()
...     hub = EventHub(bus)
...     with hub.subscribe(asyncio.get_running_loop()) as sub:
...         bus.publish(StatsTaken({"uptime_s": 1.0}))
...         return [await sub.get()]
>>> asyncio.run(demo())
[('stats', '{"uptime_s": 1.0}')]
"""

from __future__ import annotations

import asyncio
import json
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from appliance.bus import EventBus, Subscription
from appliance.events import DecisionMade, EventJoined, RewardReceived, StatsTaken
from appliance.loop.core import summary

Item = tuple[str, str] | None


class Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop, max_queue: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Item] = asyncio.Queue(max_queue)
        self.dropped = 0

    def put(self, item: Item) -> None:
        """Runs on the subscriber's event loop."""
        if item is None:  # closing: make room so the end is always seen
            while not self.queue.empty():
                self.queue.get_nowait()
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1

    async def get(self) -> Item:
        return await self.queue.get()


STREAMED = (DecisionMade, RewardReceived, EventJoined, StatsTaken)


def stream_item(event: DecisionMade | RewardReceived | EventJoined | StatsTaken) -> tuple[str, dict[str, Any]]:
    """The server-sent event (its name, its JSON body) for a loop event."""
    if isinstance(event, DecisionMade):
        return "decision", event.decision.public()
    if isinstance(event, RewardReceived):
        return "reward", {"event_id": event.event_id, "reward": event.value, "status": event.status}
    if isinstance(event, EventJoined):
        return "joined", summary(event.event)
    return "stats", event.status


class EventHub:
    def __init__(self, bus: EventBus, max_queue: int = 512) -> None:
        self._bus = bus
        self._subscribers: set[Subscriber] = set()
        self._subscription: Subscription | None = None
        self._lock = threading.Lock()
        self._max_queue = max_queue
        self.closed = False
        self.published = 0

    def _forward(self, event: DecisionMade | RewardReceived | EventJoined | StatsTaken) -> None:
        """The bus handler (on its own thread): the event as JSON, queued for every stream."""
        kind, payload = stream_item(event)
        self.published += 1
        self._send((kind, to_json(payload)))

    def _send(self, item: Item) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(sub.put, item)
            except RuntimeError:  # its event loop has closed (its stream's own exit unsubscribes the hub)
                with self._lock:
                    self._subscribers.discard(sub)

    @contextmanager
    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Iterator[Subscriber]:
        sub = Subscriber(loop, self._max_queue)
        with self._lock:
            self._subscribers.add(sub)
            if self._subscription is None:
                self._subscription = self._bus.subscribe("stream", self._forward, STREAMED, max_queue=self._max_queue)
        try:
            yield sub
        finally:
            self._discard(sub)

    def _discard(self, sub: Subscriber) -> None:
        """A stream ended; the last one to end takes the hub off the bus."""
        with self._lock:
            self._subscribers.discard(sub)
            last, self._subscription = (self._subscription, None) if not self._subscribers else (None, self._subscription)
        if last is not None:  # on the event loop: its thread ends on its own after what it holds (for no stream)
            self._bus.unsubscribe(last, timeout=0.0)

    def close(self) -> None:
        """End every stream (at shutdown, so the server need not wait for them)."""
        self.closed = True
        self._send(None)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


def to_json(payload: Any) -> str:
    """JSON text; NaN and infinities (which JSON lacks) become null."""
    try:
        return json.dumps(payload, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_clean(payload), default=str)


def _clean(value: Any) -> Any:
    """NaN and infinities become null (JSON has neither)."""
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value

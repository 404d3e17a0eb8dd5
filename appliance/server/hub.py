"""Fan-out of loop events and stats snapshots to the dashboard's live streams (server-sent events).

Producers are loop threads (a decision, a reward, a joined event) and the stats worker; each subscriber is
one open ``/api/stream`` with its own bounded queue on the server's event loop. A slow client loses events
(counted), never slows the loop down.

>>> import asyncio
>>> async def demo() -> list[object]:
...     hub = EventHub()
...     with hub.subscribe(asyncio.get_running_loop()) as sub:
...         hub.publish("decision", {"action": "warm"})
...         return [await sub.get()]
>>> asyncio.run(demo())
[('decision', '{"action": "warm"}')]
"""

from __future__ import annotations

import asyncio
import json
import threading
from contextlib import contextmanager
from typing import Any, Iterator

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


class EventHub:
    def __init__(self, max_queue: int = 512) -> None:
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._max_queue = max_queue
        self.closed = False
        self.published = 0

    def publish(self, kind: str, payload: dict[str, Any]) -> None:
        """Thread-safe and non-blocking: queue ``payload`` (as JSON) for every subscriber."""
        if not self._subscribers:
            return
        data = to_json(payload)
        self.published += 1
        self._send((kind, data))

    def listener(self, kind: str, payload: dict[str, Any]) -> None:
        """A loop listener (``loop.listeners.append(hub.listener)``)."""
        self.publish(kind, payload)

    def _send(self, item: Item) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(sub.put, item)
            except RuntimeError:  # its event loop has closed
                self._discard(sub)

    @contextmanager
    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Iterator[Subscriber]:
        sub = Subscriber(loop, self._max_queue)
        with self._lock:
            self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._discard(sub)

    def _discard(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

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

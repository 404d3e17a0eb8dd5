"""One bus for the typed loop events: each subscriber gets its own bounded queue and thread.

Publishing never blocks and never fails: an event goes into the queue of every subscriber of its type, and a
full queue drops it (counted). A handler that raises is counted and logged, and gets the next event. So a
slow or failing observer never slows or breaks decide and learn; ``stats()`` shows each one's drops and
errors (``/api/status`` carries them).

>>> from appliance.events import ModelSwapped
>>> bus = EventBus()
>>> seen = []
>>> sub = bus.subscribe("demo", seen.append, (ModelSwapped,))
>>> bus.publish(ModelSwapped(7, "upload")); bus.flush()
True
>>> seen, bus.stats()["demo"]["delivered"]
([ModelSwapped(model_version=7, reason='upload')], 1)
>>> ModelSwapped in bus.wanted
True
>>> bus.close(); ModelSwapped in bus.wanted
False
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable, Iterable, Sequence

log = logging.getLogger(__name__)


class Subscription:
    """One subscriber: a bounded queue drained by its own thread into ``handler``, all that waits at a time (so at
    most ``max_queue`` events wait besides those being handled). With ``linger`` seconds the thread, once woken,
    lets events gather that long before it takes them (``flush()`` and ``close()`` cut it short): one wake-up per
    batch instead of one per event, which is what an idle subscriber costs the publishing thread under the GIL."""

    def __init__(self, name: str, handler: Callable[[Any], object], types: tuple[type, ...], max_queue: int,
                 linger: float = 0.0) -> None:
        self.name, self.types, self.max_queue, self.linger = name, types, max_queue, linger
        self._handler = handler
        self._queue: deque[Any] = deque()
        self._ready = threading.Condition()
        self._busy = False
        self._closed = False
        self._hurry = False
        self.delivered = self.dropped = self.errors = self.wakes = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name=f"bus-{name}", daemon=True)
        self._thread.start()

    def offer(self, events: Sequence[Any]) -> None:
        """Queue ``events`` (all of a type this subscriber takes); what does not fit is dropped and counted."""
        with self._ready:
            room = self.max_queue - len(self._queue)
            if room < len(events):
                self.dropped += len(events) - max(room, 0)
                events = events[: max(room, 0)]
            if events:
                woken = not self._queue  # else the subscriber's thread is busy or lingering: no wake-up needed
                self._queue.extend(events)
                if woken:
                    self._ready.notify_all()  # the subscriber's thread, and not only someone waiting in idle()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._busy = False
                    self._ready.notify_all()  # flush() waits for an idle subscriber
                    self._ready.wait()
                if self.linger and not (self._closed or self._hurry):
                    self._ready.wait(self.linger)  # let more gather; idle() and close() notify to cut it short
                if not self._queue:
                    self._busy = False
                    self._ready.notify_all()
                    return
                batch, self._queue = self._queue, deque()  # all that is queued, handled without the lock
                self._busy, self._hurry = True, False
                self.wakes += 1
            for event in batch:
                try:
                    self._handler(event)
                    self.delivered += 1
                except Exception as err:  # an observer must never take the loop or the bus down
                    self.errors += 1
                    self.last_error = f"{type(err).__name__}: {err}"
                    if self.errors <= 10 or self.errors % 1000 == 0:
                        log.exception("observer %s failed on %s (error %d); it gets the next event", self.name,
                                      type(event).__name__, self.errors)

    def idle(self, timeout: float) -> bool:
        """Wait until every queued event was handled; False if that took longer than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._ready:
            self._hurry = True
            self._ready.notify_all()  # a lingering thread takes what is queued now
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return not (self._queue or self._busy)
                self._ready.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Handle what is queued, then end the thread."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        self._thread.join(timeout)

    def stats(self) -> dict[str, Any]:
        return {"types": [t.__name__ for t in self.types], "delivered": self.delivered, "wakes": self.wakes, "dropped": self.dropped,
                "errors": self.errors, "queued": len(self._queue), "max_queue": self.max_queue,
                "last_error": self.last_error, "alive": self._thread.is_alive()}


class EventBus:
    """Routes each event to the subscribers of its type (thread-safe; ``publish`` costs one lookup when
    nobody listens, so a loop without observers pays nothing).

    ``wanted`` holds the types someone subscribes to, recomputed when a subscription changes: a publisher tests
    ``type_ in bus.wanted`` (no call) to skip building an event nobody takes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: list[Subscription] = []
        self._routes: dict[type, tuple[Subscription, ...]] = {}
        self.wanted: frozenset[type] = frozenset()

    def subscribe(self, name: str, handler: Callable[[Any], object], types: Iterable[type], max_queue: int = 1024,
                  linger: float = 0.0) -> Subscription:
        """Call ``handler(event)`` on a thread of its own for every event of ``types`` published from now on; with
        ``linger``, events gather that many seconds once one arrives before they are handled (0: at once)."""
        with self._lock:
            if any(s.name == name for s in self._subscriptions):
                raise ValueError(f"the bus already has a subscriber named {name!r}; give each observer its own name")
            sub = Subscription(name, handler, tuple(types), max_queue, linger)
            self._subscriptions.append(sub)
            self._reroute()
        return sub

    def unsubscribe(self, sub: Subscription, timeout: float = 5.0) -> None:
        """Stop routing to ``sub``, let it handle what it has queued, end its thread."""
        with self._lock:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)
                self._reroute()
        sub.close(timeout)

    def _reroute(self) -> None:
        routes: dict[type, list[Subscription]] = {}
        for sub in self._subscriptions:
            for type_ in sub.types:
                routes.setdefault(type_, []).append(sub)
        self._routes = {t: tuple(subs) for t, subs in routes.items()}
        self.wanted = frozenset(self._routes)

    def publish(self, event: Any) -> None:
        for sub in self._routes.get(type(event), ()):
            sub.offer((event,))

    def publish_all(self, events: Sequence[Any]) -> None:
        """Publish events that all have the type of the first one, in one queue operation per subscriber."""
        if events:
            for sub in self._routes.get(type(events[0]), ()):
                sub.offer(events)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every subscriber handled what it had queued; False on timeout."""
        deadline = time.monotonic() + timeout
        return all(sub.idle(max(deadline - time.monotonic(), 0.0)) for sub in list(self._subscriptions))

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per subscriber: delivered, dropped, errors, queued, last error."""
        return {sub.name: sub.stats() for sub in list(self._subscriptions)}

    def close(self, timeout: float = 5.0) -> None:
        """Unsubscribe everyone (each handles what it has queued first)."""
        for sub in list(self._subscriptions):
            self.unsubscribe(sub, timeout)

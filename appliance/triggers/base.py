"""The ``Trigger`` role: says when the daemon decides. :class:`Triggers` checks them together.

A trigger is asked ``fired(context, now)`` on every check with the latest context; it keeps its own state
(an edge, a refractory time, presses waiting) and counts its firings. However many fire at once, the set
makes one decision from that context.

>>> from appliance.clock import FakeClock
>>> from appliance.triggers.periodic import PeriodicTrigger
>>> clock, decided = FakeClock(0.0), []
>>> triggers = Triggers([PeriodicTrigger(2.0)], lambda: {"room": {"level": 0.5}}, decided.append, clock)
>>> for _ in range(3):
...     clock.advance(1.0)
...     print(triggers.step())
['periodic']
[]
['periodic']
>>> decided[0], triggers.stats()["fired"], triggers.stats()["decisions"]
({'room': {'level': 0.5}}, {'periodic': 2}, 2)
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

from appliance.clock import Clock
from appliance.errors import WabbitError
from appliance.features import Features

log = logging.getLogger(__name__)


class TriggerError(WabbitError, RuntimeError):
    """A trigger could not be built (a GPIO pin in use, say); the message names it and the fix."""


@runtime_checkable
class Trigger(Protocol):
    name: str

    def start(self) -> None:
        """Begin watching (attach callbacks); returns at once."""
        ...

    def fired(self, context: Features, now: float) -> bool:
        """Whether to decide now, given the latest context; counts the firing. ``now``: seconds on a clock nobody
        sets (:meth:`~appliance.clock.Clock.monotonic`), for periods and refractory times, never a time of day."""
        ...

    def stop(self) -> None:
        """Stop watching and release the device; idempotent."""
        ...

    def stats(self) -> dict[str, Any]:
        """JSON-able: kind, fired count and the trigger's own state."""
        ...


class BaseTrigger:
    """Shared state: name, count, the refractory time and the last firing."""

    kind = "trigger"

    def __init__(self, name: str, min_interval_s: float = 0.0) -> None:
        self.name, self.min_interval_s = name, min_interval_s
        self.count = 0
        self.suppressed = 0
        self.last_fired: float | None = None

    def start(self) -> None:
        """Overridden by kinds that watch a device."""

    def stop(self) -> None:
        """Overridden by kinds that hold a device."""

    def _quiet(self, now: float) -> bool:
        """Still within ``min_interval_s`` of the last firing."""
        return self.last_fired is not None and now - self.last_fired < self.min_interval_s

    def _fire(self, now: float) -> bool:
        """Fire unless still within ``min_interval_s`` of the last firing (then count it as suppressed)."""
        if self._quiet(now):
            self.suppressed += 1
            return False
        self.last_fired = now
        self.count += 1
        return True

    def stats(self) -> dict[str, Any]:
        return {"type": self.kind, "fired": self.count, "suppressed": self.suppressed, "last_fired": self.last_fired}


class Triggers:
    """The configured triggers over one context source and one way to decide (the daemon's ``triggers`` worker).

    ``context()`` gives the latest context; ``decide(context)`` makes the decision and returns once it is
    durable. ``step`` is the worker's step: check every trigger, decide once if any fired.
    """

    def __init__(self, triggers: Sequence[Trigger], context: Callable[[], Features],
                 decide: Callable[[Features], object], clock: Clock) -> None:
        self.triggers, self._context, self._decide, self._clock = list(triggers), context, decide, clock
        self._lock = threading.Lock()
        self.decisions = 0
        self.last: dict[str, Any] | None = None

    def start(self) -> None:
        for trigger in self.triggers:
            trigger.start()

    def step(self) -> list[str]:
        """Check each trigger with the latest context; one decision if any fired. Returns the names that fired."""
        with self._lock:
            now, context = self._clock.monotonic(), self._context()
            fired = [t.name for t in self.triggers if t.fired(context, now)]  # every trigger sees every check
            if not fired:
                return fired
            started = time.perf_counter()
            self._decide(context)
            self.decisions += 1
            self.last = {"triggers": fired, "at": self._clock.time(), "decide_ms": round((time.perf_counter() - started) * 1000, 3)}
            log.debug("triggers %s fired: decided", ", ".join(fired))
            return fired

    def stop(self) -> None:
        """Stop every trigger; never raises (a failing one is logged)."""
        for trigger in self.triggers:
            try:
                trigger.stop()
            except Exception as err:
                log.error("trigger %s did not stop cleanly: %s", trigger.name, err)

    def stats(self) -> dict[str, Any]:
        each = {t.name: t.stats() for t in self.triggers}
        since_epoch = self._clock.time() - self._clock.monotonic()
        for stats in each.values():  # when each fired last, on the wall clock
            if isinstance(stats.get("last_fired"), float):
                stats["last_fired"] += since_epoch
        return {"fired": {name: s["fired"] for name, s in each.items()}, "decisions": self.decisions,
                "last": self.last, "each": each}

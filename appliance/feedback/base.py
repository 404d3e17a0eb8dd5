"""The ``FeedbackSource`` role: signals from the world become rewards for decisions.

A source calls its :class:`Rewarder`, which applies the configured reward mapping (``transform``, then a
reward for the named event id or for the latest decision within ``attribution_window_s`` whose action
passes the ``actions`` filter), waits until the write-ahead log holds it, and counts the outcome. Bad
feedback (not a number, not finite, unknown event id, malformed message) is counted and logged, never raised.

>>> from appliance.feedback.fake import RecordingTarget
>>> from appliance.config.feedback import MQTTFeedbackConfig
>>> target = RecordingTarget(known={"e1"})
>>> rewarder = Rewarder(target, MQTTFeedbackConfig(transform={"scale": 0.5}), "demo")
>>> rewarder.signal(2, event_id="e1"), rewarder.signal("lots", event_id="e1"), rewarder.signal(1, event_id="nope")
('accepted', 'bad', 'unknown')
>>> rewarder.signal(True, event_id="e1"), rewarder.signal(10**400, event_id="e1")  # JSON's true, a 401-digit integer
('bad', 'bad')
>>> target.rewards
[('e1', 1.0)]
>>> rewarder.counts
{'accepted': 1, 'duplicate': 0, 'late': 0, 'unknown': 1, 'bad': 3, 'errors': 0}

A signal that comes before the source was started (a button pressed while the daemon starts) has no loop to go
to: it is counted as ``not_started``, not silently lost:

>>> from appliance.feedback.fake import ScriptedFeedback
>>> early = ScriptedFeedback("early")
>>> early.push(1.0), early.stats()["not_started"]
('not started', 1)
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, Protocol, Sequence, runtime_checkable

from appliance.clock import Clock
from appliance.config.feedback import Transform
from appliance.errors import StorageError, WabbitError
from appliance.join.rewards import RewardResult
from appliance.storage.wal_tickets import Ticket

log = logging.getLogger(__name__)


class FeedbackError(WabbitError, RuntimeError):
    """A feedback source could not be built or started; the message names the source and the fix."""


class RewardTarget(Protocol):
    """What a rewarder needs of the loop (:class:`appliance.loop.Loop` is one)."""

    clock: Clock

    def reward(
        self, event_id: str, value: float, reward_id: str | None = None, timestamp: float | None = None
    ) -> tuple[RewardResult, Ticket]: ...

    def attribute(
        self, value: float, within_s: float, reward_id: str | None = None, timestamp: float | None = None,
        actions: Sequence[str] | None = None,
    ) -> tuple[RewardResult, Ticket]: ...


class Mapping(Protocol):
    """The reward-mapping fields every feedback config has."""

    @property
    def transform(self) -> Transform: ...
    @property
    def attribution_window_s(self) -> float: ...
    @property
    def actions(self) -> list[str] | None: ...


@runtime_checkable
class FeedbackSource(Protocol):
    """Produces rewards from a device, a broker or a web API, on its own thread or callbacks."""

    name: str

    def start(self, target: RewardTarget) -> None:
        """Start delivering rewards to ``target`` (returns at once)."""
        ...

    def stop(self) -> None:
        """Stop delivering and release the device or connection; idempotent."""
        ...

    def stats(self) -> dict[str, Any]:
        """JSON-able counters: accepted, duplicate, late, unknown, bad, errors, and the source's own."""
        ...


class Rewarder:
    """Applies one source's reward mapping and counts every outcome. Thread-safe: one lock guards the counters
    (sources signal from their own threads and callbacks); the loop serialises the rewards."""

    def __init__(self, target: RewardTarget, mapping: Mapping, source: str) -> None:
        self.target, self.mapping, self.source = target, mapping, source
        self.counts = {"accepted": 0, "duplicate": 0, "late": 0, "unknown": 0, "bad": 0, "errors": 0}
        self._lock = threading.Lock()  # sources signal from their own threads and callbacks
        self.last_problem: str | None = None
        self.last_reward: float | None = None

    def now(self) -> float:
        return self.target.clock.time()

    def signal(
        self, raw: Any, event_id: str | None = None, reward_id: str | None = None, timestamp: float | None = None,
    ) -> str:
        """Turn ``raw`` into a reward; returns the outcome (accepted/duplicate/late/unknown/bad/error)."""
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not abs(raw) <= sys.float_info.max:  # NaN, inf, 10**400
            return self.bad(f"reward {repr(raw)[:40]} is not a finite number")
        if event_id is not None and (not isinstance(event_id, str) or not event_id):
            return self.bad(f"event_id {event_id!r} is not a non-empty string")
        try:
            value = self.mapping.transform.apply(raw)
            if event_id is not None:
                result, ticket = self.target.reward(event_id, value, reward_id, timestamp)
            else:
                result, ticket = self.target.attribute(
                    value, self.mapping.attribution_window_s, reward_id, timestamp, self.mapping.actions,
                )
        except ValueError as err:  # UsageError too
            return self.bad(str(err))
        status: str = result.status
        self._count(status)
        if status == "unknown":
            what = f"event id {event_id!r}" if event_id else f"no decision in the last {self.mapping.attribution_window_s:g} s"
            self._note(f"reward {value} matched {what}")
            return status
        self.last_reward = value
        try:
            ticket.wait()  # durable before the sender is acknowledged (MQTT PUBACK follows the callback)
        except StorageError as err:
            self._count("errors")
            self._note(str(err), logging.ERROR)
            return "error"
        return status

    def bad(self, problem: str) -> str:
        """Count and log feedback that cannot be used."""
        self._count("bad")
        self._note(problem)
        return "bad"

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.counts[outcome] += 1

    def _note(self, problem: str, level: int = logging.WARNING) -> None:
        with self._lock:
            self.last_problem = problem
            n = self.counts["bad"] + self.counts["unknown"] + self.counts["errors"]
        if n <= 10 or n % 100 == 0:  # a noisy sender must not flood the log
            log.log(level, "feedback %s: %s (ignored; %d problems so far)", self.source, problem, n)

    def stats(self) -> dict[str, Any]:
        with self._lock:  # one consistent snapshot while sources count
            return {**self.counts, "last_reward": self.last_reward, "last_problem": self.last_problem}


class BaseFeedback:
    """Shared behaviour: the rewarder made at ``start`` and the stats snapshot."""

    kind = "feedback"

    def __init__(self, name: str, mapping: Mapping) -> None:
        self.name, self.mapping = name, mapping
        self.rewarder: Rewarder | None = None
        self.not_started = 0
        self._early_lock = threading.Lock()  # early signals come from device callbacks and threads, as later ones do

    def start(self, target: RewardTarget) -> None:
        self.rewarder = Rewarder(target, self.mapping, self.name)
        self._start()

    def _start(self) -> None:
        """Begin delivering to ``self.rewarder``."""

    def stop(self) -> None:
        """Overridden by kinds that hold a device or thread."""

    def signal(self, raw: Any, event_id: str | None = None, reward_id: str | None = None, timestamp: float | None = None) -> str:
        if self.rewarder is None:
            return self.too_early()
        return self.rewarder.signal(raw, event_id, reward_id, timestamp)

    def too_early(self) -> str:
        """Count (and log) a signal that came before the source was started: there is no loop to reward yet."""
        with self._early_lock:
            self.not_started += 1
            n = self.not_started
        if n == 1 or n % 100 == 0:
            log.warning("feedback %s: a signal came before the source was started; not rewarded (%d so far)", self.name, n)
        return "not started"

    def stats(self) -> dict[str, Any]:
        counts = self.rewarder.stats() if self.rewarder else {}
        return {"type": self.kind, "name": self.name, "not_started": self.not_started, **counts}

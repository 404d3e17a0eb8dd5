"""The ``Actuator`` role: turn a decision into an effect, fast, and go to a safe state on demand.

``act(decision)`` receives :meth:`appliance.policy.base.Decision.public` (event_id, action, probability, ...)
and must return within milliseconds: slow work (HTTP) belongs in the actuator's own worker thread. An
action the actuator does not map sends it to its safe state. :class:`BaseActuator` adds what every kind
shares: the ``hold_s`` timer (effect ends after a while), counters and a stats snapshot.

>>> from appliance.actuators.fake import RecordingActuator
>>> lamp = RecordingActuator("lamp", {"warm": "orange"})
>>> lamp.act({"event_id": "e1", "action": "warm"}); lamp.state
'orange'
>>> lamp.act({"event_id": "e2", "action": "cool"}); lamp.state
'off'
>>> lamp.stats()["acted"], lamp.stats()["last_action"]
(2, 'cool')
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Mapping, Protocol, runtime_checkable

from appliance.errors import WabbitError

log = logging.getLogger(__name__)


class ActuatorError(WabbitError, RuntimeError):
    """An actuator could not be built or driven; the message names the actuator and the fix."""


@runtime_checkable
class Actuator(Protocol):
    """Drives one device (or one remote endpoint) from decisions."""

    name: str

    def act(self, decision: Mapping[str, Any]) -> None:
        """Apply ``decision["action"]`` (unmapped actions: safe state). Returns quickly."""
        ...

    def safe(self) -> None:
        """Go to the declared safe state (off) now; idempotent."""
        ...

    def close(self) -> None:
        """Safe state, then release the device; idempotent."""
        ...

    def stats(self) -> dict[str, Any]:
        """JSON-able snapshot: type, name, state, last action, counters."""
        ...


class BaseActuator(ABC):
    """Shared behaviour; a kind implements :meth:`_apply`, :meth:`_off`, :meth:`_state` and :meth:`_release`."""

    kind: ClassVar[str] = "actuator"

    def __init__(self, name: str, hold_s: float | None = None) -> None:
        self.name = name
        self.hold_s = hold_s
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        self._generation = 0
        self._closed = False
        self._is_safe = False  # in the safe state since the last action: close need not send it again
        self.acted = 0
        self.unmapped = 0
        self.safe_calls = 0
        self.errors = 0
        self.last_action: str | None = None
        self.last_event_id: str | None = None
        self.last_error: str | None = None

    # -- what a kind implements ------------------------------------------------------------------
    @abstractmethod
    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        """Show ``action``; return False when it is not mapped (then the caller goes safe)."""

    @abstractmethod
    def _off(self) -> None:
        """The safe state."""

    def _state(self) -> Any:
        """A JSON-able description of what the device shows now."""
        return None

    def _release(self) -> None:
        """Free the device (pins, sockets, threads)."""

    # -- the protocol ----------------------------------------------------------------------------
    def act(self, decision: Mapping[str, Any]) -> None:
        action = str(decision["action"])
        with self._lock:
            if self._closed:
                return
            self._cancel_timer()
            self._is_safe = False
            self.acted += 1
            self.last_action, self.last_event_id = action, decision.get("event_id")
            try:
                mapped = self._apply(action, decision)
                if not mapped:
                    self.unmapped += 1
                    self._off()
            except Exception as err:
                self._failed(err, f"action {action!r}")
                raise
            if mapped and self.hold_s:
                self._timer = threading.Timer(self.hold_s, self._expire, args=(self._generation,))
                self._timer.name, self._timer.daemon = f"hold-{self.name}", True
                self._timer.start()

    def safe(self) -> None:
        with self._lock:
            self._cancel_timer()
            self.safe_calls += 1
            if self._closed:
                return
            try:
                self._off()
            except Exception as err:
                self._failed(err, "safe state")
                raise
            self._is_safe = True

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                if not self._is_safe:  # Devices.stop sends the safe state first: a webhook must not post it twice
                    self.safe()
            finally:
                self._closed = True
                self._release()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "type": self.kind, "name": self.name, "state": None if self._closed else self._state(),
                "closed": self._closed, "last_action": self.last_action, "last_event_id": self.last_event_id,
                "acted": self.acted, "unmapped": self.unmapped, "safe_calls": self.safe_calls,
                "errors": self.errors, "last_error": self.last_error,
            }

    # -- internals -------------------------------------------------------------------------------
    def _failed(self, err: Exception, what: str) -> None:
        self.errors += 1
        self.last_error = f"{type(err).__name__}: {err}"
        log.error("actuator %s: %s failed: %s", self.name, what, self.last_error)

    def _cancel_timer(self) -> None:
        self._generation += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation or self._closed:
                return  # a newer action (or the safe state) replaced the one this timer was for
            self._timer = None
            try:
                self._off()
            except Exception as err:
                self._failed(err, "end of hold")

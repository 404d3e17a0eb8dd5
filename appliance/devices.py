"""The appliance's real devices: actuators driven by decisions, feedback sources turned into rewards.

The daemon builds them from config, starts them once the loop has recovered, and stops them on SIGTERM::

    devices = Devices.from_config(config.actuators, config.feedback)
    devices.start(loop)      # subscribes to the loop's durable decisions, starts feedback threads/callbacks
    ...
    devices.stop()           # feedback stops, every actuator goes to its safe state (off) and closes

>>> from appliance.actuators import RecordingActuator
>>> from appliance.events import DecisionMade
>>> from appliance.feedback import ScriptedFeedback
>>> from appliance.policy import Decision
>>> lamp, like = RecordingActuator("lamp", {"warm": "orange"}), ScriptedFeedback("like")
>>> devices = Devices([lamp], [like])
>>> devices.act(DecisionMade(Decision("e1", "warm", 0, 1.0, (1.0,), ("warm",), {}, 0, 0.0))); lamp.state
'orange'
>>> devices.stop(); lamp.state, lamp.stats()["closed"]
('off', True)
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Sequence

from appliance.actuators import Actuator, build_actuator
from appliance.bus import Subscription
from appliance.config.actuators import ActuatorConfig
from appliance.config.devices import check_actions
from appliance.config.feedback import FeedbackConfig
from appliance.errors import ConfigError
from appliance.events import DecisionMade
from appliance.feedback import FeedbackSource, RewardTarget, build_feedback
from appliance.gpio import is_simulated, resolve_pin_factory

log = logging.getLogger(__name__)

__all__ = ["Devices"]


class Devices:
    """Actuators and feedback sources with one start, one stop and one stats snapshot."""

    def __init__(
        self, actuators: Sequence[Actuator], feedback: Sequence[FeedbackSource], simulated: bool = False,
        configs: tuple[Sequence[ActuatorConfig], Sequence[FeedbackConfig]] = ((), ()),
    ) -> None:
        names = [a.name for a in actuators] + [f.name for f in feedback]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ConfigError(f"actuators/feedback: names must be unique; repeated: {', '.join(repeated)}. Set distinct `name:` keys.")
        self.actuators, self.feedback, self.simulated = list(actuators), list(feedback), simulated
        self._configs = configs
        self._loop: Any = None
        self._subscription: Subscription | None = None
        self._lock = threading.Lock()
        self.started = self.stopped = False
        self.decisions = 0
        self.actuator_errors = 0

    @classmethod
    def from_config(
        cls, actuators: Sequence[ActuatorConfig], feedback: Sequence[FeedbackConfig], pin_factory: Any = None,
    ) -> "Devices":
        """Open every configured device; GPIO ones on ``pin_factory`` (default: see ``resolve_pin_factory``)."""
        gpio = any(c.gpio_pins() for c in actuators) or any(c.gpio_pins() for c in feedback)
        factory = resolve_pin_factory(pin_factory) if gpio else None
        built_actuators: list[Actuator] = []
        built_feedback: list[FeedbackSource] = []
        try:
            for i, a in enumerate(actuators):
                built_actuators.append(build_actuator(a, a.name or f"{a.type}-{i}", factory))
            for i, f in enumerate(feedback):
                built_feedback.append(build_feedback(f, f.name or f"{f.type}-{i}", factory))
        except BaseException:
            for source in built_feedback:
                source.stop()
            for actuator in built_actuators:
                actuator.close()
            raise
        simulated = factory is not None and is_simulated(factory)
        return cls(built_actuators, built_feedback, simulated, (list(actuators), list(feedback)))

    def start(self, loop: Any) -> None:
        """Drive actuators from ``loop``'s durable decisions (its bus) and feed it rewards (``loop``: an appliance Loop)."""
        declared = getattr(getattr(loop, "policy", None), "actions", None)
        if declared is not None:
            problems = check_actions(*self._configs, declared)
            if problems:
                raise ConfigError("\n".join(problems))
        with self._lock:
            if self.started:
                return
            self.started, self._loop = True, loop
            if self.actuators:
                self._subscription = loop.bus.subscribe("actuators", self.act, (DecisionMade,), max_queue=64)
        target: RewardTarget = loop
        for source in self.feedback:
            source.start(target)
        log.info("devices started: %d actuators, %d feedback sources%s", len(self.actuators), len(self.feedback),
                 " (simulated GPIO)" if self.simulated else "")

    def act(self, event: DecisionMade) -> None:
        """A durable decision drives every actuator; a failing actuator goes to its safe state."""
        if self.stopped:
            return
        payload = event.decision.public()
        self.decisions += 1
        for actuator in self.actuators:
            try:
                actuator.act(payload)
            except Exception as err:
                self.actuator_errors += 1
                log.error("actuator %s failed on action %r (%s); switching it to its safe state", actuator.name, payload.get("action"), err)
                try:
                    actuator.safe()
                except Exception as safe_err:
                    log.error("actuator %s: the safe state failed too: %s", actuator.name, safe_err)

    def stop(self) -> None:
        """Stop feedback, then every actuator to its safe state and closed. Idempotent; never raises."""
        with self._lock:
            if self.stopped:
                return
            self.stopped = True  # decisions still queued are not acted on: the safe state comes next
            subscription, self._subscription = self._subscription, None
        if subscription is not None:
            self._loop.bus.unsubscribe(subscription)
        for source in self.feedback:
            try:
                source.stop()
            except Exception as err:
                log.error("feedback %s did not stop cleanly: %s", source.name, err)
        final: dict[str, Any] = {}
        for actuator in self.actuators:
            try:
                actuator.safe()
                final[actuator.name] = actuator.stats().get("state")
                actuator.close()
            except Exception as err:
                log.error("actuator %s: safe state or close failed: %s", actuator.name, err)
        log.info("devices stopped; actuators in their safe state: %s", json.dumps(final))

    def stats(self) -> dict[str, Any]:
        """Actuator states and pins, feedback counters, totals."""
        feedback = {f.name: f.stats() for f in self.feedback}
        outcomes = ("accepted", "duplicate", "late", "unknown", "bad", "errors", "not_started")
        totals = {k: sum(int(s.get(k, 0) or 0) for s in feedback.values()) for k in outcomes}
        return {
            "simulated_gpio": self.simulated, "started": self.started, "stopped": self.stopped,
            "decisions": self.decisions, "actuator_errors": self.actuator_errors,
            "queue": self._subscription.stats() if self._subscription is not None else None,
            "actuators": {a.name: a.stats() for a in self.actuators}, "feedback": feedback, "feedback_totals": totals,
        }

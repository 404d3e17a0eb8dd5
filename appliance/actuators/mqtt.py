"""Publish each decision to an MQTT broker: QoS 1 JSON ``{event_id, action, probability, ..., payload}``.

paho-mqtt (the ``net`` extra) keeps the connection in its own thread and reconnects by itself; a message
published while the broker is away waits in paho's queue (QoS >= 1; a QoS 0 one is dropped and counted), so ``act``
never blocks. The safe
state publishes ``safe_payload`` to ``topic``.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping

from appliance.actuators.base import ActuatorError, BaseActuator
from appliance.config.actuators import MQTTActuatorConfig
from appliance.mqtt import MQTTClient

log = logging.getLogger(__name__)


class MQTTActuator(BaseActuator):
    kind = "mqtt"

    def __init__(self, config: MQTTActuatorConfig, name: str, pin_factory: Any = None) -> None:
        super().__init__(name, config.hold_s)
        self.config = config
        self.published = 0
        self.failed = 0
        self.dropped = 0  # QoS 0 messages published while the broker was away: paho never queues them
        self.last_payload: Any = None
        self._last_info: Any = None
        self.mqtt = MQTTClient(name, config.host, config.port, config.client_id)
        self.mqtt.start()

    def message(self, decision: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON body published for ``decision``."""
        action = str(decision["action"])
        keys = ("event_id", "action", "probability", "model_version", "timestamp")
        body = {k: decision.get(k) for k in keys}
        if action in self.config.payloads:
            body["payload"] = self.config.payloads[action]
        return body

    def _publish(self, topic: str, body: Any) -> Any:
        info = self.mqtt.client.publish(topic, json.dumps(body), qos=self.config.qos, retain=self.config.retain)
        if info.rc not in (0, 4):  # 4 = not connected yet: QoS >= 1 messages wait in paho's queue
            self.failed += 1
            raise ActuatorError(f"actuator {self.name}: publish to {topic!r} failed (paho rc {info.rc}); is the broker reachable?")
        if info.rc == 4 and self.config.qos == 0:  # at most once: gone, which the stats say (qos: 1 keeps them)
            self.dropped += 1
            return info
        self.published += 1
        self.last_payload = body
        self._last_info = info
        return info

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        self._publish(self.config.topics.get(action, self.config.topic), self.message(decision))
        return True  # every decision is published; `payloads` only adds to it

    def _off(self) -> None:
        if self.config.safe_payload is not None:
            self._publish(self.config.topic, self.config.safe_payload)

    def _state(self) -> Any:
        return self.last_payload

    def _release(self) -> None:
        if self._last_info is not None and self.mqtt.connected.is_set():
            try:
                self._last_info.wait_for_publish(2.0)  # the safe state must leave before the process exits
            except (RuntimeError, ValueError) as err:
                log.warning("actuator %s: safe state not delivered: %s", self.name, err)
        self.mqtt.stop()

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "published": self.published, "failed": self.failed, "dropped": self.dropped, **self.mqtt.stats()}

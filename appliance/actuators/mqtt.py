"""Publish each decision to an MQTT broker: QoS 1 JSON ``{event_id, action, probability, ..., payload}``.

paho-mqtt (the ``net`` extra) keeps the connection in its own thread and reconnects by itself; a message
published while the broker is away waits in paho's queue (QoS >= 1), so ``act`` never blocks. The safe
state publishes ``safe_payload`` to ``topic``.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Mapping

from appliance.actuators.base import ActuatorError, BaseActuator
from appliance.config.actuators import MQTTActuatorConfig

log = logging.getLogger(__name__)


class MQTTClient:
    """A paho client that connects in the background, reconnects, and counts what happened."""

    def __init__(
        self, name: str, host: str, port: int, client_id: str = "",
        on_connect: Callable[[Any], None] | None = None, on_message: Callable[[Any], None] | None = None,
    ) -> None:
        try:
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
        except ImportError:
            raise ActuatorError(f"{name}: MQTT needs paho-mqtt; install the `net` extra (pip install 'raspberry-wabbit[net]')") from None
        self.name, self.host, self.port = name, host, port
        self.connected = threading.Event()
        self.connects = 0
        self.disconnects = 0
        self.last_error: str | None = None
        self._on_connect, self._on_message = on_connect, on_message
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv311)
        self.client.reconnect_delay_set(1, 30)
        self.client.max_queued_messages_set(1000)
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        if on_message is not None:
            self.client.on_message = lambda client, userdata, message: on_message(message)

    def start(self) -> None:
        try:
            self.client.connect_async(self.host, self.port, keepalive=30)
        except (OSError, ValueError) as err:
            raise ActuatorError(f"{self.name}: cannot reach the MQTT broker {self.host}:{self.port}: {err}") from None
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _connected(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if getattr(reason, "is_failure", False):
            self.last_error = f"connection refused: {reason}"
            log.warning("%s: MQTT broker %s:%d refused the connection: %s", self.name, self.host, self.port, reason)
            return
        self.connects += 1
        log.info("%s: connected to MQTT broker %s:%d", self.name, self.host, self.port)
        if self._on_connect is not None:
            self._on_connect(client)  # subscriptions are renewed on every (re)connect
        self.connected.set()

    def _disconnected(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connected.clear()
        self.disconnects += 1
        if getattr(reason, "is_failure", False):
            self.last_error = f"disconnected: {reason}"
            log.warning("%s: lost the MQTT broker %s:%d (%s); reconnecting", self.name, self.host, self.port, reason)

    def stats(self) -> dict[str, Any]:
        return {"broker": f"{self.host}:{self.port}", "connected": self.connected.is_set(), "connects": self.connects,
                "disconnects": self.disconnects, "last_error": self.last_error}


class MQTTActuator(BaseActuator):
    kind = "mqtt"

    def __init__(self, config: MQTTActuatorConfig, name: str, pin_factory: Any = None) -> None:
        super().__init__(name, config.hold_s)
        self.config = config
        self.published = 0
        self.failed = 0
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
        return {**super().stats(), "published": self.published, "failed": self.failed, **self.mqtt.stats()}

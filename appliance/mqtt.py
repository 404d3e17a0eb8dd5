"""One MQTT connection (paho-mqtt, the ``net`` extra) for every part that speaks MQTT: actuators, feedback,
stats, and the modules to come.

The client connects in the background on paho's own thread and reconnects with backoff (1 s to 30 s); a
broker that is away never blocks the caller. It counts connects, disconnects and the last error.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from appliance.errors import WabbitError

log = logging.getLogger(__name__)


class MQTTError(WabbitError, RuntimeError):
    """paho-mqtt is missing, or the broker address cannot be used; the message says what to do."""


class MQTTClient:
    """A paho client that connects in the background, reconnects, and counts what happened."""

    def __init__(
        self, name: str, host: str, port: int, client_id: str = "",
        on_connect: Callable[[Any], None] | None = None, on_message: Callable[[Any], None] | None = None,
        persistent: bool = False,
    ) -> None:
        """``persistent`` (with a ``client_id``): the broker keeps the session while the client is away, its
        subscriptions and the QoS >= 1 messages they match, and hands them over at the next connect."""
        try:
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
        except ImportError:
            raise MQTTError(f"{name}: MQTT needs paho-mqtt; install the `net` extra (pip install 'raspberry-wabbit[net]')") from None
        self.name, self.host, self.port = name, host, port
        self.connected = threading.Event()
        self.connects = 0
        self.disconnects = 0
        self.last_error: str | None = None
        self._on_connect, self._on_message = on_connect, on_message
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv311,
                                  clean_session=not (persistent and client_id))
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
            raise MQTTError(f"{self.name}: cannot reach the MQTT broker {self.host}:{self.port}: {err}") from None
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

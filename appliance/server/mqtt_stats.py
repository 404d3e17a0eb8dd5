"""The daemon's stats snapshot on MQTT, with an availability topic the broker keeps honest.

Before connecting, a last will ``<prefix>/availability = offline`` (retained) is registered, so the broker
announces a daemon that died (``kill -9``, power loss, a cut cable). Every (re)connect publishes ``online``
(retained); every ``interval_s`` the snapshot ``/api/status`` returns (the bus's ``StatsTaken``) goes to
``<prefix>/stats`` as JSON; a clean shutdown publishes ``offline`` itself. paho's network thread connects and
reconnects with backoff (1 s to 30 s); the bus handler only hands a message to paho, so a missing broker never
blocks or stops the daemon. It is counted, like everything else, in ``stats()`` (``mqtt_stats`` in
``/api/status``).

>>> topics(MQTTStatsConfig(topic_prefix="home/wabbit"), hostname="pi")
('home/wabbit/stats', 'home/wabbit/availability')
>>> topics(MQTTStatsConfig(), hostname="pi")
('wabbit/pi/stats', 'wabbit/pi/availability')
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

from appliance.bus import EventBus, Subscription
from appliance.config.server import MQTTStatsConfig
from appliance.errors import ConfigError, WabbitError
from appliance.events import StatsTaken
from appliance.mqtt import MQTTClient
from appliance.server.hub import to_json

log = logging.getLogger(__name__)
CLOSE_TIMEOUT_S = 2.0


def topics(config: MQTTStatsConfig, hostname: str | None = None) -> tuple[str, str]:
    """``(stats topic, availability topic)``; the prefix defaults to ``wabbit/<hostname>``."""
    prefix = config.topic_prefix or f"wabbit/{hostname or socket.gethostname()}"
    return f"{prefix}/stats", f"{prefix}/availability"


def read_password(config: MQTTStatsConfig) -> str | None:
    """The first line of ``password_file`` (``None`` without one); ``ConfigError`` says how to fix a bad file."""
    if config.password_file is None:
        return None
    try:
        return config.password_file.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, UnicodeDecodeError, IndexError) as err:
        reason = "it is empty" if isinstance(err, IndexError) else str(err)
        raise ConfigError(f"server.mqtt_stats.password_file {str(config.password_file)!r} cannot be read ({reason}); "
                          "write the broker password on its first line, readable by the daemon's user") from None


class MQTTStats:
    """Publishes ``snapshot()`` to MQTT; ``worker()`` runs it under the watchdog, ``close()`` says goodbye.

    A setup problem (paho-mqtt missing, an unreadable password file) does not stop the daemon either: it is
    logged and shown in ``stats()``, and nothing is published.
    """

    def __init__(self, config: MQTTStatsConfig, hostname: str | None = None) -> None:
        self.config = config
        self._last_sent = float("-inf")
        self.stats_topic, self.availability_topic = topics(config, hostname)
        self.published = 0
        self.skipped = 0
        self.failed = 0
        self.connect_failures = 0
        self.last_error: str | None = None
        self.mqtt: MQTTClient | None = None
        self._subscription: Subscription | None = None
        try:
            password = read_password(config)
            self.mqtt = MQTTClient("mqtt_stats", config.host, config.port, on_connect=self._online)
        except WabbitError as err:
            self.last_error = str(err)
            log.error("MQTT stats are off: %s", err)
            return
        client = self.mqtt.client
        if config.username is not None:
            client.username_pw_set(config.username, password)
        client.will_set(self.availability_topic, "offline", qos=config.qos, retain=True)  # before connecting
        client.on_connect_fail = self._connect_failed

    def start(self, bus: EventBus) -> None:
        """Connect in the background (paho's thread) and take the bus's stats snapshots; returns at once, broker or not."""
        if self.mqtt is not None:
            self.mqtt.start()
        self._subscription = bus.subscribe("mqtt-stats", self.publish, (StatsTaken,), max_queue=4)

    def publish(self, event: StatsTaken) -> None:
        """Hand a snapshot to paho once per ``interval_s``; skipped (and counted) while the broker is away: stale
        stats are not queued."""
        now = time.monotonic()
        if now - self._last_sent < self.config.interval_s:
            return
        self._last_sent = now
        if self.mqtt is None or not self.mqtt.connected.is_set():
            self.skipped += 1
            return
        info = self.mqtt.client.publish(self.stats_topic, to_json(event.status), qos=self.config.qos, retain=self.config.retain)
        if info.rc != 0:
            self.failed += 1
            self.last_error = f"publish to {self.stats_topic!r} failed (paho rc {info.rc}); the connection was lost"
            return
        self.published += 1

    def close(self, bus: EventBus) -> None:
        """Publish ``offline`` (retained) and disconnect cleanly, so the broker does not send the will as well."""
        if self._subscription is not None:
            bus.unsubscribe(self._subscription)
            self._subscription = None
        if self.mqtt is None:
            return
        if self.mqtt.connected.is_set():
            info = self.mqtt.client.publish(self.availability_topic, "offline", qos=self.config.qos, retain=True)
            try:
                info.wait_for_publish(CLOSE_TIMEOUT_S)
            except (RuntimeError, ValueError) as err:
                log.warning("MQTT stats: `offline` not delivered (%s); the broker's last will says it instead", err)
        self.mqtt.stop()

    def _online(self, client: Any) -> None:
        client.publish(self.availability_topic, "online", qos=self.config.qos, retain=True)

    def _connect_failed(self, client: Any, userdata: Any) -> None:
        self.connect_failures += 1
        self.last_error = (f"cannot connect to the MQTT broker {self.config.host}:{self.config.port}; retrying with "
                           "backoff (check server.mqtt_stats.host and port, and that the broker runs)")
        if self.connect_failures == 1 or self.connect_failures % 100 == 0:
            log.warning("MQTT stats: %s (failure %d)", self.last_error, self.connect_failures)

    def stats(self) -> dict[str, Any]:
        connection = self.mqtt.stats() if self.mqtt is not None else {"connected": False}
        return {**connection, "topic": self.stats_topic, "published": self.published, "skipped": self.skipped,
                "failed": self.failed, "connect_failures": self.connect_failures,
                "last_error": self.last_error or connection.get("last_error")}

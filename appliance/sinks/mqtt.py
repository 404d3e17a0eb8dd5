"""Each batch as one MQTT message, QoS 1: the broker's PUBACK acknowledges it."""

from __future__ import annotations

from typing import Any

from appliance.config.log_sinks import MQTTSinkConfig
from appliance.mqtt import MQTTClient
from appliance.sinks.base import SinkError


class MQTTSink:
    def __init__(self, config: MQTTSinkConfig, name: str = "mqtt") -> None:
        self.name, self.config = name, config
        self.mqtt = MQTTClient(name, config.host, config.port)
        self.mqtt.start()

    def send(self, data: bytes, batch_id: str) -> None:
        if not self.mqtt.connected.is_set():
            raise SinkError(f"{self.name}: not connected to the MQTT broker {self.config.host}:{self.config.port} (yet)")
        info = self.mqtt.client.publish(self.config.topic, data, qos=1)
        try:
            info.wait_for_publish(self.config.timeout_s)
        except (RuntimeError, ValueError) as err:
            raise SinkError(f"{self.name}: the batch was not published ({err})") from None
        if not info.is_published():
            raise SinkError(f"{self.name}: no PUBACK within {self.config.timeout_s:g} s")

    def close(self) -> None:
        self.mqtt.stop()

    def stats(self) -> dict[str, Any]:
        return {"type": "mqtt", "topic": self.config.topic, **self.mqtt.stats()}

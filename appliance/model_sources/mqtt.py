"""A model published as a retained MQTT message: the broker hands the newest one to every (re)connecting appliance,
so a fleet pulls one model from one topic. The payload is the model file itself."""

from __future__ import annotations

import threading
from typing import Any

from appliance.config.model_source import MQTTModelSourceConfig
from appliance.model_sources.base import ModelUpdate
from appliance.mqtt import MQTTClient


class MQTTModelSource:
    def __init__(self, config: MQTTModelSourceConfig, name: str = "mqtt") -> None:
        self.name, self.config = name, config
        self._lock = threading.Lock()
        self._newest: bytes | None = None
        self.messages = 0
        self.mqtt = MQTTClient(name, config.host, config.port, on_connect=self._subscribe, on_message=self._message)
        self.mqtt.start()

    def _subscribe(self, client: Any) -> None:
        client.subscribe(self.config.topic, qos=self.config.qos)

    def _message(self, message: Any) -> None:
        with self._lock:
            self._newest = bytes(message.payload)
            self.messages += 1

    def fetch(self) -> ModelUpdate | None:
        with self._lock:
            data, self._newest = self._newest, None
        if not data:  # an empty retained message clears the topic: nothing to install
            return None
        return ModelUpdate(data, f"mqtt://{self.config.host}:{self.config.port}/{self.config.topic}")

    def close(self) -> None:
        self.mqtt.stop()

    def stats(self) -> dict[str, Any]:
        return {"type": "mqtt", "topic": self.config.topic, "messages": self.messages, **self.mqtt.stats()}

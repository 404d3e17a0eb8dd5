"""Rewards from an MQTT topic. A message is JSON: ``{"reward": 1}`` rewards the latest decision within the
attribution window; ``{"event_id": "...", "reward": 0.5}`` rewards that decision; ``"reward_id"`` (optional)
makes re-sent messages count once. A bare number is read as ``{"reward": number}``.

>>> parse_message(b'{"event_id": "e1", "reward": 0.5}')
(0.5, 'e1', None)
>>> parse_message(b'not json')
Traceback (most recent call last):
...
ValueError: message is not JSON (Expecting value at column 1); send {"reward": NUMBER, "event_id"?: ID}
"""

from __future__ import annotations

import json
from typing import Any

from appliance.config.feedback import MQTTFeedbackConfig
from appliance.feedback.base import BaseFeedback
from appliance.mqtt import MQTTClient


def parse_message(payload: bytes) -> tuple[Any, str | None, str | None]:
    """``(reward, event_id, reward_id)`` of one message; ``ValueError`` says what is wrong with it."""
    hint = 'send {"reward": NUMBER, "event_id"?: ID}'
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError) as err:  # not only JSONDecodeError: paho's thread must never see one
        if isinstance(err, json.JSONDecodeError):
            reason = f"{err.msg} at column {err.colno}"
        elif isinstance(err, UnicodeDecodeError):
            reason = "not UTF-8"
        else:  # a number of more than 4,300 digits (ValueError), arrays or objects nested too deep (RecursionError)
            reason = "a number too long or nesting too deep"
        raise ValueError(f"message is not JSON ({reason}); {hint}") from None
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return data, None, None
    if not isinstance(data, dict) or "reward" not in data:
        raise ValueError(f"message {str(data)[:80]!r} has no `reward` key; {hint}")
    event_id, reward_id = data.get("event_id"), data.get("reward_id")
    if event_id is not None and not isinstance(event_id, str):
        raise ValueError(f"event_id {event_id!r} is not a string; {hint}")
    if reward_id is not None and not isinstance(reward_id, str):
        raise ValueError(f"reward_id {reward_id!r} is not a string")
    return data["reward"], event_id, reward_id


class MQTTFeedback(BaseFeedback):
    kind = "mqtt"

    def __init__(self, config: MQTTFeedbackConfig, name: str, pin_factory: Any = None) -> None:
        super().__init__(name, config)
        self.config = config
        self.messages = 0
        self.mqtt: MQTTClient | None = None

    def _start(self) -> None:
        self.mqtt = MQTTClient(self.name, self.config.host, self.config.port, self.config.client_id,
                               on_connect=self._subscribe, on_message=self._message, persistent=True)  # with a client_id
        self.mqtt.start()

    def _subscribe(self, client: Any) -> None:
        client.subscribe(self.config.topic, qos=self.config.qos)

    def _message(self, message: Any) -> None:
        self.messages += 1
        if self.rewarder is None:
            self.too_early()
            return
        try:
            reward, event_id, reward_id = parse_message(message.payload)
        except ValueError as err:
            self.rewarder.bad(f"topic {message.topic}: {err}")
            return
        self.signal(reward, event_id, reward_id)

    def stop(self) -> None:
        if self.mqtt is not None:
            self.mqtt.stop()
            self.mqtt = None

    def stats(self) -> dict[str, Any]:
        extra = self.mqtt.stats() if self.mqtt else {"connected": False}
        return {**super().stats(), "topic": self.config.topic, "messages": self.messages, **extra}

"""Each line added to a Redis stream (``XADD``, one pipeline per batch, ``MAXLEN ~`` when set), with its batch id;
the pipeline's reply acknowledges the batch. Needs the ``sinks`` extra (redis)."""

from __future__ import annotations

from typing import Any

from appliance.config.log_sinks import RedisSinkConfig
from appliance.sinks.base import SinkError


class RedisSink:
    def __init__(self, config: RedisSinkConfig, name: str = "redis") -> None:
        try:
            import redis
        except ImportError:
            raise SinkError(f"{name}: a Redis sink needs the redis package: pip install 'raspberry-wabbit[sinks]'") from None
        self.name, self.config = name, config
        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(config.url, socket_timeout=10, socket_connect_timeout=5)

    def send(self, data: bytes, batch_id: str) -> None:
        pipe = self.client.pipeline(transaction=False)
        for line in data.splitlines():
            pipe.xadd(self.config.key, {"line": line, "batch": batch_id}, maxlen=self.config.max_length, approximate=True)
        try:
            pipe.execute()
        except self._errors as err:
            raise SinkError(f"{self.name}: {self.config.url} refused the batch ({err})") from None

    def close(self) -> None:
        self.client.close()

    def stats(self) -> dict[str, Any]:
        return {"type": "redis", "key": self.config.key}

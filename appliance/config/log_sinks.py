"""The ``log_sinks:`` section: where the joined events (or the raw decisions and rewards) are shipped.

Batching and queueing keep rlclientlib's meaning and defaults: a batch goes out once it holds
``batch_bytes`` (``send.highwatermark``, 198 KB) or ``batch_interval_s`` after its first line
(``send.batchintervalms``, 1 s); ``mode: drop`` (``queue.mode`` DROP, the default) lets a sink that falls more
than ``max_backlog_mb`` (``send.queue.maxcapacity.kb``, 16 MB) behind skip the oldest lines, counted;
``mode: block`` never drops and never makes the loop wait: its queue is the log on disk itself
(``DATA_DIR/events``), whose retention (``storage.keep_log_segments``) never deletes a segment the sink has not
shipped, so its backlog is bounded by the free disk only (``max_backlog_mb`` does not apply; ``backlog_bytes`` in
``/api/status`` shows it). The hold on the log starts before the loop's recovery and carries over config changes;
a sink removed from the config (or renamed) lets go of it.

>>> from pydantic import TypeAdapter
>>> sink = TypeAdapter(LogSinkConfig).validate_python({"type": "directory", "path": "/srv/fleet/inbox"})
>>> sink.stream, sink.batch_bytes, sink.mode
('joined', 202752, 'drop')
"""

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from appliance.config.base import StrictModel
from appliance.registry import KindOf


class LogSinkConfigBase(StrictModel):
    """What every log sink's config has: what it ships, how it batches, what it does when it falls behind."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="The kind of log sink.")
    name: str = Field("", max_length=64, pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      description="Name in /api/status and of its cursor file; empty: `<type>-<index>`.")
    stream: Literal["joined", "raw"] = Field(
        "joined", description="joined: the joined events (the DSJSON event log); raw: every decision and reward as it is "
        "acknowledged (JSON lines with `kind`: decision or reward), for a join elsewhere (a fleet's).",
    )
    batch_bytes: int = Field(198 * 1024, ge=1024, le=64 * 1024 * 1024,
                             description="A batch goes out once it holds this many bytes (rlclientlib's send.highwatermark).")
    batch_interval_s: float = Field(1.0, ge=0.01, le=3600.0,
                                    description="...or this long after the last one (rlclientlib's send.batchintervalms).")
    mode: Literal["drop", "block"] = Field(
        "drop", description="drop: a sink more than max_backlog_mb behind skips the oldest lines (counted); block: never "
        "drops and never makes the loop wait: the log on disk keeps every segment it has not shipped, whatever "
        "storage.keep_log_segments says, so the backlog is bounded by the free disk (rlclientlib's queue.mode).",
    )
    max_backlog_mb: float = Field(16.0, ge=0.001, le=100_000.0,
                                  description="drop: how far behind a sink may fall before it skips (send.queue.maxcapacity.kb).")
    retry_max_s: float = Field(60.0, ge=0.1, le=3600.0, description="Longest wait between retries of a failed batch (doubling).")


class DirectorySinkConfig(LogSinkConfigBase):
    example: ClassVar[dict[str, Any]] = {"path": "/srv/fleet/inbox"}

    type: Literal["directory"] = Field("directory", description="Each batch as a new file in a directory (a shared folder a "
                                       "fleet's join reads, as Spark's file source does); written atomically, named by its "
                                       "position in the log, so a batch sent again replaces itself.")
    path: Path = Field(description="The directory (created if missing).")
    prefix: str = Field("", max_length=64, pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9._-]*$",
                        description="Start of every file's name, e.g. the appliance's name; empty: the host name and the "
                                    "first 8 digits of /etc/machine-id.")


class HTTPSinkConfig(LogSinkConfigBase):
    example: ClassVar[dict[str, Any]] = {"url": "http://127.0.0.1:8090/ingest"}

    type: Literal["http"] = Field("http", description="Each batch POSTed as JSON lines (application/x-ndjson); a 2xx "
                                  "answer acknowledges it, anything else is retried with backoff.")
    url: str = Field(max_length=2048, description="Where batches are POSTed (http or https).")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers, e.g. X-Wabbit-Source (the "
                                    "appliance's name for a fleet's collector; default: the host name and the first 8 digits "
                                    "of /etc/machine-id).")
    token_file: Path | None = Field(None, description="A file holding the receiver's bearer token (a fleet collector's "
                                    "`token`, copied to the appliance), sent as `Authorization: Bearer`; read at every "
                                    "batch, so a new token needs no restart. Empty: no token.")
    timeout_s: float = Field(10.0, gt=0.0, le=600.0, description="Timeout of one request in seconds.")

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url {url!r} must start with http:// or https://")
        return url


class MQTTSinkConfig(LogSinkConfigBase):
    type: Literal["mqtt"] = Field("mqtt", description="Each batch as one MQTT message (QoS 1: the broker's PUBACK acknowledges it).")
    host: str = Field("127.0.0.1", min_length=1, max_length=255, description="Broker host.")
    port: int = Field(1883, ge=1, le=65535, description="Broker TCP port.")
    topic: str = Field("wabbit/log", min_length=1, max_length=255, description="Topic the batches are published on.")
    timeout_s: float = Field(10.0, gt=0.0, le=600.0, description="How long a batch waits for its PUBACK.")

    @field_validator("topic")
    @classmethod
    def _topic(cls, topic: str) -> str:
        if "+" in topic or "#" in topic:
            raise ValueError(f"topic {topic!r} holds a wildcard (+ or #): a message is published on one topic, e.g. wabbit/log")
        return topic


class RedisSinkConfig(LogSinkConfigBase):
    type: Literal["redis"] = Field("redis", description="Each line added to a Redis stream as an entry of its own (XADD; a "
                                   "batch's XADDs pipelined in one write).")
    url: str = Field("redis://127.0.0.1:6379/0", max_length=2048, description="The Redis server (redis://, rediss:// or unix://).")
    key: str = Field("wabbit:log", min_length=1, max_length=255, description="The stream's key.")
    max_length: int | None = Field(None, ge=1000, le=1_000_000_000,
                                   description="Keep about this many entries in the stream (XADD MAXLEN ~); empty: all.")

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"url {url!r} must start with redis://, rediss:// or unix:// (a socket's path)")
        return url


LogSinkConfig = Annotated[LogSinkConfigBase, KindOf("log_sinks")]
"""One log sink; the ``type`` key picks the kind (built in, or added by a plug-in)."""

"""The ``server:`` section: where the web API and dashboard listen, and where their stats are published.

>>> ServerConfig.model_validate({"mqtt_stats": {"topic_prefix": "home/wabbit"}}).mqtt_stats.interval_s
15.0
>>> ServerConfig().camera_preview.enabled, ServerConfig.model_validate({"camera_preview": {"enabled": True}}).camera_preview.width
(False, 320)
>>> from appliance.config.base import load_yaml_model
>>> load_yaml_model(ServerConfig, "mqtt_stats:\\n  password_file: /etc/wabbit/mqtt-password\\n", "wabbit.yaml")
Traceback (most recent call last):
...
appliance.errors.ConfigError: wabbit.yaml:1: mqtt_stats: Value error, password_file needs a username: set `username` too, or remove password_file. ...
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from appliance.config.base import StrictModel
from appliance.config.grpc import GrpcConfig


class MQTTStatsConfig(StrictModel):
    """The stats snapshot (what ``/api/status`` returns) on an MQTT broker, with an availability topic."""

    host: str = Field("127.0.0.1", min_length=1, max_length=255, description="MQTT broker host.")
    port: int = Field(1883, ge=1, le=65535, description="MQTT broker TCP port.")
    username: str | None = Field(
        None, min_length=1, max_length=255, description="User name for the broker; null: connect anonymously.",
    )
    password_file: Path | None = Field(
        None, description="File whose first line is the broker password (keep it mode 0600); needs `username`. "
        "null: no password.",
    )
    topic_prefix: str | None = Field(
        None, min_length=1, max_length=200, pattern=r"^[^+#/\s]([^+#\s]*[^+#/\s])?$",
        description="Topics are `<prefix>/stats` (the snapshot, JSON) and `<prefix>/availability` (online/offline, "
        "retained). No MQTT wildcards (+, #), spaces or leading/trailing '/'. null: `wabbit/<hostname>`.",
    )
    interval_s: float = Field(15.0, ge=1.0, le=3600.0, description="Seconds between two stats messages.")
    qos: Literal[0, 1, 2] = Field(0, description="MQTT quality of service of the stats and availability messages.")
    retain: bool = Field(
        False, description="Ask the broker to keep the last stats message for new subscribers (availability is "
        "always retained).",
    )

    @model_validator(mode="after")
    def _password_needs_user(self) -> "MQTTStatsConfig":
        if self.password_file is not None and self.username is None:
            raise ValueError("password_file needs a username: set `username` too, or remove password_file")
        return self


class CameraPreviewConfig(StrictModel):
    """JPEG previews of the video sources: ``GET /api/preview/{source}`` and the dashboard's Sensing card."""

    enabled: bool = Field(
        False, description="Keep each video source's latest frame and serve it as a JPEG to whoever has the token or "
        "a dashboard login. Off by default: the appliance may serve a LAN, and a camera picture is private.",
    )
    width: int = Field(
        320, ge=16, le=1920, description="Preview width in pixels; the height keeps the source's aspect ratio. "
        "Narrower frames are sent at their own size, never enlarged.",
    )
    max_fps: float = Field(
        2.0, ge=0.1, le=30.0, description="At most this many JPEGs encoded per second and source, however many "
        "viewers ask; requests in between get the last one.",
    )


class ServerConfig(StrictModel):
    host: str = Field(
        "127.0.0.1", min_length=1, max_length=255,
        description="Address to bind. 127.0.0.1 keeps the API on this machine; 0.0.0.0 serves the LAN (the SD image does).",
    )
    port: int = Field(8080, ge=1, le=65535, description="TCP port of the API and dashboard.")
    mqtt_stats: MQTTStatsConfig | None = Field(
        None, description="Publish the stats snapshot to an MQTT broker every interval, with a last-will availability "
        "topic (e.g. {host: 127.0.0.1}). null: off.",
    )
    camera_preview: CameraPreviewConfig = Field(
        default_factory=CameraPreviewConfig, description="Camera previews on the dashboard and at /api/preview/{source} "
        "(e.g. {enabled: true}). Off by default (privacy).",
    )
    grpc: GrpcConfig = Field(
        default_factory=GrpcConfig, description="The gRPC API (wabbit.v1, health, reflection, Open Inference Protocol v2) "
        "on its own port, e.g. {enabled: true, port: 50051}. Off by default.",
    )

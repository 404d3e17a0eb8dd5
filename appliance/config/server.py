"""The ``server:`` section: where the web API and dashboard listen."""

from __future__ import annotations

from pydantic import Field

from appliance.config.base import StrictModel


class ServerConfig(StrictModel):
    host: str = Field(
        "127.0.0.1", min_length=1, max_length=255,
        description="Address to bind. 127.0.0.1 keeps the API on this machine; 0.0.0.0 serves the LAN (the SD image does).",
    )
    port: int = Field(8080, ge=1, le=65535, description="TCP port of the API and dashboard.")

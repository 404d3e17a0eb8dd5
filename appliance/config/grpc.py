"""The ``server.grpc`` section: the gRPC API (``wabbit.v1``, health, reflection, the Open Inference Protocol).

Off by default: then ``grpc`` is never imported and costs nothing.

>>> GrpcConfig().enabled, GrpcConfig().host, GrpcConfig().port
(False, '127.0.0.1', 50051)
>>> from appliance.config.base import load_yaml_model
>>> load_yaml_model(GrpcConfig, "enabled: true\\ntls_cert: /etc/wabbit/cert.pem\\n", "wabbit.yaml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
appliance.errors.ConfigError: wabbit.yaml:1: (top level): Value error, tls_cert and tls_key go together: set both (TLS) or neither ...
"""

from pathlib import Path

from pydantic import Field, model_validator

from appliance.config.base import StrictModel


class GrpcConfig(StrictModel):
    """Where the gRPC API listens, and how callers are let in (the appliance's token as bearer metadata)."""

    enabled: bool = Field(False, description="Serve the gRPC API beside the HTTP one (needs the `grpc` extra: "
                          "pip install 'raspberry-wabbit[grpc]').")
    host: str = Field("127.0.0.1", min_length=1, max_length=255, description="Address to bind. 127.0.0.1 (or ::1) keeps "
                      "it on this machine; 0.0.0.0 serves the LAN (then set tls_cert and tls_key).")
    port: int = Field(50051, ge=1, le=65535, description="TCP port of the gRPC API.")
    tls_cert: Path | None = Field(None, description="PEM certificate chain for TLS; null (with tls_key): plain text.")
    tls_key: Path | None = Field(None, description="PEM private key of tls_cert (keep it mode 0600).")
    max_message_bytes: int = Field(16 << 20, ge=4096, le=1 << 30, description="Largest message received or sent, in bytes; "
                                   "a larger one is refused with RESOURCE_EXHAUSTED. Model uploads and downloads travel "
                                   "in chunks, so they may be larger.")
    workers: int = Field(16, ge=1, le=256, description="Threads that run the models' blocking calls (concurrent "
                         "decisions share one write-ahead-log sync, so more threads mean more throughput under load).")

    @model_validator(mode="after")
    def _tls_pair(self) -> "GrpcConfig":
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: set both (TLS) or neither (plain text on loopback)")
        return self

"""The ``model_source:`` section: where new models come from (a watched file, an HTTP URL, an MQTT retained
message), checked before they are swapped in; and the ``learning:`` section: whether the loop learns itself.

>>> from pydantic import TypeAdapter
>>> TypeAdapter(ModelSourceConfig).validate_python({"type": "http", "url": "http://127.0.0.1:8080/api/model"}).interval_s
60.0
>>> LearningConfig.model_validate({"mode": "apprentice"})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for LearningConfig
  Value error, apprentice mode acts by a baseline action: set `baseline_action` to one of the policy's actions ...
"""

import ssl
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from appliance.config.base import StrictModel
from appliance.registry import KindOf


class ModelSourceConfigBase(StrictModel):
    """What every model source's config has: a ``type`` and how often it is asked for a new model."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="The kind of model source.")
    interval_s: float = Field(
        60.0, ge=0.05, le=86400.0,
        description="Seconds between two looks for a new model (rlclientlib's model.refreshintervalms, 60 s).",
    )


class FileModelSourceConfig(ModelSourceConfigBase):
    example: ClassVar[dict[str, Any]] = {"path": "/var/lib/wabbit-models/current.vw"}

    type: Literal["file"] = Field("file", description="A model file that is replaced from time to time (a shared directory).")
    path: Path = Field(description="The model file; a new one is taken once its size and time stay the same between two looks.")


class HTTPModelSourceConfig(ModelSourceConfigBase):
    example: ClassVar[dict[str, Any]] = {"url": "http://127.0.0.1:8080/api/model"}

    type: Literal["http"] = Field("http", description="A URL pulled with If-None-Match (its ETag), e.g. another appliance's /api/model.")
    url: str = Field(max_length=2048, description="The model's URL (http or https).")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers, e.g. Authorization.")
    timeout_s: float = Field(30.0, gt=0.0, le=600.0, description="Timeout of one look in seconds: the request and the whole "
                                                                  "download (a large model over a slow link needs more).")
    ca_file: Path | None = Field(
        None,
        description="https: a PEM file of the CA certificates to trust for the server's certificate (a private CA, or "
        "a self-signed server's own certificate); null: the system's CAs. The certificate and host name are always checked.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url {url!r} must start with http:// or https://")
        return url

    @model_validator(mode="after")
    def _ca_file(self) -> "HTTPModelSourceConfig":
        if self.ca_file is None:
            return self
        if not self.url.startswith("https://"):
            raise ValueError(f"ca_file is for https URLs and url {self.url!r} is http: use https:// or remove ca_file")
        if not self.ca_file.is_file():
            raise ValueError(f"ca_file {str(self.ca_file)!r} is not a file: give the path of the PEM CA bundle that signed "
                             "the server's certificate")
        try:
            ssl.create_default_context(cafile=str(self.ca_file))
        except (ssl.SSLError, OSError) as err:
            raise ValueError(f"ca_file {str(self.ca_file)!r} holds no PEM CA certificate ({err}); give the PEM bundle "
                             "(-----BEGIN CERTIFICATE-----) that signed the server's certificate") from None
        return self


class MQTTModelSourceConfig(ModelSourceConfigBase):
    type: Literal["mqtt"] = Field("mqtt", description="A model published as a retained MQTT message (its payload: the model file).")
    host: str = Field("127.0.0.1", min_length=1, max_length=255, description="Broker host.")
    port: int = Field(1883, ge=1, le=65535, description="Broker TCP port.")
    topic: str = Field("wabbit/model", min_length=1, max_length=255, description="Topic the model is published on (retained).")
    qos: Literal[0, 1, 2] = Field(1, description="MQTT quality of service of the subscription.")


ModelSourceConfig = Annotated[ModelSourceConfigBase, KindOf("model_sources")]
"""One model source; the ``type`` key picks the kind (built in, or added by a plug-in)."""


class LearningConfig(StrictModel):
    mode: Literal["online", "apprentice", "logging_only"] = Field(
        "online",
        description="online: act by the policy and learn from the joined events. apprentice: act mostly by "
        "`baseline_action` while learning, until the policy is estimated better (then online). logging_only: act by "
        "the policy and log, but learn nothing here (models come only from `model_source`) - rlclientlib's "
        "ONLINE, APPRENTICE and LOGGINGONLY.",
    )
    baseline_action: str | None = Field(None, description="apprentice: the action taken while the policy learns.")
    explore: float = Field(
        0.05, gt=0.0, le=0.5,
        description="apprentice: the share of decisions that follow the policy instead (what lets its value be estimated).",
    )
    min_events: int = Field(500, ge=10, le=10_000_000, description="apprentice: joined events before the policy may take over.")

    @model_validator(mode="after")
    def _baseline(self) -> "LearningConfig":
        if self.mode == "apprentice" and self.baseline_action is None:
            raise ValueError("apprentice mode acts by a baseline action: set `baseline_action` to one of the policy's actions")
        return self

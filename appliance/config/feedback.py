"""The ``feedback:`` section: where rewards come from and how a signal becomes a reward.

Each source has a reward mapping: the raw signal goes through ``transform`` (scale, offset, clip) and is
given to the latest decision within ``attribution_window_s`` (only decisions whose action is in ``actions``,
if set), unless the signal names its event id.

>>> from pydantic import TypeAdapter
>>> cfg = TypeAdapter(FeedbackConfig).validate_python({"type": "button", "pin": 2, "long_press_value": -1})
>>> cfg.value, cfg.long_press_value, cfg.long_press_s, cfg.attribution_window_s
(1.0, -1.0, 1.0, 30.0)
>>> Transform(scale=0.01, offset=-0.6, clip=(-1, 1)).apply(75)
0.15
"""

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from appliance.config.actuators import Pin, _check_pin
from appliance.config.base import StrictModel
from appliance.registry import KindOf

Bound = Annotated[float, Field(ge=-1e9, le=1e9)]


class Transform(StrictModel):
    """``reward = clip(raw * scale + offset)``."""

    scale: float = Field(default=1.0, ge=-1e9, le=1e9, description="Multiplies the raw signal.")
    offset: float = Field(default=0.0, ge=-1e9, le=1e9, description="Added after scaling.")
    clip: tuple[Bound, Bound] | None = Field(default=None, description="[low, high] the reward is clipped to; empty: no clipping.")

    @field_validator("clip")
    @classmethod
    def _order(cls, clip: tuple[float, float] | None) -> tuple[float, float] | None:
        if clip is not None and clip[0] > clip[1]:
            raise ValueError(f"clip low {clip[0]} is above high {clip[1]}; write [low, high]")
        return clip

    def apply(self, raw: float) -> float:
        """The reward for ``raw``; a non-finite result raises ``ValueError``.

        >>> Transform(scale=2, offset=1).apply(3)
        7.0
        >>> Transform(clip=(0, 1)).apply(5)
        1.0
        """
        value = float(raw) * self.scale + self.offset
        if self.clip is not None:
            value = min(max(value, self.clip[0]), self.clip[1])
        if not math.isfinite(value):
            raise ValueError(f"reward {value!r} from raw signal {raw!r} is not a finite number")
        return round(value, 12)


class FeedbackConfigBase(StrictModel):
    """What every feedback source's config has: a ``type``, a name, and its reward mapping."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="The kind of feedback source.")
    name: str = Field(default="", max_length=64, description="Name shown in stats and logs; empty: `<type>-<index>`.")
    transform: Transform = Field(default_factory=lambda: Transform(), description="How the raw signal becomes the reward.")
    attribution_window_s: float = Field(
        default=30.0, gt=0.0, le=86400.0,
        description="A signal without an event id rewards the latest decision made within this many seconds before it.",
    )
    actions: list[str] | None = Field(
        default=None, max_length=256, description="Only decisions of these actions receive this source's rewards; empty: all.",
    )

    def gpio_pins(self) -> tuple[int | str, ...]:
        """The GPIO pins it reads (none for networked kinds): a GPIO kind needs the pin factory."""
        return ()


class _GpioInput(FeedbackConfigBase):
    example: ClassVar[dict[str, Any]] = {"pin": 2}

    pin: Pin = Field(description="GPIO pin (BCM number or gpiozero name).")
    pull_up: bool | None = Field(
        default=True, description="True: internal pull-up, pressed/active pulls the pin low; false: pull-down; null: floating (set active_high).",
    )
    active_high: bool | None = Field(default=None, description="Only with pull_up null: whether a high pin means active.")
    bounce_s: float | None = Field(default=0.02, ge=0.0, le=10.0, description="Debounce time in seconds; empty: none.")

    _pin = field_validator("pin")(_check_pin)

    def gpio_pins(self) -> tuple[int | str, ...]:
        return (self.pin,)

    @model_validator(mode="after")
    def _floating(self) -> "_GpioInput":
        if (self.pull_up is None) != (self.active_high is not None):
            raise ValueError("set active_high exactly when pull_up is null (a floating input needs to know its active level)")
        return self


class ButtonConfig(_GpioInput):
    type: Literal["button"] = Field(default="button", description="A push button: a press rewards the latest decision.")
    value: float = Field(default=1.0, ge=-1e9, le=1e9, description="Raw signal of a press (before transform).")
    long_press_s: float = Field(default=1.0, gt=0.0, le=60.0, description="A press held at least this long is a long press.")
    long_press_value: float | None = Field(
        default=None, ge=-1e9, le=1e9, description="Raw signal of a long press; empty: long presses count as presses (sent on press).",
    )


class DigitalSensorConfig(_GpioInput):
    example: ClassVar[dict[str, Any]] = {"pin": 4}  # not 2: GPIO2 and 3 have fixed pull-ups (I2C), a pull-down cannot be set

    type: Literal["digital_sensor"] = Field(default="digital_sensor", description="A digital sensor such as a PIR motion detector.")
    pull_up: bool | None = Field(
        default=False,
        description="False: internal pull-down, a sensor driving its output high is active (a PIR); true: pull-up, "
                    "pulling the pin low is active (a switch to ground); null: floating (set active_high).",
    )
    value: float = Field(default=1.0, ge=-1e9, le=1e9, description="Raw signal when the sensor becomes active.")
    inactive_value: float | None = Field(default=None, ge=-1e9, le=1e9, description="Raw signal when it becomes inactive; empty: none.")
    cooldown_s: float = Field(default=0.0, ge=0.0, le=86400.0, description="Ignore activations this soon after a counted one (PIR retriggers).")


class MQTTFeedbackConfig(FeedbackConfigBase):
    type: Literal["mqtt"] = Field(default="mqtt", description="Rewards from an MQTT topic: JSON {\"event_id\"?: str, \"reward\": number}.")
    host: str = Field(default="127.0.0.1", min_length=1, max_length=255, description="Broker host.")
    port: int = Field(default=1883, ge=1, le=65535, description="Broker TCP port.")
    topic: str = Field(default="wabbit/reward", min_length=1, max_length=255, description="Topic (wildcards allowed) rewards arrive on.")
    qos: Literal[0, 1, 2] = Field(default=1, description="MQTT quality of service of the subscription.")
    client_id: str = Field(
        default="", max_length=64,
        description="MQTT client id; set, the broker keeps the subscription and the rewards (qos >= 1) sent while the "
                    "daemon is away (a restart, a config change, a network drop) for its return; empty: a random one, "
                    "and those rewards are lost.",
    )

    @field_validator("topic")
    @classmethod
    def _filter(cls, topic: str) -> str:
        levels = topic.split("/")
        if any(("+" in level and level != "+") or ("#" in level and (level != "#" or i < len(levels) - 1))
               for i, level in enumerate(levels)):
            raise ValueError(f"topic {topic!r} is not an MQTT subscription filter: + stands for one whole level, # for the "
                             "last level only (e.g. home/+/reward, home/#)")
        return topic


class FitbitConfig(FeedbackConfigBase):
    example: ClassVar[dict[str, Any]] = {"token": "an-oauth2-access-token"}

    type: Literal["fitbit"] = Field(default="fitbit", description="Heart rate or steps from the Fitbit Web API turned into a reward.")
    metric: Literal["heart_rate", "steps"] = Field(default="heart_rate", description="Which intraday series is polled.")
    base_url: str = Field(default="https://api.fitbit.com", min_length=1, max_length=2048, description="Web API root (tests use a loopback server).")
    token: SecretStr | None = Field(default=None, description="OAuth2 access token (scope heartrate or activity); empty: read from `token_env`.")
    token_env: str = Field(default="FITBIT_ACCESS_TOKEN", min_length=1, max_length=128, description="Environment variable holding the token.")
    poll_s: float = Field(default=300.0, ge=0.05, le=86400.0, description="Seconds between polls (Fitbit allows 150 requests per hour).")
    aggregate: Literal["latest", "mean", "sum", "max"] = Field(
        default="mean", description="How the samples new since the last poll combine into one raw signal.",
    )
    min_remaining: int = Field(default=2, ge=0, le=150, description="Stop polling until the rate-limit reset when fewer requests remain.")
    timeout_s: float = Field(default=10.0, gt=0.0, le=120.0, description="Timeout of one request in seconds.")

    @field_validator("base_url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {url!r} must start with http:// or https://")
        return url.rstrip("/")


FeedbackConfig = Annotated[FeedbackConfigBase, KindOf("feedback")]
"""One feedback source; the ``type`` key picks the kind (built in, or added by a plug-in)."""

"""The ``actuators:`` section: what each action does, one entry per device, picked by a ``type`` key.

Every actuator maps action ids to an effect; an action it does not map sends it to its safe state (off).

>>> from pydantic import TypeAdapter
>>> cfg = TypeAdapter(ActuatorConfig).validate_python(
...     {"type": "rgb_led", "name": "lamp", "pins": [17, 27, 22], "colours": {"warm": [1.0, 0.6, 0.2]}, "hold_s": 5})
>>> cfg.colours["warm"], cfg.hold_s, sorted(cfg.mapped_actions())
((1.0, 0.6, 0.2), 5.0, ['warm'])
"""

from abc import abstractmethod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from appliance.config.base import StrictModel
from appliance.registry import KindOf

Pin = Annotated[int | str, Field(description="A GPIO pin: BCM number (17) or gpiozero name ('GPIO17', 'BOARD11').")]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Colour = tuple[Unit, Unit, Unit]
JSONValue = Any


def _check_pin(value: int | str) -> int | str:
    if isinstance(value, int) and not 0 <= value <= 53:
        raise ValueError(f"GPIO pin {value} is out of range; use a BCM number 0-53 or a name like 'GPIO17'")
    if isinstance(value, str) and not 1 <= len(value) <= 32:
        raise ValueError(f"GPIO pin name {value!r} must be 1-32 characters, e.g. 'GPIO17' or 'BOARD11'")
    return value


class ActuatorConfigBase(StrictModel):
    """What every actuator's config has: a ``type``, a name, how long an effect holds, and the pins it drives."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="The kind of actuator.")
    name: str = Field(default="", max_length=64, description="Name shown in stats and logs; empty: `<type>-<index>`.")
    hold_s: float | None = Field(
        default=None, gt=0.0, le=86400.0,
        description="Seconds an action's effect lasts before the device returns to its safe state; empty: until the next decision.",
    )

    @abstractmethod
    def mapped_actions(self) -> set[str]:
        """The action ids this actuator gives an effect (others send it to its safe state)."""

    def gpio_pins(self) -> tuple[int | str, ...]:
        """The GPIO pins it drives (none for networked kinds): a GPIO kind needs the pin factory."""
        return ()


class _OnePin(ActuatorConfigBase):
    example: ClassVar[dict[str, Any]] = {"pin": 17}

    pin: Pin = Field(description="GPIO pin (BCM number or gpiozero name).")

    _pin = field_validator("pin")(_check_pin)

    def gpio_pins(self) -> tuple[int | str, ...]:
        return (self.pin,)


class _Gpio(_OnePin):
    active_high: bool = Field(default=True, description="True: the pin goes high to switch the device on.")


class LEDConfig(_Gpio):
    type: Literal["led"] = Field(default="led", description="An on/off LED (gpiozero LED).")
    on: list[str] = Field(default_factory=list, max_length=256, description="Actions that switch it on; any other action switches it off.")

    def mapped_actions(self) -> set[str]:
        return set(self.on)


class PWMLEDConfig(_Gpio):
    type: Literal["pwm_led"] = Field(default="pwm_led", description="A dimmable LED (gpiozero PWMLED).")
    values: dict[str, Unit] = Field(default_factory=dict, description="Brightness 0-1 per action; other actions: off.")
    frequency_hz: int = Field(default=100, ge=1, le=100_000, description="PWM frequency in Hz.")

    def mapped_actions(self) -> set[str]:
        return set(self.values)


class RGBLEDConfig(ActuatorConfigBase):
    type: Literal["rgb_led"] = Field(default="rgb_led", description="A full-colour LED (gpiozero RGBLED); colours are actions.")
    example: ClassVar[dict[str, Any]] = {"pins": [17, 27, 22]}

    pins: tuple[Pin, Pin, Pin] = Field(description="Red, green and blue pins.")
    active_high: bool = Field(default=True, description="True for a common-cathode LED, false for common-anode.")
    colours: dict[str, Colour] = Field(default_factory=dict, description="Colour (red, green, blue; each 0-1) per action; other actions: off.")

    @field_validator("pins")
    @classmethod
    def _pins(cls, pins: tuple[int | str, int | str, int | str]) -> tuple[int | str, int | str, int | str]:
        for pin in pins:
            _check_pin(pin)
        if len(set(pins)) != 3:
            raise ValueError(f"the red, green and blue pins must differ (got {list(pins)})")
        return pins

    def mapped_actions(self) -> set[str]:
        return set(self.colours)

    def gpio_pins(self) -> tuple[int | str, ...]:
        return self.pins


class BuzzerConfig(_Gpio):
    type: Literal["buzzer"] = Field(default="buzzer", description="An active buzzer (gpiozero Buzzer).")
    on: list[str] = Field(default_factory=list, max_length=256, description="Actions that sound it; any other action silences it.")

    def mapped_actions(self) -> set[str]:
        return set(self.on)


class TonalBuzzerConfig(_OnePin):
    type: Literal["tonal_buzzer"] = Field(default="tonal_buzzer", description="A passive buzzer playing a tone per action (gpiozero TonalBuzzer).")
    pin: Pin = Field(description="GPIO pin (BCM number or gpiozero name); needs PWM.")
    tones: dict[str, str | Annotated[float, Field(ge=20.0, le=20_000.0)]] = Field(
        default_factory=dict, description="Tone per action: a note ('A4', 'C#5') or a frequency in Hz; other actions: silent.",
    )
    octaves: int = Field(default=1, ge=1, le=4, description="Octaves either side of A4 the buzzer may play (gpiozero's octaves).")

    def mapped_actions(self) -> set[str]:
        return set(self.tones)


class RelayConfig(_Gpio):
    type: Literal["relay"] = Field(default="relay", description="A relay or any on/off output (gpiozero OutputDevice).")
    on: list[str] = Field(default_factory=list, max_length=256, description="Actions that close the relay; any other action opens it.")

    def mapped_actions(self) -> set[str]:
        return set(self.on)


class ServoConfig(_OnePin):
    type: Literal["servo"] = Field(default="servo", description="A servo by position -1..1 (gpiozero Servo); safe state: pulses stop.")
    pin: Pin = Field(description="GPIO pin (BCM number or gpiozero name); needs PWM.")
    values: dict[str, Annotated[float, Field(ge=-1.0, le=1.0)]] = Field(
        default_factory=dict, description="Position -1 (min) .. 1 (max) per action; other actions: detached.",
    )
    min_pulse_width_s: float = Field(default=0.001, gt=0.0, le=0.01, description="Pulse width of the minimum position in seconds.")
    max_pulse_width_s: float = Field(default=0.002, gt=0.0, le=0.01, description="Pulse width of the maximum position in seconds.")

    def mapped_actions(self) -> set[str]:
        return set(self.values)


class AngularServoConfig(_OnePin):
    type: Literal["angular_servo"] = Field(default="angular_servo", description="A servo by angle (gpiozero AngularServo); safe state: pulses stop.")
    pin: Pin = Field(description="GPIO pin (BCM number or gpiozero name); needs PWM.")
    angles: dict[str, Annotated[float, Field(ge=-360.0, le=360.0)]] = Field(
        default_factory=dict, description="Angle in degrees per action, between min_angle and max_angle; other actions: detached.",
    )
    min_angle: float = Field(default=-90.0, ge=-360.0, le=360.0, description="Angle at the minimum pulse width.")
    max_angle: float = Field(default=90.0, ge=-360.0, le=360.0, description="Angle at the maximum pulse width.")

    def mapped_actions(self) -> set[str]:
        return set(self.angles)


class MQTTActuatorConfig(ActuatorConfigBase):
    type: Literal["mqtt"] = Field(default="mqtt", description="Publish each decision to an MQTT broker (QoS 1, JSON with the event id).")
    host: str = Field(default="127.0.0.1", min_length=1, max_length=255, description="Broker host.")
    port: int = Field(default=1883, ge=1, le=65535, description="Broker TCP port.")
    topic: str = Field(default="wabbit/action", min_length=1, max_length=255, description="Topic every decision is published to.")
    topics: dict[str, str] = Field(default_factory=dict, description="Per-action topic overriding `topic`.")
    payloads: dict[str, JSONValue] = Field(
        default_factory=dict, description="Extra JSON per action, sent as the message's `payload` key (e.g. a scene name).",
    )
    qos: Literal[0, 1, 2] = Field(default=1, description="MQTT quality of service of the published messages.")
    retain: bool = Field(default=False, description="Ask the broker to keep the last message for new subscribers.")
    client_id: str = Field(default="", max_length=64, description="MQTT client id; empty: a random one.")
    safe_payload: JSONValue = Field(
        default_factory=lambda: {"action": None, "state": "safe"},
        description="JSON published to `topic` on shutdown and on error (the safe state); null: publish nothing.",
    )

    @field_validator("topic", "topics")
    @classmethod
    def _one_topic(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        """paho refuses to publish on these only when a decision comes: say so at load."""
        for topic in [value] if isinstance(value, str) else value.values():
            if not topic or "+" in topic or "#" in topic:
                raise ValueError(f"topic {topic!r} is empty or holds a wildcard (+ or #): a decision is published on one topic, e.g. lamp/warm")
        return value

    def mapped_actions(self) -> set[str]:
        return set(self.topics) | set(self.payloads)


class WebhookActuatorConfig(ActuatorConfigBase):
    type: Literal["webhook"] = Field(default="webhook", description="POST each decision as JSON to a URL, from a worker thread.")
    example: ClassVar[dict[str, Any]] = {"url": "http://127.0.0.1:8123/api/webhook/wabbit"}

    url: str = Field(min_length=1, max_length=2048, description="URL that receives the POST (http or https, any host).")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers (e.g. Authorization).")
    payloads: dict[str, JSONValue] = Field(default_factory=dict, description="Extra JSON per action, sent as the body's `payload` key.")
    timeout_s: float = Field(default=2.0, gt=0.0, le=60.0, description="Timeout of one request in seconds.")
    retries: int = Field(default=2, ge=0, le=10, description="Retries after a failed request (connection error or 5xx), with doubling backoff.")
    backoff_s: float = Field(default=0.5, ge=0.0, le=60.0, description="Wait before the first retry; doubles each retry.")
    queue_size: int = Field(default=16, ge=1, le=10_000, description="Decisions waiting to be sent; when full the oldest is dropped (counted).")
    safe_payload: JSONValue = Field(default=None, description="JSON posted on shutdown and on error (the safe state); null: post nothing.")

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url {url!r} must start with http:// or https://")
        return url

    def mapped_actions(self) -> set[str]:
        return set(self.payloads)


ActuatorConfig = Annotated[ActuatorConfigBase, KindOf("actuators")]
"""One actuator; the ``type`` key picks the kind (built in, or added by a plug-in)."""

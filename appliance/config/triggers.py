"""The ``triggers:`` section: when the daemon decides.

Periodically (every ``periodic_s``), on request (``POST /api/decide``), and on events: a sound onset or
motion seen by a featurizer (a feature rising above a threshold), or a button press. Each event trigger is
picked by its ``type`` key; however many fire at once, the daemon makes one decision from the latest context.

>>> cfg = TriggersConfig.model_validate({"periodic_s": 5, "events": [{"type": "motion", "threshold": 0.05}]})
>>> cfg.api, cfg.events[0].namespace, cfg.events[0].feature, cfg.events[0].min_interval_s
(True, 'video', 'motion', 5.0)
>>> TriggersConfig.model_validate({"events": [{"type": "sound_onset", "name": "clap"}, {"type": "button", "pin": 3, "name": "clap"}]})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for TriggersConfig
events
  Value error, trigger names must be unique; repeated: clap. ...
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from appliance.config.actuators import Pin, _check_pin
from appliance.config.base import StrictModel
from appliance.registry import KindOf

FEATURE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"


class EventTriggerConfigBase(StrictModel):
    """What every event trigger's config has: a ``type``, a name and a refractory time."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="The kind of trigger.")
    name: str = Field(default="", max_length=64, description="Name shown in stats and logs; empty: `<type>-<index>`.")
    min_interval_s: float = Field(
        default=0.0, ge=0.0, le=86400.0,
        description="Refractory time: after firing, the trigger stays quiet for this many seconds.",
    )

    def gpio_pins(self) -> tuple[int | str, ...]:
        """The GPIO pins it watches (none for feature triggers): a GPIO kind needs the pin factory."""
        return ()


class FeatureThresholdConfig(EventTriggerConfigBase):
    """A featurizer's feature crossing a threshold (the shared shape of sound_onset and motion)."""

    namespace: str = Field(pattern=FEATURE_PATTERN, description="Namespace of the featurizer whose feature is watched.")
    feature: str = Field(pattern=FEATURE_PATTERN, description="Name of the watched feature in that namespace.")
    threshold: float = Field(ge=-1e9, le=1e9, description="The trigger fires when the feature rises above this value.")
    edge: bool = Field(
        default=True,
        description="True: fire when the value crosses the threshold from below (it must fall back to fire again); "
                    "false: fire whenever it is above, at most once per min_interval_s.",
    )


class SoundOnsetTriggerConfig(FeatureThresholdConfig):
    type: Literal["sound_onset"] = Field(default="sound_onset", description="Decide when the audio level rises (a clap, a voice).")
    namespace: str = Field(default="audio", pattern=FEATURE_PATTERN, description="Namespace of the audio featurizer.")
    feature: str = Field(
        default="rms", pattern=FEATURE_PATTERN,
        description="Audio feature watched: `rms` (mean frame RMS, 0-1), `dbfs` (level, dB) or `onset_rate` (onsets/s).",
    )
    threshold: float = Field(default=0.05, ge=-1e9, le=1e9, description="Fire when the feature rises above this (rms 0.05 is about -26 dBFS).")
    min_interval_s: float = Field(default=2.0, ge=0.0, le=86400.0, description="Refractory time after firing, in seconds.")


class MotionTriggerConfig(FeatureThresholdConfig):
    type: Literal["motion"] = Field(default="motion", description="Decide when the camera sees motion.")
    namespace: str = Field(default="video", pattern=FEATURE_PATTERN, description="Namespace of the video featurizer.")
    feature: str = Field(
        default="motion", pattern=FEATURE_PATTERN,
        description="Video feature watched: `motion` is the mean luma change since the previous frame (0-1).",
    )
    threshold: float = Field(default=0.02, ge=-1e9, le=1e9, description="Fire when the feature rises above this.")
    edge: bool = Field(
        default=False,
        description="False: fire while there is motion, at most once per min_interval_s; true: only when motion starts.",
    )
    min_interval_s: float = Field(default=5.0, ge=0.0, le=86400.0, description="Refractory time after firing, in seconds.")


class ButtonTriggerConfig(EventTriggerConfigBase):
    type: Literal["button"] = Field(default="button", description="Decide when a push button (gpiozero Button) is pressed.")
    example: ClassVar[dict[str, Any]] = {"pin": 4}

    pin: Pin = Field(description="GPIO pin (BCM number or gpiozero name); not one an actuator or feedback source uses.")
    pull_up: bool = Field(default=True, description="True: internal pull-up, a press pulls the pin low; false: pull-down.")
    bounce_s: float | None = Field(default=0.02, ge=0.0, le=10.0, description="Debounce time in seconds; empty: none.")

    _pin = field_validator("pin")(_check_pin)

    def gpio_pins(self) -> tuple[int | str, ...]:
        return (self.pin,)


EventTriggerConfig = Annotated[EventTriggerConfigBase, KindOf("triggers")]
"""One event trigger; the ``type`` key picks the kind (built in, or added by a plug-in)."""


def trigger_name(config: EventTriggerConfig, index: int) -> str:
    """The configured name, or ``<type>-<index>``.

    >>> trigger_name(ButtonTriggerConfig(pin=3), 1), trigger_name(ButtonTriggerConfig(pin=3, name="go"), 1)
    ('button-1', 'go')
    """
    return config.name or f"{config.type}-{index}"


class TriggersConfig(StrictModel):
    periodic_s: float | None = Field(
        None, gt=0.0, le=86400.0,
        description="Decide every N seconds from the current context. Empty: on simulated devices the simulation's "
                    "decision_every_s; with live sources no periodic decisions (only events and the API).",
    )
    api: bool = Field(True, description="Allow decisions requested with POST /api/decide (false: 409 with the reason).")
    events: list[EventTriggerConfig] = Field(
        default_factory=list, max_length=32,
        description="Event triggers: sound_onset and motion (need sources and featurizers), button (a GPIO pin). Empty: none.",
    )

    @field_validator("events")
    @classmethod
    def _unique_names(cls, events: list[EventTriggerConfig]) -> list[EventTriggerConfig]:
        names = [trigger_name(e, i) for i, e in enumerate(events)]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"trigger names must be unique; repeated: {', '.join(repeated)}. Set distinct `name:` keys")
        return events

"""The one registry of kinds: for every role, a config ``type`` names a config class and an implementation.

Built-in kinds are ``module:Class`` strings, imported only when used (paho loads only for MQTT, PyAV only
for a video file). A package installed beside the appliance adds kinds through Python entry points in the
group ``wabbit.<role>``: the entry point's name is the ``type``, its value the implementation class, whose
``Config`` attribute is its pydantic config (a ``StrictModel`` with ``type: Literal["<name>"]``)::

    [project.entry-points."wabbit.actuators"]
    blink = "wabbit_blink:BlinkActuator"

A role with a ``factory`` builds its kinds with that class method (estimators and intervals:
``from_config(config)``, which :class:`~appliance.estimators.base.Streaming` has), the others call the class.

>>> kind = REGISTRY.kind("actuators", "led")
>>> kind.config_class().__name__, kind.origin
('LEDConfig', 'built-in')
>>> REGISTRY.kind("actuators", "blinky")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
appliance.registry.UnknownKindError: unknown actuators type 'blinky'; built in: led, pwm_led, ... plug-ins: none. ...
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Iterable

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from appliance.errors import ConfigError

log = logging.getLogger(__name__)


class UnknownKindError(ConfigError):
    """A config names a ``type`` no built-in kind and no installed plug-in provides."""


@dataclass(frozen=True)
class Kind:
    """One kind of a role: its name (the config's ``type`` key), config class and implementation (``module:Class[.attr]``)."""

    role: str
    name: str
    config: str
    implementation: str
    origin: str = "built-in"

    def config_class(self) -> type[Any]:
        return load(self.config)  # type: ignore[no-any-return]

    def implementation_class(self) -> Callable[..., Any]:
        return load(self.implementation)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Role:
    """A role (a protocol with one implementation per kind), its shipped fake and its built-in kinds."""

    name: str
    protocol: str
    fake: str
    builtins: dict[str, tuple[str, str]] = field(default_factory=dict)
    """``type`` -> (config, implementation), as ``module:Class`` strings."""
    factory: str = ""
    """The implementation's class method that builds it from its config; empty: the class itself is called."""


def load(target: str) -> Any:
    """The object ``module:Name[.attr...]`` names (imported now).

    >>> load("appliance.errors:ConfigError").__name__
    'ConfigError'
    """
    module, _, attributes = target.partition(":")
    found: Any = importlib.import_module(module)
    for attribute in attributes.split("."):
        found = getattr(found, attribute)
    return found


def _table(module: str, config_module: str, kinds: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Built-in kinds whose configs live in one module and implementations in one package."""
    return {t: (f"{config_module}:{config}", f"{module}.{impl}") for t, (config, impl) in kinds.items()}


ROLES: tuple[Role, ...] = (
    Role("actuators", "appliance.actuators.base:Actuator", "appliance.actuators.fake:RecordingActuator", _table(
        "appliance.actuators", "appliance.config.actuators", {
            "led": ("LEDConfig", "led:LEDActuator"),
            "pwm_led": ("PWMLEDConfig", "pwm_led:PWMLEDActuator"),
            "rgb_led": ("RGBLEDConfig", "rgb_led:RGBLEDActuator"),
            "buzzer": ("BuzzerConfig", "buzzer:BuzzerActuator"),
            "tonal_buzzer": ("TonalBuzzerConfig", "tonal_buzzer:TonalBuzzerActuator"),
            "relay": ("RelayConfig", "relay:RelayActuator"),
            "servo": ("ServoConfig", "servo:ServoActuator"),
            "angular_servo": ("AngularServoConfig", "angular_servo:AngularServoActuator"),
            "mqtt": ("MQTTActuatorConfig", "mqtt:MQTTActuator"),
            "webhook": ("WebhookActuatorConfig", "webhook:WebhookActuator"),
        })),
    Role("feedback", "appliance.feedback.base:FeedbackSource", "appliance.feedback.fake:ScriptedFeedback", _table(
        "appliance.feedback", "appliance.config.feedback", {
            "button": ("ButtonConfig", "button:ButtonFeedback"),
            "digital_sensor": ("DigitalSensorConfig", "digital_sensor:DigitalSensorFeedback"),
            "mqtt": ("MQTTFeedbackConfig", "mqtt:MQTTFeedback"),
            "fitbit": ("FitbitConfig", "fitbit:FitbitFeedback"),
        })),
    Role("triggers", "appliance.triggers.base:Trigger", "appliance.triggers.fake:ManualTrigger", _table(
        "appliance.triggers", "appliance.config.triggers", {
            "sound_onset": ("SoundOnsetTriggerConfig", "sound_onset:SoundOnsetTrigger"),
            "motion": ("MotionTriggerConfig", "motion:MotionTrigger"),
            "button": ("ButtonTriggerConfig", "button:ButtonTrigger"),
        })),
    Role("sources", "featurizers.protocols:Source", "featurizers.sources.synthetic_video:SyntheticVideoSource", _table(
        "featurizers.sources", "featurizers.config.sources", {
            "audio_device": ("AudioDeviceSourceConfig", "audio_device:AudioDeviceSource"),
            "audio_file": ("AudioFileSourceConfig", "audio_file:AudioFileSource"),
            "synthetic_audio": ("SyntheticAudioSourceConfig", "synthetic_audio:SyntheticAudioSource"),
            "video_file": ("VideoFileSourceConfig", "video_file:VideoFileSource"),
            "v4l2": ("V4l2SourceConfig", "v4l2:V4l2Source"),
            "mjpeg": ("MjpegSourceConfig", "mjpeg:MjpegSource"),
            "rtsp": ("RtspSourceConfig", "rtsp:RtspSource"),
            "picamera2": ("Picamera2SourceConfig", "picamera2:Picamera2Source"),
            "synthetic_video": ("SyntheticVideoSourceConfig", "synthetic_video:SyntheticVideoSource"),
        })),
    Role("featurizers", "featurizers.protocols:Featurizer", "featurizers.fake:CountingFeaturizer", _table(
        "featurizers", "featurizers.config.featurizers", {
            "audio": ("AudioFeaturizerConfig", "audio.features:AudioFeaturizer"),
            "video": ("VideoFeaturizerConfig", "video.features:VideoFeaturizer"),
            "face": ("FaceFeaturizerConfig", "tflite.face:FaceFeaturizer"),
        })),
    Role("policies", "appliance.policy.base:Policy", "appliance.policy.fake:UniformPolicy", {**_table(
        "appliance.policy", "appliance.config.policy", {
            "vw": ("VWPolicyConfig", "vw:VWPolicy"),
            "uniform": ("UniformPolicyConfig", "fake:UniformPolicy"),
        }), "sklearn": ("appliance.config.sklearn_policy:SklearnPolicyConfig", "appliance.policy.sklearn:SklearnPolicy"),
        "linucb": ("appliance.config.linucb_policy:LinUCBPolicyConfig", "appliance.policy.linucb:LinUCBPolicy")}),
    Role("model_sources", "appliance.model_sources.base:ModelSource", "appliance.model_sources.fake:HandedModelSource", _table(
        "appliance.model_sources", "appliance.config.model_source", {
            "file": ("FileModelSourceConfig", "file:FileModelSource"),
            "http": ("HTTPModelSourceConfig", "http:HTTPModelSource"),
            "mqtt": ("MQTTModelSourceConfig", "mqtt:MQTTModelSource"),
        })),
    Role("log_sinks", "appliance.sinks.base:LogSink", "appliance.sinks.fake:RecordingSink", _table(
        "appliance.sinks", "appliance.config.log_sinks", {
            "directory": ("DirectorySinkConfig", "directory:DirectorySink"),
            "http": ("HTTPSinkConfig", "http:HTTPSink"),
            "mqtt": ("MQTTSinkConfig", "mqtt:MQTTSink"),
            "redis": ("RedisSinkConfig", "redis:RedisSink"),
        })),
    Role("observers", "appliance.observers.base:Observer", "appliance.observers.fake:RecordingObserver", {
        **_table("appliance.observers", "appliance.config.observers", {"recording": ("RecordingObserverConfig", "fake:RecordingObserver")}),
        "policy_value": ("appliance.config.observers:PolicyValueObserverConfig", "appliance.estimators.live:PolicyValueObserver"),
        "tensorboard": ("appliance.config.tensorboard:TensorBoardObserverConfig", "appliance.observers.tensorboard:TensorBoardObserver"),
    }),
    Role("estimators", "appliance.estimators.base:Estimator", "appliance.estimators.fake:RecordingEstimator", _table(
        "appliance.estimators", "appliance.config.estimators", {
            "ips": ("IPSConfig", "ips:IPS"),
            "snips": ("SNIPSConfig", "snips:SNIPS"),
            "clipped_ips": ("ClippedIPSConfig", "clipped_ips:ClippedIPS"),
            "dm": ("DMConfig", "dm:DM"),
            "dr": ("DRConfig", "dr:DR"),
            "switch_dr": ("SwitchDRConfig", "switch_dr:SwitchDR"),
            "mle": ("MLEConfig", "mle:MLE"),
            "cressie_read": ("CressieReadConfig", "cressie_read:CressieRead"),
        }), factory="from_config"),
    Role("intervals", "appliance.estimators.base:Interval", "appliance.estimators.fake:RecordingInterval", _table(
        "appliance.estimators", "appliance.config.estimators", {
            "gaussian": ("GaussianConfig", "gaussian:Gaussian"),
            "clopper_pearson": ("ClopperPearsonConfig", "clopper_pearson:ClopperPearson"),
            "cressie_read": ("CressieReadIntervalConfig", "cressie_read_interval:CressieReadInterval"),
            "cs": ("ConfidenceSequenceConfig", "confidence_sequence:ConfidenceSequence"),
        }), factory="from_config"),
)


class Registry:
    """Every role's kinds: the built-in ones, then those installed plug-ins add (discovered once per role).

    A plug-in that cannot be loaded (an import error, no ``Config``, a ``type`` that differs from its entry
    point's name, a name a built-in kind already has) is skipped and remembered in :meth:`broken`, so an
    unknown-type error can say why.
    """

    def __init__(self, roles: Iterable[Role], discover: Callable[[str], Iterable[EntryPoint]] | None = None) -> None:
        self._roles = {r.name: r for r in roles}
        self._discover = discover or (lambda group: entry_points(group=group))
        self._kinds: dict[str, dict[str, Kind]] = {}
        self._broken: dict[str, dict[str, str]] = {}

    @property
    def roles(self) -> list[str]:
        return list(self._roles)

    def role(self, name: str) -> Role:
        return self._roles[name]

    def kinds(self, role: str) -> dict[str, Kind]:
        """``type`` -> kind, built-in kinds first."""
        found = self._kinds.get(role)
        if found is None:
            found = self._kinds[role] = self._load_kinds(role)
        return found

    def kind(self, role: str, type_: str) -> Kind:
        found = self.kinds(role).get(type_)
        if found is None:
            raise UnknownKindError(self.unknown(role, type_))
        return found

    def plugins(self, role: str) -> list[Kind]:
        return [k for k in self.kinds(role).values() if k.origin != "built-in"]

    def broken(self, role: str) -> dict[str, str]:
        """Plug-ins of ``role`` that were found but could not be loaded, with the reason."""
        self.kinds(role)
        return dict(self._broken.get(role, {}))

    def build(self, role: str, config: Any, **inject: Any) -> Any:
        """The implementation of ``config.type`` built from ``config`` (``inject``: the role's backends)."""
        implementation = self.kind(role, config.type).implementation_class()
        factory = self._roles[role].factory
        return (getattr(implementation, factory) if factory else implementation)(config, **inject)

    def unknown(self, role: str, type_: object) -> str:
        """What an unknown ``type`` gets told: the known kinds, the installed plug-ins, the broken ones."""
        kinds = self.kinds(role)
        builtin = [t for t, k in kinds.items() if k.origin == "built-in"]
        plugins = [f"{k.name} ({k.origin})" for k in kinds.values() if k.origin != "built-in"]
        broken = [f"{name} ({why})" for name, why in self.broken(role).items()]
        return (f"unknown {role} type {type_!r}; built in: {', '.join(builtin)}; installed plug-ins: "
                f"{', '.join(plugins) or 'none'}" + (f"; plug-ins that failed to load: {'; '.join(broken)}" if broken else "")
                + ". Check the spelling, or install the package that provides it (its entry point group is "
                f"wabbit.{role})")

    def _load_kinds(self, role: str) -> dict[str, Kind]:
        spec = self._roles[role]
        kinds = {t: Kind(role, t, config, impl) for t, (config, impl) in spec.builtins.items()}
        broken = self._broken.setdefault(role, {})
        for point in self._discover(f"wabbit.{role}"):
            origin = f"plug-in {point.dist.name} {point.dist.version}" if point.dist is not None else "plug-in"
            kind = Kind(role, point.name, f"{point.value}.Config", point.value, origin)
            problem = _plugin_problem(kind, kinds, spec.factory)
            if problem is None:
                kinds[point.name] = kind
            else:
                broken[point.name] = problem
                log.error("plug-in %s %r (%s) is skipped: %s", role, point.name, point.value, problem)
        return kinds


def _plugin_problem(kind: Kind, known: dict[str, Kind], factory: str) -> str | None:
    """Why a plug-in kind cannot be used, or ``None`` (``factory``: the class method its role builds it with)."""
    if kind.name in known:
        return f"{known[kind.name].origin} kind {kind.name!r} has this name already"
    try:
        config = kind.config_class()
    except Exception as err:  # a plug-in's import may fail in any way; it must not take the appliance down
        return f"cannot load {kind.implementation} or its Config: {type(err).__name__}: {err}"
    type_field = getattr(config, "model_fields", {}).get("type")
    if type_field is None or type_field.default != kind.name:
        return f"its Config must declare `type: Literal[{kind.name!r}] = {kind.name!r}`"
    if factory and not callable(getattr(kind.implementation_class(), factory, None)):
        return f"it must have the class method {factory}(config) that {kind.role} kinds are built with"
    return None


REGISTRY = Registry(ROLES)
"""The appliance's registry (plug-ins discovered from the installed packages)."""


class KindOf:
    """Pydantic annotation for one entry of a role's config: its ``type`` key picks the kind's config class,
    built-in or plug-in (``Annotated[ActuatorConfigBase, KindOf("actuators")]``).

    ``default`` is the kind of an entry without a ``type`` key. An unknown type is one error, at the entry,
    that names the known kinds and the installed plug-ins.

    >>> from typing import Annotated
    >>> from pydantic import TypeAdapter
    >>> from appliance.config.actuators import ActuatorConfigBase
    >>> adapter = TypeAdapter(Annotated[ActuatorConfigBase, KindOf("actuators")])
    >>> type(adapter.validate_python({"type": "led", "pin": 17})).__name__
    'LEDConfig'
    >>> adapter.validate_python({"type": "lamp"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for function-before[...]
      unknown actuators type 'lamp'; built in: led, pwm_led, ...
    """

    def __init__(self, role: str, default: str | None = None, registry: Registry | None = None) -> None:
        self.role, self.default = role, default
        self._registry = registry

    @property
    def registry(self) -> Registry:
        return self._registry or REGISTRY

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        kinds = self.registry.kinds(self.role)
        choices: dict[Any, core_schema.CoreSchema] = {t: handler.generate_schema(k.config_class()) for t, k in kinds.items()}
        union = core_schema.tagged_union_schema(choices, discriminator="type")
        return core_schema.no_info_before_validator_function(self._known_type, union)

    def _known_type(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value  # a config object, or something the union refuses with its own error
        if "type" not in value and self.default is not None:
            value = {**value, "type": self.default}
        type_ = value.get("type")
        if type_ is None:
            known = ", ".join(self.registry.kinds(self.role))
            raise PydanticCustomError("missing_type", "needs a `type` key naming its kind: one of {known}", {"known": known})
        if not isinstance(type_, str) or type_ not in self.registry.kinds(self.role):
            raise PydanticCustomError("unknown_kind", "{message}", {"message": self.registry.unknown(self.role, type_)})
        return value

"""The appliance's roles and their built-in kinds: for each role its protocol, its shipped fake, and, per config
``type``, the config class and the implementation as ``module:Class`` strings (imported only when used, by
:mod:`appliance.registry`, which adds the kinds installed plug-ins provide).

>>> [role.name for role in ROLES][:3]
['actuators', 'feedback', 'triggers']
>>> dict(ROLES[0].builtins)["led"]
('appliance.config.actuators:LEDConfig', 'appliance.actuators.led:LEDActuator')
"""

from __future__ import annotations

from dataclasses import dataclass, field


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

    @property
    def noun(self) -> str:
        """One kind of this role, as a message names it.

        >>> [Role(n, "", "").noun for n in ("policies", "log_sinks", "feedback")]
        ['policy', 'log sink', 'feedback']
        """
        words = self.name.replace("_", " ")
        return words[:-3] + "y" if words.endswith("ies") else words.removesuffix("s")



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
    Role("policies", "appliance.policy.base:Policy", "appliance.policy.fake:UniformPolicy", {
        "vw": ("appliance.config.vw_policy:VWPolicyConfig", "appliance.policy.vw:VWPolicy"),
        "uniform": ("appliance.config.policy:UniformPolicyConfig", "appliance.policy.fake:UniformPolicy"),
        "sklearn": ("appliance.config.sklearn_policy:SklearnPolicyConfig", "appliance.policy.sklearn:SklearnPolicy"),
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

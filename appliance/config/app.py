"""One pydantic tree for the whole appliance, loaded from YAML.

>>> cfg = load_config_text("join:\\n  reward_wait_s: 30\\n")
>>> cfg.join.reward_wait_s, cfg.effective_policy().type
(30.0, 'vw')
>>> load_config_text("join:\\n  reward_wait: 30\\n", "my.yaml")
Traceback (most recent call last):
...
appliance.errors.ConfigError: my.yaml:2: join.reward_wait: unknown key; did you mean `reward_wait_s`? (`wabbit config schema` lists the keys).
"""

from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from appliance.config.actuators import ActuatorConfig
from appliance.config.base import StrictModel, load_yaml_file, load_yaml_model
from appliance.config.devices import check_actions, check_client_ids
from appliance.config.feedback import FeedbackConfig
from appliance.config.join import JoinConfig
from appliance.config.log_sinks import LogSinkConfig
from appliance.config.model_source import LearningConfig, ModelSourceConfig
from appliance.config.observers import ObserverConfig, ObserverConfigBase, PolicyValueObserverConfig
from appliance.config.policy import ActionConfig, PolicyConfig, PolicyConfigBase
from appliance.config.sensing import (
    FEATURIZERS_DESCRIPTION,
    SOURCES_DESCRIPTION,
    FeaturizerConfig,
    SourceConfig,
    check_links,
    check_policy,
    check_triggers,
)
from appliance.config.server import ServerConfig
from appliance.config.simulation import SimulationConfig
from appliance.config.storage import StorageConfig
from appliance.config.triggers import TriggersConfig
from appliance.errors import ConfigError

NO_WORLD = ("simulation is null (no simulated world), so the actions must come from the config: add a `policy:` section "
            "with `actions:` (e.g. `actions: [{id: on}, {id: off}]`)")
# why a policy section without `actions:` cannot take the simulated world's, and what to do
SOURCED = "sources are configured, and the simulated world's actions only apply without sources"
WORLDLESS = "simulation is null, so no simulated world supplies the actions"
ACTIONS_FIX = "list them in the policy section, e.g. `actions: [{id: on}, {id: off}]`"


def world_actions(simulation: SimulationConfig) -> list[dict[str, Any]]:
    """The simulated world's actions, as a ``policy:`` section declares them."""
    from appliance.worlds import build_world

    return [a.model_dump(by_alias=True) for a in build_world(simulation).actions]


class AppConfig(StrictModel):
    """The whole appliance. Every section is optional; nothing at all means: simulated devices."""

    policy: PolicyConfig | None = Field(
        None, description="The policy (`type`: vw by default), its actions and exploration. Left out: the simulated world's "
        "actions with the default exploration; a section without `actions:` takes the simulated world's actions too.",
    )
    join: JoinConfig = Field(default_factory=JoinConfig, description="How decisions wait for and combine rewards.")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Write-ahead log, event log and checkpoints.")
    server: ServerConfig = Field(default_factory=ServerConfig, description="Where the API and dashboard listen.")
    simulation: SimulationConfig | None = Field(
        default_factory=SimulationConfig, description="The simulated world that gives contexts (and, without feedback "
        "sources, rewards) when no sources are configured. null: no world; decisions come only from the API and the "
        "triggers (a plain decision service), and `policy.actions` must be set.",
    )
    sources: list[SourceConfig] = Field(default_factory=list, max_length=16, description=SOURCES_DESCRIPTION)
    featurizers: list[FeaturizerConfig] = Field(
        default_factory=list, max_length=32, validate_default=True, description=FEATURIZERS_DESCRIPTION,
    )
    triggers: TriggersConfig = Field(
        default_factory=TriggersConfig, description="When to decide: periodically, on sensor events, on API calls.",
    )
    actuators: list[ActuatorConfig] = Field(
        default_factory=list, max_length=64,
        description="Devices the decisions drive: GPIO LEDs, buzzers, relays, servos; MQTT; webhooks. Empty: none.",
    )
    feedback: list[FeedbackConfig] = Field(
        default_factory=list, max_length=64,
        description="Where rewards come from: buttons, digital sensors, MQTT, Fitbit (the API always takes rewards).",
    )
    learning: LearningConfig = Field(
        default_factory=LearningConfig, description="Whether the loop learns itself: online (default), apprentice or logging_only.",
    )
    model_source: ModelSourceConfig | None = Field(
        None, description="Where new models come from (a file, a URL, an MQTT retained message), checked before they are "
        "swapped in; e.g. {type: http, url: ..., interval_s: 60}. null: none (uploads through the API still work).",
    )
    log_sinks: list[LogSinkConfig] = Field(
        default_factory=list, max_length=16,
        description="Where the joined events (or the raw decisions and rewards) are shipped, at least once: a directory, "
        "HTTP, MQTT, Redis. Empty: none.",
    )
    observers: list[ObserverConfig] = Field(
        default_factory=lambda: list[ObserverConfigBase]([PolicyValueObserverConfig()]), max_length=64,
        description="Subscribers of the loop's events (decisions, rewards, joined events, model swaps), each on its own "
        "thread with a bounded queue. Default: the live policy value (online, random, each constant action). Empty: none.",
    )

    _world_actions: bool = PrivateAttr(False)
    """Whether the policy took its actions from the simulated world (its section has no ``actions:``)."""

    @model_validator(mode="wrap")
    @classmethod
    def _policy_actions_from_world(cls, data: Any, handler: ModelWrapValidatorHandler["AppConfig"]) -> "AppConfig":
        """A ``policy:`` section without ``actions:`` takes the simulated world's, as the default policy does."""
        policy = data.get("policy") if isinstance(data, dict) else None
        if not isinstance(policy, dict) or "actions" in policy:
            return handler(data)
        why = (SOURCED if data.get("sources") else WORLDLESS if data.get("simulation", {}) is None else None)
        if why:  # a missing field, reported as pydantic reports one: at the mapping that lacks it
            raise ValidationError.from_exception_data(cls.__name__, [{
                "type": PydanticCustomError("missing", "Field required ({why}); {fix}", {"why": why, "fix": ACTIONS_FIX}),
                "loc": ("policy", "actions"), "input": policy}])
        try:
            simulation = SimulationConfig.model_validate(data.get("simulation", {}))
        except ValidationError:
            return handler(data)  # the simulation's own errors are reported
        # the simulation validated once: pydantic takes a model instance as it is
        world = {"simulation": simulation} if "simulation" in data else {}
        config = handler({**data, **world, "policy": {**policy, "actions": world_actions(simulation)}})
        config._world_actions = True
        return config

    @field_validator("sources")
    @classmethod
    def _sources_need_actions(cls, sources: list[SourceConfig], info: ValidationInfo) -> list[SourceConfig]:
        if "policy" in info.data:  # else the policy's own error is reported
            problem = check_policy(sources, info.data["policy"] is not None)
            if problem:
                raise ValueError(problem)
        return sources

    @field_validator("featurizers")
    @classmethod
    def _featurizer_sources(cls, featurizers: list[FeaturizerConfig], info: ValidationInfo) -> list[FeaturizerConfig]:
        if "sources" in info.data:
            problem = check_links(info.data["sources"], featurizers)
            if problem:
                raise ValueError(problem)
        return featurizers

    @field_validator("triggers")
    @classmethod
    def _trigger_features(cls, triggers: TriggersConfig, info: ValidationInfo) -> TriggersConfig:
        if "featurizers" in info.data:
            problems = check_triggers(triggers.events, info.data["featurizers"])
            if problems:
                raise ValueError("; ".join(problems))
        return triggers

    @model_validator(mode="after")
    def _device_actions(self) -> "AppConfig":
        if self.policy is None and self.simulation is None:
            raise ValueError(NO_WORLD)
        problems = check_client_ids(self.actuators, self.feedback)
        if self.policy is not None:
            problems += check_actions(self.actuators, self.feedback, [a.id for a in self.policy.actions])
        if problems:
            raise ValueError("; ".join(problems))
        if self.learning.baseline_action is not None:
            declared = [a.id for a in self.effective_policy().actions]
            if self.learning.baseline_action not in declared:
                raise ValueError(f"learning.baseline_action {self.learning.baseline_action!r} is not one of the policy's "
                                 f"actions ({', '.join(declared)}); pick one of them")
        return self

    def world(self) -> SimulationConfig:
        """The simulated world's settings; the defaults when ``simulation: null`` (for ``wabbit simulate``)."""
        return self.simulation or SimulationConfig()

    def effective_policy(self) -> PolicyConfigBase:
        """The configured policy, or the default policy over the simulated world's actions: exactly what a user who
        configured none would run (no per-world settings: a simulation must not flatter)."""
        if self.policy is not None:
            return self.policy
        from pydantic import TypeAdapter

        assert self.simulation is not None  # checked by _device_actions
        policy: PolicyConfigBase = TypeAdapter(PolicyConfig).validate_python(
            {"actions": world_actions(self.simulation), "seed": self.simulation.seed})
        return policy

    def in_world(self, simulation: SimulationConfig | None, why: str = WORLDLESS) -> "AppConfig":
        """This config against another simulated world (``None``: none); a policy that took its actions from the
        world takes the new world's, and without a world to take them from it is a :class:`ConfigError` saying
        ``why`` there is none, as a missing ``policy.actions`` is reported."""
        config = self.model_copy()
        if simulation is None:
            if self.policy is None or self._world_actions:  # no policy section takes the world's actions too
                raise ConfigError(f"policy.actions: Field required ({why}); {ACTIONS_FIX}")
        elif self._world_actions and self.policy is not None:
            config.policy = self.policy.model_copy(
                update={"actions": [ActionConfig.model_validate(a) for a in world_actions(simulation)]})
        config.simulation = simulation
        return config


def load_config_text(text: str, source: str = "<config>") -> AppConfig:
    return load_yaml_model(AppConfig, text, source)


def load_config(path: Path | None) -> AppConfig:
    """Load ``path``; ``None`` gives the defaults (simulated devices)."""
    return AppConfig() if path is None else load_yaml_file(AppConfig, path)


def json_schema() -> dict[str, Any]:
    return AppConfig.model_json_schema()

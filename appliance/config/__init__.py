"""One pydantic tree for the whole appliance, loaded from YAML: :class:`~appliance.config.app.AppConfig` and its
sections, one module each.

Importing this package stays light: a log sink's child process needs only ``appliance.config.log_sinks``, not the
whole tree (every role's configs, the simulated worlds', the featurizers'), so the names below load from their
modules on first use.
"""

from typing import TYPE_CHECKING

from appliance.lazy import lazy_attributes

if TYPE_CHECKING:
    from appliance.config.actuators import ActuatorConfig
    from appliance.config.app import AppConfig, json_schema, load_config, load_config_text
    from appliance.config.feedback import FeedbackConfig
    from appliance.config.join import JoinConfig
    from appliance.config.log_sinks import LogSinkConfig
    from appliance.config.model_source import LearningConfig, ModelSourceConfig
    from appliance.config.observers import ObserverConfig
    from appliance.config.policy import ActionConfig, PolicyConfig, PolicyConfigBase
    from appliance.config.sensing import FeaturizerConfig, SourceConfig
    from appliance.config.server import ServerConfig
    from appliance.config.simulation import SimulationConfig
    from appliance.config.storage import StorageConfig
    from appliance.config.triggers import TriggersConfig
    from appliance.config.vw_policy import VWPolicyConfig

_LAZY = {
    "ActionConfig": "policy", "ActuatorConfig": "actuators", "AppConfig": "app", "FeaturizerConfig": "sensing",
    "FeedbackConfig": "feedback", "JoinConfig": "join", "LearningConfig": "model_source", "LogSinkConfig": "log_sinks",
    "ModelSourceConfig": "model_source", "ObserverConfig": "observers", "PolicyConfig": "policy",
    "PolicyConfigBase": "policy", "ServerConfig": "server", "SimulationConfig": "simulation", "SourceConfig": "sensing",
    "StorageConfig": "storage", "TriggersConfig": "triggers", "VWPolicyConfig": "vw_policy", "json_schema": "app",
    "load_config": "app", "load_config_text": "app",
}

__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "ActionConfig",
    "ActuatorConfig",
    "FeedbackConfig",
    "FeaturizerConfig",
    "AppConfig",
    "JoinConfig",
    "LearningConfig",
    "LogSinkConfig",
    "ModelSourceConfig",
    "ObserverConfig",
    "PolicyConfig",
    "PolicyConfigBase",
    "ServerConfig",
    "SimulationConfig",
    "SourceConfig",
    "StorageConfig",
    "TriggersConfig",
    "VWPolicyConfig",
    "json_schema",
    "load_config",
    "load_config_text",
]

"""Raspberry Wabbit: an online reinforcement-learning appliance.

The public surface: a config (:class:`AppConfig`, :func:`load_config`), clocks, and the errors every part
raises. Importing this package stays light: the config tree loads on first use, Vowpal Wabbit and FastAPI
only when something needs them.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from appliance.clock import Clock, FakeClock, SystemClock
from appliance.errors import ConfigError, StorageError, UsageError, WabbitError

if TYPE_CHECKING:
    from appliance.config import AppConfig, load_config

_LAZY = {"AppConfig": "appliance.config", "load_config": "appliance.config"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'appliance' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "AppConfig",
    "Clock",
    "ConfigError",
    "FakeClock",
    "StorageError",
    "SystemClock",
    "UsageError",
    "WabbitError",
    "load_config",
]
__version__ = "0.1.0"

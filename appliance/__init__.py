"""Raspberry Wabbit: an online reinforcement-learning appliance.

The public surface: a config (:class:`AppConfig`, :func:`load_config`), clocks, and the errors every part
raises. Importing this package stays light: the config tree loads on first use, Vowpal Wabbit and FastAPI
only when something needs them.
"""

from typing import TYPE_CHECKING

from appliance.clock import Clock, FakeClock, SystemClock
from appliance.errors import ConfigError, StorageError, UsageError, WabbitError
from appliance.lazy import lazy_attributes

if TYPE_CHECKING:
    from appliance.config import AppConfig, load_config

_LAZY = {"AppConfig": "config", "load_config": "config"}

__getattr__ = lazy_attributes(__name__, _LAZY)

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

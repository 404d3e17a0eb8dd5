"""Raspberry Wabbit: an online reinforcement-learning appliance.

The public surface: build a :class:`Loop` with :func:`open_loop`, decide, reward, tick.
Heavy modules (Vowpal Wabbit, FastAPI) load only when used.
"""

from appliance.clock import Clock, FakeClock, SystemClock
from appliance.config import AppConfig, load_config
from appliance.errors import ConfigError, StorageError, UsageError, WabbitError

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

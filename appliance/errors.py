"""One base error for the whole appliance, mixed with the builtin it refines.

Every error a user can see says what was wrong, where, and what to do:

>>> try:
...     raise ConfigError("policy.epsilon: must be <= 1 (got 2)")
... except WabbitError as err:
...     print(err)
policy.epsilon: must be <= 1 (got 2)
>>> isinstance(ConfigError("x"), ValueError)
True
"""

from __future__ import annotations


class WabbitError(Exception):
    """Base of every error raised by Raspberry Wabbit."""


class ConfigError(WabbitError, ValueError):
    """The configuration is invalid; the message names the YAML line and the fix."""


class UsageError(WabbitError, ValueError):
    """A command-line argument or API input is invalid (exit code 2, HTTP 4xx)."""


class StorageError(WabbitError, OSError):
    """The write-ahead log, the event log or a checkpoint could not be written or read."""


class CheckpointError(StorageError):
    """A checkpoint is missing or corrupt."""

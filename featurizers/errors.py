"""One base error for the featurizers package, mixed with the builtin it refines.

Messages say what was wrong, where, and what to do:

>>> try:
...     raise DeviceNotFoundError("audio device 'usb' not found; present: default, pulse")
... except FeaturizerError as err:
...     print(err)
audio device 'usb' not found; present: default, pulse
>>> isinstance(DeviceNotFoundError("x"), LookupError), isinstance(SpecError("x"), ValueError)
(True, True)
"""

from __future__ import annotations


class FeaturizerError(Exception):
    """Base of every error raised by the featurizers package."""


class SpecError(FeaturizerError, ValueError):
    """A source spec (``audio:default``, ``video:file:PATH``) or a config value is invalid."""


class DeviceNotFoundError(FeaturizerError, LookupError):
    """A named capture device or file is not there; the message names the ones that are."""

    def __str__(self) -> str:  # LookupError/KeyError-style quoting is not wanted
        return str(self.args[0]) if self.args else "device not found"


class CaptureError(FeaturizerError, OSError):
    """A capture device failed (unplugged, busy, stream ended); sources report it and reconnect."""


class ModelError(FeaturizerError, OSError):
    """A model file is missing, unreadable, or has tensors of an unexpected shape."""


class BackendUnavailableError(FeaturizerError, RuntimeError):
    """An inference runtime or NPU delegate cannot be loaded (the featurizer falls back to CPU)."""

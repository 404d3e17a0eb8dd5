"""The kit's errors: each says what is wrong and what to do.

>>> isinstance(WiringError("x"), KitError), isinstance(KitError("x"), ValueError)
(True, True)
"""

from __future__ import annotations

from appliance.errors import WabbitError


class KitError(WabbitError, ValueError):
    """The bill of materials or a kit file is invalid or missing."""


class WiringError(KitError):
    """A config's pins cannot be wired as written (not a GPIO, or one pin used twice)."""

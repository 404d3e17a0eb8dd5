"""The ``triggers:`` section: when the daemon decides.

Periodically (every ``periodic_s``) and on request (``POST /api/decide``).

>>> TriggersConfig.model_validate({"periodic_s": 5}).api
True
"""

from __future__ import annotations

from pydantic import Field

from appliance.config.base import StrictModel


class TriggersConfig(StrictModel):
    periodic_s: float | None = Field(
        None, gt=0.0, le=86400.0,
        description="Decide every N seconds from the current context. Empty: the simulation's decision_every_s.",
    )
    api: bool = Field(True, description="Allow decisions requested with POST /api/decide (false: 409 with the reason).")

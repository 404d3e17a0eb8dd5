"""The ``policy:`` section of ``type: linucb``: a second-order linear bandit (one ridge regression per action, its
inverse kept by Sherman-Morrison updates), optimistic by its confidence width, forgetting old events for drift.

>>> cfg = LinUCBPolicyConfig.model_validate({"actions": [{"id": "on"}, {"id": "off"}]})
>>> cfg.alpha, cfg.forgetting, cfg.epsilon, cfg.max_features
(0.5, 1.0, 0.0, 256)
"""

from typing import Literal

from pydantic import Field

from appliance.config.policy import PolicyConfigBase


class LinUCBPolicyConfig(PolicyConfigBase):
    type: Literal["linucb"] = Field(
        "linucb", description="LinUCB (disjoint): a ridge regression of each action's reward on the context, with "
        "Sherman-Morrison updates (numpy), choosing the highest upper confidence bound.",
    )
    alpha: float = Field(
        0.5, ge=0.0, le=100.0,
        description="Width of the confidence bound added to each action's predicted reward, in standard deviations; 0 is greedy, "
        "larger explores more (0.5 measured best on the suite's worlds: docs/quality.md).",
    )
    ridge: float = Field(1.0, gt=0.0, le=1e6, description="Ridge regularisation (the prior's precision) of each action's model.")
    forgetting: float = Field(
        1.0, ge=0.9, le=1.0,
        description="Discount of past events at each update of an action (discounted LinUCB): 1 never forgets (stationary "
        "worlds); 0.99 weighs about the last 100 updates of an action, so a drifting world is followed.",
    )
    epsilon: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Share of decisions spread uniformly over the offered actions, so the log can evaluate other policies "
        "offline (0: the pmf puts everything on the chosen action).",
    )
    max_features: int = Field(
        256, ge=1, le=4096,
        description="Context features given their own dimension, in order of appearance (plus an intercept); later "
        "names share one by hash. Cost per decision grows with its square.",
    )

"""The ``policy:`` section: the kind of policy (its ``type`` key), its actions and its seed, which every kind
shares. Each kind's own fields are in its config: ``vw`` in :mod:`appliance.config.vw_policy`, ``sklearn`` and
``linucb`` in :mod:`appliance.config.sklearn_policy` and :mod:`appliance.config.linucb_policy`.

>>> PolicyConfigBase.model_validate({"type": "uniform", "actions": [{"id": "on"}, {"id": "off"}]}).action_features()
{'on': {'Action': {'on': 1.0}}, 'off': {'Action': {'off': 1.0}}}
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from appliance.config.base import StrictModel
from appliance.features import Features, check_features, check_vw_name
from appliance.registry import KindOf


class ActionConfig(StrictModel):
    id: str = Field(min_length=1, max_length=64, description="Action name, shown on the dashboard and written to logs.")
    features: Features = Field(
        default_factory=dict,
        description="The action's own features by namespace, e.g. {colour: {warm: 1, red: 1.0}}. "
        "Empty: one indicator feature named after the id in namespace `Action`.",
    )

    _check_id = field_validator("id")(lambda v: check_vw_name(v, "action id"))
    _check_features = field_validator("features")(check_features)

    def vw_features(self) -> Features:
        return self.features or {"Action": {self.id: 1.0}}


class PolicyConfigBase(StrictModel):
    """What every policy's config has: a ``type`` (default ``vw``), the actions and a seed."""

    example: ClassVar[dict[str, Any]] = {"actions": [{"id": "on"}, {"id": "off"}]}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field("vw", description="The kind of policy: `vw` (Vowpal Wabbit), `sklearn` (a scikit-learn model), `linucb` (a "
                      "second-order linear bandit), `uniform` (random choices), or a plug-in's.")
    actions: list[ActionConfig] = Field(min_length=2, max_length=256, description="The actions the bandit chooses from.")
    seed: int = Field(0, ge=0, le=2**31 - 1,
                      description="Seed for the model and for sampling actions; the same seed and events give the same decisions.")

    @model_validator(mode="after")
    def _unique_ids(self) -> "PolicyConfigBase":
        ids = [a.id for a in self.actions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"action ids must be unique; repeated: {', '.join(duplicates)}")
        return self

    def action_features(self) -> dict[str, Features]:
        """Each action's features, in declared order."""
        return {a.id: a.vw_features() for a in self.actions}


class UniformPolicyConfig(PolicyConfigBase):
    type: Literal["uniform"] = Field("uniform", description="Uniform random choices: the baseline every policy should beat.")



PolicyConfig = Annotated[PolicyConfigBase, KindOf("policies", default="vw")]
"""The ``policy:`` section; the ``type`` key picks the kind (``vw`` when it is left out)."""

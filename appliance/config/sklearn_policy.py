"""The ``policy:`` section of ``type: sklearn``: a scikit-learn model with ``partial_fit`` as the reward model,
explored in Python as the VW policy explores (``appliance/policy/exploration.py``).

The estimator is named by its class (one of scikit-learn's own, nothing else is imported) and checked when the
config is validated, which imports scikit-learn (only then: a config without it never does).

>>> cfg = SklearnPolicyConfig.model_validate({"actions": [{"id": "on"}, {"id": "off"}],
...                                           "estimator": {"class": "SGDRegressor", "params": {"alpha": 1e-4}}})
>>> cfg.estimator.class_, cfg.exploration.type, cfg.bits, SklearnPolicyConfig(actions=cfg.actions).estimator.params
('SGDRegressor', 'squarecb', 16, {'eta0': 0.1})
>>> SklearnPolicyConfig.model_validate({"actions": [{"id": "on"}, {"id": "off"}], "estimator": {"class": "LinearRegression"}})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for SklearnPolicyConfig
estimator.class
  Value error, LinearRegression is not a scikit-learn regressor or classifier with partial_fit (it cannot learn one event at a \
time); choose one of BernoulliNB, ... [type=value_error, ...]
    For further information visit ...
"""

from types import ModuleType
from typing import Annotated, Any, Literal, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from appliance.config.base import StrictModel
from appliance.config.explorations import Epsilon, Softmax, SquareCB, explored_in_python
from appliance.config.policy import PolicyConfigBase

DEFAULT_ESTIMATOR: dict[str, Any] = {"class": "SGDRegressor", "params": {"eta0": 0.1}}
Param = Union[bool, int, float, str, None, list[Union[bool, int, float, str]]]
"""A constructor parameter's value: plain values only, so a config cannot build objects."""


def _sklearn_model() -> ModuleType:
    """:mod:`appliance.policy.sklearn_model` (which imports scikit-learn), or a ``ValueError`` saying what to install."""
    try:
        from appliance.policy import sklearn_model
    except ModuleNotFoundError as err:
        raise ValueError(f"policy type sklearn needs scikit-learn and skops ({err.name} is not installed): "
                         "pip install 'raspberry-wabbit[sklearn]'") from None
    return sklearn_model


class EstimatorConfig(StrictModel):
    class_: str = Field(
        "SGDRegressor", alias="class", pattern=r"^[A-Z][A-Za-z0-9_]*$",
        description="A scikit-learn regressor with partial_fit (SGDRegressor, MLPRegressor, ...) predicting the reward, or a "
        "classifier with partial_fit and predict_proba (SGDClassifier with loss log_loss, BernoulliNB, MLPClassifier, ...) "
        "predicting the chance of a success, by class name.",
    )
    params: dict[str, Param] = Field(
        default_factory=dict,
        description="Its constructor's parameters, e.g. {alpha: 0.0001}; random_state is policy.seed unless given here.",
    )

    @field_validator("class_")
    @classmethod
    def _online_estimator(cls, name: str) -> str:
        _sklearn_model().estimator_class(name)
        return name

    @model_validator(mode="after")
    def _known_params(self) -> "EstimatorConfig":
        model = _sklearn_model()
        model.check_params(model.estimator_class(self.class_), self.params)
        return self


class SklearnPolicyConfig(PolicyConfigBase):
    type: Literal["sklearn"] = Field("sklearn", description="A scikit-learn model of each action's reward, learned online (partial_fit).")
    exploration: Annotated[Union[Epsilon, Softmax, SquareCB], Field(discriminator="type")] = Field(
        default_factory=SquareCB, description="How the policy explores: epsilon, softmax or squarecb (the default), as the VW policy does.",
    )
    bits: int = Field(
        16, ge=8, le=24,
        description="The context's, the action's and their crossed features are hashed into 2**bits columns (a FeatureHasher).",
    )
    cb_type: str = Field(
        "mtr", pattern=r"^[a-z_][a-z0-9_]*$",
        description="How an event becomes training targets (appliance/estimators/costs/NAME.py): mtr learns the chosen action's "
        "reward; ips, dm and dr every offered action's estimate (regressors only).",
    )
    success_reward: float = Field(
        0.5, ge=-1e6, le=1e6, description="For a classifier: a reward at or above this is a success, the class it predicts the chance of.",
    )
    estimator: EstimatorConfig = Field(
        default_factory=lambda: EstimatorConfig.model_validate(DEFAULT_ESTIMATOR),
        description="The scikit-learn estimator and its parameters; by default SGDRegressor with eta0 0.1 (ten times "
        "scikit-learn's default step: on the simulated worlds it learns in hundreds of events, not thousands).",
    )

    @field_validator("exploration")
    @classmethod
    def _explored_in_python(cls, exploration: Epsilon | Softmax | SquareCB) -> Epsilon | Softmax | SquareCB:
        return explored_in_python(exploration, "policy type sklearn")

    @field_validator("cb_type")
    @classmethod
    def _known_cb_type(cls, name: str) -> str:
        from appliance.estimators.costs import cost_estimator

        cost_estimator(name)
        return name

    @field_validator("estimator")
    @classmethod
    def _learns(cls, estimator: EstimatorConfig, info: ValidationInfo) -> EstimatorConfig:
        """The estimator learns the hashed features with its parameters, and its targets (``cb_type``)."""
        fields: dict[str, Any] = info.data
        if not {"seed", "bits", "cb_type"} <= fields.keys():
            return estimator  # one of them is wrong, and said so
        model = _sklearn_model()
        estimator_class = model.estimator_class(estimator.class_)
        model.new_estimator(estimator_class, estimator.params, fields["seed"], 2 ** fields["bits"])
        from appliance.estimators.costs import cost_estimator

        if model.is_classifier(estimator_class) and not cost_estimator(fields["cb_type"]).only_chosen:
            raise ValueError(f"cb_type {fields['cb_type']} gives every action an estimated reward, which a classifier cannot learn; "
                             f"use cb_type mtr with {estimator.class_}, or a regressor")
        return estimator

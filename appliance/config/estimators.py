"""The configs of the off-policy estimators and intervals (roles ``estimators`` and ``intervals`` of the one
registry): a kind's fields are its constructor's arguments, so ``wabbit evaluate --estimators switch_dr`` and a
plug-in from the entry point group ``wabbit.estimators`` are built the same way.

>>> from pydantic import TypeAdapter
>>> TypeAdapter(EstimatorConfig).validate_python({"type": "clipped_ips", "max_weight": 5}).max_weight
5.0
>>> TypeAdapter(IntervalConfig).validate_python({"type": "clopper_pearson"}).scaled
True
"""

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from appliance.config.base import StrictModel
from appliance.registry import KindOf

_WMIN = "The smallest importance weight the logging and evaluated policies allow (0 unless known)."
_WMAX = "The largest importance weight the logging and evaluated policies allow (inf unless known: 1 / the smallest logged probability)."


class EstimatorConfigBase(StrictModel):
    """What every point estimator's config has: a ``type``; ``needs_reward_model`` marks the model-based kinds."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""
    needs_reward_model: ClassVar[bool] = False
    """Whether it needs the reward model's predictions (``r_hat``, ``v_hat``): ``wabbit evaluate`` then trains one."""

    type: str = Field(description="The kind of estimator.")


class IPSConfig(EstimatorConfigBase):
    type: Literal["ips"] = Field("ips", description="Inverse propensity scoring: the average of w r (unbiased).")


class SNIPSConfig(EstimatorConfigBase):
    type: Literal["snips"] = Field("snips", description="Self-normalised IPS: sum(w r) / sum(w) (a little biased, lower variance).")


class ClippedIPSConfig(EstimatorConfigBase):
    type: Literal["clipped_ips"] = Field("clipped_ips", description="IPS with every importance weight capped at max_weight.")
    max_weight: float = Field(10.0, gt=0.0, description="The largest importance weight kept.")


class DMConfig(EstimatorConfigBase):
    needs_reward_model: ClassVar[bool] = True

    type: Literal["dm"] = Field("dm", description="The direct method: the reward model's value of the evaluated policy.")


class DRConfig(EstimatorConfigBase):
    needs_reward_model: ClassVar[bool] = True

    type: Literal["dr"] = Field("dr", description="Doubly robust: the model's value corrected by IPS on its error.")


class SwitchDRConfig(EstimatorConfigBase):
    needs_reward_model: ClassVar[bool] = True

    type: Literal["switch_dr"] = Field("switch_dr", description="Switch-DR: DR where the importance weight is at most tau, the model alone above.")
    tau: float = Field(10.0, gt=0.0, description="The largest importance weight DR is used for.")


class MLEConfig(EstimatorConfigBase):
    type: Literal["mle"] = Field("mle", description="The empirical-likelihood estimator (one count per distinct weight and reward).")
    wmin: float = Field(0.0, ge=0.0, lt=1.0, description=_WMIN)
    wmax: float = Field(math.inf, gt=1.0, description=_WMAX)


class CressieReadConfig(EstimatorConfigBase):
    type: Literal["cressie_read"] = Field(
        "cressie_read", description="The Cressie-Read power-divergence estimator (empirical likelihood in closed form).")
    wmin: float = Field(0.0, ge=0.0, lt=1.0, description=_WMIN)
    wmax: float = Field(math.inf, gt=1.0, description=_WMAX)


class IntervalConfigBase(StrictModel):
    """What every interval's config has: a ``type``. A kind whose config has ``rmin``/``rmax`` (and
    ``empirical_r_bounds``) is given the rewards' range by ``wabbit evaluate`` and the live observer."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="The kind of interval.")


class GaussianConfig(IntervalConfigBase):
    type: Literal["gaussian"] = Field("gaussian", description="The Gaussian (central limit) interval around IPS, or DR with a reward model.")


class ClopperPearsonConfig(IntervalConfigBase):
    type: Literal["clopper_pearson"] = Field("clopper_pearson", description="The Clopper-Pearson interval around IPS (rewards in [rmin, rmax]).")
    rmin: float = Field(0.0, description="The smallest possible reward.")
    rmax: float = Field(1.0, description="The largest possible reward.")
    scaled: bool = Field(True, description="Scale by the largest weight seen, which holds where vw-estimators' formula (false) under-covers.")


class CressieReadIntervalConfig(IntervalConfigBase):
    type: Literal["cressie_read"] = Field("cressie_read", description="The empirical-likelihood interval around the Cressie-Read estimate.")
    wmin: float = Field(0.0, ge=0.0, lt=1.0, description=_WMIN)
    wmax: float = Field(math.inf, gt=1.0, description=_WMAX)
    rmin: float = Field(0.0, description="The smallest possible reward.")
    rmax: float = Field(1.0, description="The largest possible reward.")
    empirical_r_bounds: bool = Field(False, description="Widen [rmin, rmax] to the rewards seen.")


class ConfidenceSequenceConfig(IntervalConfigBase):
    type: Literal["cs"] = Field("cs", description="The off-policy confidence sequence: valid at every moment at once, however often it is looked at.")
    rmin: float = Field(0.0, description="The smallest possible reward.")
    rmax: float = Field(1.0, description="The largest possible reward.")
    empirical_r_bounds: bool = Field(False, description="Widen [rmin, rmax] to the rewards seen.")


EstimatorConfig = Annotated[EstimatorConfigBase, KindOf("estimators")]
"""One point estimator; the ``type`` key picks the kind (built in, or added by a plug-in)."""
IntervalConfig = Annotated[IntervalConfigBase, KindOf("intervals")]
"""One interval; the ``type`` key picks the kind (built in, or added by a plug-in)."""

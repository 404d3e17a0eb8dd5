"""The ``exploration:`` of a policy: how it explores, one config per algorithm (a ``type`` key picks it), each
with the Vowpal Wabbit options it stands for and what it is good at.

>>> SquareCB(gamma_scale=10).vw_args()
['--squarecb', '--gamma_scale', '10.0', '--gamma_exponent', '0.5']
"""

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from appliance.config.base import StrictModel


class ExplorationBase(StrictModel):
    """What every exploration declares besides its fields."""

    cb_types: ClassVar[tuple[str, ...] | None] = None
    """The VW cb_types this exploration works with (``None``: every one), as VW 9.11 checks them at start."""
    good_at: ClassVar[str] = ""
    """What it is good at, in a sentence (``wabbit config default`` says it)."""


class Epsilon(ExplorationBase):
    good_at = ("simple and robust; the explored share never shrinks, so it keeps following a drifting world, at a fixed "
               "cost in reward on a stationary one")
    type: Literal["epsilon"] = Field("epsilon", description="Epsilon-greedy: explore uniformly with probability epsilon.")
    epsilon: float = Field(0.05, ge=0.0, le=1.0, description="Share of decisions explored uniformly at random.")

    def vw_args(self) -> list[str]:
        return ["--epsilon", str(self.epsilon)]


class First(ExplorationBase):
    good_at = "a known budget of random decisions up front, then greedy: cheap, but it never learns of a change after tau decisions"
    type: Literal["first"] = Field("first", description="Explore-first: uniform for the first `tau` decisions, then greedy.")
    tau: int = Field(100, ge=1, le=10_000_000, description="Number of decisions explored before acting greedily.")

    def vw_args(self) -> list[str]:
        return ["--first", str(self.tau)]


class Bag(ExplorationBase):
    good_at = "exploration from the disagreement of an ensemble (no tuning of a rate); costs `size` models per decision"
    type: Literal["bag"] = Field("bag", description="Bagging: an ensemble of policies trained on bootstrap resamples.")
    size: int = Field(5, ge=2, le=64, description="Number of policies in the bag.")
    epsilon: float = Field(0.0, ge=0.0, le=1.0, description="Extra uniform exploration on top of the bag.")
    greedify: bool = Field(False, description="Train the first policy on every event, not a bootstrap resample (VW --greedify): "
                           "the bag leans towards the greedy choice, exploring less.")

    def vw_args(self) -> list[str]:
        return ["--bag", str(self.size), "--epsilon", str(self.epsilon), *(["--greedify"] if self.greedify else [])]


class Cover(ExplorationBase):
    cb_types = ("mtr", "ips", "dr")
    good_at = "theoretically careful exploration from a cover of policies; slow (`size` + 1 learners) and needs cb_type mtr, ips or dr"
    type: Literal["cover"] = Field("cover", description="Online cover: a set of policies kept diverse by a cost-sensitive oracle.")
    size: int = Field(4, ge=1, le=64, description="Number of policies in the cover.")
    psi: float = Field(1.0, gt=0.0, le=100.0, description="Disagreement weight (VW --psi).")

    def vw_args(self) -> list[str]:
        return ["--cover", str(self.size), "--psi", str(self.psi)]


class Softmax(ExplorationBase):
    good_at = "explores in proportion to how good each action looks: a smooth trade-off, but lambda depends on the reward scale"
    type: Literal["softmax"] = Field("softmax", description="Softmax (Boltzmann) exploration over predicted costs.")
    lambda_: float = Field(1.0, alias="lambda", ge=0.0, le=1000.0, description="Inverse temperature; larger is greedier.")

    def vw_args(self) -> list[str]:
        return ["--softmax", "--lambda", str(self.lambda_)]


class CostRange(ExplorationBase):
    """The range of costs VW's confidence bounds assume (RegCB, SquareCB's elimination)."""

    min_cost: float = Field(
        -1.0, ge=-1e6, le=1e6,
        description="The lowest cost (VW --cb_min_cost). The appliance learns cost = -reward, so rewards in [0, 1] are costs in "
        "[-1, 0]: VW's own default [0, 1] makes RegCB's confidence bounds wrong and it scores like random.")
    max_cost: float = Field(0.0, ge=-1e6, le=1e6, description="The highest cost (VW --cb_max_cost): minus the lowest reward.")

    @model_validator(mode="after")
    def _cost_range(self) -> "CostRange":
        if self.min_cost >= self.max_cost:
            raise ValueError(f"min_cost ({self.min_cost}) must be below max_cost ({self.max_cost}); costs are -reward: "
                             "rewards in [0, 1] give min_cost -1, max_cost 0")
        return self

    def cost_range_args(self) -> list[str]:
        return ["--cb_min_cost", str(self.min_cost), "--cb_max_cost", str(self.max_cost)]


class SquareCB(CostRange):
    cb_types = ("mtr",)
    good_at = ("the default: inverse-gap weighting on a regression (cb_type mtr only); explores less as it learns, the best "
               "of the sweep on stationary and drifting worlds alike (with update: adaptive)")
    type: Literal["squarecb"] = Field("squarecb", description="SquareCB: inverse-gap weighting, strong with regression oracles.")
    gamma_scale: float = Field(10.0, gt=0.0, le=1e6, description="Scale of the exploration parameter gamma.")
    gamma_exponent: float = Field(0.5, ge=0.0, le=1.0, description="Growth of gamma with the number of decisions.")
    elim: bool = Field(False, description="Explore only among the plausible actions, those RegCB's confidence bounds have not "
                       "ruled out (VW --elim; min_cost, max_cost and mellowness apply only with it).")
    mellowness: float = Field(0.001, gt=0.0, le=10.0, description="Confidence width of the plausible set (VW --mellowness), "
                              "with elim; smaller rules actions out sooner.")

    def vw_args(self) -> list[str]:
        elim = ["--elim", "--mellowness", str(self.mellowness), *self.cost_range_args()] if self.elim else []
        return ["--squarecb", "--gamma_scale", str(self.gamma_scale), "--gamma_exponent", str(self.gamma_exponent), *elim]


class RegCB(CostRange):
    cb_types = ("mtr",)
    good_at = "optimism from a confidence interval on a regression (cb_type mtr only); needs the cost range, which the appliance passes"
    type: Literal["regcb"] = Field("regcb", description="RegCB: optimistic (regcbopt) or elimination-based exploration.")
    optimistic: bool = Field(True, description="Use the optimistic variant (--regcbopt) instead of elimination (--regcb).")
    mellowness: float = Field(0.1, gt=0.0, le=10.0, description="Confidence width; smaller explores less.")

    def vw_args(self) -> list[str]:
        return ["--regcbopt" if self.optimistic else "--regcb", "--mellowness", str(self.mellowness), *self.cost_range_args()]


class RND(ExplorationBase):
    good_at = "an exploration bonus where contexts are new (random network distillation): large, changing context spaces"
    type: Literal["rnd"] = Field("rnd", description="Random network distillation: exploration bonus from a random predictor.")
    size: int = Field(3, ge=1, le=64, description="Number of random predictors.")
    epsilon: float = Field(0.0, ge=0.0, le=1.0, description="Extra uniform exploration.")
    alpha: float = Field(0.1, ge=0.0, le=1000.0, description="Confidence width of the bonus (VW --rnd_alpha): larger explores "
                         "more on features seen before.")
    invlambda: float = Field(0.1, gt=0.0, le=1000.0, description="Regularisation of the predictors' covariance (VW "
                             "--rnd_invlambda): larger explores more on new features.")

    def vw_args(self) -> list[str]:
        return ["--rnd", str(self.size), "--epsilon", str(self.epsilon), "--rnd_alpha", str(self.alpha),
                "--rnd_invlambda", str(self.invlambda)]


class SynthCover(ExplorationBase):
    good_at = "a pessimistic cover of synthetic policies: careful where a bad action is costly"
    type: Literal["synthcover"] = Field("synthcover", description="Synthetic cover: pessimistic exploration with synthetic policies.")
    size: int = Field(100, ge=1, le=10_000, description="Number of synthetic policies.")
    psi: float = Field(0.1, gt=0.0, le=100.0, description="Exploration strength.")
    epsilon: float = Field(0.0, ge=0.0, le=1.0, description="Extra uniform exploration.")

    def vw_args(self) -> list[str]:
        return ["--synthcover", "--synthcoversize", str(self.size), "--synthcoverpsi", str(self.psi), "--epsilon", str(self.epsilon)]


def explored_in_python(exploration: Epsilon | Softmax | SquareCB, where: str) -> Epsilon | Softmax | SquareCB:
    """``exploration``, if Python can compute it (``appliance/policy/exploration.py``): SquareCB's ``elim`` needs VW's
    RegCB confidence bounds, which only VW's own learner keeps."""
    if isinstance(exploration, SquareCB) and exploration.elim:
        raise ValueError(f"{where} explores in Python, which has no confidence bounds for squarecb's elim: drop elim, or use "
                         "policy type vw with a VW cb_type (mtr)")
    return exploration


EXPLORATIONS = (Epsilon, First, Bag, Cover, Softmax, SquareCB, RegCB, RND, SynthCover)
Exploration = Annotated[
    Union[Epsilon, First, Bag, Cover, Softmax, SquareCB, RegCB, RND, SynthCover],
    Field(discriminator="type"),
]


def exploration_guide() -> str:
    """What each exploration is good at, one sentence each (the ``exploration`` field's description, so ``wabbit
    config default`` and the schema say it).

    >>> exploration_guide().split("; ")[0]
    'epsilon: simple and robust'
    """
    return "; ".join(f"{kind.model_fields['type'].default}: {kind.good_at}" for kind in EXPLORATIONS)

"""The ``policy:`` section: the kind of policy, its actions, and for ``vw`` the exploration and Vowpal Wabbit options.

>>> cfg = VWPolicyConfig.model_validate({"actions": [{"id": "warm"}, {"id": "cool"}]})
>>> cfg.exploration.vw_args()
['--squarecb', '--gamma_scale', '10.0', '--gamma_exponent', '0.5']
>>> SquareCB(gamma_scale=10).vw_args()
['--squarecb', '--gamma_scale', '10.0', '--gamma_exponent', '0.5']
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, field_validator, model_validator

from appliance.config.base import StrictModel
from appliance.features import Features, check_features, check_vw_name
from appliance.registry import KindOf

# Options that read or write files, open sockets, or replace the reduction the appliance is built on.
FORBIDDEN_VW_OPTIONS = frozenset(
    "-d --data -f --final_regressor -i --initial_regressor --readable_model --invert_hash -c --cache "
    "--cache_file --daemon --port --pid_file --num_children --foreground -p --predictions -r "
    "--raw_predictions --audit_regressor --output_feature_regularizer_binary "
    "--output_feature_regularizer_text --input_feature_regularizer --dsjson --json --flatbuffer "
    "--cb_explore_adf --cb_adf --cb --cb_explore --cats --ccb_explore_adf --slates -t --testonly "
    "--save_per_pass --save_resume --preserve_performance_counters --span_server --unique_id --total "
    "--node --sendto --passes --holdout_off --random_seed --quiet --epsilon --first --bag --cover "
    "--softmax --squarecb --regcb --regcbopt --rnd --synthcover --large_action_space".split()
)


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


UPDATES: dict[str, tuple[str, ...]] = {
    "adaptive": ("--adaptive", "--invariant"),
    "normalized": (),
    "coin": ("--coin",),
    "freegrad": ("--freegrad",),
}
"""``update`` -> the VW options it passes (``normalized`` is VW's own default: ``--adaptive --normalized --invariant``)."""
BASE_LEARNER_OPTIONS = frozenset(
    "--adaptive --normalized --invariant --sgd --coin --freegrad --ftrl --pistol --OjaNewton --ksvm --bfgs "
    "--conjugate_gradient".split()
)
"""VW options that choose how weights are updated: VW refuses most of them beside another update's options."""


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


class VWPolicyConfig(PolicyConfigBase):
    type: Literal["vw"] = Field("vw", description="A Vowpal Wabbit contextual bandit (--cb_explore_adf).")
    exploration: Exploration = Field(
        default_factory=SquareCB,
        description="How the policy explores (a `type` key picks the algorithm); SquareCB by default. " + exploration_guide() + ".",
    )
    interactions: list[str] | Literal["auto"] = Field(
        "auto",
        description="VW quadratic/cubic interactions by namespace first letters (e.g. ['aA', 'vA']); `auto` crosses "
        "every context namespace that reaches the policy (simulated, sensed, or sent to the API) with every action namespace.",
    )
    learning_rate: float = Field(
        1.0, gt=0.0, le=100.0,
        description="VW learning rate (-l). 1 (with update: adaptive) was chosen by the sweep `wabbit bench --only "
        "quality.sweep` (docs/quality.md): 0.5, VW's usual, learned drifting worlds and data sets far more slowly.")
    power_t: float = Field(0.5, ge=0.0, le=1.0, description="Learning-rate decay (VW --power_t); 0 keeps adapting forever, for drifting worlds.")
    update: Literal["adaptive", "normalized", "coin", "freegrad"] = Field(
        "adaptive",
        description="How VW updates the weights: `adaptive` (the default, chosen by the sweep: per-feature AdaGrad steps and "
        "importance-invariant updates, without VW's normalization, which follows a drifting world much more slowly), "
        "`normalized` (VW's own default: the same, "
        "each feature's step also scaled by the largest value it has taken; with it, `vw_args` may name another update "
        "such as --ftrl), `coin` or `freegrad` (parameter-free: they ignore learning_rate and power_t).")
    bits: int = Field(18, ge=10, le=28, description="Weight table size as a power of two (VW -b). 18 bits = 1 MB of weights.")
    cb_type: str = Field(
        "mtr", pattern=r"^(mtr|ips|dr|dm|sm|python:[a-z_][a-z0-9_]*)$",
        description="Estimator that turns bandit feedback into cost targets: VW's own (--cb_type mtr, ips, dr, dm, sm), or "
        "`python:NAME` (ips, dm, dr, mtr: appliance/estimators/costs/NAME.py) feeding VW's cost-sensitive learner, with "
        "the exploration (epsilon, softmax or squarecb) computed in Python.",
    )
    held_examples: int = Field(
        1024, ge=0, le=100_000,
        description="Pending decisions that keep their parsed VW example (about 30 KB each) until learned; older "
        "ones give it back and are rebuilt from their context when learned (about 2 µs). Bounds memory: 1024 is about 30 MB.",
    )
    vw_args: list[str] = Field(
        default_factory=list,
        description="Extra VW options passed through (e.g. ['--l2', '1e-6']). Options that touch files, "
        "sockets, the parser or the reduction are refused.",
    )

    @field_validator("vw_args")
    @classmethod
    def _safe_vw_args(cls, args: list[str]) -> list[str]:
        for arg in args:
            option = arg.split("=", 1)[0]
            if option in FORBIDDEN_VW_OPTIONS:
                raise ValueError(f"VW option {option} is managed by the appliance or touches files/sockets; use the matching config key instead")
        return args

    @model_validator(mode="after")
    def _one_update(self) -> "VWPolicyConfig":
        """VW takes one way of updating weights: ``update`` names it, unless it is VW's own (``normalized``)."""
        named = [arg for arg in self.vw_args if arg.split("=", 1)[0] in BASE_LEARNER_OPTIONS]
        if named and self.update != "normalized":
            raise ValueError(f"vw_args {' '.join(named)} choose how VW updates its weights, and update: {self.update} "
                             f"does too (Vowpal Wabbit refuses both): drop them, or set update: normalized (VW's own, "
                             f"which vw_args then replace)")
        return self

    @property
    def python_cb_type(self) -> str | None:
        """The Python cost estimator's name for ``cb_type: python:NAME``, else ``None``."""
        return self.cb_type.partition(":")[2] if self.cb_type.startswith("python:") else None

    @model_validator(mode="after")
    def _cb_type_fits_exploration(self) -> "VWPolicyConfig":
        """VW refuses some estimators with some explorations at start: refuse them here, saying what fits."""
        allowed = self.exploration.cb_types
        if self.python_cb_type is None and allowed is not None and self.cb_type not in allowed:
            takes_any = ", ".join(kind.model_fields["type"].default for kind in EXPLORATIONS if kind.cb_types is None)
            raise ValueError(f"exploration {self.exploration.type} works with cb_type {' or '.join(allowed)} only (Vowpal Wabbit "
                             f"refuses cb_type {self.cb_type} with it): set cb_type: {allowed[0]}, or choose an exploration "
                             f"that takes any cb_type ({takes_any})")
        return self

    @model_validator(mode="after")
    def _python_cb_type(self) -> "VWPolicyConfig":
        name = self.python_cb_type
        if name is not None:
            from appliance.estimators.costs import cost_estimator

            cost_estimator(name)
            if not isinstance(self.exploration, (Epsilon, Softmax, SquareCB)):
                raise ValueError(f"cb_type {self.cb_type} explores in Python: exploration must be epsilon, softmax or squarecb "
                                 f"(got {self.exploration.type})")
            explored_in_python(self.exploration, f"cb_type {self.cb_type}")
        return self

    @field_validator("interactions")
    @classmethod
    def _check_interactions(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list):
            for term in value:
                if not 2 <= len(term) <= 3 or " " in term:
                    raise ValueError(f"interaction {term!r} must be 2 or 3 namespace first letters, e.g. 'aA'")
        return value


PolicyConfig = Annotated[PolicyConfigBase, KindOf("policies", default="vw")]
"""The ``policy:`` section; the ``type`` key picks the kind (``vw`` when it is left out)."""

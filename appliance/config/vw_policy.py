"""The ``policy:`` section of a ``vw`` policy: a Vowpal Wabbit contextual bandit, its exploration
(:mod:`appliance.config.explorations`), its learner's options, and the VW options it refuses.

>>> cfg = VWPolicyConfig.model_validate({"actions": [{"id": "warm"}, {"id": "cool"}]})
>>> cfg.exploration.vw_args()
['--squarecb', '--gamma_scale', '10.0', '--gamma_exponent', '0.5']
"""

from typing import Literal

from pydantic import Field, field_validator, model_validator

from appliance.config.explorations import (
    EXPLORATIONS,
    Epsilon,
    Exploration,
    Softmax,
    SquareCB,
    exploration_guide,
    explored_in_python,
)
from appliance.config.policy import PolicyConfigBase

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


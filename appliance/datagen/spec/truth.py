"""The ``truth:`` and ``logging:`` sections: how labels and rewards are made, and which policy chose the actions."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from appliance.config.base import StrictModel
from appliance.datagen.spec.features import NamespaceSpec, features_drawn


class DriftSpec(StrictModel):
    every: int = Field(..., ge=1, le=10**9, description="Events between changes of preference (abrupt), or per `angle_deg` turned (gradual).")
    mode: Literal["abrupt", "gradual", "rotate"] = Field(
        "abrupt", description="abrupt: the truth jumps every `every` events; gradual: it turns steadily; rotate: every `every` "
        "events each action takes the truth the next action of the pool had (action k scores as k + 1 did), so yesterday's "
        "best action is no longer today's (problems with actions only; angle_deg unused).")
    angle_deg: float = Field(
        90.0, gt=0.0, le=180.0,
        description="abrupt and gradual: how far the truth turns per `every` events, between two independent truths: 90 swaps "
                    "one for the other, 180 reverses every preference.")


class TruthSpec(StrictModel):
    model: Literal["linear", "network", "given"] = Field(
        "linear", description="linear: a weighted sum of the features plus the `interactions`; network: a small random "
        "neural network (one tanh hidden layer) of every namespace; given: each action's score is the sum of the context's "
        "feature values times that action's `weights` (no random part: a liking table written out).")
    interactions: Literal["auto"] | list[tuple[str, str]] = Field(
        "auto", max_length=64,
        description="Pairs of namespaces whose product enters the score (VW's -q): `auto` crosses every shared namespace with "
                    "every action namespace (none for regression and binary); [] for none.")
    weights: dict[str, dict[str, list[float]]] | None = Field(
        None, description="model: given (and only then): shared namespace -> feature name -> its weight for each action of the "
        "pool, in pool order; features not listed weigh 0. Problems with a pool of actions (not regression, binary, ccb, slates).")
    link: Literal["identity", "logistic"] = Field(
        "identity", description="identity: the expected reward is the score; logistic: 1 / (1 + exp(-score)), a probability.")
    clip: tuple[float, float] | None = Field(
        None, description="[low, high]: the expected reward is held within them, after the link (none: not held); within "
        "[0, 1] it is a probability, which a bernoulli outcome can draw from without link: logistic.")
    outcome: Literal["gaussian", "bernoulli"] = Field(
        "gaussian", description="gaussian: reward = expected + normal(0, noise); bernoulli: 1 with the expected reward as "
        "probability, else 0 (needs link: logistic, or a clip within [0, 1]). Binary labels are always +1 with probability logistic(score).")
    noise: float = Field(0.1, ge=0.0, le=100.0, description="gaussian: the noise's standard deviation.")
    scale: float = Field(1.0, ge=0.0, le=100.0, description="linear and network: the score's standard deviation (about); given: "
                         "a factor on the given score; before `offset`.")
    main_effects: bool = Field(
        True, description="linear: score each namespace's own features (a weight vector per namespace) besides the interactions; "
        "false: the interactions only, so that with features of mean 0 every action is worth 0 on average (the `linear` world).")
    offset: float = Field(0.0, ge=-100.0, le=100.0, description="Added to every score.")
    latent: int = Field(8, ge=1, le=256, description="Dimensions each namespace's features are projected to before scoring.")
    hidden: int = Field(16, ge=1, le=1024, description="network: hidden units.")
    drift: DriftSpec | None = Field(None, description="Preferences that change over time; none by default.")

    @field_validator("clip")
    @classmethod
    def _ordered(cls, clip: tuple[float, float] | None) -> tuple[float, float] | None:
        if clip is not None and not clip[0] < clip[1]:
            raise ValueError(f"clip [{clip[0]}, {clip[1]}] holds nothing: give [low, high] with low < high")
        return clip

    def probability(self) -> bool:
        """Whether the expected reward is a probability (a bernoulli outcome can be drawn from it)."""
        return self.link == "logistic" or self.clip is not None and 0.0 <= self.clip[0] and self.clip[1] <= 1.0


WEIGHED_VOCABULARY = 65_536
"""model: given weighs namespaces of at most this many different features (a table row for each)."""


def check_given(truth: TruthSpec, shared: list[NamespaceSpec], problem: str, pool: int) -> None:
    """Refuse a given truth that names what the spec does not draw, or cannot score, saying what would.

    >>> x = NamespaceSpec(name="x", count=2)
    >>> check_given(TruthSpec(model="given", weights={"x": {"f2": [1.0, 0.0]}}), [x], "cb_adf", 2)
    Traceback (most recent call last):
    ...
    ValueError: weights name feature 'f2' of namespace 'x', which it never draws (it draws f0 to f1)
    """
    if truth.model != "given":
        if truth.weights is not None:
            raise ValueError(f"weights are for model: given (this truth is {truth.model}): remove weights, or set model: given")
        return
    if not truth.weights:
        raise ValueError("model: given needs weights: shared namespace -> feature name -> one weight per action")
    if problem in ("regression", "binary", "ccb", "slates"):
        raise ValueError(f"model: given weighs each action of a pool, and {problem} has none to weigh: use cb, cb_adf, multiclass, "
                         "cost_sensitive or cost_sensitive_ldf, or model: linear")
    if truth.drift is not None and truth.drift.mode != "rotate":
        raise ValueError("drift modes abrupt and gradual turn towards a second random truth, which model: given does not have: "
                         "use drift mode: rotate")
    namespaces = {ns.name: ns for ns in shared}
    for name, table in truth.weights.items():
        ns = namespaces.get(name)
        if ns is None:
            raise ValueError(f"weights name {name!r}, which is not a shared namespace; they are {', '.join(namespaces)}")
        if ns.type == "categorical" and ns.names is None or ns.vocabulary > WEIGHED_VOCABULARY and ns.type != "dense":
            raise ValueError(f"weights name namespace {name!r}, whose features cannot be weighed one by one: give it names "
                             f"(categorical), or a vocabulary of at most {WEIGHED_VOCABULARY}")
        for feature, index in zip(table, ns.indices(table)):
            if index < 0:
                raise ValueError(f"weights name feature {feature!r} of namespace {name!r}, which it never draws (it draws {features_drawn(ns)})")
            if len(table[feature]) != pool:
                raise ValueError(f"weights of {name}.{feature} give {len(table[feature])} numbers for a pool of {pool} actions: "
                                 "give one per action, in pool order")


class LoggingSpec(StrictModel):
    policy: Literal["uniform", "epsilon_greedy", "softmax", "vw"] = Field(
        "uniform", description="The policy that chose the logged actions: uniform; epsilon_greedy or softmax around the true "
        "expected rewards; vw: a given VW model's pmf (a --cb_explore or --cb_explore_adf model).")
    epsilon: float = Field(0.1, ge=0.0, le=1.0, description="epsilon_greedy: the share of uniformly random choices.")
    temperature: float = Field(0.1, gt=0.0, le=1000.0, description="softmax: p ~ exp(expected reward / temperature).")
    model: Path | None = Field(None, description="vw: the model file (relative to the spec file).")

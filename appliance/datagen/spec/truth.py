"""The ``truth:`` and ``logging:`` sections: how labels and rewards are made, and which policy chose the actions."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from appliance.config.base import StrictModel


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
    model: Literal["linear", "network"] = Field(
        "linear", description="linear: a weighted sum of the features plus the `interactions`; network: a small random "
        "neural network (one tanh hidden layer) of every namespace.")
    interactions: Literal["auto"] | list[tuple[str, str]] = Field(
        "auto", max_length=64,
        description="Pairs of namespaces whose product enters the score (VW's -q): `auto` crosses every shared namespace with "
                    "every action namespace (none for regression and binary); [] for none.")
    link: Literal["identity", "logistic"] = Field(
        "identity", description="identity: the expected reward is the score; logistic: 1 / (1 + exp(-score)), a probability.")
    outcome: Literal["gaussian", "bernoulli"] = Field(
        "gaussian", description="gaussian: reward = expected + normal(0, noise); bernoulli: 1 with the expected reward as "
        "probability, else 0 (needs link: logistic). Binary labels are always +1 with probability logistic(score).")
    noise: float = Field(0.1, ge=0.0, le=100.0, description="gaussian: the noise's standard deviation.")
    scale: float = Field(1.0, ge=0.0, le=100.0, description="The score's standard deviation (about), before `offset`.")
    main_effects: bool = Field(
        True, description="linear: score each namespace's own features (a weight vector per namespace) besides the interactions; "
        "false: the interactions only, so that with features of mean 0 every action is worth 0 on average (the `linear` world).")
    offset: float = Field(0.0, ge=-100.0, le=100.0, description="Added to every score.")
    latent: int = Field(8, ge=1, le=256, description="Dimensions each namespace's features are projected to before scoring.")
    hidden: int = Field(16, ge=1, le=1024, description="network: hidden units.")
    drift: DriftSpec | None = Field(None, description="Preferences that change over time; none by default.")


class LoggingSpec(StrictModel):
    policy: Literal["uniform", "epsilon_greedy", "softmax", "vw"] = Field(
        "uniform", description="The policy that chose the logged actions: uniform; epsilon_greedy or softmax around the true "
        "expected rewards; vw: a given VW model's pmf (a --cb_explore or --cb_explore_adf model).")
    epsilon: float = Field(0.1, ge=0.0, le=1.0, description="epsilon_greedy: the share of uniformly random choices.")
    temperature: float = Field(0.1, gt=0.0, le=1000.0, description="softmax: p ~ exp(expected reward / temperature).")
    model: Path | None = Field(None, description="vw: the model file (relative to the spec file).")

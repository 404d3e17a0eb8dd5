"""Logging policies: who chose the actions in generated bandit data (one file per kind)."""

from __future__ import annotations

from appliance.datagen.policies.base import LoggingPolicy, Situation, exact_pmf, sample
from appliance.datagen.policies.epsilon_greedy import EpsilonGreedyPolicy
from appliance.datagen.policies.softmax import SoftmaxPolicy
from appliance.datagen.policies.uniform import UniformPolicy
from appliance.datagen.policies.vw_model import VWModelPolicy
from appliance.datagen.spec import LoggingSpec


def build_policy(spec: LoggingSpec) -> LoggingPolicy:
    if spec.policy == "epsilon_greedy":
        return EpsilonGreedyPolicy(spec.epsilon)
    if spec.policy == "softmax":
        return SoftmaxPolicy(spec.temperature)
    if spec.policy == "vw":
        assert spec.model is not None  # the spec refuses vw without a model
        return VWModelPolicy(spec.model)
    return UniformPolicy()


__all__ = ["LoggingPolicy", "Situation", "build_policy", "exact_pmf", "sample"]

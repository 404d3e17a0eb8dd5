"""The ``simulation:`` section: the simulated world that stands in for devices when none are configured."""

from typing import Literal

from pydantic import Field

from appliance.config.base import StrictModel


class DelayConfig(StrictModel):
    distribution: Literal["exponential", "uniform", "lognormal", "fixed"] = Field(
        "exponential", description="Shape of the delay between a decision and its reward.",
    )
    mean_s: float = Field(3.0, ge=0.0, le=86400.0, description="Mean delay in seconds.")
    spread: float = Field(
        0.5, ge=0.0, le=10.0,
        description="Uniform: half-width as a share of the mean; lognormal: sigma. Unused for exponential and fixed.",
    )


class SimulationConfig(StrictModel):
    world: Literal["light", "linear", "drift", "digits", "wine"] = Field(
        "light", description="Which simulated world runs: light, linear, drift, or a data set scikit-learn ships read as a bandit "
        "(digits: 10 actions; wine: 3), which needs the sklearn extra.")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the world: contexts, rewards and delays.")
    decision_every_s: float = Field(1.0, gt=0.0, le=3600.0, description="Simulated seconds between decisions.")
    delay: DelayConfig = Field(default_factory=DelayConfig, description="Delay between a decision and its reward.")
    missing: float = Field(0.05, ge=0.0, le=1.0, description="Share of rewards lost on the way.")
    duplicate: float = Field(0.05, ge=0.0, le=1.0, description="Share of rewards delivered twice (same reward id).")
    features: int = Field(8, ge=1, le=1000, description="`linear` and `drift`: number of context features.")
    actions: int = Field(4, ge=2, le=256, description="`linear` and `drift`: number of actions.")
    noise: float = Field(0.1, ge=0.0, le=10.0, description="`linear` and `drift`: standard deviation of reward noise.")
    drift_every: int = Field(5000, ge=10, le=10_000_000, description="`drift`: decisions between changes of preference.")

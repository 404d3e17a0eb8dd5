"""Simulated worlds: seeded stand-ins for sensors, people and rewards, each with a known best action.

``light``, ``linear`` and ``drift`` are generator specs (:class:`GeneratedWorld`: the contexts, truth, drift and reward
noise of :mod:`appliance.datagen`); the data sets are scikit-learn's."""

from __future__ import annotations

from appliance.config.simulation import SimulationConfig
from appliance.worlds.base import World, best_action, offered_rewards
from appliance.worlds.dataset import DATASETS, DatasetWorld
from appliance.worlds.drift import DriftWorld
from appliance.worlds.generated import GeneratedWorld
from appliance.worlds.light import LightWorld
from appliance.worlds.linear import LinearWorld

WORLDS = ("light", "linear", "drift", *DATASETS)
"""Every built-in world: simulated ones, and data sets scikit-learn ships read as bandits."""


def build_world(config: SimulationConfig) -> World:
    if config.world == "light":
        return LightWorld(config.seed)
    if config.world == "linear":
        return LinearWorld(config.features, config.actions, config.noise, config.seed)
    if config.world == "drift":
        return DriftWorld(config.features, config.actions, config.noise, config.drift_every, config.seed)
    return DatasetWorld(config.world, config.seed)


__all__ = ["DATASETS", "WORLDS", "DatasetWorld", "DriftWorld", "GeneratedWorld", "LightWorld", "LinearWorld", "World", "best_action", "build_world",
           "offered_rewards"]

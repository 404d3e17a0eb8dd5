"""Learning quality on each simulated world: our policy (exactly as ``wabbit simulate`` runs it) vs uniform random,
the oracle and river's bandit policies, on the same seeded stream of contexts.

The figure is the average expected reward of the chosen actions (the world knows it for every action, so it is
free of reward noise). Ours learns through the real joiner: rewards come after a random delay, some are lost,
some duplicated. The baselines learn every reward at once, none lost: an advantage they are given.
river is a test-only dependency: without it its rows say why they were skipped.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Protocol

from appliance.bench.measure import compared, summarize
from appliance.config import AppConfig
from appliance.features import Features
from appliance.worlds import WORLDS, World, best_action, build_world

ORACLE = "oracle"


class Baseline(Protocol):
    """A policy we compare against: chooses among ``arms`` for a context, then learns the reward it got."""

    def choose(self, arms: list[str], context: Features, step: int) -> str: ...

    def learn(self, arm: str, context: Features, reward: float) -> None: ...


class Uniform:
    """Every action equally likely, whatever happened: the floor a learning policy must beat."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def choose(self, arms: list[str], context: Features, step: int) -> str:
        return self._rng.choice(arms)

    def learn(self, arm: str, context: Features, reward: float) -> None:
        """Nothing to learn: it stays uniform."""


class Oracle:
    """Knows the world's expected rewards: the best any policy can do on average."""

    def __init__(self, world: World) -> None:
        self._world = world

    def choose(self, arms: list[str], context: Features, step: int) -> str:
        return best_action(self._world, context, step)

    def learn(self, arm: str, context: Features, reward: float) -> None:
        """Nothing to learn: it already knows the expected rewards."""


def flat(context: Features) -> dict[str, float]:
    """Namespaced features as the flat dict river's contextual policies take.

    >>> flat({"audio": {"level": 0.5}, "time": {"h5": 1.0}})
    {'audio.level': 0.5, 'time.h5': 1.0}
    """
    return {f"{ns}.{name}": value for ns, values in context.items() for name, value in values.items()}


class River:
    """A river bandit policy; contextual ones (``bandit.base.ContextualPolicy``) get the flattened context."""

    def __init__(self, policy: Any) -> None:
        from river import bandit

        self._policy = policy
        self._contextual = isinstance(policy, bandit.base.ContextualPolicy)

    def choose(self, arms: list[str], context: Features, step: int) -> str:
        if self._contextual:
            return str(self._policy.pull(arms, context=flat(context)))
        return str(self._policy.pull(arms))

    def learn(self, arm: str, context: Features, reward: float) -> None:
        if self._contextual:
            self._policy.update(arm, flat(context), reward)
        else:
            self._policy.update(arm, reward)


def _river_baselines() -> dict[str, Callable[[World, int], Baseline]] | str:
    """river's policies by name, or why they cannot run."""
    try:
        from river import bandit
    except ImportError as err:
        return f"river is not installed ({err}); it comes with the test extra: pip install -e '.[test]'"
    return {
        "river.EpsilonGreedy(epsilon=0.1), context-free": lambda world, seed: River(bandit.EpsilonGreedy(0.1, seed=seed)),
        "river.LinUCBDisjoint(alpha=1), contextual": lambda world, seed: River(bandit.LinUCBDisjoint(seed=seed)),
    }


def _config(world: str, seed: int, events: int) -> AppConfig:
    # drift: preferences change 3 times in the run, whatever its length
    return AppConfig.model_validate({"simulation": {"world": world, "seed": seed, "drift_every": max(10, events // 4)}})


Runner = Callable[[AppConfig, int], tuple[float, float]]
"""Runs a policy over a world's stream of ``events`` decisions: (average expected reward, decisions per second)."""


def run_baseline(config: AppConfig, events: int, make: Callable[[World, int], Baseline]) -> tuple[float, float]:
    """A baseline on the stream ``wabbit simulate`` makes (same contexts, same reward generator seed)."""
    sim = config.world()
    world = build_world(sim)  # a fresh world with the same seed draws the same contexts
    policy = make(world, sim.seed)
    rng = random.Random(sim.seed + 1)
    arms = [a.id for a in world.actions]
    arm_index = {arm: k for k, arm in enumerate(arms)}
    total = 0.0
    started = time.perf_counter()
    for step in range(events):
        context = world.context(step)
        arm = policy.choose(arms, context, step)
        expected = world.expected_rewards(context, step)[arm_index[arm]]
        total += expected
        feedback = world.reward(expected, rng)
        policy.learn(arm, context, config.join.default_reward if feedback is None else feedback)
    return total / events, events / (time.perf_counter() - started)


def run_ours(config: AppConfig, events: int) -> tuple[float, float]:
    """Our policy exactly as ``wabbit simulate`` runs it (joiner, learning and DSJSON log included)."""
    from appliance.simulate import simulate

    with tempfile.TemporaryDirectory() as tmp:
        result = simulate(config, events, Path(tmp))
    return result["avg_reward"], result["events_per_s"]


def _runners() -> tuple[dict[str, Runner], str | None]:
    """Every policy compared, by name, and why river's are missing (``None`` when they are there)."""
    def baseline(make: Callable[[World, int], Baseline]) -> Runner:
        return lambda config, events: run_baseline(config, events, make)

    runners: dict[str, Runner] = {
        "ours": run_ours, ORACLE: baseline(lambda world, seed: Oracle(world)),
        "uniform random": baseline(lambda world, seed: Uniform(seed))}
    river = _river_baselines()
    if isinstance(river, str):
        return runners, river
    return {**runners, **{name: baseline(make) for name, make in river.items()}}, None


def _quality(world: str) -> Callable[[bool], dict[str, Any]]:
    def bench(quick: bool) -> dict[str, Any]:
        events, seeds = (600, 3) if quick else (10_000, 5)
        runners, river_missing = _runners()
        rewards: dict[str, list[float]] = {name: [] for name in runners}
        speeds: dict[str, list[float]] = {name: [] for name in runners}
        for seed in range(1, seeds + 1):
            config = _config(world, seed, events)
            for name, runner in runners.items():
                reward, per_s = runner(config, events)
                rewards[name].append(reward)
                speeds[name].append(per_s)
        ours, oracle = summarize(rewards["ours"]), summarize(rewards[ORACLE])
        policies: dict[str, Any] = {name: {
            "avg_reward": summarize(rewards[name]), "events_per_s": summarize(speeds[name]),
            "ratio_to_oracle": statistics.median(rewards[name]) / oracle["median"]} for name in runners}
        if river_missing:
            policies["river"] = {"skipped": river_missing}
        return compared(
            f"average expected reward per decision of our policy (`wabbit simulate --world {world}`), {events} "
            f"decisions, median over seeds 1..{seeds}", "reward", ours,
            "oracle: the best action by the world's expected reward, same contexts", oracle,
            "the share of the best achievable reward ours earned (every policy's share: policies.*.ratio_to_oracle)",
            events=events, seeds=seeds, policies=policies,
            baselines_note="baselines learn each reward at once, none lost; ours through the joiner with the "
            "simulation's delays, losses and duplicates, and writes its DSJSON log")

    bench.__doc__ = f"Our policy vs random, oracle and river on the {world} world."
    return bench


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {
    f"quality.{world}": _quality(world) for world in WORLDS}

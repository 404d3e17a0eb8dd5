"""Run the real policy, joiner and learner against a simulated world on a simulated clock, flat out.

Rewards come back after a delay drawn from the configured distribution; some are lost, some delivered
twice (same reward id, as an at-least-once transport would).
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.config.simulation import SimulationConfig
from appliance.datagen.spec import RewardsSpec
from appliance.datagen.trouble import Deliveries
from appliance.errors import ConfigError
from appliance.loop import Loop
from appliance.policy.base import Policy
from appliance.worlds import build_world, offered_rewards


def reward_deliveries(config: SimulationConfig, duplicates: bool = True) -> Deliveries:
    """When each reward reaches the loop, in seconds after its decision (the generator's
    :class:`~appliance.datagen.trouble.Deliveries`): the configured delays, losses and, unless ``duplicates`` is
    false, rewards delivered twice (the copy a random fraction of a second after the first); seeded by the world's seed.

    >>> from appliance.config.simulation import DelayConfig
    >>> sim = SimulationConfig(missing=0.0, duplicate=1.0, delay=DelayConfig(distribution="fixed", mean_s=2.0))
    >>> len(reward_deliveries(sim).next()), reward_deliveries(sim, duplicates=False).next()
    (2, (2.0,))
    """
    spec = RewardsSpec(delay=config.delay, missing=config.missing, duplicate=config.duplicate if duplicates else 0.0)
    return Deliveries(spec, np.random.default_rng((config.seed, 2)))


def check_world_actions(world: str, declared: list[str], actions: list[str]) -> None:
    """Refuse declared actions the world cannot score: a simulation judges each choice by the world's expected reward for it.

    >>> check_world_actions("linear", ["a0", "a2"], ["a0", "a1", "a2"])
    >>> for declared in (["warm", "a0"], ["warm", "hot"]):
    ...     try:
    ...         check_world_actions("linear", declared, ["a0", "a1"])
    ...     except ConfigError as err:
    ...         print(err)
    policy.actions: warm is not an action of the linear world, which scores a0, a1: declare some of those (with any features their policy needs)
    policy.actions: warm, hot are not actions of the linear world, which scores a0, a1: declare some of those (with any features their policy needs)
    """
    unknown = [a for a in declared if a not in actions]
    if unknown:
        named = f"{unknown[0]} is not an action" if len(unknown) == 1 else f"{', '.join(unknown)} are not actions"
        raise ConfigError(f"policy.actions: {named} of the {world} world, which scores {', '.join(actions)}: declare some "
                          "of those (with any features their policy needs)")


def open_simulated_loop(config: AppConfig, log_dir: Path, policy: Policy | None = None) -> tuple[Loop, FakeClock]:
    """The loop a simulation drives, and its clock: not durable, simulated time, event ids ``sim-00000000`` on."""
    clock = FakeClock(1_700_000_000.0)
    counter = itertools.count()
    return open_loop(config, clock, log_dir, durable=False, new_id=lambda: f"sim-{next(counter):08d}", policy=policy), clock


class Simulation:
    """A simulation run a stretch of decisions at a time: :func:`simulate` runs one through, ``wabbit bench``
    takes turns between one and the loop alone. ``seconds`` is the time spent in :meth:`run` and :meth:`finish`."""

    def __init__(self, config: AppConfig, log_dir: Path, policy: Policy | None = None) -> None:
        self._config, self._sim = config, config.world()
        self._world = build_world(self._sim)
        self._action_index = {a.id: k for k, a in enumerate(self._world.actions)}
        if config.policy is not None:
            check_world_actions(self._sim.world, [a.id for a in config.policy.actions], list(self._action_index))
        self._loop, self._clock = open_simulated_loop(config, log_dir, policy)
        self._rng = random.Random(self._sim.seed + 1)
        self._deliveries = reward_deliveries(self._sim)
        self._inbox: list[tuple[float, int, str, float, str]] = []  # (due, seq, event id, reward, reward id)
        self._seq = itertools.count()
        self._expected_sums = (0.0, 0.0, 0.0)  # of the chosen action, the best offered one, a uniformly random offered one
        self._missing = self._duplicated = 0  # rewards lost on the way, delivered twice
        self.steps = 0
        self.seconds = 0.0
        self.decide_seconds = 0.0  # of them, in the loop's decide

    @property
    def loop(self) -> Loop:
        """The loop it drives (observers subscribe to ``loop.bus``)."""
        return self._loop

    def progress(self) -> dict[str, float]:
        """The expected reward of the chosen actions so far, the oracle's and uniform random's, as averages, and the
        loop's decide time (for a watching observer; refreshed after each :meth:`run`)."""
        n = max(self.steps, 1)
        chosen, oracle, uniform = self._expected_sums
        return {"simulate/expected_reward": chosen / n, "simulate/oracle": oracle / n, "simulate/random": uniform / n,
                "simulate/share_of_oracle": chosen / oracle if oracle else 0.0, "latency/decide_ms": 1000 * self.decide_seconds / n}

    def run(self, steps: int) -> None:
        """The next ``steps`` decisions, each after the rewards that are due and a tick of the loop."""
        started = time.perf_counter()
        world, loop, clock, rng, inbox, deliveries = self._world, self._loop, self._clock, self._rng, self._inbox, self._deliveries
        action_index, seq, every = self._action_index, self._seq, self._sim.decision_every_s
        chosen, oracle, uniform = self._expected_sums
        missing, duplicated = self._missing, self._duplicated
        deciding, perf = 0.0, time.perf_counter
        for step in range(self.steps, self.steps + steps):
            clock.advance(every)
            now = clock.time()
            while inbox and inbox[0][0] <= now:
                _, _, event_id, value, reward_id = heapq.heappop(inbox)
                loop.reward(event_id, value, reward_id=reward_id)
            loop.tick()
            context = world.context(step)
            before = perf()
            decision, _ = loop.decide(context)
            deciding += perf() - before
            expected = world.expected_rewards(context, step)
            mean = expected[action_index[decision.action]]
            if len(decision.actions) != len(expected):  # a policy given some of the world's actions: judged among those
                expected = offered_rewards(expected, action_index, decision.actions)
            chosen += mean
            oracle += max(expected)
            uniform += sum(expected) / len(expected)
            feedback = world.reward(mean, rng)
            if feedback is None:
                continue
            delays = deliveries.next()
            missing += not delays
            duplicated += len(delays) > 1
            for delay in delays:
                heapq.heappush(inbox, (now + delay, next(seq), decision.event_id, feedback, f"r{step}"))
        self._expected_sums = chosen, oracle, uniform
        self._missing, self._duplicated = missing, duplicated
        self.decide_seconds += deciding
        self.steps += steps
        self.seconds += time.perf_counter() - started

    def finish(self) -> dict[str, Any]:
        """Let every wait end and every late reward arrive, close the loop, and say what the policy earned."""
        started = time.perf_counter()
        loop = self._loop
        self._clock.advance(self._config.join.reward_wait_s + self._sim.delay.mean_s * 20)
        for _, _, event_id, value, reward_id in sorted(self._inbox):
            loop.reward(event_id, value, reward_id=reward_id)
        loop.tick()
        self.seconds += time.perf_counter() - started
        stats = loop.joiner.stats
        log_path = loop.events.current_path
        loop.close()
        n = max(self.steps, 1)
        chosen, oracle, uniform = self._expected_sums
        return {
            "world": self._sim.world, "seed": self._sim.seed, "events": self.steps,
            "avg_reward": chosen / n, "oracle_avg_reward": oracle / n, "random_avg_reward": uniform / n,
            "joined_avg_reward": loop.learner.baseline.averages()[0],
            "late_rewards": stats.late, "default_rewards": stats.defaulted, "duplicate_rewards": stats.duplicates,
            "missing_rewards": self._missing, "overflow": stats.overflow, "learned": loop.learned,
            "events_per_s": self.steps / self.seconds if self.seconds > 0 else None, "seconds": self.seconds,
            "decide_ms": 1000 * self.decide_seconds / n,
            "log": str(log_path),
        }


def simulate(config: AppConfig, events: int, log_dir: Path, policy: Policy | None = None) -> dict[str, Any]:
    """``events`` decisions of the configured world through the real loop, and what the policy earned (the configured
    policy, or ``policy`` over the world's actions).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as log_dir:
    ...     result = simulate(AppConfig.model_validate({"simulation": {"world": "linear"}}), 50, Path(log_dir))
    >>> result["events"], result["learned"], result["oracle_avg_reward"] >= result["avg_reward"]
    (50, 50, True)
    """
    simulation = Simulation(config, log_dir, policy)
    simulation.run(events)
    return simulation.finish()

"""Run the real policy, joiner and learner against a simulated world on a simulated clock, flat out.

Rewards come back after a delay drawn from the configured distribution; some are lost, some delivered
twice (same reward id, as an at-least-once transport would).
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import time
from pathlib import Path
from typing import Any

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.config.simulation import DelayConfig, SimulationConfig
from appliance.loop import Loop
from appliance.worlds import build_world


def draw_delay(config: DelayConfig, rng: random.Random) -> float:
    """One delay in seconds.

    >>> draw_delay(DelayConfig(distribution="fixed", mean_s=2.0), random.Random(0))
    2.0
    """
    mean = config.mean_s
    if config.distribution == "fixed" or mean == 0:
        return mean
    if config.distribution == "exponential":
        return rng.expovariate(1.0 / mean)
    if config.distribution == "uniform":
        return rng.uniform(mean * (1 - config.spread), mean * (1 + config.spread))
    sigma = config.spread
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def reward_delays(config: SimulationConfig, rng: random.Random) -> tuple[float, ...]:
    """When a reward reaches the loop, in seconds after its decision: never if it is lost on the way, twice if it
    is delivered twice (the copy a random fraction of a second after the first).

    >>> sim = SimulationConfig(missing=0.0, duplicate=1.0, delay=DelayConfig(distribution="fixed", mean_s=2.0))
    >>> [round(d, 3) for d in reward_delays(sim, random.Random(0))]
    [2.0, 2.421]
    >>> reward_delays(sim.model_copy(update={"missing": 1.0}), random.Random(0))
    ()
    """
    if rng.random() < config.missing:
        return ()
    delay = draw_delay(config.delay, rng)
    return (delay, delay + rng.random()) if rng.random() < config.duplicate else (delay,)


def open_simulated_loop(config: AppConfig, log_dir: Path) -> tuple[Loop, FakeClock]:
    """The loop a simulation drives, and its clock: not durable, simulated time, event ids ``sim-00000000`` on."""
    clock = FakeClock(1_700_000_000.0)
    counter = itertools.count()
    return open_loop(config, clock, log_dir, durable=False, new_id=lambda: f"sim-{next(counter):08d}"), clock


def simulate(config: AppConfig, events: int, log_dir: Path) -> dict[str, Any]:
    sim = config.simulation
    world = build_world(sim)
    loop, clock = open_simulated_loop(config, log_dir)
    rng = random.Random(sim.seed + 1)
    action_index = {a.id: k for k, a in enumerate(world.actions)}
    inbox: list[tuple[float, int, str, float, str]] = []  # (due, seq, event id, reward, reward id)
    seq = itertools.count()
    chosen = oracle = uniform = 0.0
    missing = duplicated = 0
    started = time.perf_counter()
    for step in range(events):
        clock.advance(sim.decision_every_s)
        now = clock.time()
        while inbox and inbox[0][0] <= now:
            _, _, event_id, value, reward_id = heapq.heappop(inbox)
            loop.reward(event_id, value, reward_id=reward_id)
        loop.tick()
        context = world.context(step)
        decision, _ = loop.decide(context)
        expected = world.expected_rewards(context, step)
        mean = expected[action_index[decision.action]]
        chosen += mean
        oracle += max(expected)
        uniform += sum(expected) / len(expected)
        feedback = world.reward(mean, rng)
        if feedback is None:
            continue
        delays = reward_delays(sim, rng)
        missing += not delays
        duplicated += len(delays) > 1
        for delay in delays:
            heapq.heappush(inbox, (now + delay, next(seq), decision.event_id, feedback, f"r{step}"))
    clock.advance(config.join.reward_wait_s + sim.delay.mean_s * 20)  # let every wait end and late rewards arrive
    for _, _, event_id, value, reward_id in sorted(inbox):
        loop.reward(event_id, value, reward_id=reward_id)
    loop.tick()
    elapsed = time.perf_counter() - started
    stats = loop.joiner.stats
    log_path = loop.events.current_path
    loop.close()
    n = max(events, 1)
    return {
        "world": sim.world, "seed": sim.seed, "events": events,
        "avg_reward": chosen / n, "oracle_avg_reward": oracle / n, "random_avg_reward": uniform / n,
        "joined_avg_reward": loop.reward_sum / max(loop.learned, 1),
        "late_rewards": stats.late, "default_rewards": stats.defaulted, "duplicate_rewards": stats.duplicates,
        "missing_rewards": missing, "overflow": stats.overflow, "learned": loop.learned,
        "events_per_s": events / elapsed if elapsed > 0 else None, "seconds": elapsed,
        "log": str(log_path),
    }

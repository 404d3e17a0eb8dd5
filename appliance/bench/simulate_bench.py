"""``simulate.events_per_s``: how fast ``wabbit simulate`` runs, against the loop alone doing the same work.

The reference replays the simulation without its world: the light world's contexts, every action's reward
and when each reward arrives are drawn beforehand (:func:`draw_script`), and the loop is fed them through
the same calls ``simulate`` makes (a tick and a decision per step, the rewards due before it). The ratio
is the share of the loop's speed a simulation keeps; what it loses is the world's own cost.

>>> script = draw_script(SIMULATION, 50)
>>> len(script.contexts), len(script.arrivals), sorted(script.contexts[0])
(50, 51, ['audio', 'time', 'video'])
>>> sum(len(step) for step in script.arrivals) > 40  # about 5% lost, 5% delivered twice
True
"""

from __future__ import annotations

import math
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.bench.measure import compared, repeat_each, timed
from appliance.config import AppConfig
from appliance.config.policy import Features
from appliance.simulate import open_simulated_loop, reward_delays, simulate
from appliance.worlds import build_world

SIMULATION = AppConfig.model_validate({"simulation": {"world": "light", "seed": 1}})


@dataclass(frozen=True)
class Script:
    """A simulation's world side, drawn in advance."""

    contexts: list[Features]
    rewards: list[list[float | None]]
    """Per step, the reward each action would get (``None``: nobody gave feedback), in the world's action order."""
    arrivals: list[list[tuple[int, str]]]
    """Per step, the rewards delivered before its decision, in order: (the step that earned it, reward id). One
    more entry than steps: what arrives after the last decision."""
    action_index: dict[str, int]


def draw_script(config: AppConfig, events: int) -> Script:
    """``events`` steps of the configured world, with the seeds ``simulate`` uses: the same contexts, and the same
    kind of rewards, losses, duplicates and delays (drawn for every action, so they are not the same draws)."""
    sim = config.simulation
    world, rng = build_world(sim), random.Random(sim.seed + 1)
    contexts: list[Features] = []
    rewards: list[list[float | None]] = []
    arrivals: list[list[tuple[int, str]]] = [[] for _ in range(events + 1)]
    due: list[tuple[float, int, float]] = []  # (when, in seconds from the start; the step that earned it; its delay)
    for step in range(events):
        context = world.context(step)
        contexts.append(context)
        rewards.append([world.reward(expected, rng) for expected in world.expected_rewards(context, step)])
        due += [(step * sim.decision_every_s + delay, step, delay) for delay in reward_delays(sim, rng)]
    for _, step, delay in sorted(due):  # delivered at the first later step whose clock has reached it
        arrivals[min(step + max(1, math.ceil(delay / sim.decision_every_s)), events)].append((step, f"r{step}"))
    return Script(contexts, rewards, arrivals, {a.id: k for k, a in enumerate(world.actions)})


def loop_alone(config: AppConfig, script: Script) -> float:
    """Events per second of the loop fed ``script`` through the calls ``simulate`` makes, with nothing else."""
    sim = config.simulation
    with tempfile.TemporaryDirectory() as tmp:
        loop, clock = open_simulated_loop(config, Path(tmp))
        event_ids: list[str] = []
        chosen: list[int] = []

        def deliver(step: int) -> None:
            for earned, reward_id in script.arrivals[step]:
                value = script.rewards[earned][chosen[earned]]
                if value is not None:
                    loop.reward(event_ids[earned], value, reward_id=reward_id)

        def run() -> None:
            for step, context in enumerate(script.contexts):
                clock.advance(sim.decision_every_s)
                deliver(step)
                loop.tick()
                decision, _ = loop.decide(context)
                event_ids.append(decision.event_id)
                chosen.append(script.action_index[decision.action])
            clock.advance(config.join.reward_wait_s + sim.delay.mean_s * 20)
            deliver(len(script.contexts))
            loop.tick()

        seconds = timed(run)
        loop.close()
    return len(script.contexts) / seconds


def simulated(config: AppConfig, events: int) -> float:
    """Events per second of ``simulate`` (``wabbit simulate``) on ``config``."""
    with tempfile.TemporaryDirectory() as tmp:
        rate: float = simulate(config, events, Path(tmp))["events_per_s"]
    return rate


def bench_simulate(quick: bool) -> dict[str, Any]:
    """``simulate`` on the light world vs the loop alone fed the same world drawn in advance, taken in turn."""
    events = 2000 if quick else 10_000
    script = draw_script(SIMULATION, events)
    s = repeat_each(lambda: {"simulate": simulated(SIMULATION, events), "loop": loop_alone(SIMULATION, script)},
                    repeats=3 if quick else 7)
    result = compared(
        f"events per second of `wabbit simulate --world light --seed 1`, {events} events", "events/s", s["simulate"],
        "the loop alone (decide, reward, tick; not durable) fed the same world's contexts and rewards drawn in advance",
        s["loop"], "the share of the loop's speed a simulation keeps (goal >= 0.75)", events=events)
    result["world_share"] = 1 - result["ratio"]
    result["world_share_meaning"] = "1 - ratio: the share of a simulation's time spent on the world (goal <= 0.25)"
    return result


BENCHMARKS = {"simulate.events_per_s": bench_simulate}

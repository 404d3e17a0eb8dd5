"""``simulate.events_per_s``: how fast ``wabbit simulate`` runs, against the loop alone doing the same work.

The reference is the simulation without its world: the light world's contexts, every action's reward and when
each reward arrives are drawn beforehand (:func:`draw_script`), and the loop is fed them through the calls
``simulate`` makes (per step the rewards due, a tick, a decision). The two take turns every ``STRETCH`` steps
in one run, so a slow spell of the machine slows both. The ratio is the share of the loop's speed a
simulation keeps; what it loses is the world's own cost.

>>> script = draw_script(SIMULATION, 50)
>>> len(script.contexts), len(script.arrivals), sorted(script.contexts[0])
(50, 51, ['audio', 'time', 'video'])
>>> sum(len(step) for step in script.arrivals) > 40  # about 5% lost, 5% delivered twice
True
>>> sorted(taken_in_turn(SIMULATION, script))
['loop', 'simulate']
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.bench.measure import compared, repeat_each
from appliance.config import AppConfig
from appliance.features import Features
from appliance.heap import settled_heap
from appliance.simulate import Simulation, open_simulated_loop, reward_deliveries
from appliance.worlds import build_world

SIMULATION = AppConfig.model_validate({"simulation": {"world": "light", "seed": 1}})
STRETCH = 200  # steps each side runs before the other takes its turn: about 10 ms


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
    sim = config.world()
    world, rng, deliveries = build_world(sim), random.Random(sim.seed + 1), reward_deliveries(sim)
    contexts: list[Features] = []
    rewards: list[list[float | None]] = []
    arrivals: list[list[tuple[int, str]]] = [[] for _ in range(events + 1)]
    due: list[tuple[float, int, float]] = []  # (when, in seconds from the start; the step that earned it; its delay)
    for step in range(events):
        context = world.context(step)
        contexts.append(context)
        rewards.append([world.reward(expected, rng) for expected in world.expected_rewards(context, step)])
        due += [(step * sim.decision_every_s + delay, step, delay) for delay in deliveries.next()]
    for _, step, delay in sorted(due):  # delivered at the first later step whose clock has reached it
        arrivals[min(step + max(1, math.ceil(delay / sim.decision_every_s)), events)].append((step, f"r{step}"))
    return Script(contexts, rewards, arrivals, {a.id: k for k, a in enumerate(world.actions)})


class LoopAlone:
    """The loop a simulation drives, fed a :class:`Script` instead of a world, a stretch of steps at a time like
    :class:`~appliance.simulate.Simulation`. ``seconds`` is the time spent in :meth:`run` and :meth:`finish`."""

    def __init__(self, config: AppConfig, script: Script, log_dir: Path) -> None:
        self._config, self._script = config, script
        self._loop, self._clock = open_simulated_loop(config, log_dir)
        self._event_ids: list[str] = []
        self._chosen: list[int] = []
        self.seconds = 0.0

    def _deliver(self, step: int) -> None:
        rewards, event_ids, chosen = self._script.rewards, self._event_ids, self._chosen
        for earned, reward_id in self._script.arrivals[step]:
            value = rewards[earned][chosen[earned]]
            if value is not None:
                self._loop.reward(event_ids[earned], value, reward_id=reward_id)

    def run(self, steps: int) -> None:
        started = time.perf_counter()
        loop, clock, every, action_index = self._loop, self._clock, self._config.world().decision_every_s, self._script.action_index
        done = len(self._event_ids)
        for step in range(done, done + steps):
            clock.advance(every)
            self._deliver(step)
            loop.tick()
            decision, _ = loop.decide(self._script.contexts[step])
            self._event_ids.append(decision.event_id)
            self._chosen.append(action_index[decision.action])
        self.seconds += time.perf_counter() - started

    def finish(self) -> None:
        started = time.perf_counter()
        self._clock.advance(self._config.join.reward_wait_s + self._config.world().delay.mean_s * 20)
        self._deliver(len(self._event_ids))
        self._loop.tick()
        self.seconds += time.perf_counter() - started
        self._loop.close()


def taken_in_turn(config: AppConfig, script: Script) -> dict[str, float]:
    """Events per second of a :class:`~appliance.simulate.Simulation` of ``config`` and of the :class:`LoopAlone`
    fed ``script``, taking turns every ``STRETCH`` steps."""
    events = len(script.contexts)
    with settled_heap(), tempfile.TemporaryDirectory() as simulated, tempfile.TemporaryDirectory() as alone:
        simulation, loop = Simulation(config, Path(simulated)), LoopAlone(config, script, Path(alone))
        for turn, start in enumerate(range(0, events, STRETCH)):
            steps = min(STRETCH, events - start)
            for side in (simulation, loop) if turn % 2 else (loop, simulation):  # each goes first in turn
                side.run(steps)
        simulation.finish()
        loop.finish()
    return {"simulate": events / simulation.seconds, "loop": events / loop.seconds}


def bench_simulate(quick: bool) -> dict[str, Any]:
    """``simulate`` on the light world vs the loop alone fed the same world drawn in advance, taken in turn."""
    events = 2000 if quick else 10_000
    script = draw_script(SIMULATION, events)
    s = repeat_each(lambda: taken_in_turn(SIMULATION, script), repeats=5 if quick else 7)
    result = compared(
        f"events per second of `wabbit simulate --world light --seed 1`, {events} events", "events/s", s["simulate"],
        "the loop alone (decide, reward, tick; not durable) fed the same world's contexts and rewards drawn in advance, "
        f"taking turns every {STRETCH} steps", s["loop"], "the share of the loop's speed a simulation keeps (goal >= 0.75)",
        events=events)
    result["world_share"] = 1 - result["ratio"]
    result["world_share_meaning"] = "1 - ratio: the share of a simulation's time spent on the world (goal <= 0.25)"
    return result


BENCHMARKS = {"simulate.events_per_s": bench_simulate}

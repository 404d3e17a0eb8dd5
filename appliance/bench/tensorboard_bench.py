"""``tensorboard.overhead``: what TensorBoard logging costs the loop.

One loop is fed the light world a stretch of ``STRETCH`` events at a time, by turns plain, with the ``tensorboard``
observer at its daemon defaults (a write every 1000 joined events, at most one a second, or every 60 s; a weights
histogram every 10,000) and with it and ``latency: true`` (one more bus delivery per decision). Each watched turn ends
once the observer has caught up, so its work is charged to it; the observer subscribes for its turns only. One loop
for all three, so they share the model, the joiner and the memory; each mode's speed is the median of its turns, so
a turn another process slowed does not count. The loop ticks every ``TICK_EVERY`` events (about 40 times a second
here; the daemon ticks 10 times a second, and each tick wakes the observer). Each speed is measured by the clock (the
median turn) and per second of the process's CPU time (all its threads, every turn summed: a turn that digested the
observer's queue or wrote counts in full), which waiting for a core on a machine shared with other work does not
inflate.
Goal: at least 0.9 of the plain loop's events per second.

>>> result = taken_in_turn(light_workload(6 * STRETCH))
>>> sorted(result), result["writes"] >= 1
(['latency', 'latency_cpu', 'plain', 'plain_cpu', 'watched', 'watched_cpu', 'writes'], True)
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from appliance.bench.measure import compared, repeat_each
from appliance.bench.vw_bench import LightWorkload, light_workload
from appliance.clock import FakeClock
from appliance.config import AppConfig

STRETCH = 1000
TICK_EVERY = 500
CONFIG = AppConfig.model_validate({"join": {"reward_wait_s": 1.0}, "storage": {"log_sync_s": 0.0}})
MODES = ("plain", "watched", "latency")


def taken_in_turn(workload: LightWorkload) -> dict[str, float]:
    """Events per second of each mode (the median of its turns), and how often the default observer wrote."""
    from appliance.assemble import open_loop
    from appliance.config.tensorboard import TensorBoardObserverConfig
    from appliance.observers.base import ObserverHome
    from appliance.observers.tensorboard import TensorBoardObserver

    n = len(workload.contexts)
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(1_700_000_000.0)
        loop = open_loop(CONFIG, clock, Path(tmp), durable=False)
        observers = {mode: TensorBoardObserver(TensorBoardObserverConfig(logdir=Path(tmp) / "tensorboard", run=mode,
                                                                         latency=mode == "latency"), home=ObserverHome(policy=loop.policy))
                     for mode in MODES[1:]}
        turns: dict[str, list[float]] = {mode: [] for mode in MODES}
        cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
        for turn, start in enumerate(range(0, n - STRETCH + 1, STRETCH)):
            mode = MODES[turn % 3]
            observer = observers.get(mode)
            subscription = (loop.bus.subscribe(mode, observer.handle, observer.events(), 1 << 16, observer.config.linger_s)
                            if observer else None)
            loop.bus.flush(5.0)  # its thread started and waiting before the clock starts
            started, started_cpu = time.perf_counter(), time.process_time()
            for i in range(start, start + STRETCH):
                decision, _ = loop.decide(workload.contexts[i])
                if workload.rewards[i]:
                    loop.reward(decision.event_id, workload.rewards[i])
                clock.advance(0.01)
                if i % TICK_EVERY == TICK_EVERY - 1:
                    loop.tick()
            loop.bus.flush(60.0)
            if turn >= 3:  # the first round warms up
                turns[mode].append(time.perf_counter() - started)
                cpu[mode].append(time.process_time() - started_cpu)
            if subscription is not None:
                loop.bus.unsubscribe(subscription)
        loop.close()
        for observer in observers.values():
            observer.close()
    return {**{mode: STRETCH / statistics.median(seconds) for mode, seconds in turns.items()},
            **{f"{mode}_cpu": STRETCH * len(seconds) / sum(seconds) for mode, seconds in cpu.items()},
            "writes": float(observers["watched"].writes)}


def bench_tensorboard_overhead(quick: bool) -> dict[str, Any]:
    from appliance.watch.writers.base import have_tensorboardx

    n = 18_000 if quick else 60_000
    workload = light_workload(n)
    s = repeat_each(lambda: taken_in_turn(workload), repeats=3 if quick else 5)
    result = compared("loop events per second with the TensorBoard observer at its daemon defaults (a write every 1000 events, at "
                      "most one a second; a weights histogram every 10,000)", "events/s", s["watched"],
                      f"the same loop without it, taking turns every {STRETCH} events", s["plain"],
                      "the share of the loop's speed TensorBoard logging leaves (goal >= 0.9)", events=n,
                      writes=s["writes"]["median"], writer="event files (tensorboardX)" if have_tensorboardx() else "JSON lines")
    result["cpu"] = {"median": s["watched_cpu"]["median"], "ratio": s["watched_cpu"]["median"] / s["plain_cpu"]["median"],
                     "meaning": "events per second of CPU time (every turn summed), watched over plain"}
    result["latency"] = {"median": s["latency"]["median"], "ratio": s["latency"]["median"] / s["plain"]["median"],
                         "cpu_ratio": s["latency_cpu"]["median"] / s["plain_cpu"]["median"],
                         "meaning": "the same with `latency: true` (every decision timed through the bus), over the plain loop"}
    return result


BENCHMARKS = {"tensorboard.overhead": bench_tensorboard_overhead}

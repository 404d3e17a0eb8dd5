"""End-to-end benchmark: the closed loop on the light world, in real time, on the daemon's code path.

Features ready -> ``Loop.decide`` (policy, joiner, write-ahead log commit with fsync) -> the loop's listener ->
``Devices`` -> the shipped recording actuator applies the colour. The person's reward goes straight back in
(``Loop.reward``), and the daemon's ``join-learn`` worker ticks at 10 Hz, learning and logging what is due.
Decisions come flat out, one after the other, so the figures include the contention with learning.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from appliance.bench.measure import compared, rss_bytes, summarize, timed
from appliance.bench.vw_bench import LightWorkload, light_workload

REWARD_WAIT_S = 0.02
TICK_S = 0.1  # the daemon's join-learn worker interval


def _closed_loop(workload: LightWorkload, warmup: int) -> dict[str, Any]:
    """One run over every decision of ``workload``; the first ``warmup`` ones are not measured.

    Returns the latencies (µs), the joined+learned events per second after the warm-up (until the last one is
    learned), how long that took after the last decision, and the resident memory before and after.
    """
    from appliance.actuators.fake import RecordingActuator
    from appliance.assemble import open_loop
    from appliance.clock import SystemClock
    from appliance.config import AppConfig, JoinConfig
    from appliance.devices import Devices
    from appliance.workers import Worker
    from appliance.worlds import LightWorld

    world, person = LightWorld(), random.Random(3)
    n = len(workload.contexts)
    with tempfile.TemporaryDirectory() as tmp:
        loop = open_loop(AppConfig(join=JoinConfig(reward_wait_s=REWARD_WAIT_S)), SystemClock(), Path(tmp))
        lamp = RecordingActuator("lamp", {a: a for a in workload.actions})
        devices = Devices([lamp], [])
        devices.start(loop)
        stop = threading.Event()
        ticker = Worker("join-learn", loop.tick, TICK_S)
        ticker.start(stop)

        def step(i: int) -> float:
            """One decision through to the actuator (µs), then the person's reward, if any."""
            context = workload.contexts[i]
            features_ready = time.monotonic()
            decision, ticket = loop.decide(context)
            ticket.wait()
            loop.bus.flush()  # the actuator acts on the bus's thread once the decision is durable
            applied = lamp.calls.pop()  # stamped when the colour was set; taken out so the record does not grow
            latency = 1e6 * (applied.at - features_ready)
            reward = world.reward(world.expected_rewards(context, i)[decision.action_index], person)
            if reward is not None:
                loop.reward(decision.event_id, reward)
            return latency

        try:
            for i in range(warmup):
                step(i)
            start, learned_before, rss_before = time.perf_counter(), loop.learned, rss_bytes()
            latencies = [step(i) for i in range(warmup, n)]
            last = time.perf_counter()
            while loop.learned < n:
                time.sleep(0.001)
            done = time.perf_counter()
            rss_after = rss_bytes()
        finally:
            stop.set()
            ticker.join(5.0)
            devices.stop()
            loop.close()
    return {"latencies_us": latencies, "events_per_s": (n - learned_before) / (done - start), "tail_s": done - last,
            "rss_before": rss_before, "rss_after": rss_after}


def _bare_vw(workload: LightWorkload) -> tuple[list[float], float]:
    """VW alone on the same examples, each parsed (untimed) just before: µs of each predict, and predict + learn
    examples per second. Each example is finished at once, so VW reuses its memory."""
    vw = workload.workspace()
    predict_us: list[float] = []
    learning = 0.0
    for i in range(len(workload.contexts)):
        examples = vw.parse(workload.lines(i, labelled=False))
        predict_us.append(1e6 * timed(lambda: vw.predict(examples)))
        vw.finish_example(examples)
        examples = vw.parse(workload.lines(i, labelled=True))
        learning += timed(lambda: (vw.predict(examples), vw.learn(examples)))
        vw.finish_example(examples)
    vw.finish()
    return predict_us, len(workload.contexts) / learning


def bench_closed_loop(quick: bool) -> dict[str, Any]:
    """Decision latency (features ready -> actuator applied), joined+learned events/s and memory growth."""
    n, warmup, runs = (200, 50, 2) if quick else (3000, 200, 3)
    workload = light_workload(n)
    _closed_loop(light_workload(warmup * 2), warmup)  # a first loop in this process pays one-time costs
    latencies: list[float] = []
    reference_us: list[float] = []
    rates, reference_rates, tails, growth_mb, rss_mb = [], [], [], [], []
    for _ in range(runs):
        run = _closed_loop(workload, warmup)
        predict_us, per_s = _bare_vw(workload)
        latencies += run["latencies_us"]
        reference_us += predict_us[warmup:]
        rates.append(run["events_per_s"])
        reference_rates.append(per_s)
        tails.append(run["tail_s"])
        growth_mb.append((run["rss_after"] - run["rss_before"]) / 1e6)
        rss_mb.append(run["rss_before"] / 1e6)
    throughput = compared(
        "joined + learned events per second through the same closed loop (rewards waiting "
        f"{REWARD_WAIT_S} s, learned by the {TICK_S} s tick; the run ends when the last one is learned)",
        "events/s", summarize(rates), "pyvw predict + learn on the same examples pre-parsed", summarize(reference_rates),
        "the share of bare VW's speed the whole durable loop keeps",
        tail_s=summarize(tails))
    memory = compared(
        f"resident memory growth (MB) over {n - warmup} decisions after warm-up", "MB", summarize(growth_mb),
        "resident memory of the process when the run starts (MB)", summarize(rss_mb),
        "growth as a share of the resident memory at start")
    return compared(
        "decision latency µs from features ready to actuator applied: durable loop.decide (WAL commit + fsync) "
        "-> listener -> Devices -> recording actuator; light world, flat out", "µs", summarize(latencies),
        "bare vw.predict of the same example pre-parsed", summarize(reference_us),
        "what the loop, its WAL commit and the actuator path multiply VW's predict by",
        decisions=len(latencies), runs=runs, events_per_s=throughput, memory_growth=memory)


BENCHMARKS = {"e2e.closed_loop": bench_closed_loop}

"""Core-loop benchmarks: the whole loop vs pyvw on the same pre-parsed examples, and memory per pending decision."""

from __future__ import annotations

import gc
import random
import tempfile
from pathlib import Path
from typing import Any

from appliance.bench.measure import repeat, rss_bytes, timed
from appliance.clock import FakeClock
from appliance.config import AppConfig, JoinConfig
from appliance.config.policy import Features
from appliance.worlds import LightWorld


def _workload(n: int) -> tuple[list[Features], list[float]]:
    world = LightWorld(seed=11)
    rng = random.Random(5)
    return [world.context(i) for i in range(n)], [float(rng.random() < 0.5) for _ in range(n)]


def _text(context: Features) -> str:
    return "shared " + " ".join(f"|{ns} " + " ".join(f"{k}:{v}" for k, v in fs.items()) for ns, fs in context.items())


def bench_loop_vs_pyvw(quick: bool) -> dict[str, Any]:
    """Events per second: our loop (decide, join, learn, DSJSON log) vs pyvw predict+learn on pre-parsed examples."""
    import vowpalwabbit

    from appliance.assemble import open_loop, policy_config
    from appliance.policy.vw import vw_arguments

    n = 2000 if quick else 10_000
    contexts, rewards = _workload(n)
    world = LightWorld()
    config = AppConfig.model_validate({"join": {"reward_wait_s": 5.0}})
    pconfig = policy_config(config, world)
    args = vw_arguments(pconfig, world.context_namespaces)
    actions = [" ".join(f"|{ns} " + " ".join(f"{k}:{v}" for k, v in fs.items()) for ns, fs in a.vw_features().items()) for a in pconfig.actions]

    def reference() -> float:
        vw = vowpalwabbit.Workspace(arg_list=args)
        parsed = [vw.parse([_text(c)] + [(f"1:{-r}:0.25 " if i == 0 else "") + a for i, a in enumerate(actions)])
                  for c, r in zip(contexts, rewards)]
        seconds = timed(lambda: [(vw.predict(ex), vw.learn(ex)) for ex in parsed])
        for ex in parsed:
            vw.finish_example(ex)
        vw.finish()
        return n / seconds

    def ours(durable: bool) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            clock = FakeClock(1_700_000_000.0)
            loop = open_loop(config, clock, Path(tmp), durable=durable)

            def run() -> None:
                for context, reward in zip(contexts, rewards):
                    decision, _ = loop.decide(context)
                    if reward:
                        loop.reward(decision.event_id, reward)
                    clock.advance(0.5)
                    loop.tick()
                clock.advance(10)
                loop.tick()
                if loop.wal:
                    loop.wal.flush()

            seconds = timed(run)
            loop.close()
            return n / seconds

    repeats = 3 if quick else 5
    ref = repeat(reference, repeats)
    loop = repeat(lambda: ours(False), repeats)
    durable = repeat(lambda: ours(True), repeats)
    return {
        "figure": "events per second through decide + join + learn + DSJSON log (light world, 4 actions)",
        "unit": "events/s", **loop, "events": n,
        "reference": {"name": "pyvw predict + learn on the same examples pre-parsed (the ceiling for any loop on pyvw)", **ref},
        "ratio": loop["median"] / ref["median"],
        "durable": {"figure": "same, with the SQLite write-ahead log (group commit, fsync)", **durable,
                    "ratio": durable["median"] / ref["median"]},
    }


def bench_bytes_per_pending(quick: bool) -> dict[str, Any]:
    """Resident memory per decision waiting for its reward (VW example included)."""
    from appliance.assemble import open_loop

    n = 2000 if quick else 10_000
    contexts, _ = _workload(n)

    def run() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            config = AppConfig(join=JoinConfig(reward_wait_s=86400, max_pending=n))
            loop = open_loop(config, FakeClock(1_700_000_000.0), Path(tmp), durable=False)
            loop.decide(contexts[0])
            loop.recent_decisions.clear()
            gc.collect()
            before = rss_bytes()
            for context in contexts:
                loop.decide(context)
            loop.recent_decisions.clear()  # the dashboard's short history is not per-pending cost
            gc.collect()
            per = (rss_bytes() - before) / n
            loop.close()
            return per

    result = repeat(run, 3, warmup=0)
    return {"figure": "resident bytes per pending decision (shared VW example + context + join entry)",
            "unit": "bytes", **result, "pending": n,
            "reference": {"name": "max_pending default 10000 at this size, in MB", "median": result["median"] * 10_000 / 1e6},
            "ratio": None}


BENCHMARKS = {"loop.events_per_s": bench_loop_vs_pyvw, "loop.bytes_per_pending": bench_bytes_per_pending}

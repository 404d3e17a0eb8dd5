"""Subprocess of the adversarial-memory test: decisions over random subsets of 128 of 256 actions, contexts with
namespace names never seen before; prints the resident memory (MB) after each quarter."""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

from appliance.assemble import open_loop
from appliance.bench.measure import rss_bytes
from appliance.clock import FakeClock
from appliance.config import AppConfig


def main(events: int) -> None:
    actions = [{"id": f"a{i}", "features": {"item": {f"a{i}": 1.0}}} for i in range(256)]
    config = AppConfig.model_validate({"policy": {"actions": actions}, "join": {"reward_wait_s": 1}})
    clock = FakeClock(1_700_000_000.0)
    rng = random.Random(0)
    ids = [a["id"] for a in actions]
    with tempfile.TemporaryDirectory() as tmp:
        loop = open_loop(config, clock, Path(tmp), durable=False)
        for i in range(events):
            context = {f"ns{rng.getrandbits(48):x}": {"x": rng.random()}, "user": {f"u{rng.getrandbits(32)}": 1.0}}
            decision, _ = loop.decide(context, actions=rng.sample(ids, 128))
            loop.reward(decision.event_id, rng.random())
            clock.advance(0.01)
            if i % 10 == 9:
                loop.tick()
            if (i + 1) % (events // 4) == 0:
                print(round(rss_bytes() / 1e6, 1), flush=True)
        loop.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))

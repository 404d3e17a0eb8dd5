"""Subprocess for the crash test: decides and rewards flat out, printing each acknowledgement once durable."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from appliance.assemble import open_loop
from appliance.clock import SystemClock
from appliance.config import AppConfig


def main(data_dir: Path) -> None:
    config = AppConfig.model_validate({
        "join": {"reward_wait_s": 0.3, "aggregation": "sum"},
        "storage": {"checkpoint_every_events": 20, "group_commit_ms": 2},
    })
    loop = open_loop(config, SystemClock(), data_dir)
    print("RECOVERED", loop.recover(), flush=True)
    rng = random.Random(0)
    for i in range(1_000_000):
        decision, ticket = loop.decide({"audio": {"level": rng.random()}, "time": {f"h{i % 24}": 1.0}})
        ticket.wait()
        print("DECISION", decision.event_id, flush=True)
        if i % 3:
            value = round(rng.random(), 3)
            result, ticket = loop.reward(decision.event_id, value)
            ticket.wait()
            print("REWARD", decision.event_id, value, result.status, flush=True)
        if i % 10 == 0:
            loop.tick()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

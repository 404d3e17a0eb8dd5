"""Subprocess of the chaos test: decisions, on-time and late rewards from concurrent threads, a tick thread as in
the daemon; every acknowledgement is printed once durable. ``python chaos_driver.py DATA_DIR MODE SEED``."""

from __future__ import annotations

import collections
import random
import sys
import threading
import time
from pathlib import Path

from appliance.assemble import open_loop
from appliance.clock import SystemClock
from appliance.config import AppConfig

WAIT_S = 0.2


def main(data_dir: Path, mode: str, seed: int) -> None:
    config = AppConfig.model_validate({
        "join": {"reward_wait_s": WAIT_S, "aggregation": "sum", "late_reward": mode, "late_horizon_s": 3600},
        "storage": {"checkpoint_every_events": 40, "log_sync_s": 0.1},
    })
    loop = open_loop(config, SystemClock(), data_dir)
    print("RECOVERED", loop.recover(), flush=True)
    out = threading.Lock()
    closed: collections.deque[tuple[float, str]] = collections.deque()

    def say(*words: object) -> None:
        with out:
            print(*words, flush=True)

    def ticks() -> None:
        while True:
            loop.tick()
            time.sleep(0.02)

    def decide() -> None:
        rng = random.Random(seed)
        for i in range(1_000_000):
            decision, ticket = loop.decide({"audio": {"level": rng.random()}, "time": {f"h{i % 24}": 1.0}})
            ticket.wait()
            say("DECISION", decision.event_id)
            if i % 2:
                result, ticket = loop.reward(decision.event_id, 1.0, reward_id="on-time")
                ticket.wait()
                say("REWARD", decision.event_id, "on-time", result.status)
            closed.append((time.monotonic() + WAIT_S * 2, decision.event_id))
            time.sleep(0.002)

    def late() -> None:
        n = 0
        while True:
            if not closed or closed[0][0] > time.monotonic():
                time.sleep(0.005)
                continue
            _, event_id = closed.popleft()
            for _ in range(1 + n % 2):  # some decisions get two late rewards
                n += 1
                result, ticket = loop.reward(event_id, 0.5, reward_id=f"late-{n}")
                ticket.wait()
                say("REWARD", event_id, f"late-{n}", result.status)

    for target in (ticks, late):
        threading.Thread(target=target, daemon=True).start()
    decide()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))

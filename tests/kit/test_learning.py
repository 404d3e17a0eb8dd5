"""The guide's claim of how fast the hello-world lamp learns, measured: a person who always likes warm, the
hello-world config's own policy and join, on a simulated clock (a colour every 30 s, each waiting 30 s for a press)."""

from __future__ import annotations

import random
import re
from pathlib import Path

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import load_config
from appliance.kit.files import demo_path
from tests.kit.guide import GUIDE


def warm_shares(seed: int, data_dir: Path, decisions: int = 80) -> list[float]:
    config = load_config(demo_path("hello-world"))
    assert config.policy is not None
    config = config.model_copy(update={"policy": config.policy.model_copy(update={"seed": seed})})
    clock, rng = FakeClock(1_700_000_000.0), random.Random(seed)
    loop = open_loop(config, clock, data_dir)
    loop.recover()
    picks = []
    try:
        for _ in range(decisions):
            decision, ticket = loop.decide({"room": {"loud": rng.random(), "bright": rng.random(), "hour": rng.random()}})
            ticket.wait()
            picks.append(decision.action)
            if decision.action == "warm":  # the press within the 30 s attribution window
                loop.reward(decision.event_id, 1.0)
            clock.advance(30)
            loop.tick()
    finally:
        loop.close()
    return [picks[i:i + 20].count("warm") / 20 for i in range(0, decisions, 20)]


def test_the_lamp_learns_as_fast_as_the_guide_says(tmp_path: Path) -> None:
    runs = [warm_shares(seed, tmp_path / str(seed)) for seed in range(5)]
    measured = [round(100 * sum(run[i] for run in runs) / len(runs)) for i in range(4)]
    text = " ".join(GUIDE.read_text(encoding="utf-8").split())
    claim = re.search(r"Warm came up in (\d+)% of the first 20 decisions, (\d+)% of the next 20, then (\d+)%, and (\d+)% of the last 20", text)
    assert claim is not None, "the guide's section 7 no longer states the measurement"
    assert measured == [int(x) for x in claim.groups()], f"measured {measured}: update kit/README.md section 7"
    assert measured[-1] >= 80 and measured[0] < measured[-1]

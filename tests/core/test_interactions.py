"""`interactions: auto` crosses every context namespace that reaches the policy with the actions, the API's
own namespaces included: an application that sends features nobody configured still gets a policy that
learns per action (before, such a stream learned nothing, at the level of random choice)."""

from __future__ import annotations

import random
from pathlib import Path

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.features import Features

ACTIONS = [{"id": "left"}, {"id": "right"}]


def pixels(rng: random.Random) -> tuple[Features, str]:
    """64 image features; ``left`` is right when the left half is the brighter one."""
    values = [rng.random() for _ in range(64)]
    best = "left" if sum(values[:32]) > sum(values[32:]) else "right"
    return {"pixels": {f"p{i}": round(v, 4) for i, v in enumerate(values)}}, best


def accuracy_after_learning(tmp_path: Path, policy: dict[str, object], events: int = 3000) -> tuple[float, dict[str, object]]:
    # the default config otherwise: the simulated world's namespaces (audio, video, time) are the foreseen ones
    config = AppConfig.model_validate({"policy": {"actions": ACTIONS, "seed": 1, **policy}, "join": {"reward_wait_s": 1}})
    clock = FakeClock(1_700_000_000.0)
    loop = open_loop(config, clock, tmp_path, durable=False)
    rng = random.Random(7)
    for _ in range(events):
        context, best = pixels(rng)
        decision, _ = loop.decide(context)
        loop.reward(decision.event_id, 1.0 if decision.action == best else 0.0)
        clock.advance(2)
        loop.tick()
    hits = 0
    for i in range(500):
        context, best = pixels(rng)
        d = loop.policy.decide(context, f"probe{i}", clock.time())
        hits += d.actions[max(range(len(d.pmf)), key=d.pmf.__getitem__)] == best
    stats = loop.stats()["policy"]
    loop.close()
    return hits / 500, stats


def test_a_namespace_only_the_api_sends_is_crossed_with_the_actions(tmp_path: Path) -> None:
    auto, stats = accuracy_after_learning(tmp_path / "auto", {})
    by_hand, _ = accuracy_after_learning(tmp_path / "by-hand", {"interactions": ["pA"]})
    assert stats["interactions"] == {"configured": "auto", "active": ["pixels x Action"]}
    print(f"greedy accuracy after 3000 events: auto {auto:.3f}, crossing by hand {by_hand:.3f} (random: 0.5)")
    assert auto > 0.8, auto
    assert auto >= by_hand - 0.05, (auto, by_hand)  # as good as spelling the crossing out

"""Learning modes (rlclientlib's ONLINE, APPRENTICE, LOGGINGONLY): logging_only logs and learns nothing;
apprentice acts by the baseline with exact propensities until the policy is estimated better, and a restart
remembers where it was."""

from __future__ import annotations

from pathlib import Path

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig

WORLD = {"world": "linear", "features": 4, "actions": 3, "noise": 0.1, "seed": 5}


def run(loop: object, clock: FakeClock, world: object, events: int) -> list[tuple[str, float]]:
    """Decide on the world's contexts and reward with its expected reward; (action, logged probability) per decision."""
    taken = []
    for step in range(events):
        context = world.context(step)  # type: ignore[attr-defined]
        decision, _ = loop.decide(context)  # type: ignore[attr-defined]
        expected = world.expected_rewards(context, step)  # type: ignore[attr-defined]
        loop.reward(decision.event_id, expected[decision.actions.index(decision.action)])  # type: ignore[attr-defined]
        taken.append((decision.action, decision.probability))
        clock.advance(2)
        loop.tick()  # type: ignore[attr-defined]
    return taken


def test_logging_only_logs_every_event_and_learns_nothing(tmp_path: Path) -> None:
    from appliance.worlds import build_world

    config = AppConfig.model_validate({"simulation": WORLD, "join": {"reward_wait_s": 1}, "learning": {"mode": "logging_only"}})
    clock = FakeClock(1_700_000_000.0)
    loop = open_loop(config, clock, tmp_path, durable=False)
    probe = build_world(config.world()).context(999)
    before = loop.policy.decide(probe, "before", 0.0).pmf
    run(loop, clock, build_world(config.world()), 200)
    assert loop.learned == 200 and loop.events.lines_written == 200 and loop.policy.model_version == 0
    assert loop.policy.decide(probe, "after", 0.0).pmf == before
    assert loop.stats()["learning"] == {"mode": "logging_only"}
    loop.close()


def test_apprentice_acts_by_the_baseline_until_the_policy_is_better_and_remembers(tmp_path: Path) -> None:
    from appliance.worlds import build_world

    world = build_world(AppConfig.model_validate({"simulation": WORLD}).world())
    context = world.context(0)
    worst = min(range(3), key=lambda k: sum(world.expected_rewards(world.context(s), s)[k] for s in range(200)))
    config = AppConfig.model_validate({"simulation": WORLD, "join": {"reward_wait_s": 1},
                                       "learning": {"mode": "apprentice", "baseline_action": f"a{worst}", "explore": 0.1,
                                                    "min_events": 300}})
    clock = FakeClock(1_700_000_000.0)
    loop = open_loop(config, clock, tmp_path)
    loop.recover()
    early = run(loop, clock, world, 300)
    baseline_share = sum(action == f"a{worst}" for action, _ in early) / len(early)
    assert 0.85 < baseline_share < 0.99, baseline_share  # 90% by the baseline, and the policy's picks of it
    assert all(p > 0.9 for action, p in early if action == f"a{worst}")  # logged with the mixed (exact) propensity
    assert all(p <= 0.1 + 1e-9 for action, p in early if action != f"a{worst}")
    run(loop, clock, world, 1500)
    status = loop.stats()["learning"]["apprentice"]
    assert status["active"] is False, status  # the policy was estimated better than the worst action: it acts alone
    assert status["policy_value"][0] > status["baseline_value"][1]
    loop.close()
    again = open_loop(config, clock, tmp_path)
    again.recover()
    assert again.stats()["learning"]["apprentice"]["active"] is False  # not back to the baseline after a restart
    decision, _ = again.decide(context)
    assert decision.pmf == again.policy.decide(context, "probe", 0.0).pmf  # the policy's own pmf, not mixed with the baseline
    again.close()

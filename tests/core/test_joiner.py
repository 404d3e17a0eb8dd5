"""Every join case: on time, late (each policy), missing, duplicate, out of order, overflow, attribution."""

from __future__ import annotations

import pytest

from appliance.clock import FakeClock
from appliance.config import JoinConfig
from appliance.join import Joiner
from appliance.policy import UniformPolicy

POLICY = UniformPolicy.of(["a", "b", "c"], seed=0)


def decide(joiner: Joiner, clock: FakeClock, event_id: str) -> None:
    assert joiner.add(POLICY.decide({"x": {"v": 1.0}}, event_id, clock.time())) == []


def test_on_time_rewards_aggregate(clock: FakeClock) -> None:
    for how, expected in [("earliest", 0.2), ("sum", 1.2), ("max", 1.0), ("mean", 0.6)]:
        joiner = Joiner(JoinConfig(reward_wait_s=10, aggregation=how), clock)
        decide(joiner, clock, "e")
        clock.advance(1)
        assert joiner.reward("e", 0.2).status == "accepted"
        clock.advance(1)
        assert joiner.reward("e", 1.0).status == "accepted"
        assert joiner.due() == []
        clock.advance(8)
        [event] = joiner.due()
        assert (event.reward, event.outcome, event.rewards_received) == (pytest.approx(expected), "on_time", 2)


def test_missing_reward_learns_the_default(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=5, default_reward=-0.5), clock)
    decide(joiner, clock, "e")
    clock.advance(5)
    [event] = joiner.due()
    assert (event.reward, event.outcome) == (-0.5, "default")
    assert joiner.stats.defaulted == 1 and joiner.stats.on_time == 0


@pytest.mark.parametrize("late", ["drop", "log", "learn"])
def test_late_reward_follows_policy(clock: FakeClock, late: str) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=5, late_reward=late), clock)
    decide(joiner, clock, "e")
    clock.advance(6)
    [closed] = joiner.due()
    assert closed.reward == 0.0
    result = joiner.reward("e", 1.0)
    assert result.status == "late" and joiner.stats.late == 1
    assert getattr(joiner.stats, f"late_{ {'drop': 'dropped', 'log': 'logged', 'learn': 'learned'}[late]}") == 1
    if late == "learn":  # the closed decision, to learn the late reward with (rebuilt from its context)
        assert result.late_decision is not None
        assert result.late_decision.event_id == "e" and result.late_decision.example is None
        assert result.late_decision.context == {"x": {"v": 1.0}}  # remembered whole: it is learned again
    else:
        assert result.late_decision is None


@pytest.mark.parametrize("late", ["drop", "log"])
def test_closed_decisions_remembered_for_late_rewards_cost_the_same_whatever_their_context(clock: FakeClock, late: str) -> None:
    """Under ``drop`` and ``log`` nothing reads a closed decision's context again, so the ``late_memory`` remembered do
    not hold it (by the joiner's own count, 12 KB a decision with 100 features: 10,000 of them held 118 MB)."""
    held = []
    for features in (1, 100):
        joiner = Joiner(JoinConfig(reward_wait_s=5, late_reward=late), clock)
        for i in range(50):
            context = {"audio": {f"mel{j}": float(i + j) for j in range(features)}}
            assert joiner.add(POLICY.decide(context, f"e{i}", clock.time())) == []
        clock.advance(6)
        assert len(joiner.due()) == 50
        records, size = joiner.held()
        assert records == 50
        held.append(size)
        assert joiner.reward("e7", 1.0).status == "late"  # still recognised
        assert joiner.attribute(0.5, within_s=10.0).event_id == "e49"  # and attributed (time and action kept)
    assert held[0] == held[1], f"50 closed decisions held {held[0]} bytes with 1 feature each, {held[1]} with 100"


def test_reward_stamped_after_the_wait_is_late_even_before_closing(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=5), clock)
    decide(joiner, clock, "e")
    clock.advance(7)
    assert joiner.reward("e", 1.0).status == "late"
    [event] = joiner.due()
    assert event.outcome == "default"


def test_late_beyond_horizon_or_memory_is_unknown(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=1, late_horizon_s=10, late_memory=1), clock)
    decide(joiner, clock, "old")
    decide(joiner, clock, "new")
    clock.advance(1)
    joiner.due()
    assert joiner.reward("old", 1.0).status == "unknown"  # pushed out of memory by "new"
    clock.advance(20)
    joiner.due()
    assert joiner.reward("new", 1.0).status == "unknown"  # beyond the horizon
    assert joiner.reward("never", 1.0).status == "unknown"
    assert joiner.stats.unknown == 3


def test_duplicates_by_reward_id_count_once(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=5, aggregation="sum"), clock)
    decide(joiner, clock, "e")
    assert joiner.reward("e", 1.0, reward_id="r1").status == "accepted"
    assert joiner.reward("e", 1.0, reward_id="r1").status == "duplicate"
    assert joiner.reward("e", 1.0, reward_id="r2").status == "accepted"
    clock.advance(5)
    [event] = joiner.due()
    assert event.reward == 2.0 and joiner.stats.duplicates == 1
    assert joiner.reward("e", 1.0, reward_id="r2").status == "duplicate"  # a late copy is still a copy


def test_out_of_order_rewards_and_decisions(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=10, aggregation="earliest"), clock)
    decide(joiner, clock, "first")
    clock.advance(1)
    decide(joiner, clock, "second")
    clock.advance(3)
    # rewards arrive in the opposite order of the decisions, and their own timestamps out of order
    assert joiner.reward("second", 0.7, timestamp=clock.time()).status == "accepted"
    assert joiner.reward("first", 0.3, timestamp=clock.time() - 0.5).status == "accepted"
    assert joiner.reward("first", 0.9, timestamp=clock.time() - 2.0).status == "accepted"
    clock.advance(10)
    events = joiner.due()
    assert [(e.decision.event_id, e.reward) for e in events] == [("first", 0.9), ("second", 0.7)]


def test_overflow_closes_the_oldest_early(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=100, max_pending=2), clock)
    decide(joiner, clock, "a")
    joiner.reward("a", 1.0)
    decide(joiner, clock, "b")
    closed = joiner.add(POLICY.decide({}, "c", clock.time()))
    assert [(e.decision.event_id, e.outcome, e.reward) for e in closed] == [("a", "overflow", 1.0)]
    assert joiner.pending == 2 and joiner.stats.overflow == 1


def test_attribution_goes_to_the_latest_decision_in_the_window(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=30), clock)
    decide(joiner, clock, "old")
    clock.advance(10)
    decide(joiner, clock, "recent")
    clock.advance(2)
    result = joiner.attribute(1.0, within_s=5)
    assert (result.status, result.event_id) == ("accepted", "recent")
    clock.advance(10)
    assert joiner.attribute(1.0, within_s=5).status == "unknown"  # nothing within 5 s


def test_attribution_filters_by_action(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(reward_wait_s=30), clock)
    policy = UniformPolicy.of(["a", "b"], seed=0)
    joiner.add(policy.decide({}, "only-a", clock.time(), actions=["a"]))
    clock.advance(1)
    joiner.add(policy.decide({}, "only-b", clock.time(), actions=["b"]))
    assert joiner.attribute(1.0, within_s=10, actions=["a"]).event_id == "only-a"


def test_event_ids_are_unique(clock: FakeClock) -> None:
    joiner = Joiner(JoinConfig(), clock)
    decide(joiner, clock, "e")
    with pytest.raises(ValueError, match="already used"):
        decide(joiner, clock, "e")

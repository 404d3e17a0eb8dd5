"""The wall clock set while the loop runs: a Pi without a real-time clock boots at the time it last saved and jumps
forward at its first sync with a time server; a user may set it back. Waits, periods and schedules go on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.config.join import JoinConfig
from appliance.join.joiner import Joiner
from appliance.policy import UniformPolicy
from appliance.storage.log_segments import LogPosition
from appliance.triggers.base import Triggers
from appliance.triggers.periodic import PeriodicTrigger

HOURS_BEHIND = 3 * 3600.0


def test_a_decision_waiting_when_the_clock_is_set_forward_still_gets_its_reward(caplog: pytest.LogCaptureFixture) -> None:
    clock, policy = FakeClock(1_000_000.0), UniformPolicy.of(["warm", "cold"])
    joiner = Joiner(JoinConfig(reward_wait_s=10), clock)
    joiner.add(policy.decide({"u": {"x": 1.0}}, "shown", clock.time()))
    clock.advance(2)
    joiner.due()
    clock.step(HOURS_BEHIND)  # the first sync with a time server
    assert joiner.due() == []  # was: closed at once, with the default reward
    clock.advance(3)
    assert joiner.reward("shown", 1.0, reward_id="press").status == "accepted"  # was "late": never learned
    assert joiner.attribute(1.0, within_s=5.0).event_id == "shown"  # a button's press finds it too
    clock.advance(6)
    [joined] = joiner.due()
    assert (joined.decision.event_id, joined.outcome, joined.reward) == ("shown", "on_time", 1.0)
    assert joined.decision.timestamp == pytest.approx(1_000_000.0 + HOURS_BEHIND)  # logged at the corrected time
    assert "the wall clock was set forward by 10800 s" in caplog.text


def test_a_clock_set_back_does_not_hold_decisions_or_forget_closed_ones() -> None:
    clock, policy = FakeClock(1_000_000.0), UniformPolicy.of(["warm", "cold"])
    joiner = Joiner(JoinConfig(reward_wait_s=10, late_horizon_s=60), clock)
    joiner.add(policy.decide({"u": {"x": 1.0}}, "early", clock.time()))
    clock.advance(11)
    assert [e.decision.event_id for e in joiner.due()] == ["early"]
    joiner.add(policy.decide({"u": {"x": 1.0}}, "waiting", clock.time()))
    clock.step(-HOURS_BEHIND)
    clock.advance(11)
    assert [e.decision.event_id for e in joiner.due()] == ["waiting"]  # was: held three hours more
    assert joiner.reward("early", 1.0).status == "late"  # still remembered for late rewards


def test_periodic_triggers_fire_on_when_the_clock_is_set_back() -> None:
    clock, decided = FakeClock(1_000_000.0), []
    triggers = Triggers([PeriodicTrigger(2.0)], lambda: {"room": {"level": 0.5}}, decided.append, clock)
    assert triggers.step() == ["periodic"]
    clock.step(-HOURS_BEHIND)
    clock.advance(2.0)
    assert triggers.step() == ["periodic"]  # was: silent for three hours
    assert triggers.stats()["each"]["periodic"]["last_fired"] == pytest.approx(clock.time())  # on the wall clock


def test_the_log_syncs_and_checkpoints_go_on_when_the_clock_is_set_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = AppConfig.model_validate({"join": {"reward_wait_s": 1}, "storage": {"checkpoint_every_s": 60, "log_sync_s": 1}})
    clock = FakeClock(1_000_000.0)
    loop = open_loop(config, clock, tmp_path)
    try:
        loop.recover()
        clock.step(-HOURS_BEHIND)
        with caplog.at_level(logging.WARNING):
            loop.decide({"u": {"x": 1.0}}, event_id="e1")[1].wait()
            clock.advance(2)
            loop.tick()
        assert loop.journal.events.synced > LogPosition(1, 0)  # was: no sync for three hours
        assert loop.wal is not None
        loop.wal.flush()  # its drop committed
        assert loop.wal.recover().decisions == []  # so the record left the write-ahead log
        clock.advance(61)
        loop.decide({"u": {"x": 1.0}}, event_id="e2")[1].wait()
        clock.advance(2)
        loop.tick()
        assert loop.last_checkpoint is not None  # was: none for three hours
    finally:
        loop.close()


def test_decisions_recovered_from_ahead_of_a_clock_set_back_do_not_hold_the_new_ones(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = AppConfig.model_validate({"join": {"reward_wait_s": 10}})
    clock = FakeClock(1_000_000.0)
    loop = open_loop(config, clock, tmp_path)
    loop.recover()
    loop.decide({"u": {"x": 1.0}}, event_id="before")[1].wait()
    assert loop.wal is not None
    loop.wal.flush()
    loop.events.close()
    loop.wal.close()  # the power is cut: no close(), the decision still waits in the write-ahead log
    clock.step(-3600.0)  # the Pi boots at the time fake-hwclock last saved, an hour behind
    again = open_loop(config, clock, tmp_path)
    try:
        with caplog.at_level(logging.WARNING):
            assert again.recover()["restored_pending"] == 1
        again.decide({"u": {"x": 1.0}}, event_id="after")[1].wait()
        clock.advance(11)
        closed = again.tick()
        assert sorted(e.decision.event_id for e in closed) == ["after", "before"]  # was: none for an hour
        assert "1 decisions in the write-ahead log were made up to 3600 s after this clock's time" in caplog.text
    finally:
        again.close()

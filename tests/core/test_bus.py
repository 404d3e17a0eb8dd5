"""A slow or failing observer never blocks or breaks decide and learn; its drops and errors are counted."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from appliance.assemble import open_loop
from appliance.bus import EventBus
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.events import DecisionMade, EventJoined, ModelSwapped, RewardReceived


def test_a_stuck_and_a_failing_observer_cost_the_loop_nothing(tmp_path: Path) -> None:
    clock = FakeClock(1_700_000_000.0)
    bus = EventBus()
    release, entered = threading.Event(), threading.Event()
    seen: list[object] = []

    def stuck(event: object) -> None:
        entered.set()
        release.wait(30)

    def failing(event: object) -> None:
        raise RuntimeError("observer bug")

    bus.subscribe("stuck", stuck, (DecisionMade, EventJoined), max_queue=10)
    failing_sub = bus.subscribe("failing", failing, (RewardReceived,))
    bus.subscribe("fine", seen.append, (DecisionMade, RewardReceived, EventJoined))
    loop = open_loop(AppConfig.model_validate({"join": {"reward_wait_s": 1}}), clock, tmp_path, bus=bus)  # the WAL's commits publish
    started = time.monotonic()
    for i in range(200):
        decision, ticket = loop.decide({"room": {"level": i / 200}})
        ticket.wait()
        if i == 0:  # the stuck observer holds exactly the first decision before anything else reaches it
            assert entered.wait(10)
        loop.reward(decision.event_id, 1.0)[1].wait()
        clock.advance(0.01)
    clock.advance(2)
    loop.tick()
    elapsed = time.monotonic() - started
    assert bus.flush(1.0) is False  # the stuck one has not caught up...
    assert failing_sub.idle(10.0)  # ...while the failing one handled (and counted) every reward
    stats = bus.stats()
    assert (stats["stuck"]["dropped"], stats["stuck"]["queued"]) == (400 - 10 - 1, 10)  # one in its handler, 10 queued, the rest counted
    assert stats["failing"]["errors"] == 200 and "observer bug" in stats["failing"]["last_error"]
    release.set()
    assert bus.flush(5.0)
    assert stats["fine"]["dropped"] == 0 and len(seen) == 600  # 200 decisions, 200 rewards, 200 joined
    assert [type(e) for e in seen[:2]] in ([DecisionMade, RewardReceived], [RewardReceived, DecisionMade])
    assert elapsed < 20  # a stuck observer would have held every decision for 30 s
    loop.close()
    bus.close()


def test_nothing_is_published_for_a_commit_that_failed(tmp_path: Path) -> None:
    bus = EventBus()
    seen: list[object] = []
    bus.subscribe("seen", seen.append, (DecisionMade, ModelSwapped))
    loop = open_loop(AppConfig(), FakeClock(0.0), tmp_path, bus=bus)
    assert loop.wal is not None
    loop.wal.close()  # a WAL that can no longer commit: nothing it holds happened
    loop.decide({"room": {"level": 0.5}})
    bus.flush()
    assert seen == []
    loop.events.close()
    bus.close()


def test_a_lingering_subscriber_takes_events_in_batches_and_flush_cuts_the_wait_short() -> None:
    bus = EventBus()
    seen: list[object] = []
    lingering = bus.subscribe("lingering", seen.append, (ModelSwapped,), max_queue=10_000, linger=0.5)
    for version in range(2000):  # one at a time, as the loop publishes them
        bus.publish(ModelSwapped(version, "test"))
    started = time.monotonic()
    assert bus.flush(5.0)
    assert time.monotonic() - started < 0.4  # flush() does not sit out the linger
    assert [e.model_version for e in seen] == list(range(2000))  # type: ignore[attr-defined]
    assert lingering.stats()["wakes"] <= 2  # one wake-up for the lot (plus the first event's, at most)
    bus.publish(ModelSwapped(2000, "test"))
    time.sleep(0.1)
    assert len(seen) == 2000  # it lingers: not handled yet
    time.sleep(0.6)
    assert len(seen) == 2001  # but within the linger without a flush
    bus.close()

"""Restarts: nothing acknowledged is lost, the model comes back, corrupt files are survived loudly."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.join.rewards import LateReward, Reward
from appliance.loop import Loop
from appliance.loop.journal import Journal
from appliance.loop.late_log import LATE_LOG
from appliance.models.base import ModelVersion
from appliance.storage import dsjson
from appliance.storage.eventlog import EventLog

CONFIG = AppConfig.model_validate({"join": {"reward_wait_s": 10, "aggregation": "sum"}, "storage": {"checkpoint_every_events": 20}})


def ctx(i: int) -> dict[str, dict[str, float]]:
    return {"audio": {"level": (i % 7) / 7}, "time": {f"h{i % 24}": 1.0}}


def abandon(loop: Loop) -> None:
    """Drop a loop that "crashed": close its files without the tick and checkpoint of close()."""
    loop.events.close()
    if loop.wal:
        loop.wal.close()


def fill(loop: Loop, clock: FakeClock, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        d, ticket = loop.decide(ctx(i), event_id=f"e{i}")
        ticket.wait()
        if i % 2:
            loop.reward(d.event_id, 1.0)[1].wait()
        clock.advance(1)
        loop.tick()


def test_restart_restores_pending_decisions_rewards_and_model(tmp_path: Path, clock: FakeClock) -> None:
    loop = open_loop(CONFIG, clock, tmp_path)
    fill(loop, clock, 50)  # 41 joined (checkpoints at 20 and 40), 9 pending
    probe = loop.policy.decide(ctx(3), "probe", 0.0).pmf
    version, pending = loop.policy.model_version, loop.joiner.pending
    assert (version, pending) == (41, 9)
    loop.events.sync()
    loop.wal.flush()  # type: ignore[union-attr]
    # no close(): the process "dies" here
    again = open_loop(CONFIG, clock, tmp_path)
    report = again.recover()
    assert report["checkpoint_version"] == 40 and report["relearned"] == 1
    assert report["restored_pending"] == 9 and again.policy.model_version == 41
    assert again.policy.decide(ctx(3), "probe2", 0.0).pmf == pytest.approx(probe)
    assert again.joiner.rewards_of("e41")[0].value == 1.0 and again.joiner.rewards_of("e42") == []
    clock.advance(20)
    joined = again.tick()
    assert sorted(e.decision.event_id for e in joined) == [f"e{i}" for i in range(41, 50)]
    assert {e.decision.event_id: e.reward for e in joined}["e41"] == 1.0
    abandon(loop)
    again.close()


def test_events_logged_after_the_checkpoint_are_relearned(tmp_path: Path, clock: FakeClock) -> None:
    config = CONFIG.model_copy(update={"storage": CONFIG.storage.model_copy(update={"checkpoint_every_events": 1000})})
    loop = open_loop(config, clock, tmp_path)
    fill(loop, clock, 30)
    loop.checkpoint()
    fill_more = [loop.decide(ctx(i), event_id=f"late{i}")[0] for i in range(5)]
    clock.advance(11)
    loop.tick()
    loop.wal.flush()  # type: ignore[union-attr]
    version = loop.policy.model_version
    again = open_loop(config, clock, tmp_path)
    report = again.recover()
    assert report["relearned"] == len(fill_more) + 9  # e21..e29 and the five new ones were logged after the checkpoint
    assert again.policy.model_version == version
    abandon(loop)
    again.close()


def test_joined_events_leave_the_wal_only_once_the_log_is_synced(tmp_path: Path, clock: FakeClock) -> None:
    config = CONFIG.model_copy(update={"storage": CONFIG.storage.model_copy(update={"log_sync_s": 30.0})})
    loop = open_loop(config, clock, tmp_path)
    for i in range(5):
        loop.decide(ctx(i), event_id=f"e{i}")[1].wait()
    clock.advance(11)
    assert len(loop.tick()) == 5 and loop.policy.model_version == 5
    loop.wal.flush()  # type: ignore[union-attr]
    assert sorted(d.event_id for d in loop.wal.recover().decisions) == [f"e{i}" for i in range(5)]  # type: ignore[union-attr]
    # power fails: the log lines written since the last sync are lost, the WAL still has their decisions
    loop.events._flush()
    loop.events.current_path.write_bytes(b"")
    abandon(loop)
    again = open_loop(config, clock, tmp_path)
    report = again.recover()
    assert (report["relearned"], report["restored_pending"]) == (0, 5)
    clock.advance(11)
    assert len(again.tick()) == 5 and again.policy.model_version == 5  # learned once more, not twice
    clock.advance(30)
    again.tick()  # the log sync is due: the joined events leave the WAL
    again.wal.flush()  # type: ignore[union-attr]
    assert again.wal.recover().decisions == []  # type: ignore[union-attr]
    again.close()
    assert len(again.events.current_path.read_text().splitlines()) == 5


def test_corrupt_checkpoint_falls_back_to_the_previous_one_loudly(tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    loop = open_loop(CONFIG, clock, tmp_path)
    fill(loop, clock, 50)
    loop.close()
    newest = sorted((tmp_path / "checkpoints").glob("model-*.vw"))[-1]
    newest.write_bytes(newest.read_bytes()[:100])  # torn
    again = open_loop(CONFIG, clock, tmp_path)
    with caplog.at_level(logging.ERROR):
        report = again.recover()
    assert report["corrupt_checkpoints"] == 1 and report["refused_checkpoints"] == 0
    assert "is corrupt" in caplog.text
    assert report["checkpoint_version"] < 50 and again.policy.model_version == loop.policy.model_version
    again.close()


def test_torn_log_tail_is_cut_and_its_decision_kept(tmp_path: Path, clock: FakeClock) -> None:
    loop = open_loop(CONFIG, clock, tmp_path)
    fill(loop, clock, 15)
    loop.wal.flush()  # type: ignore[union-attr]
    path = loop.events.current_path
    with open(path, "a") as f:
        f.write('{"_label_cost":-1.0,"_label_proba')  # a crash mid-write
    again = open_loop(CONFIG, clock, tmp_path)
    again.recover()
    assert path.read_text().endswith("\n")
    abandon(loop)
    again.close()


def test_replay_reports_malformed_lines_and_rebuilds(tmp_path: Path, clock: FakeClock) -> None:
    from appliance.simulate import simulate

    result = simulate(AppConfig(), 300, tmp_path / "sim")
    log_path = Path(result["log"])
    lines = log_path.read_text().splitlines()
    lines.insert(10, "{not json")
    log_path.write_text("\n".join(lines) + "\n")
    out = subprocess.run([sys.executable, "-m", "appliance", "replay", str(log_path), "-o", str(tmp_path / "m.vw"), "--json"],
                         capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout)
    assert summary["learned"] == 300 and summary["malformed"] == 1
    assert f"{log_path}:11:" in out.stderr
    assert (tmp_path / "m.vw").stat().st_size > 0


def test_replay_to_a_directory_is_refused_before_learning_and_leaves_nothing(tmp_path: Path, clock: FakeClock) -> None:
    from appliance.simulate import simulate

    log_path = Path(simulate(AppConfig(), 50, tmp_path / "sim")["log"])
    (tmp_path / "models").mkdir()
    out = subprocess.run([sys.executable, "-m", "appliance", "replay", str(log_path), "-o", str(tmp_path / "models")],
                         capture_output=True, text=True)
    assert out.returncode == 2, out.stderr
    assert out.stderr == (f"wabbit replay: {tmp_path / 'models'}: is a directory; give -o the model file to write, "
                          f"e.g. {tmp_path / 'models' / 'replayed.vw'}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models", "sim"]  # no models.writing beside it
    (tmp_path / "m.vw").write_text("a file, not a folder")
    out = subprocess.run([sys.executable, "-m", "appliance", "replay", str(log_path), "-o", str(tmp_path / "m.vw" / "x.vw")],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith(f"wabbit replay: {tmp_path / 'm.vw' / 'x.vw'}: cannot write the model ("), out.stderr


def test_late_jsonl_holds_its_lines_from_the_flush_that_creates_it(tmp_path: Path, clock: FakeClock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The first flush creates late.jsonl, fsyncs it and then its directory (so the file's entry survives a power
    cut too); later flushes append. A power cut cannot be staged here: the real fsync calls are watched (each one
    still made), and a reader checks what the journal left once closed and opened again (test_chaos.py: kill -9)."""
    synced: list[str] = []
    real_fsync = os.fsync

    def watched_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watched_fsync)
    journal = Journal(EventLog(tmp_path, 1 << 20), None, clock, log_sync_s=0.0)
    assert journal.events.durable and not (tmp_path / LATE_LOG).exists()
    journal.handle_late([LateReward("e1/r1", "e1", Reward(0.5, 1.0, "r1"), "log")])
    journal.sync()
    late, directory = str(tmp_path / LATE_LOG), str(tmp_path)
    assert late in synced and directory in synced[synced.index(late):]  # the file, then its directory entry
    synced.clear()
    journal.handle_late([LateReward("e2/r2", "e2", Reward(1.0, 2.0, "r2"), "log"), LateReward("e3/r3", "e3", Reward(1.0, 2.0, "r3"), "drop")])
    journal.sync()
    assert late in synced and directory not in synced[synced.index(late):]  # an append: the file only
    journal.close()
    again = Journal(EventLog(tmp_path, 1 << 20), None, clock, log_sync_s=0.0)
    assert again.late_keys() == {"e1/r1", "e2/r2"}  # a dropped one is nowhere
    assert [json.loads(line)["reward"] for line in (tmp_path / LATE_LOG).read_text().splitlines()] == [0.5, 1.0]
    again.close()



def test_late_jsonl_starts_anew_when_full_so_it_stays_bounded_and_a_restart_finds_the_keys_it_needs(tmp_path: Path, clock: FakeClock) -> None:
    segment = 4096  # storage.log_segment_mb, in bytes
    journal = Journal(EventLog(tmp_path, segment), None, clock, log_sync_s=0.0)
    keys = [f"e{i}/r{i}" for i in range(300)]
    for i, key in enumerate(keys):
        journal.handle_late([LateReward(key, f"e{i}", Reward(1.0, float(i), f"r{i}"), "log")])
        journal.sync()
    sizes = {p.name: p.stat().st_size for p in tmp_path.glob(f"{LATE_LOG}*")}
    assert sorted(sizes) == [LATE_LOG, f"{LATE_LOG}.1"] and sum(sizes.values()) < 2 * segment + 200, sizes  # was: all 300 lines
    journal.close()
    again = Journal(EventLog(tmp_path, segment), None, clock, log_sync_s=0.0)
    kept = again.late_keys()
    assert set(keys[-40:]) <= kept and kept <= set(keys) and len(kept) == sum(1 for _ in again.late.lines())
    again.close()

def test_kill_9_loses_nothing_acknowledged(tmp_path: Path) -> None:
    driver = Path(__file__).with_name("crash_driver.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, str(driver), str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env)
    acked_decisions: list[str] = []
    acked_rewards: dict[str, float] = {}
    started = time.monotonic()
    assert proc.stdout is not None
    # at least 3 s and 60 acknowledged decisions (each waits for an fsync: a loaded disk is slow), at most 30 s
    while time.monotonic() - started < 30 and (time.monotonic() - started < 3 or len(acked_decisions) < 60):
        line = proc.stdout.readline().split()
        if line and line[0] == "DECISION":
            acked_decisions.append(line[1])
        elif line and line[0] == "REWARD" and line[3] == "accepted":
            acked_rewards[line[1]] = float(line[2])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert len(acked_decisions) >= 60

    config = AppConfig.model_validate({"join": {"reward_wait_s": 0.3, "aggregation": "sum"}})
    clock = FakeClock(time.time())
    loop = open_loop(config, clock, tmp_path)
    report = loop.recover()
    clock.advance(1.0)
    loop.tick()  # the restored pending decisions' waits end: every acknowledged decision is now learned and logged
    logged = {}
    for segment in loop.events.segments():
        for raw in loop.events.path(segment).read_text().splitlines():
            event, _ = dsjson.decode(raw)
            logged[event.decision.event_id] = event.reward
    lost = [e for e in acked_decisions if e not in logged]
    assert not lost, f"{len(lost)} acknowledged decisions lost"
    for event_id, value in acked_rewards.items():
        assert logged[event_id] == pytest.approx(value), event_id
    assert loop.policy.model_version == len(logged)  # checkpoint + relearned log + restored = every joined event
    assert report["checkpoint_version"] is not None
    loop.close()


def test_an_uploaded_model_is_the_one_a_restart_comes_back_with(tmp_path: Path, clock: FakeClock) -> None:
    """Checkpoints are ordered by when they were taken: an upload running as version 0 is not pruned as the oldest."""
    trained = open_loop(CONFIG, clock, tmp_path / "elsewhere")
    fill(trained, clock, 30)
    trained.policy.save(tmp_path / "upload.vw")
    trained.close()
    loop = open_loop(CONFIG, clock, tmp_path / "data")
    fill(loop, clock, 50)  # checkpoints at versions 20 and 40
    loop.load_model(tmp_path / "upload.vw", 0)
    probe = loop.policy.decide(ctx(5), "probe", 0.0).pmf
    loop.close()
    again = open_loop(CONFIG, clock, tmp_path / "data")
    again.recover()
    assert again.policy.model_version == 0
    assert again.policy.decide(ctx(5), "probe2", 0.0).pmf == pytest.approx(probe)
    again.close()


def test_where_a_swapped_in_version_came_from_survives_a_restart_until_the_model_learns_on(tmp_path: Path, clock: FakeClock) -> None:
    loop = open_loop(CONFIG, clock, tmp_path / "data")
    fill(loop, clock, 30)
    loop.policy.save(tmp_path / "pulled.vw")
    assert loop.load_model(tmp_path / "pulled.vw", 90, "source", how="source central", named=90) == 90
    loop.close()
    again = open_loop(CONFIG, clock, tmp_path / "data")
    again.recover()
    assert again.checkpoints is not None
    newest = ModelVersion.of(*again.checkpoints.entries()[0])
    assert (newest.version, newest.origin, newest.source_version) == (90, "source central", 90)
    fill(again, clock, 5, start=30)
    learned = again.checkpoint()
    assert learned is not None and learned.model_version > 90 and ModelVersion.of(learned, tmp_path).origin == ""
    again.close()


def test_a_checkpoint_with_nothing_learned_since_is_the_newest_one(tmp_path: Path, clock: FakeClock) -> None:
    """A Save after a Save lists one version: with nothing learned since, the loop's newest checkpoint is the one it
    gives; learning, a model swapped in and a restart's relearning each take a new one."""
    storage = CONFIG.storage.model_copy(update={"checkpoint_every_events": 1000, "keep_checkpoints": 10})
    config = CONFIG.model_copy(update={"storage": storage})
    loop = open_loop(config, clock, tmp_path / "data")
    assert loop.checkpoints is not None
    fill(loop, clock, 30)
    first = loop.checkpoint()
    assert first is not None and loop.checkpoint() == first and len(loop.checkpoints.entries()) == 1
    loop.policy.save(tmp_path / "same.vw")
    loop.load_model(tmp_path / "same.vw", loop.policy.model_version)  # the same version, swapped in: checkpointed again
    swapped = loop.checkpoint()
    assert swapped != first and loop.checkpoint() == swapped and len(loop.checkpoints.entries()) == 2
    fill(loop, clock, 5, start=30)
    learned = loop.checkpoint()
    assert learned is not None and learned.model_version > first.model_version and len(loop.checkpoints.entries()) == 3
    fill(loop, clock, 5, start=35)  # logged after the last checkpoint, then a crash
    loop.events.sync()
    abandon(loop)
    again = open_loop(config, clock, tmp_path / "data")
    assert again.recover()["relearned"] > 0 and again.checkpoints is not None
    assert len(again.checkpoints.entries()) == 4 and again.checkpoint() == again.last_checkpoint
    assert len(again.checkpoints.entries()) == 4
    again.close()
    third = open_loop(config, clock, tmp_path / "data")
    assert third.recover()["relearned"] == 0 and third.policy.model_version == again.policy.model_version
    third.close()


def test_recovery_checkpoints_so_the_next_restart_replays_nothing(tmp_path: Path, clock: FakeClock) -> None:
    loop = open_loop(CONFIG, clock, tmp_path)
    fill(loop, clock, 30)  # a checkpoint at 20, ten more joined events logged after it
    abandon(loop)
    first = open_loop(CONFIG, clock, tmp_path)
    assert first.recover()["relearned"] > 0
    learned = first.learned
    abandon(first)
    second = open_loop(CONFIG, clock, tmp_path)
    report = second.recover()
    assert report["relearned"] == 0 and second.learned == learned  # the counters came back with the checkpoint
    assert [e["event_id"] for e in second.recent_joined()][-3:] == [e["event_id"] for e in first.recent_joined()][-3:]
    second.close()


def test_an_event_older_than_the_recent_history_is_found_in_the_event_log(tmp_path: Path, clock: FakeClock) -> None:
    config = AppConfig.model_validate({"join": {"reward_wait_s": 1, "aggregation": "sum", "late_reward": "learn"}})
    loop = open_loop(config, clock, tmp_path)
    fill(loop, clock, 300)  # e1 (rewarded 1.0) is long out of the 200 recent joined events
    clock.advance(2)
    loop.tick()
    assert loop.reward("e1", 0.5)[0].status == "late"
    loop.tick()  # learned as a new example, logged with its key
    found = loop.find("e1")
    assert found is not None and (found["state"], found["reward"], found["found_in"]) == ("learned", 1.0, "event log")
    assert [(r["value"], r["handled"]) for r in found["late_rewards"]] == [(0.5, "learned")]
    assert loop.find("e299") is not None and loop.find("e299")["found_in"] == "memory"  # type: ignore[index]
    assert loop.find("nobody") is None
    loop.close()



def reopened_with(policy: dict[str, object], tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> tuple[Loop, dict[str, object]]:
    """A loop that learned 41 events and closed, opened again with another ``policy`` section, and its recovery report
    (its log records in ``caplog`` from INFO up)."""
    loop = open_loop(CONFIG, clock, tmp_path)
    fill(loop, clock, 50)
    loop.close()
    again = open_loop(AppConfig.model_validate({**CONFIG.model_dump(exclude={"policy"}), "policy": policy}), clock, tmp_path)
    with caplog.at_level(logging.INFO):
        return again, again.recover()


def test_switching_policy_kinds_passes_over_the_other_kinds_checkpoints_quietly(
        tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    switched, report = reopened_with({"type": "linucb"}, tmp_path, clock, caplog)
    assert report["corrupt_checkpoints"] == 0 and report["checkpoint_version"] is None, report
    assert "is corrupt" not in caplog.text and "saved by the vw policy and policy.type is now linucb" in caplog.text
    assert report["relearned"] == 41 and switched.policy.model_version == 41
    assert switched.checkpoints is not None and switched.checkpoints.entries(), "the versions listed are linucb's own"
    assert {meta.policy for meta, _ in switched.checkpoints.entries()} == {"linucb"}
    switched.close()
    back = open_loop(CONFIG, clock, tmp_path)
    report = back.recover()
    assert report["corrupt_checkpoints"] == 0 and report["checkpoint_version"] == 41, report
    assert back.policy.model_version == 41
    back.close()


def test_an_intact_checkpoint_the_changed_policy_refuses_is_not_called_corrupt(
        tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    again, report = reopened_with({"update": "coin"}, tmp_path, clock, caplog)
    assert report["corrupt_checkpoints"] == 0 and report["refused_checkpoints"] == 3, report
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "is intact but the configured policy cannot load it" in caplog.text
    assert again.policy.model_version == 41 and again.stats()["refused_checkpoints"] == 3
    again.close()


def kindless(directory: Path) -> None:
    """Make the checkpoints in ``directory`` an older version's: sidecars without the policy kind and counters."""
    for sidecar in (directory / "checkpoints").glob("model-*.json"):
        sidecar.write_text(json.dumps({k: v for k, v in json.loads(sidecar.read_text()).items() if k not in ("policy", "stats")}))


@pytest.mark.parametrize(("policy", "says"), [
    ({"type": "linucb"}, "records no policy kind (an older version took it, when only the vw policy saved checkpoints) "
                         "and the configured linucb policy cannot load it"),
    ({"update": "coin"}, "is intact but the configured policy cannot load it (did the policy section change"),
], ids=["other-kind", "vw-options-changed"])
def test_checkpoints_of_an_older_version_that_name_no_kind_are_not_called_corrupt(
        tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, policy: dict[str, object], says: str) -> None:
    """An upgrade, then a change of ``policy``: the older version's VW checkpoints, whose sidecars name no kind, are
    neither called corrupt nor, under another kind, blamed on a changed policy section; the log rebuilds the model."""
    loop = open_loop(CONFIG, clock, tmp_path)
    fill(loop, clock, 50)
    loop.close()
    kindless(tmp_path)
    changed = open_loop(AppConfig.model_validate({**CONFIG.model_dump(exclude={"policy"}), "policy": policy}), clock, tmp_path)
    with caplog.at_level(logging.INFO):
        report = changed.recover()
    assert report["corrupt_checkpoints"] == 0 and report["checkpoint_version"] is None and report["relearned"] == 41, report
    assert "is corrupt and was skipped" not in caplog.text and caplog.text.count(says) == 3, caplog.text
    changed.close()


def test_a_loop_closed_before_it_recovered_leaves_the_model_of_the_data_directory_the_newest(tmp_path: Path, clock: FakeClock) -> None:
    """A start that fails half-way (a log sink that cannot start, a recovery that raises) closes its loop: that close
    used to checkpoint the loop's fresh, empty model as the newest, and the next start ran it instead of the one
    learned."""
    loop = open_loop(CONFIG, clock, tmp_path)
    fill(loop, clock, 30)
    loop.close()
    learned = loop.policy.model_version
    assert learned > 0
    failed_start = open_loop(CONFIG, clock, tmp_path)  # opened, then its start failed before recover()
    failed_start.close()
    again = open_loop(CONFIG, clock, tmp_path)
    try:
        assert again.recover()["checkpoint_version"] == learned  # was 0: the failed start's empty model
        assert again.policy.model_version == learned
    finally:
        again.close()


def test_a_start_whose_log_sinks_fail_keeps_the_learned_model_for_the_next_start(tmp_path: Path, clock: FakeClock,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from appliance.bus import EventBus
    from appliance.storage.checkpoints import CheckpointStore
    from appliance.supervisor.parts import Parts
    from appliance.supervisor.supervisor import Supervisor

    loop = open_loop(CONFIG, clock, tmp_path)
    fill(loop, clock, 30)
    loop.close()
    newest = CheckpointStore(tmp_path / "checkpoints", 3).entries()[0][0]

    def no_memory(parts: Parts, config: AppConfig) -> None:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(Parts, "start_sinks", no_memory)
    supervisor = Supervisor(CONFIG, tmp_path, None, None, EventBus(), clock, lambda config: None)
    supervisor.start()
    assert supervisor.state == "safe" and "Cannot allocate memory" in (supervisor.error or "")
    assert CheckpointStore(tmp_path / "checkpoints", 3).entries()[0][0] == newest  # was: the fresh model's, version 0


def test_checkpoints_taken_while_the_wall_clock_is_behind_the_last_ones_are_still_the_newest(tmp_path: Path,
                                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pi without a real-time clock, unplugged (no clean shutdown) and offline, boots at the time it last saved, up
    to an hour behind its last checkpoints: its new checkpoints were sorted as the oldest, and pruned at once."""
    from appliance.assemble import build_policy
    from appliance.storage import checkpoints as checkpoints_module
    from appliance.storage.checkpoints import CheckpointStore
    from appliance.storage.log_segments import LogPosition

    store, policy = CheckpointStore(tmp_path, keep=2), build_policy(CONFIG.effective_policy())
    for version in (1, 2):
        store.save(policy, version, LogPosition(1, version))
    an_hour_ago = time.time_ns() - 3600 * 10**9
    monkeypatch.setattr(checkpoints_module.time, "time_ns", lambda: an_hour_ago)  # the wall clock, set back an hour
    monkeypatch.setattr(checkpoints_module.time, "time", lambda: an_hour_ago / 1e9)
    store.save(policy, 3, LogPosition(1, 3))
    assert [meta.model_version for meta, _ in store.entries()] == [3, 2]  # was [2, 1]: version 3 pruned at once
    assert store.load_latest(policy).model_version == 3  # type: ignore[union-attr]


def test_finding_an_event_while_the_loop_writes_neither_fails_nor_writes_a_line_twice(tmp_path: Path) -> None:
    """Found by a soak: `GET /api/events/{id}` (its scan flushes the log from the server's thread) while the loop
    appended got a 500 (`BufferError`), and two flushes at once could write the same lines twice. A race: five rounds
    (one of them alone missed it about one time in six before the fix)."""
    import threading

    written = [f'{{"EventId":"e{i}","pad":"{"x" * 50}"}}\n'.encode() for i in range(250_000)]
    for attempt in range(5):
        log = EventLog(tmp_path / f"events{attempt}", segment_bytes=1 << 30)
        stop, failures = threading.Event(), []

        def reader(log: EventLog = log, stop: threading.Event = stop, failures: list[Exception] = failures) -> None:
            while not stop.is_set():
                try:
                    log.find(b'"EventId":"e1"', 1 << 16)
                except Exception as err:  # noqa: BLE001 - the failure is what the test is about
                    failures.append(err)

        threads = [threading.Thread(target=reader) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            for i in range(0, len(written), 10):
                log.write(written[i:i + 10])
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        log.sync()
        log.close()
        assert failures == [] and (tmp_path / f"events{attempt}" / "events-000001.dsjson").read_bytes() == b"".join(written)

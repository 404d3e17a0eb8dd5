"""kill -9 at random moments while decisions, on-time and late rewards arrive from concurrent threads, under each
``late_reward`` mode: every acknowledged decision is learned once, every acknowledged reward ends exactly where
its mode says (in its decision's joined event, or learned once as a late example, or logged once in late.jsonl,
or, under ``drop``, nowhere), and no reward is handled twice or changes its meaning."""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.storage import dsjson

CYCLES = 8
MIN_DECISIONS, MIN_LATE = 20, 4  # acknowledged by each incarnation before its kill can come
ROOT = Path(__file__).parents[2]


def run_until_killed(data_dir: Path, mode: str, cycle: int, seconds: float) -> list[list[str]]:
    """One incarnation of the driver, killed with SIGKILL ``seconds`` after it acknowledged ``MIN_DECISIONS``
    decisions and ``MIN_LATE`` late rewards (so a slow machine still gives every cycle work to lose); its printed
    acks."""
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("chaos_driver.py")), str(data_dir), mode, str(cycle)],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    lines: list[str] = []
    busy = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        decisions = late = 0
        for line in proc.stdout:
            lines.append(line)
            decisions += line.startswith("DECISION")
            late += line.startswith("REWARD") and " late-" in line
            if decisions >= MIN_DECISIONS and late >= MIN_LATE:
                busy.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert busy.wait(120), "".join(lines[-5:])
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(10)
    proc.stdout.close()
    return [line.split() for line in lines if line.endswith("\n")]  # a line cut by the kill was never acknowledged


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["drop", "log", "learn"])
def test_kill_9_chaos_with_late_rewards(tmp_path: Path, mode: str) -> None:
    rng = random.Random(mode)
    decisions: set[str] = set()
    rewards: dict[tuple[str, str], str] = {}  # (event id, reward id) -> status, for every acknowledged reward
    for cycle in range(CYCLES):
        for words in run_until_killed(tmp_path, mode, cycle, rng.uniform(0.0, 1.2)):
            if words[0] == "DECISION":
                decisions.add(words[1])
            elif words[0] == "REWARD" and words[3] in ("accepted", "late"):
                rewards[words[1], words[2]] = words[3]
    config = AppConfig.model_validate({"join": {"reward_wait_s": 0.2, "aggregation": "sum", "late_reward": mode}})
    clock = FakeClock(time.time())
    loop = open_loop(config, clock, tmp_path)
    loop.recover()
    clock.advance(10)
    loop.tick()  # the last incarnation's pending decisions and late rewards
    loop.close()

    joined: collections.Counter[str] = collections.Counter()
    joined_reward: dict[str, float] = {}
    learned_late: collections.Counter[str] = collections.Counter()
    for path in sorted((tmp_path / "events").glob("events-*.dsjson")):
        for line in path.read_text().splitlines():
            event, _ = dsjson.decode(line)
            if event.late_key is not None:
                learned_late[event.late_key] += 1
            else:
                joined[event.decision.event_id] += 1
                joined_reward[event.decision.event_id] = event.reward
    late_file = tmp_path / "events" / "late.jsonl"
    logged_late = collections.Counter(json.loads(line)["key"] for line in late_file.read_text().splitlines()) if late_file.exists() else {}

    late_acked = [(e, r) for (e, r), status in rewards.items() if status == "late"]
    on_time_acked = [e for (e, r), status in rewards.items() if status == "accepted"]
    print(f"{mode}: {CYCLES} kills, {len(decisions)} decisions, {len(on_time_acked)} on-time and {len(late_acked)} late "
          f"rewards acknowledged; {sum(learned_late.values())} late examples learned, {sum(logged_late.values())} late lines")
    assert len(late_acked) > 20 and len(decisions) > 100
    assert not [e for e in decisions if e not in joined], "acknowledged decisions never learned"
    assert max(joined.values()) == 1, "a decision learned twice"
    assert not [e for e in on_time_acked if joined_reward[e] != 1.0], "an acknowledged on-time reward lost"
    assert set(joined_reward.values()) <= {0.0, 1.0}, "a late reward joined as an on-time one"
    assert max([*learned_late.values(), *logged_late.values(), 1]) == 1, "a late reward handled twice"
    keys = [f"{e}/{r}" for e, r in late_acked]
    if mode == "learn":
        assert not [k for k in keys if learned_late[k] != 1] and not logged_late
    elif mode == "log":
        assert not [k for k in keys if logged_late[k] != 1] and not learned_late
    else:
        assert not learned_late and not logged_late

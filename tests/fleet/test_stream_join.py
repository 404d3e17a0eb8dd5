"""The stream joins on generated streams: the durable joiner reproduces the exact reference join on both
scenarios, the in-memory ones do not (rewards before their decision, shipping lag), and a durable join killed
with kill -9 between two commits resumes with nothing it committed lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from appliance.fleet.contenders import ApplianceJoin, DurableJoin, NaiveDict
from appliance.fleet.durable import DurableJoiner
from appliance.fleet.evaluate import evaluate
from appliance.fleet.records import Joined, joined_set, reference_join
from appliance.fleet.streams import SCENARIOS, generated_stream


@pytest.mark.parametrize("name, n", [("seconds", 1500), ("days", 2500)])
def test_durable_join_is_exact_and_the_in_memory_ones_are_not(name: str, n: int, tmp_path: Path) -> None:
    stream = generated_stream(SCENARIOS[name], n, seed=3)
    assert stream.duplicates > 0 and stream.late > 0 and stream.rewards_first > 0
    durable = evaluate(DurableJoin(stream.scenario, tmp_path / "join.db"), stream)
    assert (durable.joined, durable.mismatches) == (n, 0)
    assert 0 <= durable.latency_p50_s <= stream.scenario.lag_s + 600
    for join in (NaiveDict(stream.scenario), ApplianceJoin(stream.scenario)):
        run = evaluate(join, stream)
        assert run.joined == n and run.mismatches > 0, run


KILLED = """
import sys
from pathlib import Path
from appliance.fleet.durable import DurableJoiner
from appliance.fleet.streams import SCENARIOS, generated_stream
stream = generated_stream(SCENARIOS["seconds"], 1000, seed=5)
joiner = DurableJoiner(Path(sys.argv[1]), stream.scenario.join_config(), grace_s=stream.scenario.lag_s)
half = len(stream.records) // 2
joiner.add(stream.records[:half])
with open(sys.argv[2], "a") as out:
    for j in joiner.due(stream.records[half - 1].arrival):
        out.write(f"{j.event_id} {j.reward} {j.rewards}\\n")
    out.flush(); import os; os.fsync(out.fileno())
print("committed", flush=True)
sys.stdin.readline()  # killed here
"""


def test_a_killed_durable_join_resumes(tmp_path: Path) -> None:
    db, out = tmp_path / "join.db", tmp_path / "joined.txt"
    with subprocess.Popen([sys.executable, "-c", textwrap.dedent(KILLED), str(db), str(out)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())}) as child:
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "committed"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(30)
    stream = generated_stream(SCENARIOS["seconds"], 1000, seed=5)
    joiner = DurableJoiner(db, stream.scenario.join_config(), grace_s=stream.scenario.lag_s)
    half = len(stream.records) // 2
    joiner.add(stream.records[half:])
    rest = joiner.due(stream.records[-1].arrival + 100)
    first = [line.split() for line in out.read_text().splitlines()]
    got = {e: (round(float(r), 9), int(n)) for e, r, n in first} | joined_set(rest)
    assert len(first) > 0 and len(got) == len(first) + len(rest)
    assert got == reference_join(stream.records, stream.scenario.join_config())


def test_orphan_rewards_are_evicted_and_counted(tmp_path: Path) -> None:
    from appliance.config import JoinConfig
    from appliance.fleet.records import DecisionIn, RewardIn

    joiner = DurableJoiner(tmp_path / "j.db", JoinConfig(reward_wait_s=5), grace_s=1)
    joiner.add([RewardIn("ghost", 1.0, 0.0, "r", 0.1), DecisionIn("e1", 0.0, 0.2)])
    assert joiner.due(0.5) == [] and joiner.state()[0] == 2
    assert [j.event_id for j in joiner.due(6.0)] == ["e1"] and isinstance(joiner.due(6.0), list)
    assert joiner.orphans_evicted == 1 and joiner.state()[0] == 1  # e1, remembered as closed
    joiner.add([DecisionIn("e1", 0.0, 7.0)])  # delivered again
    assert joiner.due(20.0) == []
    assert Joined("e1", 0.0, 0, 0.0, 6.0).rewards == 0


def test_a_decision_shipped_late_still_waits_a_grace_for_its_rewards(tmp_path: Path) -> None:
    from appliance.config import JoinConfig
    from appliance.fleet.records import DecisionIn, RewardIn

    joiner = DurableJoiner(tmp_path / "j.db", JoinConfig(reward_wait_s=5), grace_s=1)
    joiner.add([DecisionIn("e1", 0.0, 30.0)])  # arrives long after its wait and grace (a backlog after an outage)
    assert joiner.due(30.5) == []
    joiner.add([RewardIn("e1", 1.0, 2.0, "r", 30.8)])  # its reward, shipped after it
    assert [(j.event_id, j.reward, j.rewards) for j in joiner.due(31.0)] == [("e1", 1.0, 1)]


def test_an_appliance_down_longer_than_the_grace_holds_its_decisions_until_its_log_passes_them(tmp_path: Path) -> None:
    """pi1 is down from 2 s to 45 s (its reward r1, acknowledged before, is logged again when it is up) and the
    join itself restarts at 30 s; pi2 keeps shipping; pi3 never comes back and its decision closes by the clock
    once it has been idle for the timeout, counted from the join's restart."""
    from appliance.config import JoinConfig
    from appliance.fleet.records import DecisionIn, RewardIn

    config = JoinConfig(reward_wait_s=5)
    path = tmp_path / "j.db"
    joiner = DurableJoiner(path, config, grace_s=1, idle_timeout_s=60)
    records = [DecisionIn("a1", 0.0, 0.1, "pi1"), DecisionIn("b1", 0.0, 0.1, "pi2"), DecisionIn("c1", 0.0, 0.1, "pi3"),
               RewardIn("a1", 1.0, 1.0, "r0", 2.0, "pi1"), DecisionIn("b2", 9.9, 10.0, "pi2")]
    joiner.add(records)
    assert joiner.due(10.0) == []  # b1's wait and grace are over by the clock, but pi2's watermark counts from the next step
    assert [j.event_id for j in joiner.due(10.5)] == ["b1"]  # pi2's log passed 0 + 5 + 1; pi1's and pi3's did not
    assert joiner.due(29.0) == []  # pi1 silent 27 s, far longer than the grace: a1 stays open
    joiner.close()
    joiner = DurableJoiner(path, config, grace_s=1, idle_timeout_s=60)  # the central job restarts: watermarks kept
    joiner.resume(30.0)
    assert joiner.due(40.0) == []
    back = [RewardIn("a1", 2.0, 1.5, "r1", 45.0, "pi1"), DecisionIn("a2", 45.0, 45.1, "pi1")]
    joiner.add(back)
    assert joiner.due(45.2) == []
    closed = joiner.due(45.3)
    assert [(j.event_id, j.rewards) for j in closed] == [("a1", 2)]
    assert joined_set(closed) == {"a1": reference_join(records + back, config)["a1"]}
    assert joiner.due(89.0) == [] and joiner.closed_idle == 0  # pi3: idle 59 s since the restart
    # pi3, and pi2 (shipped nothing since 10 s), idle for 60 s since the restart: their decisions close by the clock
    assert [(j.event_id, j.rewards) for j in joiner.due(90.5)] == [("c1", 0), ("b2", 0)] and joiner.closed_idle == 2
    assert [j.event_id for j in joiner.due(105.5)] == ["a2"] and joiner.closed_idle == 3  # pi1 idle since 45.1
    assert joiner.orphans_evicted == 0

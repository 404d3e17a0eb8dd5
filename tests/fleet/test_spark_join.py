"""The fleet join on Spark Structured Streaming (local mode, RocksDB state), one SparkSession for the module:
exact against the reference join on a generated stream, the input-stops stall measured and released by a
heartbeat, and the central job on the Spark engine killed with kill -9 while two appliances ship, then resumed
from its checkpoint: every acknowledged decision and reward joined exactly once, every joined batch learned by the
central trainer and its published model pulled as an appliance pulls it."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

pytest.importorskip("pyspark")
from appliance.config import JoinConfig, load_config  # noqa: E402
from appliance.config.log_sinks import HTTPSinkConfig  # noqa: E402
from appliance.fleet.central import Central, FleetSettings  # noqa: E402
from appliance.fleet.contenders import DurableJoin  # noqa: E402
from appliance.fleet.evaluate import evaluate  # noqa: E402
from appliance.fleet.files import joined_files  # noqa: E402
from appliance.fleet.records import DecisionIn, Record, RewardIn, reference_join  # noqa: E402
from appliance.fleet.spark_eval import spark_run  # noqa: E402
from appliance.fleet.spark_join import session  # noqa: E402
from appliance.fleet.streams import SCENARIOS, generated_stream, until_input_stops  # noqa: E402
from appliance.server.access_token import load_or_create_token  # noqa: E402
from appliance.sinks import Shipper  # noqa: E402
from appliance.sinks.http import HTTPSink  # noqa: E402
from appliance.storage import dsjson  # noqa: E402
from appliance.storage.eventlog import EventLog  # noqa: E402
from tests.conftest import free_port  # noqa: E402

pytestmark = pytest.mark.slow
WAIT_S, GRACE_S = 1.0, 10.0  # the grace covers the central job's outage (kill -9 to restarted collector)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    s = session("wabbit-tests", partitions=1)  # one Python worker per micro-batch: Spark is slow to start them on 2 cores
    yield s
    s.stop()


def test_spark_join_is_exact_and_a_heartbeat_releases_the_stall(spark: Any, tmp_path: Path) -> None:
    stream = until_input_stops(generated_stream(SCENARIOS["seconds"], 400, seed=11))
    run, stall = spark_run(spark, stream, files=2)
    assert run.mismatches == 0 and run.joined == 400, run
    durable = evaluate(DurableJoin(stream.scenario, tmp_path / "join.db"), stream)  # the same stream, as join.spark.* does
    assert durable.mismatches == 0 and (durable.records, durable.joined) == (run.records, run.joined), durable
    assert stall["held_back_when_input_stops"] > 0 and stall["held_back_after_heartbeat"] == 0, stall
    state_store = spark.conf.get("spark.sql.streaming.stateStore.providerClass")
    assert state_store.endswith("RocksDBStateStoreProvider") and run.peak_records > 0


def test_the_workers_leave_out_pysparks_pandas_warning_only(spark: Any) -> None:
    """pandas warns on stderr that pyspark's own concat is deprecated, once per worker: a user cannot act on it."""

    def passing(_: int) -> list[str]:  # in a worker (pickled by value): which of the warning, as pyspark's worker
        import warnings  # and as our code would meet it, passes the worker's warning filters

        with warnings.catch_warnings(record=True) as seen:
            for module in ("pyspark.worker", "appliance.fleet.spark_join"):
                warnings.warn_explicit("The behavior of DataFrame concatenation with empty or all-NA entries is "
                                       "deprecated.", FutureWarning, module.replace(".", "/") + ".py", 1, module)
        return [w.filename for w in seen]

    assert spark.sparkContext.parallelize([0], 1).flatMap(passing).collect() == ["appliance/fleet/spark_join.py"]


class Appliance:
    """An appliance's shipping half: its raw log (decisions and rewards, stamped with the clock) and the ``http``
    log sink that ships it to the collector, in block mode (nothing dropped while the central side is down)."""

    def __init__(self, directory: Path, name: str, port: int, token_file: Path, seed: int) -> None:
        self.name, self.rng, self.lines = name, random.Random(seed), 0
        self.log = EventLog(directory / "events", 1 << 20, name="raw", suffix="jsonl")
        sink = HTTPSinkConfig(url=f"http://127.0.0.1:{port}/ingest", stream="raw", mode="block", batch_interval_s=2.0,
                              retry_max_s=0.5, timeout_s=5.0, token_file=token_file, headers={"X-Wabbit-Source": name})
        self.shipper = Shipper(HTTPSink(sink), self.log, sink, directory / "sink.cursor")
        self.records: list[Record] = []
        self.due: list[tuple[float, RewardIn]] = []

    def step(self, now: float, n: int) -> None:
        """Decide, observe the rewards now due (some lost, stamped past the wait, or delivered twice), ship."""
        lines = []
        for i in range(n):
            event_id = f"{self.name}-{self.lines}-{i}"
            lines.append(orjson.dumps({"kind": "decision", "event_id": event_id, "timestamp": now, "action": "b",
                                       "probability": 0.5, "actions": ["a", "b"], "pmf": [0.5, 0.5],
                                       "context": {"u": {"x": 1.0}}, "model_version": 0}))
            self.records.append(DecisionIn(event_id, now, now))
            for k in range(self.rng.choice((0, 1, 1, 2))):
                at = now + self.rng.uniform(0.0, 1.3 * WAIT_S)
                reward = RewardIn(event_id, 1.0, at, f"r{k}", at)
                self.due += [(at, reward)] * (2 if self.rng.random() < 0.1 else 1)
        self.due.sort(key=lambda d: d[0])
        while self.due and self.due[0][0] <= now:
            _, r = self.due.pop(0)
            lines.append(orjson.dumps({"kind": "reward", "event_id": r.event_id, "reward": r.value, "timestamp": r.timestamp,
                                       "reward_id": r.reward_id}))
            self.records.append(r)
        self.lines += 1
        self.log.write([line + b"\n" for line in lines])
        self.log.sync()
        self.shipper.step()


def ship(appliances: list[Appliance], stop: threading.Event) -> None:
    while not stop.wait(0.1):
        for a in appliances:
            a.step(time.time(), 1)


def joined_lines(root: Path) -> list[tuple[str, float, tuple[str, ...], dict[str, Any]]]:
    out = []
    for _, path in joined_files(root / "joined", -1):
        for line in path.read_bytes().splitlines():
            event, _ = dsjson.decode(line)
            out.append((event.decision.event_id, event.reward, event.decision.actions, event.decision.context))
    return out


def last(root: Path, log: str) -> int:
    """The last micro-batch in the Spark checkpoint's ``offsets`` (planned) or ``commits`` (done) log; -1: none."""
    return max((int(p.name) for p in (root / "state" / "spark-checkpoint" / log).glob("[0-9]*")), default=-1)


def test_the_central_spark_job_killed_mid_run_resumes_from_its_checkpoint(spark: Any, tmp_path: Path) -> None:
    port, root, config = free_port(), tmp_path / "central", tmp_path / "fleet.yaml"
    config.write_text(f"join: {{reward_wait_s: {WAIT_S}, aggregation: sum}}\n"  # sum: a reward counted twice shows
                      "policy: {actions: [{id: a}, {id: b}]}\n")
    load_or_create_token(root)  # the collector's token, handed to the appliances before it first starts
    with open(root / "central.log", "ab") as out:  # its own session, so kill -9 takes its JVM too
        child = subprocess.Popen([sys.executable, "-m", "appliance", "fleet", "--dir", str(root), "--config", str(config),
                                  "--engine", "spark", "--port", str(port), "--grace-s", str(GRACE_S)],
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                 env={**os.environ, "PYTHONPATH": str(Path.cwd()), "OPENBLAS_NUM_THREADS": "1"})
    appliances = [Appliance(tmp_path / name, name, port, root / "token", seed) for seed, name in enumerate(("pi1", "pi2"))]
    stop, central = threading.Event(), None
    shipping = threading.Thread(target=ship, args=(appliances, stop), daemon=True)
    shipping.start()
    try:
        deadline = time.monotonic() + 400
        while not joined_lines(root) or last(root, "offsets") <= last(root, "commits"):
            # kill it once it has joined something and is in the middle of its next micro-batch
            assert child.poll() is None and time.monotonic() < deadline, (root / "central.log").read_text()
            time.sleep(0.2)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(30)
        killed_at, in_flight = len(joined_lines(root)), last(root, "offsets")
        time.sleep(1)  # the appliances keep logging; their sinks retry
        settings = FleetSettings(directory=root, engine="spark", port=port, grace_s=GRACE_S, heartbeat_s=2.0, step_s=0.5,
                                 publish_every_s=1.0)
        central = Central(settings, load_config(config), spark=spark)  # restarted on the checkpoint
        running = threading.Thread(target=central.run, daemon=True)
        running.start()
        time.sleep(3)
        stop.set()
        shipping.join(30)
        for a in appliances:
            a.shipper.drain(30)
            assert a.shipper.backlog_bytes() == 0, a.shipper.stats()  # every line acknowledged
        acknowledged = [r for a in appliances for r in a.records]
        decided = {r.event_id for r in acknowledged if isinstance(r, DecisionIn)}
        deadline = time.monotonic() + 400  # a micro-batch takes a minute on two loaded cores
        while {e[0] for e in joined_lines(root)} < decided:  # the heartbeats move the watermark past the last ones
            assert running.is_alive() and time.monotonic() < deadline, central.stats()
            time.sleep(0.5)
        last_batch = joined_files(root / "joined", -1)[-1][0]
        while (trained := central.stats()["trainer"])["batch"] < last_batch or not trained["published"]:
            assert running.is_alive() and time.monotonic() < deadline, trained  # the trainer learns every batch, then publishes
            time.sleep(0.5)
        token = (root / "token").read_text().strip()
        pulled = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/model",
                                                               headers={"Authorization": f"Bearer {token}"}), timeout=30)
        assert pulled.read() == (root / "models" / "current.vw").read_bytes()  # what an appliance's http model source pulls
        assert pulled.headers["ETag"].strip('"') == hashlib.sha256((root / "models" / "current.vw").read_bytes()).hexdigest()
    finally:
        stop.set()
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        if central is not None:
            central.stop.set()
            running.join(60)
        for a in appliances:
            a.shipper.close()
            a.log.close()
    joined = joined_lines(root)
    ids = [e[0] for e in joined]
    assert 0 < killed_at < len(joined) and len(ids) == len(set(ids)), "a decision was joined twice"
    assert last(root, "commits") > in_flight  # the batch it was killed in was run again, and the join went on
    want = reference_join(acknowledged, JoinConfig(reward_wait_s=WAIT_S, aggregation="sum"))
    assert {e[0]: (round(e[1], 9), int(e[1])) for e in joined} == want  # each reward once, none lost, none invented
    assert sum(n for _, n in want.values()) > 0 and any(n == 0 for _, n in want.values())
    assert joined[0][2:] == (("a", "b"), {"u": {"x": 1.0}}) and central.stats()["join"]["late_dropped"] == 0

"""The fleet join on Spark Structured Streaming (local mode, RocksDB state), one SparkSession for the module:
exact against the reference join on a generated stream, the input-stops stall measured and released by a
heartbeat, and the central side's Spark engine writing DSJSON batches the trainer reads."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

pytest.importorskip("pyspark")
from appliance.config import JoinConfig  # noqa: E402
from appliance.fleet.engine_spark import SparkEngine  # noqa: E402
from appliance.fleet.files import joined_files  # noqa: E402
from appliance.fleet.spark_eval import spark_run  # noqa: E402
from appliance.fleet.spark_join import session  # noqa: E402
from appliance.fleet.streams import SCENARIOS, generated_stream  # noqa: E402
from appliance.storage import dsjson  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    s = session("wabbit-tests", partitions=1)  # one Python worker per micro-batch: Spark is slow to start them on 2 cores
    yield s
    s.stop()


def test_spark_join_is_exact_and_a_heartbeat_releases_the_stall(spark: Any) -> None:
    stream = generated_stream(SCENARIOS["seconds"], 400, seed=11)
    run, stall = spark_run(spark, stream, files=2)
    assert run.mismatches == 0 and run.joined == 400, run
    assert stall["held_back_when_input_stops"] > 0 and stall["held_back_after_heartbeat"] == 0, stall
    state_store = spark.conf.get("spark.sql.streaming.stateStore.providerClass")
    assert state_store.endswith("RocksDBStateStoreProvider") and run.peak_records > 0


def test_the_central_spark_engine_writes_dsjson_batches(spark: Any, tmp_path: Path) -> None:
    features = {"a": {"Action": {"a": 1.0}}, "b": {"Action": {"b": 1.0}}}
    engine = SparkEngine(tmp_path / "inbox", tmp_path / "state", tmp_path / "joined", JoinConfig(reward_wait_s=1.0), 1.0,
                         features, heartbeat_s=0.5, trigger_s=0.5, spark=spark)
    try:
        now = time.time()
        lines = [orjson.dumps({"kind": "decision", "event_id": f"e{i}", "timestamp": now + i * 0.01, "action": "b",
                               "probability": 0.5, "actions": ["a", "b"], "pmf": [0.5, 0.5], "context": {"u": {"x": 1.0}},
                               "model_version": 0}) for i in range(20)]
        lines += [orjson.dumps({"kind": "reward", "event_id": f"e{i}", "reward": 1.0, "timestamp": now + 0.5, "reward_id": "r"})
                  for i in range(0, 20, 2)]
        (tmp_path / "inbox" / "pi1-raw-0.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        deadline = time.monotonic() + 120
        while engine.emitted < 20:  # the heartbeats move the watermark: the input has stopped
            assert time.monotonic() < deadline, engine.stats()
            engine.step()
            time.sleep(0.5)
    finally:
        engine.close()
    events = [dsjson.decode(line)[0] for _, path in joined_files(tmp_path / "joined", -1) for line in path.read_bytes().splitlines()]
    rewards = {e.decision.event_id: e.reward for e in events}
    assert len(events) == 20 and rewards["e0"] == 1.0 and rewards["e1"] == 0.0
    assert events[0].decision.actions == ("a", "b") and events[0].decision.context == {"u": {"x": 1.0}}

"""The fleet join on Spark Structured Streaming: decisions and rewards by event id, in event time, with the
appliance joiner's semantics, watermarks and the RocksDB state store.

Decisions, rewards and heartbeats arrive as JSON lines in one directory (Spark's file source; in production a
Kafka topic read by the Kafka source). One stream, watermarked on the records' own time with a delay of
``grace_s`` (the shipping lag), is grouped by event id and joined by ``applyInPandasWithState``: each event id's
state holds its decision and its rewards, whichever came first; an event-time timeout at the end of the wait
closes it (rewards stamped in the wait, each reward id once, aggregated, else the default), and a reward whose
decision never came is evicted once the watermark passes it. Spark's own stream-stream outer join was the
first candidate; it emits one row per matching reward (aggregation would need a second stateful stage) and
keeps a reward that came first only within its time bound, so the keyed state is the simpler exact form (see
docs/stream-join.md).

A watermark moves only with new data: when the appliances fall silent, the last decisions would wait for ever.
A :func:`heartbeat` line (``kind: heartbeat``, stamped with the clock) moves it; the central side writes one
every few seconds. PySpark (the ``fleet`` extra) and a JDK are needed only here.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from appliance.config.join import JoinConfig
from appliance.join.rewards import Reward
from appliance.storage.atomic import write_atomically

RAW_SCHEMA = ("kind STRING, event_id STRING, timestamp DOUBLE, reward DOUBLE, reward_id STRING, action STRING, "
              "probability DOUBLE, actions ARRAY<STRING>, pmf ARRAY<DOUBLE>, context STRING, model_version LONG")
OUT_SCHEMA = "event_id STRING, decided DOUBLE, reward DOUBLE, rewards INT, body STRING, outcome STRING"
STATE_SCHEMA = "decided DOUBLE, body STRING, rewards STRING"
ROCKSDB = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"
HEARTBEAT = "__heartbeat__"
WORKER_WARNINGS = "ignore:The behavior of DataFrame concatenation with empty or all-NA entries:FutureWarning:pyspark.worker"
"""The Python workers' warning filter: pandas' deprecation of pyspark's own padding of its state frames, which a
user cannot act on; the user's own ``PYTHONWARNINGS`` still applies to everything else."""


def heartbeat(directory: Path, now: float, name: str = "heartbeat") -> Path:
    """Write a heartbeat line stamped ``now`` as a new file in the input directory (atomically).

    >>> import tempfile
    >>> heartbeat(Path(tempfile.mkdtemp()), 12.5).read_bytes()
    b'{"kind":"heartbeat","event_id":"__heartbeat__","timestamp":12.5}\\n'
    """
    path = directory / f"{name}-{now:017.3f}.jsonl"
    write_atomically(path, orjson.dumps({"kind": "heartbeat", "event_id": HEARTBEAT, "timestamp": now}) + b"\n", mode=0o644)
    return path


def session(app: str = "wabbit-fleet", rocksdb: bool = True, cores: int = 2, partitions: int = 2) -> Any:
    """A local SparkSession kept on loopback, with the RocksDB state store; ``partitions``: of the state (one
    Python worker each per micro-batch). Its Python workers leave out pyspark's pandas warning (:data:`WORKER_WARNINGS`)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers run this interpreter (its packages, ours)
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(f"local[{cores}]").appName(app)
               .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", str(partitions))
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.streaming.noDataMicroBatches.enabled", "true")
               .config("spark.executorEnv.PYTHONWARNINGS", ",".join(filter(None, (os.environ.get("PYTHONWARNINGS"), WORKER_WARNINGS)))))
    if rocksdb:
        builder = builder.config("spark.sql.streaming.stateStore.providerClass", ROCKSDB)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _state_step(config: JoinConfig) -> Callable[[Any, Iterator[Any], Any], Iterator[Any]]:
    """The per-event-id function for ``applyInPandasWithState`` (runs in Spark's Python workers)."""
    from appliance.fleet.records import combine

    wait_ms = config.reward_wait_s * 1000.0

    def step(key: Any, frames: Iterator[Any], state: Any) -> Iterator[Any]:
        import pandas as pd

        if key[0] == HEARTBEAT:
            deque(frames, maxlen=0)  # a heartbeat only moves the watermark: its rows are drained, never joined
            return
        if state.hasTimedOut:
            decided, body, rewards_json = state.get
            state.remove()
            if body is None:
                return  # only rewards, and their decision never came: evicted
            rewards = [Reward(v, t, i) for v, t, i in orjson.loads(rewards_json)]
            value, n = combine(decided, rewards, config)
            yield pd.DataFrame({"event_id": [key[0]], "decided": [decided], "reward": [value], "rewards": [n],
                                "body": [body], "outcome": ["on_time" if n else "default"]})
            return
        decided, body, rewards_json = state.get if state.exists else (None, None, "[]")
        rewards = orjson.loads(rewards_json)
        for frame in frames:
            for row in frame.itertuples(index=False):
                if row.kind == "decision":
                    decided, body = float(row.timestamp), _body(row)
                elif row.kind == "reward":
                    rewards.append([float(row.reward), float(row.timestamp), None if pd.isna(row.reward_id) else str(row.reward_id)])
        state.update((None if decided is None else float(decided), body, orjson.dumps(rewards).decode()))
        closes = (decided * 1000.0 + wait_ms) if body is not None else max(r[1] for r in rewards) * 1000.0
        state.setTimeoutTimestamp(int(max(closes, state.getCurrentWatermarkMs() + 1)))

    return step


def _body(row: Any) -> str:
    """The decision as the raw log has it, for the DSJSON line it becomes."""
    return orjson.dumps({"action": str(row.action), "probability": float(row.probability), "actions": [str(a) for a in row.actions],
                         "pmf": [float(p) for p in row.pmf], "context": orjson.loads(row.context) if row.context else {},
                         "model_version": int(row.model_version) if row.model_version == row.model_version else 0}).decode()


def joined_frame(spark: Any, inbox: Path, config: JoinConfig, grace_s: float, max_files: int = 1000) -> Any:
    """The streaming DataFrame of joined decisions read from ``inbox``."""
    from pyspark.sql import functions as F
    from pyspark.sql.streaming.state import GroupStateTimeout

    raw = (spark.readStream.schema(RAW_SCHEMA)
           .option("maxFilesPerTrigger", max_files).json(str(inbox)))
    records = (raw.withColumn("time", F.timestamp_seconds("timestamp"))
               .withWatermark("time", f"{int(grace_s * 1000)} milliseconds"))
    return records.groupBy("event_id").applyInPandasWithState(
        _state_step(config), OUT_SCHEMA, STATE_SCHEMA, "append", GroupStateTimeout.EventTimeTimeout)

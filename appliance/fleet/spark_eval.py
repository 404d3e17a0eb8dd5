"""Spark's join on an evaluated stream, the one the other joins see: the records shipped as files in order of
arrival, one micro-batch run to completion per file, so what it emits is stamped with the stream's clock at
that file. Then the input stops: what is still held back is counted, and a heartbeat releases it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from appliance.fleet.evaluate import JoinRun
from appliance.fleet.records import DecisionIn, Record, mismatches, reference_join
from appliance.fleet.spark_join import heartbeat, joined_frame
from appliance.fleet.streams import Stream


def _line(r: Record) -> bytes:
    if isinstance(r, DecisionIn):
        return orjson.dumps({"kind": "decision", "event_id": r.event_id, "timestamp": r.timestamp, "action": "a",
                             "probability": 1.0, "actions": ["a"], "pmf": [1.0], "context": {}, "model_version": 0})
    return orjson.dumps({"kind": "reward", "event_id": r.event_id, "reward": r.value, "timestamp": r.timestamp,
                         "reward_id": r.reward_id})


def spark_run(spark: Any, stream: Stream, files: int) -> tuple[JoinRun, dict[str, Any]]:
    """Run the Spark join over ``stream`` shipped as ``files`` files; returns its figures and the stall's.

    The input stops after the stream's last record (:func:`~appliance.fleet.streams.until_input_stops` stops
    it when the last decision has arrived): the watermark, which only records move, stays where they left it
    until a heartbeat comes, stamped as late as the other joins' clock runs on after the last record."""
    scenario = stream.scenario
    config, wait, grace = scenario.join_config(), scenario.wait_s, scenario.lag_s
    chunks = np.array_split(np.arange(len(stream.records)), files)
    emitted: dict[str, tuple[float, int, float, float]] = {}
    clock = [0.0]

    def collect(frame: Any, batch_id: int) -> None:
        for row in frame.collect():
            emitted[row.event_id] = (row.reward, row.rewards, row.decided, clock[0])

    peak_rows = peak_bytes = 0
    busy = 0.0
    rates: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        inbox, checkpoint = Path(tmp) / "inbox", Path(tmp) / "checkpoint"
        inbox.mkdir()
        query = (joined_frame(spark, inbox, config, grace).writeStream.foreachBatch(collect)
                 .option("checkpointLocation", str(checkpoint)).trigger(processingTime="0 seconds").start())
        try:
            for k, chunk in enumerate(chunks):
                records = [stream.records[i] for i in chunk]
                (inbox / f"part-{k:05d}.jsonl").write_bytes(b"\n".join(map(_line, records)) + b"\n")
                clock[0] = records[-1].arrival
                started = time.perf_counter()
                query.processAllAvailable()
                busy += time.perf_counter() - started
                rates.append(len(records) / max(time.perf_counter() - started, 1e-9))
                for progress in query.recentProgress[-3:]:
                    for op in progress.get("stateOperators", []):
                        peak_rows = max(peak_rows, op.get("numRowsTotal", 0))
                        peak_bytes = max(peak_bytes, op.get("memoryUsedBytes", 0))
            held_back = len(stream.decisions) - len(emitted)
            clock[0] = stream.records[-1].arrival + wait + 2 * grace
            heartbeat(inbox, clock[0])
            query.processAllAvailable()
            query.processAllAvailable()  # the batch the heartbeat's watermark allows
            after = len(stream.decisions) - len(emitted)
        finally:
            query.stop()
    latency = np.array([e[3] - (e[2] + wait) for e in emitted.values()] or [0.0])
    got = {k: (round(v[0], 9), v[1]) for k, v in emitted.items()}
    run = JoinRun("spark", len(stream.records), len(stream.records) / max(busy, 1e-9), len(emitted),
                  float(np.percentile(latency, 50)), float(np.percentile(latency, 99)), peak_rows, peak_bytes,
                  mismatches(got, reference_join(stream.records, config)))
    return run, {"held_back_when_input_stops": held_back, "held_back_after_heartbeat": after, "files": files,
                 "seconds_per_file": busy / files,
                 "records_per_s_by_file": rates}

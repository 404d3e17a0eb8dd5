"""The central join on Spark: the streaming query of :mod:`appliance.fleet.spark_join` over the inbox, each
micro-batch written as one numbered DSJSON batch (named by Spark's batch id: a batch Spark runs again after a
crash, from its checkpoint, replaces itself), and a heartbeat every ``heartbeat_s`` so the watermark moves while
the appliances are silent."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from appliance.config.join import JoinConfig
from appliance.features import Features
from appliance.fleet.files import dsjson_line, write_joined
from appliance.fleet.spark_join import heartbeat, joined_frame, session

log = logging.getLogger(__name__)


class SparkEngine:
    def __init__(self, inbox: Path, state: Path, joined: Path, config: JoinConfig, grace_s: float,
                 action_features: Mapping[str, Features], heartbeat_s: float = 2.0, trigger_s: float = 1.0,
                 clock: Callable[[], float] = time.time, spark: Any = None) -> None:
        for d in (inbox, state, joined):
            d.mkdir(parents=True, exist_ok=True)
        self.inbox, self.heartbeat_s, self.clock = inbox, heartbeat_s, clock
        self.emitted = self.late_dropped = 0
        self._counted = -1  # the last micro-batch whose late rows are in late_dropped
        self._last_beat = 0.0
        self._own = spark is None
        self.spark = session("wabbit-fleet") if spark is None else spark

        def write(frame: Any, batch_id: int) -> None:
            now = clock()
            rows = frame.collect()
            if rows:
                write_joined(joined, batch_id, [dsjson_line(r.event_id, r.decided, r.reward, r.rewards, r.body, action_features, now)
                                                for r in rows])
                self.emitted += len(rows)

        self.query = (joined_frame(self.spark, inbox, config, grace_s).writeStream.foreachBatch(write)
                      .option("checkpointLocation", str(state / "spark-checkpoint"))
                      .trigger(processingTime=f"{trigger_s} seconds").start())

    def step(self) -> int:
        """Write a heartbeat when one is due (Spark runs its own micro-batches)."""
        now = self.clock()
        if now - self._last_beat >= self.heartbeat_s:
            heartbeat(self.inbox, now)
            self._last_beat = now
        if self.query.exception() is not None or not self.query.isActive:
            raise RuntimeError(f"the Spark join stopped: {self.query.exception() or 'its thread died (see its log)'}")
        self._count_late()
        return 0

    def _count_late(self) -> None:
        """Add up the rows Spark dropped behind the watermark (a record later than the grace), and say so."""
        dropped = 0
        for progress in self.query.recentProgress:
            if progress["batchId"] > self._counted:
                self._counted = progress["batchId"]
                dropped += sum(op.get("numRowsDroppedByWatermark", 0) for op in progress.get("stateOperators") or [])
        if dropped:
            self.late_dropped += dropped
            log.warning("the Spark join dropped %d records that came more than grace_s behind the newest one (%d in "
                        "all): raise --grace-s above the longest shipping delay or outage", dropped, self.late_dropped)

    def stats(self) -> dict[str, Any]:
        progress = self.query.lastProgress or {}
        ops = progress.get("stateOperators") or [{}]
        return {"engine": "spark", "joined": self.emitted, "held": ops[0].get("numRowsTotal"),
                "bytes": ops[0].get("memoryUsedBytes"), "watermark": (progress.get("eventTime") or {}).get("watermark"),
                "late_dropped": self.late_dropped}

    def close(self) -> None:
        self.query.stop()
        if self._own:
            self.spark.stop()

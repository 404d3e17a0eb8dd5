"""``join.*``: the stream joins side by side on the data generator's streams (appliance/fleet/): a naive dict,
the appliance's joiner, the durable SQLite joiner and Spark, each against the exact reference join.

``join.<scenario>`` runs the in-process joins; ``join.spark.<scenario>`` runs them again beside Spark (it needs
PySpark and a JDK, and minutes), on the same stream: the scenario's, stopped when its last decision has
arrived (:func:`~appliance.fleet.streams.until_input_stops`). Every entry reports, for each join: records a
second, the time from the end of a decision's wait to its joined event (p50, p99, in the stream's clock), peak
state (records, bytes) and mismatches with the reference, and ``ratios``: each join's records a second over
the naive dict's in the same run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any, Callable

from appliance.bench.measure import compared, summarize
from appliance.bench.skip import ProgramMissing
from appliance.fleet.evaluate import JoinRun

SIZES = {"seconds": (3000, 10_000), "days": (4000, 12_000)}
"""Decisions per scenario: quick, full. Every join of a scenario sees the same stream."""
SPARK_SIZES = {"seconds": (1000, 10_000), "days": (1000, 12_000)}
"""Decisions per scenario beside Spark: quick, full. Spark joins some 40-80 records a second here (one Python call per
event id and micro-batch), so a quick run takes a smaller stream: its 8 files took 4 minutes of CI's quick run."""
SPARK_FILES = (4, 12)
"""Files Spark's input is shipped as (one micro-batch each): quick, full."""
REFERENCE = "naive_dict"


def _stream(name: str, quick: bool, sizes: dict[str, tuple[int, int]] = SIZES) -> Any:
    from appliance.fleet.streams import SCENARIOS, generated_stream, until_input_stops

    return until_input_stops(generated_stream(SCENARIOS[name], sizes[name][0 if quick else 1], seed=7))


def _runs(stream: Any, repeats: int) -> dict[str, list[JoinRun]]:
    from appliance.fleet.contenders import ApplianceJoin, DurableJoin, NaiveDict
    from appliance.fleet.evaluate import evaluate

    runs: dict[str, list[JoinRun]] = {}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            for join in (NaiveDict(stream.scenario), ApplianceJoin(stream.scenario), DurableJoin(stream.scenario, Path(tmp) / "j.db")):
                run = evaluate(join, stream)
                runs.setdefault(run.join, []).append(run)
    return runs


def _table(runs: dict[str, list[JoinRun]]) -> dict[str, dict[str, Any]]:
    """Each join's last run, with its records a second as the median over the repeats."""
    return {name: {**rs[-1].as_dict(), "records_per_s": statistics.median(r.records_per_s for r in rs)} for name, rs in runs.items()}


def _ratios(table: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Each join's records a second over the naive dict's on the same stream in the same run."""
    reference = table[REFERENCE]["records_per_s"]
    return {name: row["records_per_s"] / reference for name, row in table.items() if name != REFERENCE}


def _stream_facts(stream: Any) -> dict[str, Any]:
    s = stream.scenario
    return {"scenario": s.note, "decisions": len(stream.decisions), "records": len(stream.records),
            "rewards_before_decision": stream.rewards_first, "duplicate_deliveries": stream.duplicates,
            "rewards_after_wait": stream.late, "missing_share": s.missing, "records_after_input_stops": stream.cut}


def _scenario(name: str) -> Callable[[bool], dict[str, Any]]:
    def bench(quick: bool) -> dict[str, Any]:
        stream = _stream(name, quick)
        runs = _runs(stream, 2 if quick else 3)
        durable = [r.records_per_s for r in runs["durable_sqlite"]]
        naive = [r.records_per_s for r in runs[REFERENCE]]
        table = _table(runs)
        return compared(f"stream join, {name}: records/s of the durable SQLite joiner (event time, exact)", "records/s",
                        summarize(durable), "a naive in-memory dict on the same stream", summarize(naive),
                        "the share of the naive dict's speed the durable, exact join keeps",
                        joins=table, ratios=_ratios(table), stream=_stream_facts(stream))

    bench.__doc__ = f"Stream joins on the {name!r} scenario: throughput, latency, state and correctness."
    return bench


def _spark_scenario(name: str) -> Callable[[bool], dict[str, Any]]:
    def bench(quick: bool) -> dict[str, Any]:
        import pyspark  # noqa: F401  (missing: the benchmark is skipped, `pip install '.[fleet]'`)

        from appliance.fleet.spark_eval import spark_run
        from appliance.fleet.spark_join import session

        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise ProgramMissing("Spark needs a JDK (java on PATH or JAVA_HOME): apt-get install openjdk-17-jre-headless")
        stream = _stream(name, quick, SPARK_SIZES)
        runs = _runs(stream, 2 if quick else 3)
        spark = session("wabbit-bench")
        try:
            run, stall = spark_run(spark, stream, SPARK_FILES[0 if quick else 1])
        finally:
            spark.stop()
        table = {**_table(runs), "spark": run.as_dict()}
        return compared(f"stream join on Spark (local[2], RocksDB state), {name}: records/s of each file's micro-batch",
                        "records/s", summarize(stall.pop("records_per_s_by_file")),
                        "a naive in-memory dict on the same stream", summarize([r.records_per_s for r in runs[REFERENCE]]),
                        "Spark's speed (per micro-batch) as a share of the naive dict's",
                        joins=table, ratios=_ratios(table), stall=stall, stream=_stream_facts(stream))

    bench.__doc__ = (f"Spark Structured Streaming (local mode, RocksDB state) on the {name!r} scenario's stream, beside "
                     "the other joins on the same stream.")
    return bench


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {
    **{f"join.{name}": _scenario(name) for name in SIZES},
    **{f"join.spark.{name}": _spark_scenario(name) for name in SIZES},
}

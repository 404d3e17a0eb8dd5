"""``join.*``: the stream joins side by side on the data generator's streams (appliance/fleet/): a naive dict,
the appliance's joiner, the durable SQLite joiner and Spark, each against the exact reference join.

Every entry reports, for each join: records a second, the time from the end of a decision's wait to its joined
event (p50, p99, in the stream's clock), peak state (records, bytes) and mismatches with the reference.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any, Callable

from appliance.bench.measure import compared, summarize
from appliance.fleet.evaluate import JoinRun

SIZES = {"seconds": (3000, 10_000), "days": (4000, 12_000)}


def _stream(name: str, quick: bool) -> Any:
    from appliance.fleet.streams import SCENARIOS, generated_stream

    return generated_stream(SCENARIOS[name], SIZES[name][0 if quick else 1], seed=7)


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


def _stream_facts(stream: Any) -> dict[str, Any]:
    s = stream.scenario
    return {"scenario": s.note, "decisions": len(stream.decisions), "records": len(stream.records),
            "rewards_before_decision": stream.rewards_first, "duplicate_deliveries": stream.duplicates,
            "rewards_after_wait": stream.late, "missing_share": s.missing}


def _scenario(name: str) -> Callable[[bool], dict[str, Any]]:
    def bench(quick: bool) -> dict[str, Any]:
        stream = _stream(name, quick)
        runs = _runs(stream, 2 if quick else 3)
        durable = [r.records_per_s for r in runs["durable_sqlite"]]
        naive = [r.records_per_s for r in runs["naive_dict"]]
        return compared(f"stream join, {name}: records/s of the durable SQLite joiner (event time, exact)", "records/s",
                        summarize(durable), "a naive in-memory dict on the same stream", summarize(naive),
                        "the share of the naive dict's speed the durable, exact join keeps",
                        joins=_table(runs), stream=_stream_facts(stream))

    bench.__doc__ = f"Stream joins on the {name!r} scenario: throughput, latency, state and correctness."
    return bench


def bench_spark(quick: bool) -> dict[str, Any]:
    """Spark Structured Streaming (local mode, RocksDB state) on the 'seconds' stream vs the durable joiner."""
    import pyspark  # noqa: F401  (missing: the benchmark is skipped, `pip install '.[fleet]'`)

    from appliance.fleet.spark_eval import spark_run
    from appliance.fleet.spark_join import session

    stream = _stream("seconds", True)
    durable_runs = _runs(stream, 2)["durable_sqlite"]
    durable = _table({"durable_sqlite": durable_runs})["durable_sqlite"]
    spark = session("wabbit-bench")
    try:
        run, stall = spark_run(spark, stream, 8 if quick else 20)
    finally:
        spark.stop()
    return compared("stream join on Spark (local[2], RocksDB state): records/s of each file's micro-batch", "records/s",
                    summarize(stall.pop("records_per_s_by_file")), "the durable SQLite joiner on the same stream",
                    summarize([r.records_per_s for r in durable_runs]),
                    "Spark's speed as a share of the durable joiner's (one process, no JVM)",
                    joins={"spark": run.as_dict(), "durable_sqlite": durable}, stall=stall, stream=_stream_facts(stream))


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "join.seconds": _scenario("seconds"),
    "join.days": _scenario("days"),
    "join.spark": bench_spark,
}

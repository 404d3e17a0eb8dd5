"""What a log sink costs the loop: events per second with a sink shipping the joined events at its default
batching (198 KB or 1 s), against the same loop without one, taken in turn. Goal: at least 0.9."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from appliance.bench.loop_bench import drive
from appliance.bench.measure import compared, repeat_each, timed
from appliance.bench.vw_bench import light_workload
from appliance.clock import FakeClock
from appliance.config import AppConfig


def bench_sink_overhead(quick: bool) -> dict[str, Any]:
    from appliance.assemble import open_loop
    from appliance.config.log_sinks import DirectorySinkConfig
    from appliance.sinks import Shipper
    from appliance.sinks.directory import DirectorySink
    from appliance.workers import Worker

    n = 10_000 if quick else 40_000  # long enough for the sink to ship while the loop runs
    workload = light_workload(n)
    config = AppConfig.model_validate({"join": {"reward_wait_s": 1.0}, "storage": {"log_sync_s": 0.0}})
    shipped: list[int] = []  # lines the sink shipped while the loop ran, per run

    def events_per_s(shipping: bool) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            clock = FakeClock(1_700_000_000.0)
            loop = open_loop(config, clock, Path(tmp), durable=False)
            stop = threading.Event()
            if shipping:
                sink_config = DirectorySinkConfig(path=Path(tmp) / "inbox")  # the default batching
                shipper = Shipper(DirectorySink(sink_config, name="bench"), loop.events, sink_config, Path(tmp) / "bench.cursor")
                worker = Worker("sink-bench", shipper.step, 0.25)
                worker.start(stop)

            seconds = timed(lambda: drive(loop, clock, workload))
            stop.set()
            if shipping:
                worker.join(30.0)
                shipped.append(shipper.shipped_lines)
            loop.close()
            return n / seconds

    s = repeat_each(lambda: {"ours": events_per_s(True), "reference": events_per_s(False)}, repeats=3 if quick else 5)
    return compared("loop events per second while a directory sink ships the joined events at its default batching",
                    "events/s", s["ours"], "the same loop without a sink, taken in turn", s["reference"],
                    "the share of the loop's speed a sink leaves (goal >= 0.9)", events=n,
                    shipped_while_running=min(shipped) / n)


BENCHMARKS = {"sinks.overhead": bench_sink_overhead}

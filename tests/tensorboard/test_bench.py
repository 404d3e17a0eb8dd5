"""``wabbit bench --only tensorboard.overhead``, quick: well formed, and the loop keeps most of its speed.

The issue's goal is 0.9 (docs/benchmarks.md has the full run's figures); a quick run on a machine shared with other
work moves by about 0.1, so the test asks for 0.75 by the clock or per CPU second."""

from __future__ import annotations

from appliance.bench import tensorboard_bench
from appliance.bench.registry import all_benchmarks
from tests.bench.test_bench_modules import check_compared


def test_tensorboard_logging_leaves_the_loop_most_of_its_speed() -> None:
    assert "tensorboard.overhead" in all_benchmarks()
    result = tensorboard_bench.BENCHMARKS["tensorboard.overhead"](True)
    check_compared(result)
    assert max(result["ratio"], result["cpu"]["ratio"]) >= 0.75, result
    assert result["writes"] >= 1 and result["writer"] == "event files (tensorboardX)"
    assert 0 < result["latency"]["ratio"] and 0 < result["latency"]["cpu_ratio"]

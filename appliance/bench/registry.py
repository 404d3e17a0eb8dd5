"""Every benchmark ``wabbit bench`` knows, by name: ``{name: fn(quick) -> result dict}``.

Each module listed here exposes ``BENCHMARKS``; they are imported only when a benchmark run starts.

>>> "loop.events_per_s" in all_benchmarks()
True
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable

Benchmark = Callable[[bool], dict[str, Any]]

# (module, prefix added to its names)
MODULES: tuple[tuple[str, str], ...] = (
    ("appliance.bench.loop_bench", ""),
    ("appliance.bench.http_bench", ""),
    ("appliance.bench.grpc_bench", ""),
    ("appliance.bench.vw_bench", ""),
    ("appliance.bench.join_bench", ""),
    ("appliance.bench.fleet_bench", ""),
    ("appliance.bench.e2e_bench", ""),
    ("appliance.bench.quality_bench", ""),
    ("appliance.bench.sweep_bench", ""),
    ("appliance.bench.simulate_bench", ""),
    ("appliance.bench.estimators_bench", ""),
    ("appliance.bench.coverage_bench", ""),
    ("appliance.bench.datagen_bench", ""),
    ("appliance.bench.sinks_bench", ""),
    ("appliance.bench.introspect_bench", ""),
    ("appliance.bench.policy_bench", ""),
    ("appliance.bench.tensorboard_bench", ""),
    ("appliance.bench.client_bench", ""),
    ("appliance.bench.daemon_bench", ""),
    ("featurizers.bench", "featurizers."),
)


def all_benchmarks() -> dict[str, Benchmark]:
    found: dict[str, Benchmark] = {}
    for module, prefix in MODULES:
        benchmarks: dict[str, Benchmark] = import_module(module).BENCHMARKS
        found.update({prefix + name: fn for name, fn in benchmarks.items()})
    return found

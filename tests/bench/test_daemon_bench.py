"""The start-up and memory benchmarks' pure parts: their config, commands, readings of /proc and of the log."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from appliance.bench import daemon_bench
from appliance.bench.daemon_bench import (
    FEATURIZERS_CONFIG,
    ROOT,
    answers,
    daemon_argv,
    logged_ready_s,
    tree_resident_mb,
    with_goal,
)
from appliance.bench.http_bench import free_port
from appliance.bench.registry import all_benchmarks
from appliance.config import AppConfig


def test_both_are_registered() -> None:
    assert {"daemon.ready_s", "daemon.rss_mb"} <= set(all_benchmarks())
    assert set(daemon_bench.BENCHMARKS) == {"daemon.ready_s", "daemon.rss_mb"}


def test_the_featurizers_config_is_valid_and_needs_no_download() -> None:
    from featurizers.config import FaceFeaturizerConfig
    from featurizers.tflite.runtime import resolve_model

    config = AppConfig.model_validate(FEATURIZERS_CONFIG)
    assert [f.type for f in config.featurizers] == ["audio", "video", "face"]
    assert {s.type for s in config.sources} == {"synthetic_audio", "synthetic_video"}
    assert config.simulation is None and config.actuators == [] and config.feedback == []
    face = next(f for f in config.featurizers if isinstance(f, FaceFeaturizerConfig))
    model = Path(resolve_model(face.model))
    assert model.is_file() and model.resolve().is_relative_to(ROOT)  # shipped in the checkout


def test_the_daemon_runs_this_checkout_with_or_without_a_config(tmp_path: Path) -> None:
    assert daemon_argv(tmp_path, 8123) == [sys.executable, "-m", "appliance", "run", "--data-dir", str(tmp_path), "--port", "8123"]
    assert daemon_argv(tmp_path, 8123, tmp_path / "c.yaml")[-2:] == ["--config", str(tmp_path / "c.yaml")]
    assert (ROOT / "appliance" / "__main__.py").is_file()


def test_goal_is_an_upper_bound() -> None:
    assert with_goal({"median": 3.0}, 3.0) == {"goal": 3.0, "meets_goal": True}
    assert with_goal({"median": 3.01}, 3.0) == {"goal": 3.0, "meets_goal": False}


def test_resident_memory_is_read_for_the_process_and_its_children() -> None:
    own, children = tree_resident_mb(os.getpid())
    assert 10.0 < own < 4096.0
    assert children >= 0.0


def test_a_closed_port_does_not_answer() -> None:
    assert answers(free_port()) is False


def test_the_log_line_is_read_or_missing() -> None:
    assert logged_ready_s("INFO wabbit: ready in 1.50 s since the process started (0.90 s since the imports)") == 1.5
    assert logged_ready_s("INFO wabbit: loop closed") is None

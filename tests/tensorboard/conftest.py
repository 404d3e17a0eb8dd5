"""Read a run back with TensorBoard's own reader: its event accumulator, and the HParams plugin's data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                                        reason="tests/requirements/tensorboard.txt installs tensorboard")
plugin_data_pb2 = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")
SIZES = {"scalars": 0, "histograms": 0, "tensors": 0}  # keep every point


def read_run(directory: Path) -> Any:
    """The run's event files, loaded as TensorBoard loads them."""
    accumulator = event_accumulator.EventAccumulator(str(directory), size_guidance=SIZES)
    accumulator.Reload()
    return accumulator


def scalars(run: Any) -> dict[str, list[tuple[int, float]]]:
    """Every scalar tag's (step, value) points."""
    return {tag: [(e.step, e.value) for e in run.Scalars(tag)] for tag in run.Tags()["scalars"]}


def last(points: dict[str, list[tuple[int, float]]], tag: str) -> float:
    return points[tag][-1][1]


def hparams(run_directory: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """The hyperparameters ``add_hparams`` wrote (from the plugin's session start) and the final metrics' values."""
    run = read_run(run_directory / "hparams")
    found: dict[str, Any] = {}
    for content in run.PluginTagToContent("hparams").values():
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        if data.HasField("session_start_info"):
            for name, value in data.session_start_info.hparams.items():
                found[name] = getattr(value, value.WhichOneof("kind"))
    return found, {tag: values[-1][1] for tag, values in scalars(run).items()}

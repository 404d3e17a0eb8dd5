"""TensorBoard event files through tensorboardX (the ``tensorboard`` extra): scalars, histograms, hyperparameters.

>>> import tempfile
>>> writer = EventFileWriter(Path(tempfile.mkdtemp()) / "run")
>>> writer.scalars(1, {"reward/progressive": 0.5, "value/greedy": float("nan")})
>>> writer.hparams(1, {"learning_rate": 0.5}, {"final/reward": 0.5}); writer.close()
>>> sorted(p.name for p in writer.directory.iterdir() if p.is_dir())  # add_hparams writes its own folder
['hparams']
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import numpy as np

from appliance.watch.writers.base import LAYOUT, HParam


class EventFileWriter:
    def __init__(self, directory: Path) -> None:
        from tensorboardX import SummaryWriter
        from tensorboardX.proto.summary_pb2 import Summary

        self._summary, self._value = Summary, Summary.Value

        self.directory = directory
        # tensorboardX hands each summary to a thread of its own that writes it to a buffered file, and flushes that
        # file at most every flush_secs when something came: the observer's schedule (at most a write a second by
        # default) is what reaches the disk, within a second
        self._writer = SummaryWriter(str(directory), max_queue=1_000_000, flush_secs=1)
        self._writer.add_custom_scalars(LAYOUT)

    def scalars(self, step: int, values: Mapping[str, float]) -> None:
        """Every scalar in one summary (one event in the file, one hand-over to the writer's thread), as ``add_scalar``
        writes each: tags TensorBoard reads the same, at a fraction of the cost."""
        summary = self._summary(value=[self._value(tag=tag, simple_value=float(value)) for tag, value in values.items() if not math.isnan(value)])
        if summary.value:
            self._writer._get_file_writer().add_summary(summary, step)

    def histogram(self, step: int, tag: str, values: np.ndarray) -> None:
        if len(values):
            self._writer.add_histogram(tag, values, step)

    def hparams(self, step: int, hparams: Mapping[str, HParam], metrics: Mapping[str, float]) -> None:
        clean = {k: v for k, v in metrics.items() if not math.isnan(v)}
        self._writer.add_hparams(dict(hparams), clean, name="hparams", global_step=step)

    def flush(self) -> None:
        pass  # tensorboardX's thread flushes within a second of a write (flushing here could write half of one)

    def close(self) -> None:
        self._writer.close()

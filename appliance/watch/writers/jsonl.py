"""The fallback without tensorboardX: one JSON object a line in ``scalars.jsonl``, buffered until flushed.

Lines: ``{"step", "time", "scalars": {tag: value}}``, ``{"step", "time", "histogram": tag, "counts", "edges"}``
(30 bins) and, at the end of a run, ``{"step", "time", "hparams": {...}, "metrics": {...}}``.

>>> import json, tempfile
>>> writer = JsonLinesWriter(Path(tempfile.mkdtemp()) / "run")
>>> writer.histogram(3, "model/weights", np.array([0.0, 0.5, 1.0])); writer.flush()
>>> line = json.loads((writer.directory / "scalars.jsonl").read_text())
>>> line["histogram"], sum(line["counts"]), line["edges"][0], line["edges"][-1]
('model/weights', 3, 0.0, 1.0)
>>> writer.close()
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from appliance.watch.writers.base import HParam

BINS = 30


class JsonLinesWriter:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._file = open(directory / "scalars.jsonl", "a", encoding="utf-8", buffering=1 << 20)

    def _line(self, step: int, fields: dict[str, Any]) -> None:
        self._file.write(json.dumps({"step": step, "time": round(time.time(), 3), **fields}) + "\n")

    def scalars(self, step: int, values: Mapping[str, float]) -> None:
        self._line(step, {"scalars": {k: v for k, v in values.items() if not math.isnan(v)}})

    def histogram(self, step: int, tag: str, values: np.ndarray) -> None:
        if len(values):
            counts, edges = np.histogram(values, bins=BINS)
            self._line(step, {"histogram": tag, "counts": counts.tolist(), "edges": edges.tolist()})

    def hparams(self, step: int, hparams: Mapping[str, HParam], metrics: Mapping[str, float]) -> None:
        self._line(step, {"hparams": dict(hparams), "metrics": {k: v for k, v in metrics.items() if not math.isnan(v)}})

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()

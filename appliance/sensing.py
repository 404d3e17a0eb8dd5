"""Live sensing in the daemon: capture sources into featurizers, the latest context, and their stats.

The daemon's ``sense`` worker calls :meth:`Sensing.step`; each step polls the featurizers package's
``Pipeline`` (every source captures on its own thread and keeps only its latest window or frame) and
stores each featurizer's newest features under its namespace. Triggers and ``POST /api/decide`` read
:meth:`Sensing.context`. On shutdown :meth:`Sensing.stop` stops capture first.

>>> from appliance.config import AppConfig
>>> config = AppConfig.model_validate({"policy": {"actions": [{"id": "on"}, {"id": "off"}]},
...     "sources": [{"type": "synthetic_video", "id": "cam", "width": 64, "height": 48, "realtime": False}],
...     "featurizers": [{"type": "video", "source": "cam"}]})
>>> sensing = Sensing(config.sources, config.featurizers)
>>> sensing.start()
>>> while not sensing.context(): new = sensing.step()
>>> sensing.stop()
>>> stats = sensing.stats()
>>> "brightness" in sensing.context()["video"], stats["sources"]["cam"]["state"], stats["featurizers"]["video"]["calls"] > 0
(True, 'stopped', True)

With ``preview=True`` each video source also keeps a reference to the newest frame the featurizers read
(the camera preview's); without it nothing is kept and the sources are read as they are:

>>> sensing = Sensing(config.sources, config.featurizers, preview=True)
>>> sensing.start()
>>> while sensing.frame("cam") is None: new = sensing.step()
>>> sensing.stop()
>>> sensing.preview_sources, sensing.frame("cam").image.shape
(['cam'], (48, 64, 3))
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Sequence

from appliance.features import Features

if TYPE_CHECKING:
    from featurizers import FeaturizerConfig, Pipeline, SourceConfig
    from featurizers.protocols import Source
    from featurizers.samples import Sample, VideoFrame

log = logging.getLogger(__name__)

POLL_S = 0.05
"""Longest a step waits for a new window or frame (sources that have one are read at once)."""


class Sensing:
    """The configured sources and featurizers; ``step`` keeps the newest features of each namespace."""

    def __init__(self, sources: Sequence[SourceConfig], featurizers: Sequence[FeaturizerConfig],
                 pipeline: Pipeline | None = None, preview: bool = False) -> None:
        from featurizers import Pipeline, PipelineConfig  # numpy and the sources load only with sensing configured

        self.pipeline = pipeline or Pipeline(PipelineConfig(sources=list(sources), featurizers=list(featurizers)))
        self._frames = {sid: LatestFrame(s) for sid, s in self.pipeline.sources.items() if s.kind == "video"} \
            if preview else {}
        self.pipeline.sources.update(self._frames)  # the pipeline reads the video sources through them
        self._lock = threading.Lock()
        self._context: Features = {}
        self._updated: dict[str, float] = {}  # namespace -> monotonic time of its newest features
        self.results = 0
        self.stopped = False

    def start(self) -> None:
        """Start every source's capture thread (opening the device happens there: this returns at once)."""
        self.pipeline.start()
        log.info("sensing started: sources %s -> namespaces %s", ", ".join(self.pipeline.sources),
                 ", ".join(f.namespace for _, f in self.pipeline.featurizers))

    def step(self) -> int:
        """Featurize what the sources captured since the last step; returns the number of new results."""
        results = self.pipeline.poll(timeout=POLL_S)
        if results:
            now = time.monotonic()
            with self._lock:
                for result in results:
                    self._context[result.namespace] = result.features
                    self._updated[result.namespace] = now
                self.results += len(results)
        return len(results)

    def context(self) -> Features:
        """The newest features of every namespace that has any (a copy: the caller may keep it)."""
        with self._lock:
            return {namespace: dict(features) for namespace, features in self._context.items()}

    @property
    def preview_sources(self) -> list[str]:
        """The video sources whose latest frame is kept (none unless made with ``preview=True``)."""
        return list(self._frames)

    def frame(self, source_id: str) -> VideoFrame | None:
        """The newest frame read from ``source_id`` (one of :attr:`preview_sources`), ``None`` before the first."""
        from featurizers.samples import VideoFrame

        sample = self._frames[source_id].latest
        return sample if isinstance(sample, VideoFrame) else None

    def stop(self) -> None:
        """Stop capture (every source releases its device); idempotent, never raises."""
        if self.stopped:
            return
        self.stopped = True
        try:
            self.pipeline.stop()
        except Exception as err:
            log.error("sensing: a source did not stop cleanly: %s", err)
        states = {sid: s.stats().get("state") for sid, s in self.pipeline.sources.items()}
        log.info("sensing stopped: sources %s", ", ".join(f"{sid} {state}" for sid, state in states.items()))

    def stats(self) -> dict[str, Any]:
        """Per source: state, fps, dropped, last error...; per featurizer: ms (last, mean); the context."""
        now = time.monotonic()
        sources = {sid: {k: v for k, v in s.stats().items() if k != "id"} for sid, s in self.pipeline.sources.items()}
        featurizers = {}
        for source_id, featurizer in self.pipeline.featurizers:
            with self._lock:
                updated = self._updated.get(featurizer.namespace)
            featurizers[featurizer.namespace] = {"source": source_id, **featurizer.stats(),
                                                 "age_s": round(now - updated, 3) if updated is not None else None}
        return {"sources": sources, "featurizers": featurizers, "results": self.results, "stopped": self.stopped,
                "context": self.context()}


class LatestFrame:
    """A source that also keeps a reference to the newest sample read from it (no copy): the camera preview's."""

    def __init__(self, source: Source) -> None:
        self.source, self.id, self.kind = source, source.id, source.kind
        self.latest: Sample | None = None

    def start(self) -> None:
        self.source.start()

    def stop(self) -> None:
        self.source.stop()

    def read(self, timeout: float = 1.0) -> Sample | None:
        sample = self.source.read(timeout)
        if sample is not None:
            self.latest = sample
        return sample

    def stats(self) -> dict[str, Any]:
        return self.source.stats()

    @property
    def ended(self) -> bool:
        """What the pipeline asks of file sources (see ``Pipeline.ended``)."""
        return bool(getattr(self.source, "ended", False))

"""Runs sources into featurizers: what ``wabbit featurize`` and the daemon's featurize worker do.

>>> from featurizers.config import PipelineConfig
>>> p = Pipeline(PipelineConfig.model_validate({
...     "sources": [{"type": "synthetic_video", "id": "cam", "width": 64, "height": 48, "realtime": False}],
...     "featurizers": [{"type": "video", "source": "cam"}]}))
>>> p.start()
>>> results = p.poll(timeout=5.0)
>>> p.stop()
>>> (results[0].namespace, "brightness" in results[0].features)
('video', True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from featurizers.config import PipelineConfig
from featurizers.protocols import Featurizer, Source
from featurizers.registry import build_featurizer, build_source


@dataclass(frozen=True)
class Result:
    """Features of one window/frame for one namespace."""

    timestamp: float
    source: str
    seq: int
    namespace: str
    features: dict[str, float]
    ms: float

    def to_json(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp, "source": self.source, "seq": self.seq,
                "namespace": self.namespace, "features": self.features, "ms": round(self.ms, 4)}

    def to_vw(self) -> str:
        """The VW namespace text, e.g. ``|video brightness:0.5 ...``."""
        return f"|{self.namespace} " + " ".join(f"{k}:{v:.6g}" for k, v in self.features.items())


class Pipeline:
    """Sources with the featurizers reading them; ``poll`` returns the newest results."""

    def __init__(self, config: PipelineConfig, sources: dict[str, Source] | None = None,
                 featurizers: list[tuple[str, Featurizer]] | None = None) -> None:
        self.sources = sources if sources is not None else {s.id: build_source(s) for s in config.sources}
        self.featurizers = featurizers if featurizers is not None else \
            [(f.source, build_featurizer(f)) for f in config.featurizers]

    def start(self) -> None:
        for source in self.sources.values():
            source.start()

    def stop(self) -> None:
        for source in self.sources.values():
            source.stop()

    @property
    def ended(self) -> bool:
        """True when every source has ended (files without ``loop``)."""
        return all(getattr(s, "ended", False) for s in self.sources.values())

    def poll(self, timeout: float = 1.0) -> list[Result]:
        """Read each source once (waiting up to ``timeout`` in total) and featurize what came."""
        results: list[Result] = []
        deadline = time.monotonic() + timeout
        for source_id, source in self.sources.items():
            sample = source.read(timeout=max(0.0, deadline - time.monotonic()))
            if sample is None:
                continue
            for wanted, featurizer in self.featurizers:
                if wanted != source_id:
                    continue
                start = time.perf_counter()
                features = featurizer.featurize(sample)
                ms = (time.perf_counter() - start) * 1000.0
                results.append(Result(sample.timestamp, source_id, sample.seq, featurizer.namespace, features, ms))
        return results

    def stats(self) -> dict[str, Any]:
        return {"sources": {sid: s.stats() for sid, s in self.sources.items()},
                "featurizers": {f.namespace: f.stats() for _, f in self.featurizers}}
